// What the front and back views of a shared ring have in common: where the
// page is, how many slots it holds, and ring.h's slot accessors.
import { OFFSET_ring, RING_IDX, ringSizeOf } from "./sring";

// @unmanaged: scalars only, so the hot paths carry no GC bookkeeping (shadow
// stack, write barriers). `new` takes it from the heap for good: a driver keeps
// one per ring and re-attaches it on reconnect.
// @ts-ignore: decorator
@unmanaged export class Ring {
  /** The shared page(s): 2^ring-page-order contiguous pages of linear memory. */
  sring: usize = 0;
  /** RING_SIZE: a power of two. */
  nrEnts: u32 = 0;
  /** Set when the peer broke the protocol; the consumer checks fail until re-attached. */
  broken: bool = false;
  /** sizeof(union X_sring_entry), from gcc: the driver's X_sring.LENGTH_ring. */
  entrySize: usize;

  constructor(entrySize: usize) {
    this.entrySize = entrySize;
  }

  protected attach(s: usize, size: usize): void {
    this.sring = s;
    this.nrEnts = ringSizeOf(size, this.entrySize);
    this.broken = false;
  }

  /** RING_SIZE */
  ringSize(): u32 {
    return this.nrEnts;
  }

  /** RING_GET_REQUEST: the slot of `idx`; the mask keeps any index inside the ring. */
  // @ts-ignore: decorator
  @inline getRequest(idx: RING_IDX): usize {
    return this.sring + OFFSET_ring + <usize>(idx & (this.nrEnts - 1)) * this.entrySize;
  }

  /** RING_GET_RESPONSE: requests and responses share the slots. */
  // @ts-ignore: decorator
  @inline getResponse(idx: RING_IDX): usize {
    return this.getRequest(idx);
  }

  /** RING_COPY_REQUEST: a private copy the peer can no longer change under us. */
  copyRequest(idx: RING_IDX, dest: usize, bytes: usize): void {
    assert(bytes <= this.entrySize, "copyRequest: larger than a slot");
    copySlot(dest, this.getRequest(idx), bytes);
  }

  /** RING_COPY_RESPONSE */
  copyResponse(idx: RING_IDX, dest: usize, bytes: usize): void {
    assert(bytes <= this.entrySize, "copyResponse: larger than a slot");
    copySlot(dest, this.getResponse(idx), bytes);
  }
}

/** A slot's bytes, in words: V8 runs memory.copy out of line, which costs more than a slot's worth of loads. */
// @ts-ignore: decorator
@inline function copySlot(dest: usize, src: usize, bytes: usize): void {
  let i: usize = 0;
  for (; i + 8 <= bytes; i += 8) store<u64>(dest + i, load<u64>(src + i));
  for (; i < bytes; i++) store<u8>(dest + i, load<u8>(src + i));
}

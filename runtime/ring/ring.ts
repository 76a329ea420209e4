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

  /** The first slot: with indexMask() and entrySize, what a batch loop keeps in locals for ringSlot(). */
  // @ts-ignore: decorator
  @inline slotBase(): usize {
    return this.sring + OFFSET_ring;
  }

  /** RING_SIZE - 1: masks a free-running index into the ring. */
  // @ts-ignore: decorator
  @inline indexMask(): u32 {
    return this.nrEnts - 1;
  }

  /** RING_GET_REQUEST: the slot of `idx`; the mask keeps any index inside the ring. */
  // @ts-ignore: decorator
  @inline getRequest(idx: RING_IDX): usize {
    return ringSlot(this.slotBase(), this.indexMask(), this.entrySize, idx);
  }

  /** RING_GET_RESPONSE: requests and responses share the slots. */
  // @ts-ignore: decorator
  @inline getResponse(idx: RING_IDX): usize {
    return this.getRequest(idx);
  }

  /** RING_COPY_REQUEST: a private copy the peer can no longer change under us; inline, so a constant `bytes` unrolls. */
  // @ts-ignore: decorator
  @inline copyRequest(idx: RING_IDX, dest: usize, bytes: usize): void {
    assert(bytes <= this.entrySize, "copyRequest: larger than a slot");
    copySlot(dest, this.getRequest(idx), bytes);
  }

  /** RING_COPY_RESPONSE */
  // @ts-ignore: decorator
  @inline copyResponse(idx: RING_IDX, dest: usize, bytes: usize): void {
    assert(bytes <= this.entrySize, "copyResponse: larger than a slot");
    copySlot(dest, this.getResponse(idx), bytes);
  }
}

/**
 * RING_GET_REQUEST/RING_GET_RESPONSE for a batch loop that holds the ring's
 * geometry and its private index in locals: a store to a slot may alias the
 * ring object in linear memory, so code that goes through it reloads every
 * field after every store (1.5x the time of a batch of 32 in V8).
 */
// @ts-ignore: decorator
@inline export function ringSlot(base: usize, mask: u32, entrySize: usize, idx: RING_IDX): usize {
  return base + <usize>(idx & mask) * entrySize;
}

/** Slots copied up to this size unroll into eight-byte moves; every Xen ring's slots fit. */
const UNROLLED: usize = 128;

/**
 * A slot's bytes, in eight-byte moves at constant offsets: with a constant
 * `bytes` the tests fold away and nothing but the moves is left. V8 runs
 * memory.copy out of line, and a copy loop costs about 7 instructions per word.
 */
// @ts-ignore: decorator
@inline export function copySlot(dest: usize, src: usize, bytes: usize): void {
  if (bytes > UNROLLED) {
    memory.copy(dest, src, bytes);
    return;
  }
  if (bytes >= 8) store<u64>(dest, load<u64>(src, 0), 0);
  if (bytes >= 16) store<u64>(dest, load<u64>(src, 8), 8);
  if (bytes >= 24) store<u64>(dest, load<u64>(src, 16), 16);
  if (bytes >= 32) store<u64>(dest, load<u64>(src, 24), 24);
  if (bytes >= 40) store<u64>(dest, load<u64>(src, 32), 32);
  if (bytes >= 48) store<u64>(dest, load<u64>(src, 40), 40);
  if (bytes >= 56) store<u64>(dest, load<u64>(src, 48), 48);
  if (bytes >= 64) store<u64>(dest, load<u64>(src, 56), 56);
  if (bytes >= 72) store<u64>(dest, load<u64>(src, 64), 64);
  if (bytes >= 80) store<u64>(dest, load<u64>(src, 72), 72);
  if (bytes >= 88) store<u64>(dest, load<u64>(src, 80), 80);
  if (bytes >= 96) store<u64>(dest, load<u64>(src, 88), 88);
  if (bytes >= 104) store<u64>(dest, load<u64>(src, 96), 96);
  if (bytes >= 112) store<u64>(dest, load<u64>(src, 104), 104);
  if (bytes >= 120) store<u64>(dest, load<u64>(src, 112), 112);
  if (bytes >= 128) store<u64>(dest, load<u64>(src, 120), 120);
  const words = bytes & ~7;
  if (bytes & 4) store<u32>(dest + words, load<u32>(src + words));
  if (bytes & 2) store<u16>(dest + (bytes & ~3), load<u16>(src + (bytes & ~3)));
  if (bytes & 1) store<u8>(dest + bytes - 1, load<u8>(src + bytes - 1));
}

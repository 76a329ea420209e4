// The byte rings of io/console.h and io/xs_wire.h: a power-of-two array with
// free-running 32-bit producer and consumer indices, one side writing each.
// The peer's index is never trusted: a distance larger than the ring is reported.
import { mb, rmb, wmb } from "../platform";

/** Returned when the peer's index says more than the ring can hold. */
export const RING_CORRUPT: i32 = -1;

/**
 * Copies up to `len` bytes from `src` into the ring at `ring` of `size` bytes,
 * where this side owns the producer index at `prodAt` and the peer the
 * consumer index at `consAt`. Returns the bytes written, or RING_CORRUPT.
 */
export function byteRingWrite(ring: usize, size: u32, prodAt: usize, consAt: usize, src: usize, len: u32): i32 {
  const cons = load<u32>(consAt);
  let prod = load<u32>(prodAt);
  mb(); // read the consumer index before overwriting the slots it frees
  const used = prod - cons;
  if (used > size) return RING_CORRUPT;
  const n = min(len, size - used);
  for (let i: u32 = 0; i < n; ) {
    const at = prod & (size - 1);
    const chunk = min(n - i, size - at);
    memory.copy(ring + at, src + i, chunk);
    i += chunk;
    prod += chunk;
  }
  wmb(); // the bytes before the index that publishes them
  store<u32>(prodAt, prod);
  return <i32>n;
}

/**
 * Copies up to `len` bytes out of the ring into `dst`, where the peer owns the
 * producer index at `prodAt` and this side the consumer index at `consAt`.
 * Returns the bytes read, or RING_CORRUPT.
 */
export function byteRingRead(ring: usize, size: u32, prodAt: usize, consAt: usize, dst: usize, len: u32): i32 {
  const prod = load<u32>(prodAt);
  rmb(); // the bytes only after the index that published them
  let cons = load<u32>(consAt);
  const avail = prod - cons;
  if (avail > size) return RING_CORRUPT;
  const n = min(len, avail);
  for (let i: u32 = 0; i < n; ) {
    const at = cons & (size - 1);
    const chunk = min(n - i, size - at);
    memory.copy(dst + i, ring + at, chunk);
    i += chunk;
    cons += chunk;
  }
  mb(); // finish reading the slots before handing them back
  store<u32>(consAt, cons);
  return <i32>n;
}

/** Bytes the peer has not consumed yet (the producer's view), or RING_CORRUPT. */
export function byteRingPending(size: u32, prodAt: usize, consAt: usize): i32 {
  const used = load<u32>(prodAt) - load<u32>(consAt);
  return used > size ? RING_CORRUPT : <i32>used;
}

// The shared ring page of Xen's io/ring.h (DEFINE_RING_TYPES): req_prod,
// req_event, rsp_prod, rsp_event, the pvt/__pad bytes, then the slots. Every
// ring type shares this header: generic_sring is DEFINE_RING_TYPES measured by
// gcc (test/ring.test.ts checks blkif's and netif's rings against it).
import { generic_sring, XEN_PAGE_SHIFT } from "../xen/io/ring";

/** ring.h's RING_IDX: free-running 32-bit counters, masked into the ring. */
export type RING_IDX = u32;

/** The frontend writes it: requests produced. */
export const OFFSET_req_prod: usize = generic_sring.OFFSET_req_prod;
/** The backend writes it: notify me when req_prod passes this. */
export const OFFSET_req_event: usize = generic_sring.OFFSET_req_event;
/** The backend writes it: responses produced. */
export const OFFSET_rsp_prod: usize = generic_sring.OFFSET_rsp_prod;
/** The frontend writes it: notify me when rsp_prod passes this. */
export const OFFSET_rsp_event: usize = generic_sring.OFFSET_rsp_event;
export const OFFSET_pvt: usize = generic_sring.OFFSET_pvt_pvt_pad;
export const LENGTH_pvt: usize = generic_sring.LENGTH_pvt_pvt_pad;
export const OFFSET___pad: usize = generic_sring.OFFSET___pad;
export const LENGTH___pad: usize = generic_sring.LENGTH___pad;
/** First slot; slots are `entrySize` bytes, sizeof(union X_sring_entry) (X_sring.LENGTH_ring). */
export const OFFSET_ring: usize = generic_sring.OFFSET_ring;

/**
 * Returned by the consumer checks when the peer overflowed its producer index
 * or answered more than it was asked: the ring is unusable until re-initialised.
 */
export const RING_OVERFLOW: i32 = -1;

/** Bytes of a ring of 2^order contiguous pages (xenbus `ring-page-order`). */
export function ringBytes(order: u32): usize {
  assert(order < 32 - XEN_PAGE_SHIFT, "ringBytes: ring-page-order too large");
  return <usize>1 << (order + XEN_PAGE_SHIFT);
}

/** SHARED_RING_INIT: empty ring, events armed for the first message. */
export function sharedRingInit(s: usize): void {
  store<RING_IDX>(s, 0, OFFSET_req_prod);
  store<RING_IDX>(s, 0, OFFSET_rsp_prod);
  store<RING_IDX>(s, 1, OFFSET_req_event);
  store<RING_IDX>(s, 1, OFFSET_rsp_event);
  memory.fill(s + OFFSET_pvt, 0, LENGTH_pvt);
  memory.fill(s + OFFSET___pad, 0, LENGTH___pad);
}

/**
 * __RING_SIZE: the slots that fit in `size` bytes after the header, rounded
 * down to a power of two so that an index is masked with (size - 1).
 */
export function ringSizeOf(size: usize, entrySize: usize): u32 {
  assert(entrySize > 0 && size >= OFFSET_ring + entrySize, "ringSizeOf: no room for one slot");
  const fit = <u32>((size - OFFSET_ring) / entrySize);
  return <u32>1 << (31 - clz(fit));
}

// The Morgana side of test/ring.test.ts: the same operations as ring_diff.c,
// on runtime/ring/, driven one step at a time by the test.
// asc routes abort to the core's panic (cli/build.ts --use abort=...): the core comes in through start.
import "morgana/runtime/start";
import { FrontRing } from "morgana/runtime/ring/front";
import { copySlot } from "morgana/runtime/ring/ring";
import { BackRing } from "morgana/runtime/ring/back";
import { ringBytes, sharedRingInit, RING_IDX } from "morgana/runtime/ring/sring";
import * as sring from "morgana/runtime/ring/sring";
import { blkif_sring } from "morgana/runtime/xen/io/blkif";
import { netif_rx_sring, netif_tx_sring } from "morgana/runtime/xen/io/netif";

const MAX_ORDER: u32 = 4;
/** The shared ring: 2^MAX_ORDER pages, page-aligned, outside the GC heap. */
const RING = memory.data(4096 << MAX_ORDER, 4096);
/** Where consumers copy a slot (RING_COPY_*) before reading it. */
const COPY = memory.data(256, 16);

let front = new FrontRing(1);
let back = new BackRing(1);
let requestSize: u32 = 0;
let responseSize: u32 = 0;

export const KIND_blkif = 0;
export const KIND_netif_tx = 1;
export const KIND_netif_rx = 2;

/** sizeof(union X_sring_entry) as the generated layouts give it to a driver. */
export function entrySize(kind: i32): u32 {
  if (kind == KIND_blkif) return blkif_sring.LENGTH_ring;
  if (kind == KIND_netif_tx) return netif_tx_sring.LENGTH_ring;
  return netif_rx_sring.LENGTH_ring;
}

/** The header offsets runtime/ring uses, in ring_diff.c's layout order. */
export function header(i: i32): u32 {
  switch (i) {
    case 0: return <u32>sring.OFFSET_req_prod;
    case 1: return <u32>sring.OFFSET_req_event;
    case 2: return <u32>sring.OFFSET_rsp_prod;
    case 3: return <u32>sring.OFFSET_rsp_event;
    case 4: return <u32>sring.OFFSET_pvt;
    case 5: return <u32>sring.LENGTH_pvt;
    case 6: return <u32>sring.OFFSET___pad;
    case 7: return <u32>sring.LENGTH___pad;
    default: return <u32>sring.OFFSET_ring;
  }
}

/** ring_diff.c's setup: garbage, SHARED_RING_INIT, both counters at `start`, both ends attached. */
export function setup(kind: i32, order: u32, start: RING_IDX, reqSize: u32, rspSize: u32): usize {
  assert(order <= MAX_ORDER);
  const size = ringBytes(order);
  requestSize = reqSize;
  responseSize = rspSize;
  front = new FrontRing(entrySize(kind));
  back = new BackRing(entrySize(kind));
  memory.fill(RING, 0xa5, size);
  sharedRingInit(RING);
  store<RING_IDX>(RING, start, sring.OFFSET_req_prod);
  store<RING_IDX>(RING, start, sring.OFFSET_rsp_prod);
  store<RING_IDX>(RING, start + 1, sring.OFFSET_req_event);
  store<RING_IDX>(RING, start + 1, sring.OFFSET_rsp_event);
  front.frontRingAttach(RING, start, size);
  back.backRingAttach(RING, start, size);
  return RING;
}

/** ring_diff.c's per-step state record. */
export function state(i: i32): u32 {
  switch (i) {
    case 0: return front.reqProdPvt;
    case 1: return front.rspCons;
    case 2: return back.rspProdPvt;
    case 3: return back.reqCons;
    case 4: return front.freeRequests();
    case 5: return <u32>front.fullRing();
    case 6: return front.nrUnconsumedResponses();
    case 7: return back.nrUnconsumedRequests();
    default: return front.ringSize();
  }
}

function fill(slot: usize, idx: RING_IDX, bytes: u32, kind: u32): void {
  for (let k: u32 = 0; k < bytes; k++) store<u8>(slot + k, <u8>(idx * 7 + k * 13 + kind));
}

function fnv(h: u32, bytes: u32): u32 {
  for (let k: u32 = 0; k < bytes; k++) h = (h ^ load<u8>(COPY + k)) * 16777619;
  return h;
}

export function produce(n: u32): u32 {
  for (let i: u32 = 0; i < n; i++, front.reqProdPvt++) fill(front.getRequest(front.reqProdPvt), front.reqProdPvt, requestSize, 0x11);
  return 0;
}

export function pushRequests(n: u32): u32 {
  front.pushRequests();
  return 0;
}

export function pushRequestsAndCheckNotify(n: u32): u32 {
  return <u32>front.pushRequestsAndCheckNotify();
}

export function checkRequests(n: u32): u32 {
  return <u32>back.checkRequests();
}

export function consumeRequests(n: u32): u32 {
  let h: u32 = 2166136261;
  for (let i: u32 = 0; i < n; i++, back.reqCons++) {
    back.copyRequest(back.reqCons, COPY, requestSize);
    h = fnv(h, requestSize);
  }
  return h;
}

export function produceResponses(n: u32): u32 {
  for (let i: u32 = 0; i < n; i++, back.rspProdPvt++) fill(back.getResponse(back.rspProdPvt), back.rspProdPvt, responseSize, 0x5a);
  return 0;
}

export function pushResponses(n: u32): u32 {
  back.pushResponses();
  return 0;
}

export function pushResponsesAndCheckNotify(n: u32): u32 {
  return <u32>back.pushResponsesAndCheckNotify();
}

export function finalCheckForRequests(n: u32): u32 {
  return <u32>back.finalCheckForRequests();
}

export function checkResponses(n: u32): u32 {
  return <u32>front.checkResponses();
}

export function consumeResponses(n: u32): u32 {
  let h: u32 = 2166136261;
  for (let i: u32 = 0; i < n; i++, front.rspCons++) {
    front.copyResponse(front.rspCons, COPY, responseSize);
    h = fnv(h, responseSize);
  }
  return h;
}

export function finalCheckForResponses(n: u32): u32 {
  return <u32>front.finalCheckForResponses();
}

/** ring.h's three overflow predicates on index `n`, as a bit mask. */
export function overflowPredicates(n: u32): u32 {
  return <u32>back.requestConsOverflow(n) | <u32>back.requestProdOverflow(n) << 1 | <u32>front.responseProdOverflow(n) << 2;
}

// For the overflow tests: the peer's writes, and where a slot lands.

export function peerStore(offset: usize, value: u32): void {
  store<u32>(RING + offset, value);
}

export function slotOffset(idx: RING_IDX): usize {
  return front.getResponse(idx) - RING;
}

/**
 * A frontend's completion loop, as a driver writes it: consume what is ready,
 * re-arm rsp_event, repeat while there is work. Returns the responses taken,
 * or RING_OVERFLOW; it must end whatever the backend writes.
 */
export function drainResponses(): i32 {
  let taken = 0;
  do {
    const ready = front.checkResponses();
    if (ready < 0) return ready;
    front.rspCons += <u32>ready;
    taken += ready;
  } while (front.finalCheckForResponses());
  return taken;
}

/** The backend's request loop, the same way. */
export function drainRequests(): i32 {
  let taken = 0;
  do {
    const ready = back.checkRequests();
    if (ready < 0) return ready;
    back.reqCons += <u32>ready;
    taken += ready;
  } while (back.finalCheckForRequests());
  return taken;
}

const SOURCE = memory.data(256, 16);

/** copySlot of `bytes` (0 to 256) from a numbered pattern into COPY, which was filled with 0xee first: COPY's offset. */
export function copySlotOf(bytes: usize): usize {
  for (let i: usize = 0; i < 256; i++) store<u8>(SOURCE + i, <u8>(i + 1));
  memory.fill(COPY, 0xee, 256);
  copySlot(COPY, SOURCE, bytes);
  return COPY;
}

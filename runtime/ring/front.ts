// The frontend's view of a shared ring (ring.h's X_front_ring and the
// FRONT_/RING_ macros that take it): it produces requests and consumes
// responses.
import { mb, rmb, wmb } from "../platform";
import { Ring } from "./ring";
import {
  OFFSET_req_event, OFFSET_req_prod, OFFSET_rsp_event, OFFSET_rsp_prod, RING_IDX, RING_OVERFLOW, sharedRingInit,
} from "./sring";

// @ts-ignore: decorator
@unmanaged export class FrontRing extends Ring {
  /** Requests produced, pushed or not. */
  reqProdPvt: RING_IDX = 0;
  /** Responses consumed. */
  rspCons: RING_IDX = 0;

  /** FRONT_RING_ATTACH: a ring whose counters already stand at `i` (both ends agree). */
  frontRingAttach(s: usize, i: RING_IDX, size: usize): void {
    this.reqProdPvt = i;
    this.rspCons = i;
    this.attach(s, size);
  }

  /** FRONT_RING_INIT */
  frontRingInit(s: usize, size: usize): void {
    this.frontRingAttach(s, 0, size);
  }

  /** XEN_FRONT_RING_INIT: the frontend initialises the shared page too. */
  xenFrontRingInit(s: usize, size: usize): void {
    sharedRingInit(s);
    this.frontRingInit(s, size);
  }

  /** RING_FREE_REQUESTS: modular, so right across the 32-bit wrap. */
  freeRequests(): u32 {
    return this.nrEnts - (this.reqProdPvt - this.rspCons);
  }

  /** RING_FULL */
  fullRing(): bool {
    return this.freeRequests() == 0;
  }

  /** XEN_RING_NR_UNCONSUMED_RESPONSES: raw, unvalidated (checkResponses validates). */
  nrUnconsumedResponses(): u32 {
    return load<RING_IDX>(this.sring, OFFSET_rsp_prod) - this.rspCons;
  }

  /** RING_HAS_UNCONSUMED_RESPONSES */
  hasUnconsumedResponses(): bool {
    return this.nrUnconsumedResponses() != 0;
  }

  /** RING_RESPONSE_PROD_OVERFLOW: can there be this many responses? */
  responseProdOverflow(prod: RING_IDX): bool {
    return prod - this.rspCons > this.nrEnts;
  }

  /** RING_PUSH_REQUESTS */
  pushRequests(): void {
    wmb(); // back sees requests before the updated producer index
    store<RING_IDX>(this.sring, this.reqProdPvt, OFFSET_req_prod);
  }

  /** RING_PUSH_REQUESTS_AND_CHECK_NOTIFY: true when the backend asked to be notified (req_event). */
  pushRequestsAndCheckNotify(): bool {
    const old = load<RING_IDX>(this.sring, OFFSET_req_prod);
    const next = this.reqProdPvt;
    wmb(); // back sees requests before the updated producer index
    store<RING_IDX>(this.sring, next, OFFSET_req_prod);
    mb(); // back sees new requests before we check req_event
    return next - load<RING_IDX>(this.sring, OFFSET_req_event) < next - old;
  }

  /** RING_FINAL_CHECK_FOR_RESPONSES: arms rsp_event before going idle; true when there is work. */
  finalCheckForResponses(): bool {
    if (this.hasUnconsumedResponses()) return true;
    store<RING_IDX>(this.sring, this.rspCons + 1, OFFSET_rsp_event);
    mb();
    return this.hasUnconsumedResponses();
  }

  /**
   * What a consumer calls before reading slots: reads rsp_prod once, then the
   * read barrier, and returns how many responses are ready from rspCons on, or
   * RING_OVERFLOW when the backend answered more than was asked (more
   * responses than requests produced, or rsp_prod moved back).
   */
  checkResponses(): i32 {
    if (this.broken) return RING_OVERFLOW;
    const prod = load<RING_IDX>(this.sring, OFFSET_rsp_prod);
    rmb(); // slots are read only after the index that publishes them
    const ready = prod - this.rspCons;
    if (ready > this.reqProdPvt - this.rspCons) {
      this.broken = true;
      return RING_OVERFLOW;
    }
    return <i32>ready;
  }
}

// The backend's view of a shared ring (ring.h's X_back_ring and the BACK_/RING_
// macros that take it): it consumes requests and produces responses. Morgana's
// drivers are frontends; the benchmark and the tests drive this side.
import { mb, rmb, wmb } from "../platform";
import { Ring } from "./ring";
import { OFFSET_req_event, OFFSET_req_prod, OFFSET_rsp_event, OFFSET_rsp_prod, RING_IDX, RING_OVERFLOW } from "./sring";

// @ts-ignore: decorator
@unmanaged export class BackRing extends Ring {
  /** Responses produced, pushed or not. */
  rspProdPvt: RING_IDX = 0;
  /** Requests consumed. */
  reqCons: RING_IDX = 0;

  /** BACK_RING_ATTACH: a ring whose counters already stand at `i`. */
  backRingAttach(s: usize, i: RING_IDX, size: usize): void {
    this.rspProdPvt = i;
    this.reqCons = i;
    this.attach(s, size);
  }

  /** BACK_RING_INIT: only the frontend initialises the shared page. */
  backRingInit(s: usize, size: usize): void {
    this.backRingAttach(s, 0, size);
  }

  /** XEN_RING_NR_UNCONSUMED_REQUESTS: requests ready, capped by the slots left for their responses. */
  nrUnconsumedRequests(): u32 {
    const req = load<RING_IDX>(this.sring, OFFSET_req_prod) - this.reqCons;
    const rsp = this.nrEnts - (this.reqCons - this.rspProdPvt);
    return req < rsp ? req : rsp;
  }

  /** RING_HAS_UNCONSUMED_REQUESTS */
  hasUnconsumedRequests(): bool {
    return this.nrUnconsumedRequests() != 0;
  }

  /** RING_REQUEST_CONS_OVERFLOW: would consuming `cons` overrun the responses not yet produced? */
  requestConsOverflow(cons: RING_IDX): bool {
    return cons - this.rspProdPvt >= this.nrEnts;
  }

  /** RING_REQUEST_PROD_OVERFLOW: can there be this many requests? */
  requestProdOverflow(prod: RING_IDX): bool {
    return prod - this.rspProdPvt > this.nrEnts;
  }

  /** RING_PUSH_RESPONSES */
  pushResponses(): void {
    wmb(); // front sees responses before the updated producer index
    store<RING_IDX>(this.sring, this.rspProdPvt, OFFSET_rsp_prod);
  }

  /** RING_PUSH_RESPONSES_AND_CHECK_NOTIFY: true when the frontend asked to be notified (rsp_event). */
  pushResponsesAndCheckNotify(): bool {
    const old = load<RING_IDX>(this.sring, OFFSET_rsp_prod);
    const next = this.rspProdPvt;
    wmb(); // front sees responses before the updated producer index
    store<RING_IDX>(this.sring, next, OFFSET_rsp_prod);
    mb(); // front sees new responses before we check rsp_event
    return next - load<RING_IDX>(this.sring, OFFSET_rsp_event) < next - old;
  }

  /** RING_FINAL_CHECK_FOR_REQUESTS: arms req_event before going idle; true when there is work. */
  finalCheckForRequests(): bool {
    if (this.hasUnconsumedRequests()) return true;
    store<RING_IDX>(this.sring, this.reqCons + 1, OFFSET_req_event);
    mb();
    return this.hasUnconsumedRequests();
  }

  /**
   * What a consumer calls before reading slots: reads req_prod once, then the
   * read barrier, and returns how many requests are ready from reqCons on, or
   * RING_OVERFLOW when the frontend pushed more than the ring holds or moved
   * req_prod back.
   */
  checkRequests(): i32 {
    if (this.broken) return RING_OVERFLOW;
    const prod = load<RING_IDX>(this.sring, OFFSET_req_prod);
    rmb(); // slots are read only after the index that publishes them
    if (this.requestProdOverflow(prod) || prod - this.rspProdPvt < this.reqCons - this.rspProdPvt) {
      this.broken = true;
      return RING_OVERFLOW;
    }
    return <i32>(prod - this.reqCons);
  }
}

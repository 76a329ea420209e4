// The backend's side of a shared ring mapped from a guest (io/ring.h's
// BACK_RING over 2^ring-page-order granted pages, slots of `slot` bytes).
// Pages come from their mapping at every access, which keeps its view until
// the page moves (a guest's memory.grow replaces its buffer).
import { PAGE_SIZE } from "../guest_memory.ts";
import type { GrantMapping } from "../grant_table.ts";
import { blkif_sring } from "../xen/io/blkif.ts";

// Every DEFINE_RING_TYPES header is the same: blkif_sring's offsets stand for every ring.
const REQ_PROD = blkif_sring.req_prod.offset;
const REQ_EVENT = blkif_sring.req_event.offset;
const RSP_PROD = blkif_sring.rsp_prod.offset;
const RSP_EVENT = blkif_sring.rsp_event.offset;
const RING = blkif_sring.ring.offset;

export class BackRing {
  /** RING_SIZE: slots after the header, rounded down to a power of two. */
  readonly size: number;
  reqCons = 0;
  rspProdPvt = 0;

  constructor(private readonly pages: GrantMapping[], readonly slot: number) {
    this.size = 2 ** Math.floor(Math.log2((pages.length * PAGE_SIZE - RING) / slot));
  }

  /** The first page as it is now: the header and, in a one-page ring, every slot. */
  view(): DataView {
    return this.pages[0].view();
  }

  /** Byte offset of ring index `idx`'s slot from the start of the ring's pages. */
  at(idx: number): number {
    return RING + (idx & (this.size - 1)) * this.slot;
  }

  /** A private copy of `len` bytes at `offset`, which may span pages. */
  read(offset: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.span(offset, len, (page, from, done, n) => out.set(page.subarray(from, from + n), done));
    return out;
  }

  /** Writes `bytes` at `offset`, which may span pages. */
  write(offset: number, bytes: Uint8Array): void {
    this.span(offset, bytes.length, (page, from, done, n) => page.set(bytes.subarray(done, done + n), from));
  }

  private span(offset: number, len: number, each: (page: Uint8Array, from: number, done: number, n: number) => void): void {
    for (let done = 0; done < len; ) {
      const at = offset + done;
      const from = at % PAGE_SIZE;
      const n = Math.min(len - done, PAGE_SIZE - from);
      each(this.pages[Math.floor(at / PAGE_SIZE)].bytes(), from, done, n);
      done += n;
    }
  }

  /** Requests waiting (RING_UNCONSUMED_REQUESTS), or -1 if the frontend pushed more than the ring holds. */
  unconsumed(): number {
    const prod = this.view().getUint32(REQ_PROD, true);
    const waiting = (prod - this.reqCons) >>> 0;
    return waiting > this.size || ((prod - this.rspProdPvt) >>> 0) > this.size ? -1 : waiting;
  }

  /** RING_PUSH_RESPONSES_AND_CHECK_NOTIFY */
  pushResponses(): boolean {
    const h = this.view();
    const old = h.getUint32(RSP_PROD, true);
    h.setUint32(RSP_PROD, this.rspProdPvt, true);
    return ((this.rspProdPvt - h.getUint32(RSP_EVENT, true)) >>> 0) < ((this.rspProdPvt - old) >>> 0);
  }

  /** Publishes a producer index the frontend never asked for (the overflow fault). */
  pushBogusProducer(ahead: number): void {
    this.view().setUint32(RSP_PROD, (this.rspProdPvt + ahead) >>> 0, true);
  }

  /** Asks the frontend to notify at its next request, whatever is still unconsumed (a response waits for more than are posted). */
  awaitRequests(): void {
    const h = this.view();
    h.setUint32(REQ_EVENT, (h.getUint32(REQ_PROD, true) + 1) >>> 0, true);
  }

  /** RING_FINAL_CHECK_FOR_REQUESTS: arms req_event; true if requests arrived meanwhile. */
  finalCheck(): boolean {
    if (this.unconsumed() !== 0) return true;
    this.view().setUint32(REQ_EVENT, (this.reqCons + 1) >>> 0, true);
    return this.unconsumed() !== 0;
  }
}

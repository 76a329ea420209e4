// The backend's side of a blkif shared ring mapped from a guest (io/ring.h's
// BACK_RING over 2^ring-page-order granted pages). Pages are re-read from the
// mapping at every access: a guest's memory.grow replaces its buffer.
import { BLKIF_MAX_SEGMENTS_PER_REQUEST, blkif_request, blkif_request_segment, blkif_response, blkif_sring } from "../xen/io/blkif.ts";
import { PAGE_SIZE } from "../guest_memory.ts";
import type { GrantMapping } from "../grant_table.ts";

const REQ_PROD = blkif_sring.req_prod.offset;
const REQ_EVENT = blkif_sring.req_event.offset;
const RSP_PROD = blkif_sring.rsp_prod.offset;
const RSP_EVENT = blkif_sring.rsp_event.offset;
const SLOT = blkif_sring.ring.length; // sizeof(union blkif_sring_entry)

export class BlkRing {
  /** RING_SIZE: slots after the header, rounded down to a power of two. */
  readonly size: number;
  reqCons = 0;
  rspProdPvt = 0;

  constructor(private readonly pages: GrantMapping[]) {
    const fit = Math.floor((pages.length * PAGE_SIZE - blkif_sring.ring.offset) / SLOT);
    this.size = 2 ** Math.floor(Math.log2(fit));
  }

  private copyOut(offset: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let done = 0; done < len; ) {
      const at = offset + done;
      const page = this.pages[Math.floor(at / PAGE_SIZE)].bytes();
      const from = at % PAGE_SIZE;
      const n = Math.min(len - done, PAGE_SIZE - from);
      out.set(page.subarray(from, from + n), done);
      done += n;
    }
    return out;
  }

  private copyIn(offset: number, bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length; ) {
      const at = offset + done;
      const page = this.pages[Math.floor(at / PAGE_SIZE)].bytes();
      const from = at % PAGE_SIZE;
      const n = Math.min(bytes.length - done, PAGE_SIZE - from);
      page.set(bytes.subarray(done, done + n), from);
      done += n;
    }
  }

  private header(): DataView {
    const page = this.pages[0].bytes();
    return new DataView(page.buffer, page.byteOffset, PAGE_SIZE);
  }

  reqProd(): number {
    return this.header().getUint32(REQ_PROD, true);
  }

  /** RING_COPY_REQUEST: the slot's bytes, a private copy the frontend can no longer change. */
  takeRequest(): DataView {
    const bytes = this.copyOut(blkif_sring.ring.offset + (this.reqCons & (this.size - 1)) * SLOT, blkif_request.SIZE);
    this.reqCons = (this.reqCons + 1) >>> 0;
    return new DataView(bytes.buffer);
  }

  /** Requests waiting, or -1 if the frontend pushed more than the ring holds. */
  unconsumed(): number {
    const waiting = (this.reqProd() - this.reqCons) >>> 0;
    return waiting > this.size || ((this.reqProd() - this.rspProdPvt) >>> 0) > this.size ? -1 : waiting;
  }

  /** Writes a response into the next slot (not yet pushed). */
  putResponse(id: bigint, operation: number, status: number): void {
    const bytes = new Uint8Array(blkif_response.SIZE);
    const view = new DataView(bytes.buffer);
    view.setBigUint64(blkif_response.id.offset, id, true);
    view.setUint8(blkif_response.operation.offset, operation);
    view.setInt16(blkif_response.status.offset, status, true);
    this.copyIn(blkif_sring.ring.offset + (this.rspProdPvt & (this.size - 1)) * SLOT, bytes);
    this.rspProdPvt = (this.rspProdPvt + 1) >>> 0;
  }

  /** RING_PUSH_RESPONSES_AND_CHECK_NOTIFY */
  pushResponses(): boolean {
    const h = this.header();
    const old = h.getUint32(RSP_PROD, true);
    h.setUint32(RSP_PROD, this.rspProdPvt, true);
    return ((this.rspProdPvt - h.getUint32(RSP_EVENT, true)) >>> 0) < ((this.rspProdPvt - old) >>> 0);
  }

  /** Publishes a producer index the frontend never asked for (the overflow fault). */
  pushBogusProducer(ahead: number): void {
    this.header().setUint32(RSP_PROD, (this.rspProdPvt + ahead) >>> 0, true);
  }

  /** RING_FINAL_CHECK_FOR_REQUESTS: arms req_event; true if requests arrived meanwhile. */
  finalCheck(): boolean {
    if (this.unconsumed() !== 0) return true;
    this.header().setUint32(REQ_EVENT, (this.reqCons + 1) >>> 0, true);
    return this.unconsumed() !== 0;
  }
}

/** One segment of a read or write, as the request carried it. */
export interface Segment {
  gref: number;
  firstSect: number;
  lastSect: number;
}

/** The segments of a direct request (at most BLKIF_MAX_SEGMENTS_PER_REQUEST). */
export function directSegments(req: DataView, count: number): Segment[] {
  const segs: Segment[] = [];
  for (let i = 0; i < Math.min(count, BLKIF_MAX_SEGMENTS_PER_REQUEST); i++) segs.push(segmentAt(req, blkif_request.seg.offset + i * blkif_request.seg.size));
  return segs;
}

/** A blkif_request_segment at `at` of a request slot or an indirect page. */
export function segmentAt(view: DataView, at: number): Segment {
  return {
    gref: view.getUint32(at + blkif_request_segment.gref.offset, true),
    firstSect: view.getUint8(at + blkif_request_segment.first_sect.offset),
    lastSect: view.getUint8(at + blkif_request_segment.last_sect.offset),
  };
}

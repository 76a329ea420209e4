// blkif on the generic back ring: requests taken as private copies, responses written.
import { BLKIF_MAX_SEGMENTS_PER_REQUEST, blkif_request, blkif_request_segment, blkif_response, blkif_sring } from "../xen/io/blkif.ts";
import type { GrantMapping } from "../grant_table.ts";
import { BackRing } from "./back-ring.ts";

const SLOT = blkif_sring.ring.length; // sizeof(union blkif_sring_entry)

export class BlkRing extends BackRing {
  constructor(pages: GrantMapping[]) {
    super(pages, SLOT);
  }

  /** RING_COPY_REQUEST: the slot's bytes, a private copy the frontend can no longer change. */
  takeRequest(): DataView {
    const bytes = this.read(this.at(this.reqCons), blkif_request.SIZE);
    this.reqCons = (this.reqCons + 1) >>> 0;
    return new DataView(bytes.buffer);
  }

  /** Writes a response into the next slot (not yet pushed). */
  putResponse(id: bigint, operation: number, status: number): void {
    const bytes = new Uint8Array(blkif_response.SIZE);
    const view = new DataView(bytes.buffer);
    view.setBigUint64(blkif_response.id.offset, id, true);
    view.setUint8(blkif_response.operation.offset, operation);
    view.setInt16(blkif_response.status.offset, status, true);
    this.write(this.at(this.rspProdPvt), bytes);
    this.rspProdPvt = (this.rspProdPvt + 1) >>> 0;
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

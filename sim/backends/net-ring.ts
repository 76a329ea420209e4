// The backend's side of a netif tx or rx ring mapped from a guest (io/ring.h's
// BACK_RING over one granted page, slots of `slot` bytes). The page is re-read
// from the mapping at every access: a guest's memory.grow replaces its buffer.
import type { GrantMapping } from "../grant_table.ts";
import { PAGE_SIZE } from "../guest_memory.ts";
import { netif_tx_sring } from "../xen/io/netif.ts";

// Every DEFINE_RING_TYPES header is the same: netif_tx_sring's offsets stand for the rx ring too.
const REQ_PROD = netif_tx_sring.req_prod.offset;
const REQ_EVENT = netif_tx_sring.req_event.offset;
const RSP_PROD = netif_tx_sring.rsp_prod.offset;
const RSP_EVENT = netif_tx_sring.rsp_event.offset;
const RING = netif_tx_sring.ring.offset;

export class NetRing {
  /** RING_SIZE: slots after the header, rounded down to a power of two. */
  readonly size: number;
  reqCons = 0;
  rspProdPvt = 0;

  constructor(private readonly mapping: GrantMapping, private readonly slot: number) {
    this.size = 2 ** Math.floor(Math.log2((PAGE_SIZE - RING) / slot));
  }

  /** The page as it is now. */
  view(): DataView {
    const page = this.mapping.bytes();
    return new DataView(page.buffer, page.byteOffset, PAGE_SIZE);
  }

  /** Byte offset of ring index `idx`'s slot in the page. */
  at(idx: number): number {
    return RING + (idx & (this.size - 1)) * this.slot;
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

  /** RING_FINAL_CHECK_FOR_REQUESTS: arms req_event; true if requests arrived meanwhile. */
  finalCheck(): boolean {
    if (this.unconsumed() !== 0) return true;
    this.view().setUint32(REQ_EVENT, (this.reqCons + 1) >>> 0, true);
    return this.unconsumed() !== 0;
  }
}

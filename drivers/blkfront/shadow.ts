// What blkfront remembers of each ring request until its response: the id of a
// request is its shadow's index, so a response's id is checked against this
// table before anything is touched. Allocated once per connection.
import { BlockRequest } from "../../runtime/devices";

export class Shadow {
  request: BlockRequest | null = null;
  /** BLKIF_OP_* as sent: the response must echo it (or, for BLKIF_OP_INDIRECT, the inner operation). */
  operation: u8 = 0;
  /** BLKIF_OP_READ when data comes back into the caller's buffer (also under BLKIF_OP_INDIRECT). */
  direction: u8 = 0;
  nsegs: u32 = 0;
  inUse: bool = false;
  /** When it was put on the ring (monotonic ns): its deadline is this plus Blkfront.timeoutNs. */
  started: u64 = 0;
  /** Its place in the table: the id of the request on the ring. */
  readonly index: i32;
  /** Next free shadow, or -1. */
  nextFree: i32 = -1;
  /** Per segment: the grant reference the backend uses. */
  readonly grefs: StaticArray<u32>;
  /** Per segment: index in the pool (persistent or bounce page), or -1 when the caller's page was granted read-only. */
  readonly pooled: StaticArray<i32>;
  /** Per segment: the caller's bytes (copied back from the pool page after a read). */
  readonly addrs: StaticArray<usize>;
  readonly lens: StaticArray<u32>;
  /** The page of segment descriptors for BLKIF_OP_INDIRECT (0 without indirect), and its grant. */
  indirectPage: usize = 0;
  indirectGref: u32 = 0;

  constructor(index: i32, maxSegs: u32) {
    this.index = index;
    this.grefs = new StaticArray<u32>(maxSegs);
    this.pooled = new StaticArray<i32>(maxSegs);
    this.addrs = new StaticArray<usize>(maxSegs);
    this.lens = new StaticArray<u32>(maxSegs);
  }
}

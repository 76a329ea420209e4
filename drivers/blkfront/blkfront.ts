// blkfront: a Xen virtual block device (io/blkif.h) behind runtime/devices.ts's
// Block. The handshake and feature set follow Linux's xen-blkfront: a ring of
// up to 2^max-ring-page-order pages, indirect descriptors for large requests,
// persistent grants, flush (FLUSH_DISKCACHE or WRITE_BARRIER) and discard.
// Sector numbers count 512-byte units whatever sector-size says (as Linux;
// feature-large-sector-size is never used). Every response is validated: an id
// that is out of range or not in flight, or an operation that does not match,
// or a producer index past what was asked, breaks the device (a counted error,
// every request then fails with EIO) and never touches another request's data.
// A backend may write only the bytes of a request's buffer, and only while the
// request is in flight: data read comes in through driver-owned pages (the
// persistent pool, used as a bounce buffer when the backend has no persistent
// grants, as Linux's blkfront does for an untrusted backend) and is copied out
// on a good response; writes go zero-copy from the caller's pages granted
// read-only (without feature-persistent). Only an app that sets `trusted` (as
// Linux's blkfront trusts its backend by default) has reads from a backend
// without persistent grants go zero-copy into its own pages, granted writable
// whole: the cost measured in bench/README.md. A request unanswered after
// `timeoutNs` fails with EIO and the device is reset.
import { Block, BlockInfo, BlockRequest } from "../../runtime/devices";
import { evtchnSend } from "../../runtime/core/events";
import { Frontend } from "../../runtime/core/frontend";
import { endAccess, GRANT_INVALID_REF, grantPage, grantsFree } from "../../runtime/core/grants";
import { allocPage, PAGE_SIZE } from "../../runtime/core/pages";
import { armTimer, cancelTimer, schedule, Timer } from "../../runtime/core/sched";
import { monotonicNs, NS_PER_SEC } from "../../runtime/core/time";
import { XenbusDevice } from "../../runtime/core/xenbus";
import { parseDecimal } from "../../runtime/core/xenstore";
import { FrontRing } from "../../runtime/ring/front";
import { ringBytes } from "../../runtime/ring/sring";
import {
  BLKIF_DISCARD_SECURE, BLKIF_MAX_SEGMENTS_PER_REQUEST, BLKIF_OP_DISCARD, BLKIF_OP_FLUSH_DISKCACHE,
  BLKIF_OP_INDIRECT, BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_OP_WRITE_BARRIER, BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_ERROR,
  BLKIF_RSP_OKAY, blkif_request, blkif_request_discard, blkif_request_indirect, blkif_request_segment,
  blkif_response, blkif_sring, VDISK_READONLY, VDISK_REMOVABLE,
} from "../../runtime/xen/io/blkif";
import { XEN_EAGAIN, XEN_EINVAL, XEN_EIO, XEN_ENOSPC, XEN_EOPNOTSUPP, XEN_EROFS } from "../../runtime/xen/errno";
import { XenbusStateInitialised } from "../../runtime/xen/io/xenbus";
import { GrantPool } from "./pool";
import { Shadow } from "./shadow";

/** Largest ring this frontend asks for (Linux's XENBUS_MAX_RING_GRANT_ORDER). */
export const MAX_RING_PAGE_ORDER: u32 = 4;
/** Segments per indirect request at most (512 KiB): their descriptors fit one page (512 would). */
export const MAX_INDIRECT_SEGMENTS: u32 = 128;
/** Requests waiting for a ring slot at most; submit says EAGAIN beyond. */
export const QUEUE_LENGTH: i32 = 1024;
/** Persistent pages at most (Linux's 1056 grants per ring, rounded). */
const MAX_PERSISTENT_PAGES: i32 = 1024;
/** A blocked caller looks at the ring this often, so a lost notification costs a delay, not a hang. */
const POLL_NS: u64 = 10_000_000;
/** How long a request may stay unanswered by default (Blkfront.timeoutNs). */
export const DEFAULT_TIMEOUT_NS: u64 = 30 * NS_PER_SEC;
const SECTOR: u32 = 512;

/** What went wrong with the backend, counted. */
export class BlkfrontStats {
  /** Responses with an id out of range or not in flight (unknown or duplicate). */
  badIds: u32 = 0;
  /** Responses whose operation is not the request's. */
  badOperations: u32 = 0;
  /** rsp_prod moved past the requests pushed (more answers than questions). */
  overflows: u32 = 0;
  /** Statuses other than BLKIF_RSP_OKAY/ERROR/EOPNOTSUPP. */
  badStatuses: u32 = 0;
  /** Requests answered BLKIF_RSP_ERROR or EOPNOTSUPP. */
  errors: u32 = 0;
  /** Responses found by polling rather than by a notification. */
  polled: u32 = 0;
  /** Grants of callers' pages (read-only) the backend still held when they were revoked. */
  leakedGrants: u32 = 0;
  /** Requests the backend left unanswered past timeoutNs (each reset the device). */
  timeouts: u32 = 0;
  /** Requests failed because the backend disconnected or broke the protocol. */
  aborted: u32 = 0;
  requests: u64 = 0;
  indirectRequests: u64 = 0;
}

/** Looks for requests in flight past their deadline. */
class Deadlines extends Timer {
  constructor(private blk: Blkfront) {
    super();
  }
  fire(now: u64): void {
    this.blk.checkDeadlines(now);
  }
}

/** A decimal u64 as xenstore holds it (`sectors` may pass 2^32), or -1. */
function parseU64(s: string): i64 {
  if (s.length == 0 || s.length > 19) return -1;
  let n: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

function isPowerOfTwo(n: i64): bool {
  return n > 0 && (n & (n - 1)) == 0;
}

export class Blkfront extends Block {
  readonly front!: Frontend<Blkfront>;
  readonly stats: BlkfrontStats = new BlkfrontStats();
  private readonly geometry: BlockInfo = new BlockInfo();
  /** Negotiated with the backend. */
  ringPageOrder: u32 = 0;
  maxSegments: u32 = BLKIF_MAX_SEGMENTS_PER_REQUEST;
  persistent: bool = false;
  barrier: bool = false;
  flushCache: bool = false;
  /** The backend refused a flush and a barrier: flush() fails, since nothing makes writes durable. */
  flushRefused: bool = false;
  /** Reads from a non-persistent backend go zero-copy into the caller's pages, which it may then write whole and for ever. */
  trusted: bool = false;
  /** A request unanswered for this long fails with EIO and resets the device (settable; 0: never). */
  timeoutNs: u64 = DEFAULT_TIMEOUT_NS;
  /** The device's number: its xenbus id (51712 for xvda). */
  readonly handle: u16;
  private readonly ring: FrontRing = new FrontRing(blkif_sring.LENGTH_ring);
  private port: i64 = -1;
  private shadows: StaticArray<Shadow> = new StaticArray<Shadow>(0);
  private freeShadow: i32 = -1;
  private inFlight: u32 = 0;
  private pool: GrantPool | null = null;
  private readonly queue: StaticArray<BlockRequest | null> = new StaticArray<BlockRequest | null>(QUEUE_LENGTH);
  private qHead: i32 = 0;
  private qLen: i32 = 0;
  /** Bytes of the queue's head request already sent. */
  private headDone: u32 = 0;
  private readonly sync: BlockRequest = new BlockRequest();
  private readonly deadlines!: Deadlines;
  private readonly response: usize = memory.data(<i32>blkif_response.SIZE, 8);

  /** The vbd device/vbd/<id> (its xenbus id, e.g. "51712" for xvda). */
  constructor(id: string) {
    super();
    this.front = new Frontend<Blkfront>("vbd", id, this);
    const n = parseDecimal(id);
    this.handle = n < 0 ? 0 : <u16>n;
    this.deadlines = new Deadlines(this);
  }

  get dev(): XenbusDevice {
    return this.front.dev;
  }

  /** Why connecting failed or the device gave up. */
  get reason(): string {
    return this.front.reason;
  }

  /** Opens the device and waits for the backend until `deadline`: 0, or a negative status with `reason`. */
  connect(deadline: u64): i32 {
    return this.front.connect(deadline);
  }

  /** Closes the device cleanly (Closing, then Closed once the backend followed). */
  close(deadline: u64): i32 {
    this.drain();
    return this.front.close(deadline);
  }

  isConnected(): bool {
    return this.front.up && !this.front.broken;
  }

  info(): BlockInfo {
    return this.geometry;
  }

  // --- xenbus ---

  setup(dev: XenbusDevice): i32 {
    const front = this.front;
    const maxOrder = front.backendNumber("max-ring-page-order", 0);
    const indirect = front.backendNumber("feature-max-indirect-segments", 0);
    if (maxOrder < 0 || indirect < 0) return -XEN_EINVAL;
    this.ringPageOrder = <u32>min(maxOrder, <i64>MAX_RING_PAGE_ORDER);
    this.maxSegments = indirect > <i64>BLKIF_MAX_SEGMENTS_PER_REQUEST
      ? <u32>min(indirect, <i64>MAX_INDIRECT_SEGMENTS) : BLKIF_MAX_SEGMENTS_PER_REQUEST;
    const domid = <u16>dev.backendId;
    const ringPages = this.front.grantRing(<u32>1 << this.ringPageOrder);
    if (!ringPages) return -XEN_ENOSPC;
    this.ring.xenFrontRingInit(ringPages, ringBytes(this.ringPageOrder));
    const n = this.ring.ringSize();
    this.shadows = new StaticArray<Shadow>(n);
    for (let i: i32 = <i32>n - 1; i >= 0; i--) {
      const s = new Shadow(i, this.maxSegments);
      if (this.maxSegments > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
        s.indirectPage = allocPage();
        // Writable, as Linux grants them: a persistent backend maps every grant read-write.
        s.indirectGref = grantPage(domid, s.indirectPage, false);
        if (s.indirectGref == GRANT_INVALID_REF) return -XEN_ENOSPC;
      }
      s.nextFree = i + 1 < <i32>n ? i + 1 : -1;
      unchecked((this.shadows[i] = s));
    }
    this.freeShadow = 0;
    this.inFlight = 0;
    this.port = this.front.openPort();
    return this.port < 0 ? <i32>this.port : 0;
  }

  publish(dev: XenbusDevice, tx: u32): i32 {
    let rc: i32 = 0;
    if (this.ringPageOrder == 0) {
      rc = dev.writeFront("ring-ref", this.front.ringRef(0).toString(), tx);
    } else {
      rc = dev.writeFront("ring-page-order", this.ringPageOrder.toString(), tx);
      for (let i: u32 = 0; !rc && i < (<u32>1 << this.ringPageOrder); i++) {
        rc = dev.writeFront(`ring-ref${i}`, this.front.ringRef(<i32>i).toString(), tx);
      }
    }
    if (!rc) rc = dev.writeFront("event-channel", this.port.toString(), tx);
    if (!rc) rc = dev.writeFront("protocol", "x86_64-abi", tx);
    if (!rc) rc = dev.writeFront("feature-persistent", "1", tx);
    return rc ? rc : <i32>XenbusStateInitialised;
  }

  /** The backend is Connected: its geometry and features, every value checked. */
  connected(dev: XenbusDevice): i32 {
    const front = this.front;
    const r = dev.readBackend("sectors");
    const sectors = r.ok ? parseU64(r.value) : -1;
    if (sectors <= 0) {
      front.badValue("sectors", r.ok ? r.value : "", "a disk size in sectors");
      return -XEN_EINVAL;
    }
    const info = front.backendNumber("info", 0);
    const sectorSize = front.backendNumber("sector-size", 512);
    const physical = front.backendNumber("physical-sector-size", sectorSize);
    if (info < 0 || sectorSize < 0 || physical < 0) return -XEN_EINVAL;
    if (sectorSize < 512 || !isPowerOfTwo(sectorSize) || sectorSize > <i64>PAGE_SIZE) {
      front.badValue("sector-size", sectorSize.toString(), "a power of two from 512 to 4096");
      return -XEN_EINVAL;
    }
    if (physical < sectorSize || !isPowerOfTwo(physical)) {
      front.badValue("physical-sector-size", physical.toString(), "a power of two of at least sector-size");
      return -XEN_EINVAL;
    }
    const g = this.geometry;
    g.sectors = <u64>sectors;
    g.sectorSize = <u32>sectorSize;
    g.physicalSectorSize = <u32>physical;
    g.readOnly = (info & VDISK_READONLY) != 0;
    g.removable = (info & VDISK_REMOVABLE) != 0;
    this.flushCache = dev.readBackendNumber("feature-flush-cache", 0) == 1;
    this.barrier = dev.readBackendNumber("feature-barrier", 0) == 1;
    g.flush = this.flushCache || this.barrier;
    this.flushRefused = false;
    g.discard = dev.readBackendNumber("feature-discard", 0) == 1 && !g.readOnly;
    const granularity = dev.readBackendNumber("discard-granularity", 0);
    const alignment = dev.readBackendNumber("discard-alignment", 0);
    g.discardGranularity = granularity < 0 ? 0 : <u32>granularity;
    g.discardAlignment = alignment < 0 ? 0 : <u32>alignment;
    g.discardSecure = g.discard && dev.readBackendNumber("discard-secure", 0) == 1;
    this.persistent = dev.readBackendNumber("feature-persistent", 0) == 1;
    // Persistent grants, or the bounce buffers of reads from a backend without them.
    this.pool = new GrantPool(min(MAX_PERSISTENT_PAGES, <i32>(this.ring.ringSize() * this.maxSegments)), <u16>dev.backendId);
    if (this.timeoutNs) armTimer(this.deadlines, monotonicNs() + this.checkPeriod());
    return 0;
  }

  /** The connection ends: every request still out fails with EIO, every page granted is revoked. */
  teardown(): void {
    cancelTimer(this.deadlines);
    this.failAll(-XEN_EIO);
    this.port = -1;
    const shadows = this.shadows;
    for (let i = 0; i < shadows.length; i++) {
      const s = unchecked(shadows[i]);
      if (s.indirectPage) this.front.revoke(s.indirectGref, s.indirectPage);
    }
    this.shadows = new StaticArray<Shadow>(0);
    this.freeShadow = -1;
    const pool = this.pool;
    if (pool) {
      for (let i = 0; i < pool.count; i++) this.front.revoke(unchecked(pool.grefs[i]), unchecked(pool.pages[i]));
      this.pool = null;
    }
  }

  private checkPeriod(): u64 {
    return max<u64>(this.timeoutNs / 4, 1_000_000);
  }

  /** A request in flight past its deadline: it and every other fail with EIO, and the device is reset. */
  checkDeadlines(now: u64): void {
    if (!this.front.up || this.front.broken || !this.timeoutNs) return;
    const shadows = this.shadows;
    for (let i = 0; i < shadows.length; i++) {
      const s = unchecked(shadows[i]);
      if (s.inUse && now - s.started >= this.timeoutNs) {
        this.stats.timeouts++;
        this.front.reset();
        this.failAll(-XEN_EIO);
        return;
      }
    }
    armTimer(this.deadlines, now + this.checkPeriod());
  }

  // --- requests ---

  /** Checks a request against the disk: 0, or the negative errno it fails with. */
  private check(r: BlockRequest): i32 {
    if (!this.isConnected()) return -XEN_EIO;
    const g = this.geometry;
    const op = r.op;
    if (op == BlockRequest.FLUSH) return 0;
    if (op > BlockRequest.SECURE_DISCARD) return -XEN_EINVAL;
    if (op == BlockRequest.DISCARD || op == BlockRequest.SECURE_DISCARD) {
      if (!g.discard || (op == BlockRequest.SECURE_DISCARD && !g.discardSecure)) return -XEN_EOPNOTSUPP;
    } else if (r.buffer & (SECTOR - 1)) {
      return -XEN_EINVAL;
    }
    if (op != BlockRequest.READ && g.readOnly) return -XEN_EROFS;
    const bytesPerSector = <u64>g.sectorSize;
    if (r.length == 0 || <u64>r.length % bytesPerSector || (r.sector * SECTOR) % bytesPerSector) return -XEN_EINVAL;
    const end = r.sector + <u64>(r.length / SECTOR);
    if (end > g.sectors || end < r.sector) return -XEN_EINVAL;
    return 0;
  }

  submit(r: BlockRequest): i32 {
    r.done = false;
    r.status = 0;
    r.pending = 0;
    const rc = this.check(r);
    if (rc) return rc;
    if (r.op == BlockRequest.FLUSH && !this.flushCache && !this.barrier) {
      // A backend that refused both cannot make writes durable: never say it did.
      if (this.flushRefused) return -XEN_EOPNOTSUPP;
      // Nothing to flush: the backend writes through.
      this.finish(r);
      return 0;
    }
    if (this.qLen == QUEUE_LENGTH) return -XEN_EAGAIN;
    unchecked((this.queue[(this.qHead + this.qLen) % QUEUE_LENGTH] = r));
    this.qLen++;
    this.issue();
    return 0;
  }

  /** Sends queued requests while the ring, shadows and grants allow; notifies the backend once. */
  private issue(): void {
    if (!this.isConnected()) return;
    let sent = false;
    const now = monotonicNs();
    while (this.qLen > 0 && !this.ring.fullRing() && this.freeShadow >= 0) {
      const r = unchecked(this.queue[this.qHead])!;
      // A flush covers the writes completed before it: it waits for every request ahead of it.
      if (r.op == BlockRequest.FLUSH && this.inFlight > 0) break;
      const rc = this.sendPart(r, now);
      if (rc > 0) break; // short of grants: wait for completions
      if (rc < 0) {
        // It can never be sent (nothing in flight frees what it needs).
        if (r.status == 0) r.status = rc;
        this.headDone = r.length;
      } else {
        sent = true;
      }
      if (r.op == BlockRequest.FLUSH || r.op == BlockRequest.DISCARD || r.op == BlockRequest.SECURE_DISCARD ||
          this.headDone >= r.length) {
        unchecked((this.queue[this.qHead] = null));
        this.qHead = (this.qHead + 1) % QUEUE_LENGTH;
        this.qLen--;
        this.headDone = 0;
        if (r.pending == 0) this.finish(r);
      }
    }
    if (sent && this.ring.pushRequestsAndCheckNotify()) evtchnSend(<u32>this.port);
  }

  /** A free shadow for a part of `r`; `direction` is BLKIF_OP_READ only when data comes back. */
  private takeShadow(r: BlockRequest, operation: u8, direction: u8, now: u64): Shadow {
    const s = unchecked(this.shadows[this.freeShadow]);
    this.freeShadow = s.nextFree;
    s.inUse = true;
    s.request = r;
    s.operation = operation;
    s.direction = direction;
    s.nsegs = 0;
    s.started = now;
    r.pending++;
    this.inFlight++;
    this.stats.requests++;
    return s;
  }

  /**
   * Puts the next part of the queue's head request on the ring (not pushed).
   * 0 when sent, 1 when it must wait for grants, a negative errno if it never can.
   */
  private sendPart(r: BlockRequest, now: u64): i32 {
    const slot = this.ring.getRequest(this.ring.reqProdPvt);
    if (r.op == BlockRequest.FLUSH) {
      const op = <u8>(this.flushCache ? BLKIF_OP_FLUSH_DISKCACHE : BLKIF_OP_WRITE_BARRIER);
      const s = this.takeShadow(r, op, <u8>BLKIF_OP_WRITE, now);
      blkif_request.set_operation(slot, op);
      blkif_request.set_nr_segments(slot, 0);
      blkif_request.set_handle(slot, this.handle);
      blkif_request.set_id(slot, <u64>s.index);
      blkif_request.set_sector_number(slot, 0);
      this.ring.reqProdPvt++;
      return 0;
    }
    if (r.op == BlockRequest.DISCARD || r.op == BlockRequest.SECURE_DISCARD) {
      const s = this.takeShadow(r, <u8>BLKIF_OP_DISCARD, <u8>BLKIF_OP_WRITE, now);
      blkif_request_discard.set_operation(slot, <u8>BLKIF_OP_DISCARD);
      blkif_request_discard.set_flag(slot, r.op == BlockRequest.SECURE_DISCARD ? <u8>BLKIF_DISCARD_SECURE : 0);
      blkif_request_discard.set_handle(slot, this.handle);
      blkif_request_discard.set_id(slot, <u64>s.index);
      blkif_request_discard.set_sector_number(slot, r.sector);
      blkif_request_discard.set_nr_sectors(slot, <u64>(r.length / SECTOR));
      this.ring.reqProdPvt++;
      return 0;
    }
    // Segments: the rest of the buffer cut at page boundaries, up to maxSegments of
    // them, and the part cut back to whole logical sectors (backends refuse others).
    let at = r.buffer + this.headDone;
    let end = r.buffer + r.length;
    let reach = at;
    for (let n: u32 = 0; reach < end && n < this.maxSegments; n++) reach = min(end, (reach & ~(PAGE_SIZE - 1)) + PAGE_SIZE);
    if (reach < end) end = at + (reach - at) / this.geometry.sectorSize * this.geometry.sectorSize;
    let nsegs: u32 = 0;
    for (let p = at; p < end; nsegs++) p = (p & ~(PAGE_SIZE - 1)) + PAGE_SIZE;
    const write = r.op == BlockRequest.WRITE;
    // Through the pool: every request to a persistent backend, and every read unless `trusted` (the
    // bounce buffer, so that a backend never writes the caller's pages); else zero-copy, writes read-only.
    const pool = this.persistent || (!write && !this.trusted) ? this.pool! : null;
    if (pool) {
      if (pool.available() < <i32>nsegs) return this.inFlight ? 1 : -XEN_ENOSPC;
    } else if (grantsFree() < nsegs) {
      return this.inFlight ? 1 : -XEN_ENOSPC;
    }
    const direction = <u8>(write ? BLKIF_OP_WRITE : BLKIF_OP_READ);
    const indirect = nsegs > BLKIF_MAX_SEGMENTS_PER_REQUEST;
    const s = this.takeShadow(r, indirect ? <u8>BLKIF_OP_INDIRECT : direction, direction, now);
    const domid = <u16>this.dev.backendId;
    const sector = r.sector + <u64>(this.headDone / SECTOR);
    for (let i: u32 = 0; i < nsegs; i++) {
      const pageEnd = (at & ~(PAGE_SIZE - 1)) + PAGE_SIZE;
      const len = <u32>(min(pageEnd, end) - at);
      const first = <u8>((at & (PAGE_SIZE - 1)) / SECTOR);
      let gref: u32;
      let slotIndex: i32 = -1;
      if (pool) {
        slotIndex = pool.take();
        if (slotIndex < 0) {
          // Grants ran out while growing the pool: give back what this part took.
          s.nsegs = i;
          this.release(s, false);
          return this.inFlight ? 1 : -XEN_ENOSPC;
        }
        const page = unchecked(pool.pages[slotIndex]) + (at & (PAGE_SIZE - 1));
        if (write) memory.copy(page, at, len);
        gref = unchecked(pool.grefs[slotIndex]);
      } else {
        gref = grantPage(domid, at & ~(PAGE_SIZE - 1), write);
      }
      unchecked((s.grefs[i] = gref));
      unchecked((s.pooled[i] = slotIndex));
      unchecked((s.addrs[i] = at));
      unchecked((s.lens[i] = len));
      s.nsegs = i + 1;
      const seg = indirect
        ? s.indirectPage + <usize>i * blkif_request_segment.SIZE
        : blkif_request.seg(slot, i);
      blkif_request_segment.set_gref(seg, gref);
      blkif_request_segment.set_first_sect(seg, first);
      blkif_request_segment.set_last_sect(seg, <u8>(first + len / SECTOR - 1));
      at += len;
    }
    const id = <u64>s.index;
    if (indirect) {
      blkif_request_indirect.set_operation(slot, <u8>BLKIF_OP_INDIRECT);
      blkif_request_indirect.set_indirect_op(slot, direction);
      blkif_request_indirect.set_nr_segments(slot, <u16>nsegs);
      blkif_request_indirect.set_id(slot, id);
      blkif_request_indirect.set_sector_number(slot, sector);
      blkif_request_indirect.set_handle(slot, this.handle);
      store<u32>(slot + blkif_request_indirect.OFFSET_indirect_grefs, s.indirectGref);
      this.stats.indirectRequests++;
    } else {
      blkif_request.set_operation(slot, direction);
      blkif_request.set_nr_segments(slot, <u8>nsegs);
      blkif_request.set_handle(slot, this.handle);
      blkif_request.set_id(slot, id);
      blkif_request.set_sector_number(slot, sector);
    }
    this.headDone = <u32>(at - r.buffer);
    this.ring.reqProdPvt++;
    return 0;
  }

  /** Frees a shadow's grants or pool slots (copying a good read out first) and the shadow itself. */
  private release(s: Shadow, readOk: bool): void {
    const pool = this.pool;
    for (let i: u32 = 0; i < s.nsegs; i++) {
      const slot = unchecked(s.pooled[i]);
      if (slot >= 0 && pool) {
        const addr = unchecked(s.addrs[i]);
        if (readOk) memory.copy(addr, unchecked(pool.pages[slot]) + (addr & (PAGE_SIZE - 1)), unchecked(s.lens[i]));
        pool.give(slot);
      } else if (slot < 0 && !endAccess(unchecked(s.grefs[i]))) {
        // The caller's page stays readable to the backend, and the reference is lost: both counted.
        this.stats.leakedGrants++;
        this.front.leaked(1);
      }
    }
    s.nsegs = 0;
    s.inUse = false;
    s.request = null;
    s.nextFree = this.freeShadow;
    this.freeShadow = s.index;
    this.inFlight--;
  }

  onEvent(port: u32): void {
    this.processResponses();
  }

  /** Consumes every response; called on the event, and by blocked callers in case a notification was lost. */
  processResponses(): u32 {
    let handled: u32 = 0;
    if (!this.isConnected()) return 0;
    const ring = this.ring;
    do {
      const ready = ring.checkResponses();
      if (ready < 0) {
        this.stats.overflows++;
        this.breakDevice();
        return handled;
      }
      for (let i = 0; i < ready; i++) {
        ring.copyResponse(ring.rspCons, this.response, blkif_response.SIZE);
        ring.rspCons++;
        const id = blkif_response.id(this.response);
        if (id >= <u64>this.shadows.length || !unchecked(this.shadows[<i32>id]).inUse) {
          this.stats.badIds++;
          this.breakDevice();
          return handled;
        }
        const s = unchecked(this.shadows[<i32>id]);
        // Linux's blkback answers an indirect request with its inner operation; accept either, as Linux's blkfront does.
        const op = blkif_response.operation(this.response);
        if (op != s.operation && !(s.operation == BLKIF_OP_INDIRECT && op == s.direction)) {
          this.stats.badOperations++;
          this.breakDevice();
          return handled;
        }
        this.complete(s, <i32>blkif_response.status(this.response));
        handled++;
      }
    } while (ring.finalCheckForResponses());
    this.issue();
    return handled;
  }

  private complete(s: Shadow, status: i32): void {
    const r = s.request!;
    let rc: i32 = 0;
    if (status == BLKIF_RSP_EOPNOTSUPP) {
      rc = -XEN_EOPNOTSUPP;
      // As Linux: a backend refusing flushes or discards no longer gets them.
      if (s.operation == BLKIF_OP_FLUSH_DISKCACHE) this.flushCache = false;
      if (s.operation == BLKIF_OP_WRITE_BARRIER) this.barrier = false;
      if (s.operation == BLKIF_OP_DISCARD) this.geometry.discard = false;
      this.geometry.flush = this.flushCache || this.barrier;
      if (!this.geometry.flush && s.operation != BLKIF_OP_DISCARD) this.flushRefused = true;
    } else if (status != <i32>BLKIF_RSP_OKAY) {
      if (status != BLKIF_RSP_ERROR) this.stats.badStatuses++;
      rc = -XEN_EIO;
    }
    if (rc) this.stats.errors++;
    this.release(s, rc == 0 && s.direction == BLKIF_OP_READ);
    if (rc && r.status == 0) r.status = rc;
    r.pending--;
    if (r.pending == 0 && !this.isHead(r)) this.finish(r);
  }

  private isHead(r: BlockRequest): bool {
    return this.qLen > 0 && unchecked(this.queue[this.qHead]) === r;
  }

  private finish(r: BlockRequest): void {
    r.done = true;
    const c = r.completion;
    if (c) c.complete(r);
  }

  /** The backend broke the protocol: every request fails, and so does every later one. */
  private breakDevice(): void {
    this.front.broken = true;
    this.failAll(-XEN_EIO);
  }

  /** Fails every request in flight or queued with `status`, reclaiming what they hold. */
  private failAll(status: i32): void {
    for (let i = 0; i < this.shadows.length; i++) {
      const s = unchecked(this.shadows[i]);
      if (!s.inUse) continue;
      const r = s.request!;
      this.release(s, false);
      this.stats.aborted++;
      if (r.status == 0) r.status = status;
      r.pending--;
      if (r.pending == 0 && !this.isHead(r)) this.finish(r);
    }
    while (this.qLen > 0) {
      const r = unchecked(this.queue[this.qHead])!;
      unchecked((this.queue[this.qHead] = null));
      this.qHead = (this.qHead + 1) % QUEUE_LENGTH;
      this.qLen--;
      this.stats.aborted++;
      if (r.status == 0) r.status = status;
      if (r.pending == 0) this.finish(r);
    }
    this.headDone = 0;
  }

  /** Runs the loop until `r` is done, looking at the ring now and then in case a notification was lost. */
  wait(r: BlockRequest): i32 {
    while (!r.done) {
      schedule(monotonicNs() + POLL_NS);
      if (!r.done) this.stats.polled += this.processResponses();
    }
    return r.status;
  }

  drain(): void {
    while (this.inFlight > 0 || this.qLen > 0) {
      schedule(monotonicNs() + POLL_NS);
      this.stats.polled += this.processResponses();
      if (!this.isConnected()) break;
    }
  }

  private blocking(op: u8, sector: u64, buffer: usize, length: u32): i32 {
    const r = this.sync;
    r.op = op;
    r.sector = sector;
    r.buffer = buffer;
    r.length = length;
    r.completion = null;
    const rc = this.submit(r);
    return rc ? rc : this.wait(r);
  }

  read(sector: u64, buffer: usize, length: u32): i32 {
    return this.blocking(BlockRequest.READ, sector, buffer, length);
  }

  write(sector: u64, buffer: usize, length: u32): i32 {
    return this.blocking(BlockRequest.WRITE, sector, buffer, length);
  }

  /** Waits for every request out, then flushes the backend's cache (0 at once if it writes through). */
  flush(): i32 {
    this.drain();
    return this.blocking(BlockRequest.FLUSH, 0, 0, 0);
  }

  /** Discards `sectors` 512-byte sectors, in parts of at most 2 GiB. */
  discard(sector: u64, sectors: u64): i32 {
    const most: u64 = (<u64>1 << 31) / SECTOR;
    while (sectors > 0) {
      const n = sectors < most ? sectors : most;
      const rc = this.blocking(BlockRequest.DISCARD, sector, 0, <u32>(n * SECTOR));
      if (rc) return rc;
      sector += n;
      sectors -= n;
    }
    return 0;
  }
}

// The simulated blkback: a vbd served from a raw image file to one guest, the
// way Linux's xen-blkback serves it (drivers/block/xen-blkback/xenbus.c for the
// handshake): InitWait with max-ring-page-order and feature-max-indirect-segments,
// then, once the frontend published its ring, the disk's geometry and features
// and Connected. Data moves through domain 0's grant copies, or persistent
// mappings when both ends agreed. Completions come at seeded virtual times.
// Every feature can be switched off, and faults switched on (bad ids, duplicate
// responses, producer overflow, error statuses, slow or dropped notifications,
// closing mid-way) to test the frontend against a hostile backend.
import { closeSync, constants, existsSync, ftruncateSync, openSync, accessSync, statSync } from "node:fs";
import { XenError } from "../errors.ts";
import { PAGE_SIZE } from "../guest_memory.ts";
import type { GrantMapping } from "../grant_table.ts";
import type { Simulator } from "../simulator.ts";
import type { Domain } from "../domain.ts";
import {
  BLKIF_DISCARD_SECURE, BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST, BLKIF_MAX_SEGMENTS_PER_REQUEST, BLKIF_OP_DISCARD,
  BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_INDIRECT, BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_OP_WRITE_BARRIER,
  BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_ERROR, BLKIF_RSP_OKAY, VDISK_READONLY, VDISK_REMOVABLE, blkif_request,
  blkif_request_discard, blkif_request_indirect, blkif_request_segment,
} from "../xen/io/blkif.ts";
import { GNTST_okay } from "../xen/grant_table.ts";
import {
  XenbusStateClosed, XenbusStateClosing, XenbusStateConnected, XenbusStateInitialised, XenbusStateInitialising,
  XenbusStateInitWait,
} from "../xen/io/xenbus.ts";
import type { Store, Watch, Watcher, Caller } from "../xenstore/store.ts";
import type { Toolstack } from "../xenstore/toolstack.ts";
import { bytes, utf8 } from "../xenstore/wire.ts";
import { BlkImage, type Pending } from "./blkimage.ts";
import { BlkRing, type Segment, directSegments, segmentAt } from "./blkring.ts";

const SECTOR = 512;
const SECTORS_PER_PAGE = PAGE_SIZE / SECTOR;
const SEGS_PER_INDIRECT_PAGE = PAGE_SIZE / blkif_request_segment.SIZE;
/** Linux's xen_blkif_max_ring_order default is 4: rings of up to 16 pages. */
const MAX_RING_PAGE_ORDER = 4;
/** Persistent mappings kept per device (Linux's max_pgrants default). */
const MAX_PERSISTENT_GRANTS = 1056;

/** What the backend offers; each can be switched off. */
export interface BlkbackFeatures {
  flushCache: boolean;
  barrier: boolean;
  discard: boolean;
  discardSecure: boolean;
  persistent: boolean;
  /** feature-max-indirect-segments (0: no indirect requests, the node is not written). */
  maxIndirectSegments: number;
  /** max-ring-page-order (0: single-page rings, the node is not written). */
  maxRingPageOrder: number;
}

export const ALL_FEATURES: BlkbackFeatures = {
  flushCache: true, barrier: true, discard: true, discardSecure: true, persistent: true,
  maxIndirectSegments: 256, maxRingPageOrder: MAX_RING_PAGE_ORDER,
};

/** A hostile backend, on request. Counters start at 1: `every: 3` hits the 3rd, 6th, ... */
export interface BlkbackFaults {
  /** Every Nth response carries an id the frontend never used. */
  badIdEvery?: number;
  /** Every Nth response repeats the previous response's id instead of its own. */
  duplicateEvery?: number;
  /** After the Nth response, rsp_prod jumps past what the frontend asked. */
  overflowAfter?: number;
  /** Every Nth request fails with BLKIF_RSP_ERROR (nothing is read or written). */
  errorEvery?: number;
  /** Every notification to the frontend comes this much later. */
  notifyDelayNs?: number;
  /** Every Nth notification to the frontend is never sent. */
  dropNotifyEvery?: number;
  /** After the Nth request the backend goes Closing (in-flight requests are not answered). */
  closeAfter?: number;
  /** Flushes and barriers, though offered, are answered BLKIF_RSP_EOPNOTSUPP. */
  refuseFlushes?: boolean;
  /** Every Nth request is never answered (nor ever cancelled). */
  neverAnswerEvery?: number;
  /**
   * Direct reads map each segment's grant on arrival and fill its page with 0xee around
   * the segment, then all of it once the request was answered (or failed), then unmap.
   */
  scribble?: boolean;
}

export interface AttachDiskOptions {
  /** A raw image file. */
  path: string;
  readOnly?: boolean;
  /** Creates the image with this size if the file is absent. */
  sizeBytes?: number;
  /** Logical sector size, 512 (default) or 4096. */
  sectorSize?: number;
  /** Default: the logical sector size. */
  physicalSectorSize?: number;
  removable?: boolean;
  /** Guest device name (default "xvda"). */
  vdev?: string;
  features?: Partial<BlkbackFeatures>;
  faults?: BlkbackFaults;
  /** Virtual completion time of each request, drawn uniformly (default [20 us, 200 us]). */
  latencyNs?: [number, number];
  /** Dirty bytes the backend caches before writing back without a flush (default 4 MiB). */
  cacheLimitBytes?: number;
}

export interface BlkbackStats {
  requests: number;
  reads: number;
  writes: number;
  flushes: number;
  barriers: number;
  discards: number;
  indirect: number;
  /** Requests answered with BLKIF_RSP_ERROR or EOPNOTSUPP. */
  errors: number;
  responses: number;
  notifications: number;
  connections: number;
  /** Grants mapped persistently, over every connection. */
  persistentMaps: number;
  /** Flushes acknowledged after their fsync. */
  fsyncs: number;
  ringPageOrder: number;
  /** Why the last connection attempt failed, if it did. */
  lastError: string;
}

/** The xenstore the CLI and tests plug into the simulator (plugXenstore's result). */
export interface XenstoreHandle {
  store: Store;
  toolstack: Toolstack;
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EISDIR: "is a directory",
  EROFS: "read-only file system",
};

function fileError(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code ?? "";
  return new Error(`disk ${path}: ${FILE_ERRORS[code] ?? (err as Error).message.split("\n")[0]}`);
}

/**
 * Attaches a raw image file to `domain` as a vbd, as `xl` with a disk line would:
 * the toolstack writes the device's xenstore nodes and the backend serves it.
 * Call after createDomain and before sim.run. Throws an Error with a one-line
 * message for a missing, unreadable or badly sized image.
 */
export function attachDisk(sim: Simulator, xs: XenstoreHandle, domain: Domain, options: AttachDiskOptions): Blkback {
  const { path } = options;
  const sectorSize = options.sectorSize ?? SECTOR;
  if (sectorSize !== 512 && sectorSize !== 4096) throw new Error(`disk ${path}: sector size must be 512 or 4096, not ${sectorSize}`);
  const physical = options.physicalSectorSize ?? sectorSize;
  if (physical < sectorSize || physical % sectorSize !== 0 || (physical & (physical - 1)) !== 0) {
    throw new Error(`disk ${path}: physical sector size ${physical} must be a power of two multiple of ${sectorSize}`);
  }
  if (!existsSync(path)) {
    if (options.sizeBytes === undefined) throw new Error(`disk ${path}: no such file (give a size to create it)`);
    const size = options.sizeBytes;
    if (!Number.isSafeInteger(size) || size <= 0 || size % sectorSize !== 0) {
      throw new Error(`disk ${path}: size ${size} must be a positive multiple of the ${sectorSize}-byte sector`);
    }
    try {
      const fd = openSync(path, "wx");
      ftruncateSync(fd, size);
      closeSync(fd);
    } catch (err) {
      throw fileError(path, err);
    }
  }
  try {
    if (!statSync(path).isFile()) throw new Error(`disk ${path}: not a regular file`);
    accessSync(path, options.readOnly ? constants.R_OK : constants.R_OK | constants.W_OK);
  } catch (err) {
    throw err instanceof Error && err.message.startsWith("disk ") ? err : fileError(path, err);
  }
  let image: BlkImage;
  try {
    image = new BlkImage(path, options.readOnly ?? false, options.cacheLimitBytes ?? 4 << 20);
  } catch (err) {
    throw fileError(path, err);
  }
  if (image.sizeBytes === 0 || image.sizeBytes % sectorSize !== 0) {
    image.close();
    throw new Error(`disk ${path}: size ${image.sizeBytes} is not a positive multiple of the ${sectorSize}-byte sector`);
  }
  const vdev = options.vdev ?? "xvda";
  const devid = xs.toolstack.addVbd(domain.domid, { vdev, target: path, readonly: options.readOnly });
  return new Blkback(sim, xs.store, domain, devid, image, { ...options, sectorSize, physicalSectorSize: physical });
}

/** A request's completion: answered at its virtual time. */
interface InFlight {
  cancel(): void;
}

export class Blkback implements Watcher {
  readonly caller: Caller = { domid: 0, privileged: true };
  readonly watches: Watch[];
  readonly features: BlkbackFeatures;
  readonly stats: BlkbackStats = {
    requests: 0, reads: 0, writes: 0, flushes: 0, barriers: 0, discards: 0, indirect: 0, errors: 0, responses: 0,
    notifications: 0, connections: 0, persistentMaps: 0, fsyncs: 0, ringPageOrder: 0, lastError: "",
  };
  readonly front: string;
  readonly back: string;
  private readonly faults: BlkbackFaults;
  private readonly latency: [number, number];
  private readonly sectorSize: number;
  private state = XenbusStateInitialising;
  private ring?: BlkRing;
  private ringMaps: GrantMapping[] = [];
  private port = -1;
  private persistent = false;
  private readonly pgrants = new Map<number, GrantMapping>();
  private readonly inFlight = new Set<InFlight>();
  private lastId?: bigint;
  /** The write-back the last cached write started (past the cache limit), to wait for before answering. */
  private lastWriteBack?: Pending;
  private closedMidway = false;
  private stopped = false;
  private dead = false; // the fault that broke the ring was played: answer nothing more

  constructor(
    private readonly sim: Simulator, private readonly store: Store, readonly domain: Domain, readonly devid: number,
    readonly image: BlkImage, private readonly options: AttachDiskOptions & { sectorSize: number; physicalSectorSize: number },
  ) {
    this.features = { ...ALL_FEATURES, ...options.features };
    this.faults = options.faults ?? {};
    this.latency = options.latencyNs ?? [20_000, 200_000];
    this.sectorSize = options.sectorSize;
    this.front = `/local/domain/${domain.domid}/device/vbd/${devid}`;
    this.back = `/local/domain/0/backend/vbd/${domain.domid}/${devid}`;
    this.watches = [{ path: `${this.front}/state`, token: "blkback", prefixLength: 0 }];
    store.watchers.add(this);
    sim.onDomainEnd((d) => {
      if (d.domid === domain.domid) this.stop();
    });
    // What Linux's blkback writes in its probe, before waiting for the frontend.
    if (this.features.maxIndirectSegments > 0) this.write("feature-max-indirect-segments", String(this.features.maxIndirectSegments));
    if (this.features.maxRingPageOrder > 0) this.write("max-ring-page-order", String(this.features.maxRingPageOrder));
    this.setState(XenbusStateInitWait);
  }

  /** Disconnects, writes back and closes the image; the device stays Closed. Returns 0 or a negative errno of the final fsync. */
  stop(): number {
    if (this.stopped) return 0;
    this.stopped = true;
    this.disconnect();
    this.store.watchers.delete(this);
    return this.image.close();
  }

  private read(key: string): string | undefined {
    const node = this.store.nodes.get(`${this.front}/${key}`);
    return node && utf8(node.value);
  }

  private write(key: string, value: string): void {
    this.store.write(this.store.global, this.caller, `${this.back}/${key}`, bytes(value));
  }

  private setState(state: number): void {
    this.state = state;
    this.write("state", String(state));
  }

  deliver(): void {
    // Out of the guest's xenstore request: act from the event queue.
    this.sim.after(0n, () => this.frontendChanged());
  }

  shutdown(): void {}

  private frontendChanged(): void {
    if (this.stopped) return;
    const raw = this.read("state");
    const front = raw === undefined ? -1 : Number(raw);
    if ((front === XenbusStateInitialised || front === XenbusStateConnected) && this.state === XenbusStateInitWait) {
      this.connect();
    } else if (front === XenbusStateClosing || front === XenbusStateClosed || front < 0) {
      this.disconnect();
      if (this.state !== XenbusStateClosed) this.setState(front === XenbusStateClosing ? XenbusStateClosing : XenbusStateClosed);
    } else if (front === XenbusStateInitialising && this.state === XenbusStateClosed) {
      // The frontend starts over after a close: offer the device again.
      this.setState(XenbusStateInitWait);
    }
  }

  /** Maps the ring, binds the event channel, publishes the geometry: Connected, or Closing on bad input. */
  private connect(): void {
    const fail = (why: string) => {
      this.stats.lastError = why;
      this.disconnect();
      this.write("error", why);
      this.setState(XenbusStateClosing);
    };
    const orderText = this.read("ring-page-order");
    const order = orderText === undefined ? 0 : Number(orderText);
    if (!/^\d+$/.test(orderText ?? "0") || order > this.features.maxRingPageOrder) return fail(`bad ring-page-order ${orderText}`);
    const refs: number[] = [];
    for (let i = 0; i < 2 ** order; i++) {
      const text = this.read(orderText === undefined ? "ring-ref" : `ring-ref${i}`);
      if (text === undefined || !/^\d+$/.test(text)) return fail(`bad or missing ring-ref${orderText === undefined ? "" : i}`);
      refs.push(Number(text));
    }
    const portText = this.read("event-channel");
    if (portText === undefined || !/^\d+$/.test(portText)) return fail("bad or missing event-channel");
    const protocol = this.read("protocol") ?? "x86_64-abi";
    if (protocol !== "x86_64-abi") return fail(`unsupported protocol ${protocol}`);
    for (const ref of refs) {
      const { status, mapping } = this.sim.grants.map(this.domain.domid, ref, false);
      if (status !== GNTST_okay || !mapping) return fail(`mapping ring-ref ${ref} failed with status ${status}`);
      this.ringMaps.push(mapping);
    }
    try {
      this.port = this.sim.events.bindInterdomain(this.domain.domid, Number(portText));
    } catch (err) {
      return fail(`binding event-channel ${portText}: ${(err as XenError).message}`);
    }
    this.ring = new BlkRing(this.ringMaps);
    this.persistent = this.features.persistent && this.read("feature-persistent") === "1";
    this.sim.events.onEvent(this.port, () => this.kick());
    this.stats.ringPageOrder = order;
    this.stats.connections++;
    const f = this.features;
    const info = (this.image.readOnly ? VDISK_READONLY : 0) | (this.options.removable ? VDISK_REMOVABLE : 0);
    this.write("sectors", String(this.image.sizeBytes / SECTOR));
    this.write("info", String(info));
    this.write("sector-size", String(this.sectorSize));
    this.write("physical-sector-size", String(this.options.physicalSectorSize));
    this.write("feature-flush-cache", f.flushCache ? "1" : "0");
    this.write("feature-barrier", f.barrier ? "1" : "0");
    this.write("feature-persistent", this.persistent ? "1" : "0");
    if (f.discard && !this.image.readOnly) {
      this.write("feature-discard", "1");
      this.write("discard-granularity", String(this.options.physicalSectorSize));
      this.write("discard-alignment", "0");
      this.write("discard-secure", f.discardSecure ? "1" : "0");
    }
    this.setState(XenbusStateConnected);
    this.kick();
  }

  /** Drops the connection: answers nothing more, unmaps every grant, closes the port. */
  private disconnect(): void {
    for (const op of this.inFlight) op.cancel();
    this.inFlight.clear();
    for (const m of this.pgrants.values()) this.sim.grants.unmap(m.handle);
    this.pgrants.clear();
    for (const m of this.ringMaps) this.sim.grants.unmap(m.handle);
    this.ringMaps = [];
    if (this.port >= 0) {
      try {
        this.sim.events.close(this.port);
      } catch {
        // The guest's end is gone already.
      }
    }
    this.port = -1;
    this.ring = undefined;
    this.dead = false;
  }

  /** The frontend notified: take every request it pushed. */
  private kick(): void {
    const ring = this.ring;
    if (!ring || this.dead) return;
    do {
      if (ring.unconsumed() < 0) {
        this.stats.lastError = "the frontend overflowed req_prod";
        this.dead = true;
        return;
      }
      while (ring.unconsumed() > 0 && this.ring === ring) this.dispatch(ring.takeRequest());
    } while (this.ring === ring && ring.finalCheck());
    this.image.submit();
  }

  private dispatch(req: DataView): void {
    const op = req.getUint8(blkif_request.operation.offset);
    const id = req.getBigUint64(blkif_request.id.offset, true);
    const n = ++this.stats.requests;
    const { closeAfter, errorEvery } = this.faults;
    if (closeAfter !== undefined && n > closeAfter && !this.closedMidway) {
      this.closedMidway = true;
      this.disconnect();
      this.setState(XenbusStateClosing);
      return;
    }
    if (this.faults.scribble && op === BLKIF_OP_READ) {
      const count = req.getUint8(blkif_request.nr_segments.offset);
      if (count <= BLKIF_MAX_SEGMENTS_PER_REQUEST) for (const seg of directSegments(req, count)) this.scribble(seg);
    }
    if (errorEvery && n % errorEvery === 0) return this.complete(id, op, () => BLKIF_RSP_ERROR);
    if (this.faults.neverAnswerEvery && n % this.faults.neverAnswerEvery === 0) return;
    const f = this.features;
    switch (op) {
      case BLKIF_OP_READ:
      case BLKIF_OP_WRITE: {
        const count = req.getUint8(blkif_request.nr_segments.offset);
        if (count < 1 || count > BLKIF_MAX_SEGMENTS_PER_REQUEST) return this.complete(id, op, () => BLKIF_RSP_ERROR);
        return this.readWrite(id, op, req.getBigUint64(blkif_request.sector_number.offset, true), directSegments(req, count));
      }
      case BLKIF_OP_INDIRECT: {
        const inner = req.getUint8(blkif_request_indirect.indirect_op.offset);
        const count = req.getUint16(blkif_request_indirect.nr_segments.offset, true);
        // Linux's blkback answers an indirect request with its inner operation (pending_req->operation).
        if (f.maxIndirectSegments === 0 || (inner !== BLKIF_OP_READ && inner !== BLKIF_OP_WRITE) || count < 1 ||
            count > f.maxIndirectSegments) {
          return this.complete(id, inner, () => BLKIF_RSP_ERROR);
        }
        const segs = this.indirectSegments(req, count);
        if (!segs) return this.complete(id, inner, () => BLKIF_RSP_ERROR);
        this.stats.indirect++;
        return this.readWrite(id, inner, req.getBigUint64(blkif_request_indirect.sector_number.offset, true), segs);
      }
      case BLKIF_OP_FLUSH_DISKCACHE:
        if (!f.flushCache || this.faults.refuseFlushes) return this.complete(id, op, () => BLKIF_RSP_EOPNOTSUPP);
        this.stats.flushes++;
        return this.flush(id, op);
      case BLKIF_OP_WRITE_BARRIER: {
        if (!f.barrier || this.faults.refuseFlushes) return this.complete(id, op, () => BLKIF_RSP_EOPNOTSUPP);
        this.stats.barriers++;
        const count = req.getUint8(blkif_request.nr_segments.offset);
        if (count === 0) return this.flush(id, op);
        if (count > BLKIF_MAX_SEGMENTS_PER_REQUEST) return this.complete(id, op, () => BLKIF_RSP_ERROR);
        // Data then flush: the write is cached, and the flush completes both.
        const status = this.writeNow(req.getBigUint64(blkif_request.sector_number.offset, true), directSegments(req, count));
        if (status !== BLKIF_RSP_OKAY) return this.complete(id, op, () => status);
        return this.flush(id, op);
      }
      case BLKIF_OP_DISCARD: {
        if (!f.discard || this.image.readOnly) return this.complete(id, op, () => BLKIF_RSP_EOPNOTSUPP);
        this.stats.discards++;
        const sector = req.getBigUint64(blkif_request_discard.sector_number.offset, true);
        const count = req.getBigUint64(blkif_request_discard.nr_sectors.offset, true);
        const secure = (req.getUint8(blkif_request_discard.flag.offset) & BLKIF_DISCARD_SECURE) !== 0;
        if (secure && !f.discardSecure) return this.complete(id, op, () => BLKIF_RSP_EOPNOTSUPP);
        const range = this.range(sector, count);
        if (!range) return this.complete(id, op, () => BLKIF_RSP_ERROR);
        const pending = this.image.discard(range.pos, range.len);
        return this.complete(id, op, () => (pending.wait() === 0 ? BLKIF_RSP_OKAY : BLKIF_RSP_ERROR));
      }
      default:
        return this.complete(id, op, () => BLKIF_RSP_ERROR);
    }
  }

  /** Byte range of `count` 512-byte sectors from `sector`, if inside the disk and aligned to its sector size. */
  private range(sector: bigint, count: bigint): { pos: number; len: number } | undefined {
    const end = sector + count;
    if (count <= 0n || end > BigInt(this.image.sizeBytes / SECTOR)) return undefined;
    const pos = Number(sector) * SECTOR;
    const len = Number(count) * SECTOR;
    return pos % this.sectorSize === 0 && len % this.sectorSize === 0 ? { pos, len } : undefined;
  }

  /** The segments listed in a request's indirect pages (read through grant copies or persistent maps). */
  private indirectSegments(req: DataView, count: number): Segment[] | undefined {
    const pages = Math.ceil(count / SEGS_PER_INDIRECT_PAGE);
    if (pages > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST) return undefined;
    const segs: Segment[] = [];
    for (let p = 0; p < pages; p++) {
      const gref = req.getUint32(blkif_request_indirect.indirect_grefs.offset + p * blkif_request_indirect.indirect_grefs.size, true);
      // Granted read-only: copied, never mapped for keeps.
      const page = this.fetch(gref, 0, PAGE_SIZE, false);
      if (!page) return undefined;
      const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
      for (let i = p * SEGS_PER_INDIRECT_PAGE; i < Math.min(count, (p + 1) * SEGS_PER_INDIRECT_PAGE); i++) {
        segs.push(segmentAt(view, (i % SEGS_PER_INDIRECT_PAGE) * blkif_request_segment.SIZE));
      }
    }
    return segs;
  }

  /** Bytes of all segments in disk order, or undefined if a segment is malformed. */
  private segmentsRange(sector: bigint, segs: Segment[]): { pos: number; len: number } | undefined {
    let total = 0;
    for (const s of segs) {
      if (s.firstSect > s.lastSect || s.lastSect >= SECTORS_PER_PAGE) return undefined;
      total += s.lastSect - s.firstSect + 1;
    }
    return this.range(sector, BigInt(total));
  }

  private readWrite(id: bigint, op: number, sector: bigint, segs: Segment[]): void {
    if (op === BLKIF_OP_WRITE) {
      this.stats.writes++;
      const status = this.writeNow(sector, segs);
      if (status !== BLKIF_RSP_OKAY) return this.complete(id, op, () => status);
      // Without a way to flush, the frontend must get write-through: on disk before acknowledged.
      const f = this.features;
      const pending = f.flushCache || f.barrier ? this.lastWriteBack : this.image.flush();
      this.lastWriteBack = undefined;
      return this.complete(id, op, () => (!pending || pending.wait() === 0 ? BLKIF_RSP_OKAY : BLKIF_RSP_ERROR));
    }
    this.stats.reads++;
    const range = this.segmentsRange(sector, segs);
    if (!range) return this.complete(id, op, () => BLKIF_RSP_ERROR);
    const io = this.image.read(range.pos, range.len);
    this.complete(id, op, () => {
      if (io.pending.wait() !== 0) return BLKIF_RSP_ERROR;
      const data = io.data();
      let at = 0;
      for (const s of segs) {
        const len = (s.lastSect - s.firstSect + 1) * SECTOR;
        if (!this.put(s.gref, s.firstSect * SECTOR, data.subarray(at, at + len))) return BLKIF_RSP_ERROR;
        at += len;
      }
      return BLKIF_RSP_OKAY;
    });
  }

  /** Gathers a write's data from the guest now (it may reuse the pages once answered) and caches it. */
  private writeNow(sector: bigint, segs: Segment[]): number {
    if (this.image.readOnly) return BLKIF_RSP_ERROR;
    const range = this.segmentsRange(sector, segs);
    if (!range) return BLKIF_RSP_ERROR;
    const data = new Uint8Array(range.len);
    let at = 0;
    for (const s of segs) {
      const len = (s.lastSect - s.firstSect + 1) * SECTOR;
      const part = this.fetch(s.gref, s.firstSect * SECTOR, len, true);
      if (!part) return BLKIF_RSP_ERROR;
      data.set(part, at);
      at += len;
    }
    this.lastWriteBack = this.image.write(range.pos, data);
    return BLKIF_RSP_OKAY;
  }

  private flush(id: bigint, op: number): void {
    const pending = this.image.flush();
    this.complete(id, op, () => {
      if (pending.wait() !== 0) return BLKIF_RSP_ERROR;
      this.stats.fsyncs++;
      return BLKIF_RSP_OKAY;
    });
  }

  /** A persistent mapping of `gref`, made on first use while there is room. */
  private mapped(gref: number): GrantMapping | undefined {
    if (!this.persistent) return undefined;
    let m = this.pgrants.get(gref);
    if (!m && this.pgrants.size < MAX_PERSISTENT_GRANTS) {
      const r = this.sim.grants.map(this.domain.domid, gref, false);
      if (r.status !== GNTST_okay || !r.mapping) return undefined;
      m = r.mapping;
      this.pgrants.set(gref, m);
      this.stats.persistentMaps++;
    }
    return m;
  }

  /** `len` bytes of the guest's granted page at `offset`, or undefined if the grant is bad. */
  private fetch(gref: number, offset: number, len: number, persist: boolean): Uint8Array | undefined {
    const m = persist ? this.mapped(gref) : undefined;
    if (m) return m.bytes().slice(offset, offset + len);
    const out = new Uint8Array(len);
    return this.sim.grants.copyFrom(this.domain.domid, gref, offset, out) === GNTST_okay ? out : undefined;
  }

  /** Copies `data` into the guest's granted page at `offset`; false if the grant is bad. */
  private put(gref: number, offset: number, data: Uint8Array): boolean {
    const m = this.mapped(gref);
    if (m) {
      m.bytes().set(data, offset);
      return true;
    }
    return this.sim.grants.copyTo(this.domain.domid, gref, offset, data) === GNTST_okay;
  }

  /** The `scribble` fault on one segment of a read. */
  private scribble(seg: Segment): void {
    const { status, mapping } = this.sim.grants.map(this.domain.domid, seg.gref, false);
    if (status !== GNTST_okay || !mapping) return;
    mapping.bytes().fill(0xee, 0, seg.firstSect * SECTOR);
    mapping.bytes().fill(0xee, (seg.lastSect + 1) * SECTOR);
    this.sim.after(BigInt(this.latency[1]) + 1_000_000n, () => {
      mapping.bytes().fill(0xee);
      this.sim.grants.unmap(mapping.handle);
    });
  }

  /** Answers at a seeded virtual time; `finish` does the rest of the work then and returns the status. */
  private complete(id: bigint, op: number, finish: () => number): void {
    const [min, max] = this.latency;
    const delay = BigInt(Math.floor(min + this.sim.random() * (max - min)));
    const timer = this.sim.after(delay, () => {
      this.inFlight.delete(timer);
      const status = finish();
      if (status !== BLKIF_RSP_OKAY) this.stats.errors++;
      this.respond(id, op, status);
    });
    this.inFlight.add(timer);
  }

  private respond(id: bigint, op: number, status: number): void {
    const ring = this.ring;
    if (!ring || this.dead) return;
    const n = ++this.stats.responses;
    const { badIdEvery, duplicateEvery, overflowAfter } = this.faults;
    let sent = id;
    if (badIdEvery && n % badIdEvery === 0) sent = 0xdead_0000n + BigInt(n);
    else if (duplicateEvery && n % duplicateEvery === 0 && this.lastId !== undefined) sent = this.lastId;
    this.lastId = id;
    ring.putResponse(sent, op, status);
    if (overflowAfter !== undefined && n >= overflowAfter) {
      ring.pushBogusProducer(ring.size + 3);
      this.dead = true;
      this.notify();
      return;
    }
    if (ring.pushResponses()) this.notify();
  }

  private notify(): void {
    const port = this.port;
    const n = ++this.stats.notifications;
    const { dropNotifyEvery, notifyDelayNs } = this.faults;
    if (dropNotifyEvery && n % dropNotifyEvery === 0) return;
    const send = () => {
      if (this.port === port && port >= 0) this.sim.events.notify(port);
    };
    if (notifyDelayNs) this.sim.after(BigInt(notifyDelayNs), send);
    else send();
  }
}

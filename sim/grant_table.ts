// Grant tables v1 (xen/common/grant_table.c semantics): the granting guest's
// entries live in its grant frames; acquiring a grant checks and pins it
// (GTF_reading/GTF_writing set in the guest's entry while in use).
import { FrameView, type GuestMemory, PAGE_SIZE, type SpecialFrame } from "./guest_memory.ts";
import { put } from "./layout.ts";
import {
  GNTST_bad_copy_arg, GNTST_bad_domain, GNTST_bad_gntref, GNTST_bad_handle, GNTST_bad_page,
  GNTST_general_error, GNTST_okay, GNTST_permission_denied, GTF_permit_access, GTF_readonly, GTF_reading,
  GTF_sub_page, GTF_type_mask, GTF_writing, grant_entry_v1,
} from "./xen/grant_table.ts";
import { DOMID_SELF } from "./xen/xen.ts";

export const GRANT_ENTRIES_PER_FRAME = PAGE_SIZE / grant_entry_v1.SIZE;
/** Xen 4.17's default gnttab_max_frames. */
export const DEFAULT_MAX_GRANT_FRAMES = 64;
/** Frames a table starts with (the toolstack writes the reserved entries there). */
const INITIAL_GRANT_FRAMES = 1;
/** Size of a table's cache of frame views for copies (a power of two). */
const COPY_FRAMES = 1024;

interface Active {
  /** The domain using the grant (act->domid). */
  domid: number;
  mfn: number;
  readers: number;
  writers: number;
}

const FLAGS = grant_entry_v1.flags.offset;
const DOMID = grant_entry_v1.domid.offset;
const FRAME = grant_entry_v1.frame.offset;

export class GrantTable {
  readonly frames: SpecialFrame[] = [];
  /** The frames' views, kept across accesses (an entry is read and written on every copy). */
  private readonly frameViews: FrameView[] = [];
  /** Pins held across calls (mappings), by reference: an array, one slot per entry, as lookups are per copy. */
  private readonly active: (Active | undefined)[] = [];
  /** Recently copied frames, direct-mapped by number: a copy would otherwise make a new view of its page. */
  private readonly copyFrames: (FrameView | undefined)[] = new Array(COPY_FRAMES);

  constructor(readonly memory: GuestMemory, readonly maxFrames: number) {
    this.grow(INITIAL_GRANT_FRAMES);
  }

  get nrEntries(): number {
    return this.frames.length * GRANT_ENTRIES_PER_FRAME;
  }

  /** Grows to `nr` frames (gnttab_grow_table); false beyond the maximum. */
  grow(nr: number): boolean {
    if (nr > this.maxFrames) return false;
    while (this.frames.length < nr) {
      const frame = this.memory.special();
      this.frames.push(frame);
      this.frameViews.push(new FrameView(this.memory, frame.mfn));
      for (let i = 0; i < GRANT_ENTRIES_PER_FRAME; i++) this.active.push(undefined);
    }
    return true;
  }

  /** The page holding entry `ref`, wherever its frame lives now. */
  private entryPage(ref: number): DataView {
    return this.frameViews[(ref / GRANT_ENTRIES_PER_FRAME) | 0].view;
  }

  /** Writes an entry as the toolstack does for the reserved references. */
  seed(ref: number, domid: number, mfn: number): void {
    const view = this.entryPage(ref);
    const at = entryOffset(ref);
    put(view, at, grant_entry_v1.domid, domid);
    put(view, at, grant_entry_v1.frame, mfn);
    put(view, at, grant_entry_v1.flags, GTF_permit_access);
  }

  /** Entry `ref` as the guest wrote it, or undefined beyond the table. */
  entry(ref: number): { flags: number; domid: number; frame: number } | undefined {
    if (!Number.isInteger(ref) || ref < 0 || ref >= this.nrEntries) return undefined;
    const view = this.entryPage(ref);
    const at = entryOffset(ref);
    return { flags: view.getUint16(at + FLAGS, true), domid: view.getUint16(at + DOMID, true), frame: view.getUint32(at + FRAME, true) };
  }

  private updateFlags(ref: number, set: number, clear: number): void {
    const view = this.entryPage(ref);
    const at = entryOffset(ref) + FLAGS;
    view.setUint16(at, (view.getUint16(at, true) | set) & ~clear, true);
  }

  /**
   * Pins `ref` for domain `ldomid` (acquire_grant_for_copy / map_grant_ref's
   * _set_status_v1). Returns the frame, or a GNTST_* status (negative).
   */
  acquire(ref: number, ldomid: number, readonly: boolean, mapping: boolean): number {
    const act = this.active[ref];
    if (act === undefined) {
      const mfn = this.pinEntry(ref, ldomid, readonly, mapping);
      if (mfn >= 0) this.active[ref] = { domid: ldomid, mfn, readers: readonly ? 1 : 0, writers: readonly ? 0 : 1 };
      return mfn;
    }
    if (act.domid !== ldomid) return GNTST_general_error;
    if (!readonly && act.writers === 0) {
      if (this.entryPage(ref).getUint16(entryOffset(ref) + FLAGS, true) & GTF_readonly) return GNTST_general_error;
      this.updateFlags(ref, GTF_reading | GTF_writing, 0);
    }
    if (readonly) act.readers++;
    else act.writers++;
    return act.mfn;
  }

  /** Drops one pin taken by `acquire`, clearing GTF_writing/GTF_reading when the last goes. */
  release(ref: number, readonly: boolean): void {
    const act = this.active[ref];
    if (!act) return;
    if (readonly) act.readers--;
    else act.writers--;
    let clear = 0;
    if (!readonly && act.writers === 0) clear |= GTF_writing;
    if (act.readers + act.writers === 0) {
      clear |= GTF_reading;
      this.active[ref] = undefined;
    }
    this.updateFlags(ref, 0, clear);
  }

  /**
   * Pins `ref` for one copy, which ends (`unpinForCopy`) before anything else
   * runs: an entry nobody else holds needs no record, only its flags set.
   */
  pinForCopy(ref: number, ldomid: number, readonly: boolean): number {
    return this.active[ref] === undefined ? this.pinEntry(ref, ldomid, readonly, false) : this.acquire(ref, ldomid, readonly, false);
  }

  unpinForCopy(ref: number, readonly: boolean): void {
    if (this.active[ref] === undefined) this.updateFlags(ref, 0, GTF_reading | (readonly ? 0 : GTF_writing));
    else this.release(ref, readonly);
  }

  /** Checks an entry no one holds for use by `ldomid` and sets its in-use flags: its frame, or a GNTST_* status. */
  private pinEntry(ref: number, ldomid: number, readonly: boolean, mapping: boolean): number {
    if (!Number.isInteger(ref) || ref < 0 || ref >= this.nrEntries) return GNTST_bad_gntref;
    const view = this.entryPage(ref);
    const at = entryOffset(ref);
    const flags = view.getUint16(at + FLAGS, true);
    const mask = GTF_type_mask | (mapping ? GTF_sub_page : 0);
    // Xen answers a wrong domain, a grant not in use and a write to a read-only grant alike.
    if ((flags & mask) !== GTF_permit_access || view.getUint16(at + DOMID, true) !== ldomid) return GNTST_general_error;
    if (!readonly && flags & GTF_readonly) return GNTST_general_error;
    const mfn = view.getUint32(at + FRAME, true);
    if (!this.memory.hasFrame(mfn)) return GNTST_bad_page;
    view.setUint16(at + FLAGS, flags | GTF_reading | (readonly ? 0 : GTF_writing), true);
    return mfn;
  }

  /** The pinned frame's bytes as they are now. */
  frameBytes(mfn: number): Uint8Array {
    const slot = mfn & (COPY_FRAMES - 1);
    let frame = this.copyFrames[slot];
    if (frame?.mfn !== mfn) frame = this.copyFrames[slot] = new FrameView(this.memory, mfn);
    return frame.bytes;
  }
}

function entryOffset(ref: number): number {
  return (ref % GRANT_ENTRIES_PER_FRAME) * grant_entry_v1.SIZE;
}

/** A domain as grant copies see it. */
export interface GrantDomain {
  readonly domid: number;
  readonly mem: GuestMemory;
  readonly grants: GrantTable;
}

/** One side of a GNTTABOP_copy: a grant reference of `domid`, or a frame of the caller. */
export interface CopySide {
  gref: boolean;
  /** The reference, or the frame number (gmfn) when `gref` is false. */
  ref: number;
  domid: number;
  offset: number;
}

/** A buffer a copy reads or writes, claimed for the duration of one op. */
interface Claimed {
  bytes: Uint8Array;
  release(): void;
}

/** GNTTABOP_copy of one op on behalf of `caller` (gnttab_copy_one): returns its GNTST_* status. */
export function grantCopy(
  lookup: (domid: number) => GrantDomain | undefined,
  caller: GrantDomain,
  source: CopySide,
  dest: CopySide,
  len: number,
): number {
  const sd = source.domid === DOMID_SELF ? caller : lookup(source.domid);
  if (!sd) return GNTST_bad_domain;
  if (!source.gref && sd !== caller) return GNTST_permission_denied;
  const dd = dest.domid === DOMID_SELF ? caller : lookup(dest.domid);
  if (!dd) return GNTST_bad_domain;
  if (!dest.gref && dd !== caller) return GNTST_permission_denied;
  const src = claim(sd, source, caller.domid, true);
  if (typeof src === "number") return src;
  const dst = claim(dd, dest, caller.domid, false);
  if (typeof dst === "number") {
    src.release();
    return dst;
  }
  const status = copyBytes(src.bytes, source.offset, dst.bytes, dest.offset, len);
  dst.release();
  src.release();
  return status;
}

function claim(d: GrantDomain, side: CopySide, ldomid: number, readonly: boolean): Claimed | number {
  if (!side.gref) {
    const bytes = d.mem.frameBytes(side.ref);
    return bytes ? { bytes, release: () => {} } : GNTST_bad_page;
  }
  const mfn = d.grants.pinForCopy(side.ref, ldomid, readonly);
  if (mfn < 0) return mfn;
  return { bytes: d.grants.frameBytes(mfn), release: () => d.grants.unpinForCopy(side.ref, readonly) };
}

/** gnttab_copy_buf: a copy never crosses a page boundary. */
export function copyBytes(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, len: number): number {
  if (srcOffset + len > PAGE_SIZE || dstOffset + len > PAGE_SIZE) return GNTST_bad_copy_arg;
  dst.set(srcOffset === 0 && len === src.length ? src : src.subarray(srcOffset, srcOffset + len), dstOffset);
  return GNTST_okay;
}

/** A backend's mapping of a guest's grant: `bytes()` is the guest's page until `unmap`, even after the guest ended (the mapping holds the page, as in Xen). */
export interface GrantMapping {
  readonly handle: number;
  readonly domid: number;
  readonly ref: number;
  readonly readonly: boolean;
  bytes(): Uint8Array;
  /** A view of `bytes()`, kept until the page moves. */
  view(): DataView;
}

/** Grant operations of the simulator's domain 0: what backends use (GNTST_* statuses, never throws). */
export class Dom0Grants {
  private readonly maps = new Map<number, GrantMapping & { table: GrantTable }>();
  private nextHandle = 0;
  /** The domain of an unfinished `beginRead`, for its `endRead` (nothing ends a domain in between). */
  private reading?: GrantDomain;

  constructor(private readonly lookup: (domid: number) => GrantDomain | undefined) {}

  /** Copies from `domid`'s granted page at `offset` into `dest` (GNTTABOP_copy, source_gref). */
  copyFrom(domid: number, ref: number, offset: number, dest: Uint8Array): number {
    return this.copy(domid, ref, offset, dest, true);
  }

  /** Copies `src` into `domid`'s granted page at `offset` (GNTTABOP_copy, dest_gref). */
  copyTo(domid: number, ref: number, offset: number, src: Uint8Array): number {
    return this.copy(domid, ref, offset, src, false);
  }

  private copy(domid: number, ref: number, offset: number, bytes: Uint8Array, fromGuest: boolean): number {
    const d = this.lookup(domid);
    if (!d) return GNTST_bad_domain;
    const mfn = d.grants.pinForCopy(ref, 0, fromGuest);
    if (mfn < 0) return mfn;
    let result = GNTST_bad_copy_arg;
    if (offset >= 0 && offset + bytes.length <= PAGE_SIZE) {
      const page = d.grants.frameBytes(mfn);
      result = fromGuest ? copyBytes(page, offset, bytes, 0, bytes.length) : copyBytes(bytes, 0, page, offset, bytes.length);
    }
    d.grants.unpinForCopy(ref, fromGuest);
    return result;
  }

  /**
   * The source half of a copy whose destination is decided afterwards (a frame
   * a bridge switches): pins `domid`'s grant `ref` for reading and returns its
   * page as it is now, or a GNTST_* status. `endRead` must follow before the
   * guest runs again; the page is the guest's memory, to read, not to keep.
   */
  beginRead(domid: number, ref: number): Uint8Array | number {
    const d = this.lookup(domid);
    if (!d) return GNTST_bad_domain;
    const mfn = d.grants.pinForCopy(ref, 0, true);
    if (mfn < 0) return mfn;
    this.reading = d;
    return d.grants.frameBytes(mfn);
  }

  endRead(domid: number, ref: number): void {
    const d = this.reading?.domid === domid ? this.reading : this.lookup(domid);
    this.reading = undefined;
    d?.grants.unpinForCopy(ref, true);
  }

  /** GNTTABOP_map_grant_ref for domain 0: on success, a view of the guest's page until `unmap`. */
  map(domid: number, ref: number, readonly: boolean): { status: number; mapping?: GrantMapping } {
    const d = this.lookup(domid);
    if (!d) return { status: GNTST_bad_domain };
    const mfn = d.grants.acquire(ref, 0, readonly, true);
    if (mfn < 0) return { status: mfn };
    const table = d.grants;
    const page = new FrameView(table.memory, mfn);
    const mapping = { handle: this.nextHandle++, domid, ref, readonly, table, bytes: () => page.bytes, view: () => page.view };
    this.maps.set(mapping.handle, mapping);
    return { status: GNTST_okay, mapping };
  }

  /** GNTTABOP_unmap_grant_ref for domain 0. */
  unmap(handle: number): number {
    const mapping = this.maps.get(handle);
    if (!mapping) return GNTST_bad_handle;
    this.maps.delete(handle);
    mapping.table.release(mapping.ref, mapping.readonly);
    return GNTST_okay;
  }
}

// Grant tables, v1 entries (xen/grant_table.h): this domain grants others
// access to its pages. References 0-7 are the toolstack's; the rest come from a
// free list, and a reference returns to it only once the peer has stopped
// using it (the atomic in-use check of end access).
import { cmpxchg16, frame, wmb } from "../platform";
import {
  GNTCOPY_dest_gref, GNTCOPY_source_gref, GNTST_okay, GNTTAB_NR_RESERVED_ENTRIES, GNTTABOP_copy,
  GNTTABOP_query_size, GNTTABOP_setup_table, GTF_permit_access, GTF_reading, GTF_readonly, GTF_writing,
  gnttab_copy, gnttab_query_size, gnttab_setup_table, grant_entry_v1,
} from "../xen/grant_table";
import { DOMID_SELF } from "../xen/xen";
import { HYPERVISOR_grant_table_op, scratch, va } from "./hypercall";
import { mapFrame } from "./frames";
import { PAGE_SIZE } from "./pages";
import { panic } from "./panic";

/** Frames of grant entries set up at boot (xl's default maximum is 64). */
const WANTED_FRAMES: u32 = 8;
const ENTRIES_PER_FRAME: u32 = <u32>(PAGE_SIZE / grant_entry_v1.SIZE);
const MAX_FRAMES: u32 = 64;

/** Returned instead of a reference when all are in use. */
export const GRANT_INVALID_REF: u32 = 0xffffffff;

const framePages: StaticArray<usize> = new StaticArray<usize>(MAX_FRAMES); // where each table frame is mapped
let nrFrames: u32 = 0;
let nrEntries: u32 = 0;
let freeHead: u32 = GRANT_INVALID_REF;
let nrFree: u32 = 0;
let nextFree: StaticArray<u32> = new StaticArray<u32>(0);

/** GNTTABOP_query_size and setup_table, then maps every frame. Panics on failure. */
export function initGrants(): void {
  gnttab_query_size.set_dom(scratch, <u16>DOMID_SELF);
  let rc = HYPERVISOR_grant_table_op(GNTTABOP_query_size, scratch, 1);
  if (rc < 0 || gnttab_query_size.status(scratch) != GNTST_okay) {
    panic(`boot: GNTTABOP_query_size failed: ${rc}/${gnttab_query_size.status(scratch)}`);
  }
  const max = gnttab_query_size.max_nr_frames(scratch);
  const wanted = min(min(WANTED_FRAMES, max), MAX_FRAMES);
  const frames = memory.data(<i32>(MAX_FRAMES * 8), 8);
  gnttab_setup_table.set_dom(scratch, <u16>DOMID_SELF);
  gnttab_setup_table.set_nr_frames(scratch, wanted);
  gnttab_setup_table.set_frame_list(scratch, va(frames));
  rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, scratch, 1);
  if (rc < 0 || gnttab_setup_table.status(scratch) != GNTST_okay) {
    panic(`boot: GNTTABOP_setup_table failed: ${rc}/${gnttab_setup_table.status(scratch)}`);
  }
  for (let i: u32 = 0; i < wanted; i++) {
    unchecked((framePages[i] = mapFrame(load<u64>(frames + <usize>i * 8), "a grant-table frame")));
  }
  nrFrames = wanted;
  nrEntries = wanted * ENTRIES_PER_FRAME;
  nextFree = new StaticArray<u32>(nrEntries);
  for (let ref = nrEntries - 1; ref >= GNTTAB_NR_RESERVED_ENTRIES; ref--) release(ref);
}

function entry(ref: u32): usize {
  return unchecked(framePages[ref / ENTRIES_PER_FRAME]) + <usize>(ref % ENTRIES_PER_FRAME) * grant_entry_v1.SIZE;
}

function release(ref: u32): void {
  unchecked((nextFree[ref] = freeHead));
  freeHead = ref;
  nrFree++;
}

/** Free references left. */
export function grantsFree(): u32 {
  return nrFree;
}

/**
 * Lets `domid` access machine frame `mfn`; returns the reference, or
 * GRANT_INVALID_REF when every reference is in use (the caller reports it).
 */
export function grantAccess(domid: u16, mfn: u64, readonly: bool): u32 {
  const ref = freeHead;
  if (ref == GRANT_INVALID_REF) return GRANT_INVALID_REF;
  freeHead = unchecked(nextFree[ref]);
  nrFree--;
  const e = entry(ref);
  grant_entry_v1.set_frame(e, <u32>mfn);
  grant_entry_v1.set_domid(e, domid);
  wmb(); // frame and domid before the flag that makes them valid
  grant_entry_v1.set_flags(e, <u16>(GTF_permit_access | (readonly ? GTF_readonly : 0)));
  return ref;
}

/** grantAccess for the page at linear offset `page`. */
export function grantPage(domid: u16, page: usize, readonly: bool): u32 {
  return grantAccess(domid, frame(page), readonly);
}

/**
 * Revokes `ref` unless the peer is still reading or writing through it: the
 * flags go to 0 only by compare-exchange against a value with neither bit set.
 * Returns false (and keeps the reference out of the free list) while in use.
 */
export function endAccess(ref: u32): bool {
  if (ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= nrEntries) return false;
  const flagsAt = entry(ref) + grant_entry_v1.OFFSET_flags;
  let flags = <u32>load<u16>(flagsAt);
  while (true) {
    if (flags & (GTF_reading | GTF_writing)) return false;
    if (!(flags & GTF_permit_access)) return false; // not granted: nothing to end
    const seen = cmpxchg16(flagsAt, flags, 0);
    if (seen == flags) break;
    flags = seen;
  }
  release(ref);
  return true;
}

/** Whether the peer currently has `ref` mapped or is copying through it. */
export function grantInUse(ref: u32): bool {
  if (ref >= nrEntries) return false;
  return (load<u16>(entry(ref) + grant_entry_v1.OFFSET_flags) & <u16>(GTF_reading | GTF_writing)) != 0;
}

/**
 * GNTTABOP_copy of `len` bytes from grant `srcRef` of `srcDom` (at `srcOffset`)
 * into this domain's linear memory at `dst`. Returns the GNTST_* status.
 */
export function copyFromGrant(srcDom: u16, srcRef: u32, srcOffset: u16, dst: usize, len: u16): i32 {
  const op = scratch;
  gnttab_copy.set_source_u_ref(op, srcRef);
  gnttab_copy.set_source_domid(op, srcDom);
  gnttab_copy.set_source_offset(op, srcOffset);
  gnttab_copy.set_dest_u_gmfn(op, frame(dst));
  gnttab_copy.set_dest_domid(op, <u16>DOMID_SELF);
  gnttab_copy.set_dest_offset(op, <u16>(dst & (PAGE_SIZE - 1)));
  gnttab_copy.set_len(op, len);
  gnttab_copy.set_flags(op, <u16>GNTCOPY_source_gref);
  return runCopy(op);
}

/** GNTTABOP_copy of `len` bytes from linear memory at `src` into grant `dstRef` of `dstDom`. */
export function copyToGrant(src: usize, dstDom: u16, dstRef: u32, dstOffset: u16, len: u16): i32 {
  const op = scratch;
  gnttab_copy.set_source_u_gmfn(op, frame(src));
  gnttab_copy.set_source_domid(op, <u16>DOMID_SELF);
  gnttab_copy.set_source_offset(op, <u16>(src & (PAGE_SIZE - 1)));
  gnttab_copy.set_dest_u_ref(op, dstRef);
  gnttab_copy.set_dest_domid(op, dstDom);
  gnttab_copy.set_dest_offset(op, dstOffset);
  gnttab_copy.set_len(op, len);
  gnttab_copy.set_flags(op, <u16>GNTCOPY_dest_gref);
  return runCopy(op);
}

function runCopy(op: usize): i32 {
  const rc = HYPERVISOR_grant_table_op(GNTTABOP_copy, op, 1);
  return rc < 0 ? <i32>rc : <i32>gnttab_copy.status(op);
}

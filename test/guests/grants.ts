// Grant table scenarios: a guest grants pages to domain 0 (the test's backend)
// and checks the flags Xen sets while they are in use.
import { block, cmpxchg16, exit, frame, hypercall, wmb } from "morgana/runtime/platform";
import { GTF_reading, GTF_writing } from "morgana/runtime/xen/grant_table";
import {
  GNTCOPY_dest_gref, GNTCOPY_source_gref, GNTMAP_host_map, GNTTABOP_copy, GNTTABOP_map_grant_ref, GNTTABOP_query_size,
  GNTTABOP_setup_table, GNTTABOP_unmap_grant_ref, GTF_permit_access, GTF_readonly, grant_entry_v1, gnttab_copy,
  gnttab_map_grant_ref, gnttab_query_size, gnttab_setup_table, gnttab_unmap_grant_ref,
} from "morgana/runtime/xen/grant_table";
import { DOMID_SELF, __HYPERVISOR_grant_table_op } from "morgana/runtime/xen/xen";
import { ARG, FOREVER, allocUnbound, args, bindInterdomain, bindTimer, init, mapFrame, now, page, print, scan, send, take, va, waitFor } from "morgana/test/guests/lib";

let table: usize = 0;

function setupTable(frames: u32): i16 {
  gnttab_setup_table.set_dom(ARG, <u16>DOMID_SELF);
  gnttab_setup_table.set_nr_frames(ARG, frames);
  gnttab_setup_table.set_frame_list(ARG, va(ARG + 64));
  const rc = hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, va(ARG), 1, 0, 0);
  return rc < 0 ? <i16>rc : gnttab_setup_table.status(ARG);
}

function grant(ref: u32, domid: u32, addr: usize, flags: u32): void {
  const e = table + ref * grant_entry_v1.SIZE;
  grant_entry_v1.set_domid(e, <u16>domid);
  grant_entry_v1.set_frame(e, <u32>frame(addr));
  wmb();
  grant_entry_v1.set_flags(e, <u16>flags);
}

function flagsOf(ref: u32): u16 {
  return grant_entry_v1.flags(table + ref * grant_entry_v1.SIZE);
}

/** One GNTTABOP_copy from a frame of `srcDom` (not a grant) into `ref` of domain `dstDom`; returns its status. */
function copyToGrant(srcDom: u32, srcFrame: u64, dstDom: u32, ref: u32, len: u16): i16 {
  const op = ARG;
  gnttab_copy.set_source_u_gmfn(op, srcFrame);
  gnttab_copy.set_source_domid(op, <u16>srcDom);
  gnttab_copy.set_source_offset(op, 0);
  gnttab_copy.set_dest_u_ref(op, ref);
  gnttab_copy.set_dest_domid(op, <u16>dstDom);
  gnttab_copy.set_dest_offset(op, 0);
  gnttab_copy.set_len(op, len);
  gnttab_copy.set_flags(op, <u16>GNTCOPY_dest_gref);
  const rc = hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_copy, va(op), 1, 0, 0);
  return rc < 0 ? <i16>rc : gnttab_copy.status(op);
}

/** GNTTABOP_copy of `len` bytes from grant `ref` of domain `srcDom` into this domain's page `dst`; returns its status. */
function copyFromGrant(srcDom: u32, ref: u32, dst: usize, len: u16): i16 {
  const op = ARG;
  gnttab_copy.set_source_u_ref(op, ref);
  gnttab_copy.set_source_domid(op, <u16>srcDom);
  gnttab_copy.set_source_offset(op, 0);
  gnttab_copy.set_dest_u_gmfn(op, frame(dst));
  gnttab_copy.set_dest_domid(op, <u16>DOMID_SELF);
  gnttab_copy.set_dest_offset(op, 0);
  gnttab_copy.set_len(op, len);
  gnttab_copy.set_flags(op, <u16>GNTCOPY_source_gref);
  const rc = hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_copy, va(op), 1, 0, 0);
  return rc < 0 ? <i16>rc : gnttab_copy.status(op);
}

/** GNTTABOP_map_grant_ref of `dom`'s `ref` at `addr`, writable: "status handle". */
function mapGrant(dom: u32, ref: u32, addr: usize): string {
  gnttab_map_grant_ref.set_host_addr(ARG, va(addr));
  gnttab_map_grant_ref.set_flags(ARG, GNTMAP_host_map);
  gnttab_map_grant_ref.set_ref(ARG, ref);
  gnttab_map_grant_ref.set_dom(ARG, <u16>dom);
  const rc = hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, va(ARG), 1, 0, 0);
  return rc < 0 ? rc.toString() : `${gnttab_map_grant_ref.status(ARG)} handle ${gnttab_map_grant_ref.handle(ARG)}`;
}

function unmapGrant(addr: usize, handle: u32): i64 {
  gnttab_unmap_grant_ref.set_host_addr(ARG, va(addr));
  gnttab_unmap_grant_ref.set_dev_bus_addr(ARG, 0);
  gnttab_unmap_grant_ref.set_handle(ARG, handle);
  const rc = hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_unmap_grant_ref, va(ARG), 1, 0, 0);
  return rc < 0 ? rc : gnttab_unmap_grant_ref.status(ARG);
}

/** Ends access to `ref` as a frontend does (flags to 0 unless in use): whether it succeeded. */
function endAccess(ref: u32): bool {
  const e = table + ref * grant_entry_v1.SIZE;
  const flags = flagsOf(ref);
  return (flags & (GTF_reading | GTF_writing)) == 0 && cmpxchg16(e, flags, 0) == flags;
}

export function start(startInfo: usize, memoryBase: u64): void {
  init(startInfo, memoryBase);
  const a = args();
  if (a[0] == "lend-many") {
    // bench/grant-map.ts: grants pages to domain a[1] as refs 8.., a[2] of them, then waits.
    setupTable(1);
    table = mapFrame(load<u64>(ARG + 64));
    const n = I32.parseInt(a[2]);
    for (let i = 0; i < n; i++) grant(8 + i, I32.parseInt(a[1]), page(), GTF_permit_access);
    waitFor(0, FOREVER);
  } else if (a[0] == "switch") {
    // bench/grant-map.ts: maps a[2] grants of domain a[1], then blocks a[3] times (one switch each).
    const n = I32.parseInt(a[2]);
    for (let i = 0; i < n; i++) {
      const r = mapGrant(I32.parseInt(a[1]), 8 + i, page());
      if (!r.startsWith("0 ")) print(`map ${i}: ${r}\n`);
    }
    bindTimer();
    const rounds = I32.parseInt(a[3]);
    for (let i = 0; i < rounds; i++) {
      block(now() + 1);
      scan(); // clears evtchn_upcall_pending, or the next block would return at once
    }
    print("switched\n");
    exit(0);
  } else if (a[0] == "lend") {
    // Grants a writable page to domain a[1]; while the peer maps it, checks its writes and the flags.
    const peer = I32.parseInt(a[1]);
    setupTable(1);
    table = mapFrame(load<u64>(ARG + 64));
    const data = page();
    for (let i = 0; i < 4096; i++) store<u8>(data + i, <u8>(i * 5));
    grant(8, peer, data, GTF_permit_access);
    const port = <u32>allocUnbound(peer);
    print("lent ref 8, port " + port.toString() + "\n");
    waitFor(port, FOREVER);
    print(`mapped: flags ${flagsOf(8)}, end access ${endAccess(8)}, peer wrote ${load<u8>(data + 7)}\n`);
    store<u8>(data + 9, 0x5a); // the peer must see this through its mapping
    send(port);
    waitFor(port, FOREVER);
    print(`unmapped: flags ${flagsOf(8)}, end access ${endAccess(8)}, byte 7 ${load<u8>(data + 7)}\n`);
    exit(0);
  } else if (a[0] == "borrow") {
    // Maps grant 8 of domain a[1] (its port a[2]), reads and writes through it, unmaps.
    const peer = I32.parseInt(a[1]);
    const at = page();
    store<u8>(at, 0x11); // the page's own contents, back after the unmap
    const result = mapGrant(peer, 8, at);
    let same = true;
    for (let i = 0; i < 4096; i++) if (load<u8>(at + i) != <u8>(i * 5)) same = false;
    store<u8>(at + 7, 0xab);
    const port = <u32>bindInterdomain(peer, I32.parseInt(a[2]));
    scan();
    take(port); // the event bind_interdomain raises on the new port itself, as Xen does
    print(`map ${result}, contents ${same ? "granted" : "wrong"}\n`);
    send(port);
    waitFor(port, FOREVER);
    const handle = gnttab_map_grant_ref.handle(ARG);
    print(`peer wrote ${load<u8>(at + 9)}, unmap ${unmapGrant(at, handle)}, own byte ${load<u8>(at)}, again ${unmapGrant(at, handle)}\n`);
    send(port);
    exit(0);
  }
  if (a[0] == "offer") {
    // Grants a page to domain a[1] and waits until it says it copied.
    setupTable(1);
    table = mapFrame(load<u64>(ARG + 64));
    const data = page();
    for (let i = 0; i < 4096; i++) store<u8>(data + i, <u8>(i * 3));
    grant(8, I32.parseInt(a[1]), data, GTF_permit_access | GTF_readonly);
    const port = <u32>allocUnbound(I32.parseInt(a[1]));
    print("offered ref 8, port " + port.toString() + "\n");
    waitFor(port, FOREVER);
    print("peer done, flags " + flagsOf(8).toString() + "\n");
    exit(0);
  } else if (a[0] == "take") {
    // Copies grant 8 of domain a[1] (guest to guest), then tells it on its port a[2].
    const peer = I32.parseInt(a[1]);
    const dst = page();
    const status = copyFromGrant(peer, 8, dst, 4096);
    let same = true;
    for (let i = 0; i < 4096; i++) if (load<u8>(dst + i) != <u8>(i * 3)) same = false;
    print("copied " + status.toString() + " same " + (same ? "1" : "0") + " not granted " + copyFromGrant(peer, 9, dst, 1).toString() + "\n");
    send(<u32>bindInterdomain(peer, I32.parseInt(a[2])));
    exit(0);
  }
  const self = <u32>I32.parseInt(a[1]);
  const other = <u32>I32.parseInt(a[2]);
  print("setup " + setupTable(1).toString() + "\n");
  table = mapFrame(load<u64>(ARG + 64));
  const data = page();
  const readonly = page();
  const mine = page();
  for (let i = 0; i < 4096; i++) store<u8>(data + i, <u8>(i * 7));
  grant(8, 0, data, GTF_permit_access);
  grant(9, 0, readonly, GTF_permit_access | GTF_readonly);
  grant(10, 5, data, GTF_permit_access);
  grant(12, self, mine, GTF_permit_access);
  // The guest's own GNTTABOP_copy: its frame into its own grant, and refused variants.
  const own = frame(data);
  print("self copy " + copyToGrant(DOMID_SELF, own, DOMID_SELF, 12, 100).toString() + " byte " + load<u8>(mine + 99).toString() + "\n");
  print("foreign source " + copyToGrant(other, own, DOMID_SELF, 12, 1).toString() + "\n");
  print("unowned frame " + copyToGrant(DOMID_SELF, (<u64>7 << 20) | 20, DOMID_SELF, 12, 1).toString() + "\n");
  print("read-only dest " + copyToGrant(DOMID_SELF, own, DOMID_SELF, 9, 1).toString() + "\n");
  // Exhaustion: more frames than the table may have.
  print("setup 65 " + setupTable(65).toString() + "\n");
  gnttab_query_size.set_dom(ARG, <u16>DOMID_SELF);
  hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, va(ARG), 1, 0, 0);
  print("size " + gnttab_query_size.nr_frames(ARG).toString() + " of " + gnttab_query_size.max_nr_frames(ARG).toString() + "\n");
  const port = <u32>allocUnbound(0);
  print("port " + port.toString() + "\n");
  // Domain 0 maps ref 8 and notifies: the flags say it is in use, so ending access must fail.
  waitFor(port, FOREVER);
  const old = cmpxchg16(table + 8 * grant_entry_v1.SIZE, GTF_permit_access, 0);
  print("mapped flags " + flagsOf(8).toString() + " end access saw " + old.toString() + " data " + String.UTF8.decodeUnsafe(data, 4) + "\n");
  waitFor(port, FOREVER);
  const after = cmpxchg16(table + 8 * grant_entry_v1.SIZE, GTF_permit_access, 0);
  print("unmapped flags before end " + after.toString() + " now " + flagsOf(8).toString() + "\n");
  send(port);
  exit(0);
}

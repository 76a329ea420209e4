// The hypercalls a guest may make, with Xen's argument checks and errnos.
// Pointers are guest virtual (MEMORY_BASE + linear offset): every one, nested
// ones too, is checked against linear memory before use (-EFAULT otherwise).
import type { Domain } from "./domain.ts";
import { DomainEnd } from "./errors.ts";
import { PAGE_SHIFT, PAGE_SIZE } from "./guest_memory.ts";
import { HOST_AREA_END, HYPERCALLS } from "./abi.ts";
import { type CopySide, grantCopy } from "./grant_table.ts";
import { get, get64, put, put64 } from "./layout.ts";
import { XEN_EFAULT, XEN_EINVAL, XEN_ENOENT, XEN_ENOSYS, XEN_EPERM, XEN_ETIME } from "./xen/errno.ts";
import * as ev from "./xen/event_channel.ts";
import * as gnt from "./xen/grant_table.ts";
import * as sched from "./xen/sched.ts";
import * as vcpu from "./xen/vcpu.ts";
import { XENVER_extraversion, XENVER_version } from "./xen/version.ts";
import * as xen from "./xen/xen.ts";

/** Xen 4.17, as XENVER_version reports it (major << 16 | minor). */
const XEN_VERSION = (4 << 16) | 17;
const XEN_EXTRAVERSION = ".0";
/** sizeof(xen_extraversion_t). */
const EXTRAVERSION_SIZE = 16;
const PAGE_PRESENT = 1n;
const PTE_MFN_MASK = 0x000f_ffff_ffff_f000n;
/** What a PTE may carry besides its frame, as boot/sandbox.c allows: present, rw, user, accessed, dirty, NX. */
const PTE_ALLOWED = PTE_MFN_MASK | 0x1n | 0x2n | 0x4n | 0x20n | 0x40n | (1n << 63n);
const UVMF_FLUSHTYPE_MASK = 3n;
type Field = { readonly offset: number; readonly type: string };
const SHUTDOWN_NAMES = ["poweroff", "reboot", "suspend", "crash", "watchdog"];

/** The allow-list both hosts share (scripts/abi-schema.js): the hypercall, and its sub-op where it has them. */
export function hypercallAllowed(op: number, cmd: bigint): boolean {
  const cmds = HYPERCALLS.get(op);
  return cmds === null || (cmds !== undefined && cmd <= 0xffff_ffffn && cmds.has(Number(cmd)));
}

/** Dispatches one hypercall; returns Xen's result (a negative errno on failure). */
export function hypercall(d: Domain, op: number, a1: bigint, a2: bigint, a3: bigint): number {
  if (!hypercallAllowed(op, a1)) return -XEN_ENOSYS;
  switch (op) {
    case xen.__HYPERVISOR_update_va_mapping: return updateVaMapping(d, a1, a2, a3);
    case xen.__HYPERVISOR_console_io: return consoleIo(d, Number(a1 & 0xffff_ffffn), Number(a2 & 0xffff_ffffn), a3);
    case xen.__HYPERVISOR_event_channel_op: return eventChannelOp(d, Number(a1 & 0xffff_ffffn), a2);
    case xen.__HYPERVISOR_grant_table_op: return grantTableOp(d, Number(a1 & 0xffff_ffffn), a2, Number(a3 & 0xffff_ffffn));
    case xen.__HYPERVISOR_vcpu_op: return vcpuOp(d, Number(a1 & 0xffff_ffffn), a2, a3);
    case xen.__HYPERVISOR_sched_op: return schedOp(d, Number(a1 & 0xffff_ffffn), a2);
    case xen.__HYPERVISOR_xen_version: return xenVersion(d, Number(a1 & 0xffff_ffffn), a2);
    default: return -XEN_ENOSYS;
  }
}

/** The linear offset of a guest buffer of `size` bytes, or -1 (the caller returns -EFAULT). */
function buffer(d: Domain, va: bigint, size: number): number {
  return d.mem.linear(va, size);
}

/**
 * update_va_mapping(va, pte, flags): puts one of the domain's special frames
 * over the page at `va` (or the page's own frame back). Only the domain's own
 * frames may be mapped; wasm memory cannot alias a RAM page elsewhere.
 */
function updateVaMapping(d: Domain, va: bigint, pte: bigint, flags: bigint): number {
  // A vCPU mask pointer in place of UVMF_LOCAL/UVMF_ALL is not supported: one vCPU.
  const scope = flags & ~UVMF_FLUSHTYPE_MASK;
  if (scope !== BigInt(xen.UVMF_LOCAL) && scope !== BigInt(xen.UVMF_ALL)) return -XEN_EINVAL;
  if (va % BigInt(PAGE_SIZE) !== 0n) return -XEN_EINVAL;
  const at = buffer(d, va, PAGE_SIZE);
  // The host area holds start_info and the Asyncify buffer: no special frame goes there.
  if (at < HOST_AREA_END) return -XEN_EINVAL;
  const page = at / PAGE_SIZE;
  if (!(pte & PAGE_PRESENT)) return d.mem.map(page, null) ? 0 : -XEN_EINVAL;
  if (pte & ~PTE_ALLOWED) return -XEN_EPERM;
  const mfn = Number((pte & PTE_MFN_MASK) >> BigInt(PAGE_SHIFT));
  if (!d.mem.frameBytes(mfn)) return -XEN_EPERM;
  // Another page's own frame: linear memory never aliases itself (-EPERM, as boot/sandbox.c).
  return d.mem.map(page, mfn) ? 0 : -XEN_EPERM;
}

/** console_io: the hardware domain's console; XSM refuses a domU on a release Xen. */
function consoleIo(d: Domain, cmd: number, count: number, va: bigint): number {
  if (!d.privileged) return -XEN_EPERM;
  const at = buffer(d, va, count);
  if (cmd === xen.CONSOLEIO_write) {
    if (at < 0) return -XEN_EFAULT;
    d.emitConsole(d.mem.bytes.slice(at, at + count));
    return 0;
  }
  if (cmd === xen.CONSOLEIO_read) {
    if (at < 0) return -XEN_EFAULT;
    const input = d.consoleInput.splice(0, count);
    d.mem.bytes.set(input, at);
    return input.length;
  }
  return -XEN_ENOSYS;
}

function eventChannelOp(d: Domain, cmd: number, arg: bigint): number {
  const hub = d.host.evtchn;
  const view = d.mem.view;
  const struct = (size: number): number => buffer(d, arg, size);
  switch (cmd) {
    case ev.EVTCHNOP_alloc_unbound: {
      const s = ev.evtchn_alloc_unbound;
      const at = struct(s.SIZE);
      if (at < 0) return -XEN_EFAULT;
      const port = hub.allocUnbound(d, get(view, at, s.dom), get(view, at, s.remote_dom));
      if (port < 0) return port;
      put(view, at, s.port, port);
      return 0;
    }
    case ev.EVTCHNOP_bind_interdomain: {
      const s = ev.evtchn_bind_interdomain;
      const at = struct(s.SIZE);
      if (at < 0) return -XEN_EFAULT;
      const port = hub.bindInterdomain(d, get(view, at, s.remote_dom), get(view, at, s.remote_port));
      if (port < 0) return port;
      put(view, at, s.local_port, port);
      return 0;
    }
    case ev.EVTCHNOP_bind_virq: {
      const s = ev.evtchn_bind_virq;
      const at = struct(s.SIZE);
      if (at < 0) return -XEN_EFAULT;
      const virq = get(view, at, s.virq);
      const port = hub.bindVirq(d, virq, get(view, at, s.vcpu));
      if (port < 0) return port;
      put(view, at, s.port, port);
      if (virq === xen.VIRQ_TIMER) d.armPeriodic();
      return 0;
    }
    case ev.EVTCHNOP_send:
    case ev.EVTCHNOP_close:
    case ev.EVTCHNOP_unmask: {
      const at = struct(ev.evtchn_send.SIZE);
      if (at < 0) return -XEN_EFAULT;
      const port = get(view, at, ev.evtchn_send.port);
      if (cmd === ev.EVTCHNOP_send) return hub.send(d, port);
      if (cmd === ev.EVTCHNOP_close) return hub.close(d, port);
      if (!d.evtchn.valid(port)) return -XEN_EINVAL;
      d.unmask(port);
      return 0;
    }
    case ev.EVTCHNOP_status: {
      const s = ev.evtchn_status;
      const at = struct(s.SIZE);
      if (at < 0) return -XEN_EFAULT;
      const status = hub.status(d, get(view, at, s.dom), get(view, at, s.port));
      if (typeof status === "number") return status;
      put(view, at, s.status, status.status);
      put(view, at, s.vcpu, status.vcpu);
      if (status.status === ev.EVTCHNSTAT_virq) put(view, at, s.u_virq, status.virq);
      else {
        put(view, at, s.u_interdomain_dom, status.remoteDomid);
        put(view, at, s.u_interdomain_port, status.remotePort);
      }
      return 0;
    }
    default:
      return -XEN_ENOSYS;
  }
}

function grantTableOp(d: Domain, cmd: number, uop: bigint, count: number): number {
  const view = d.mem.view;
  switch (cmd) {
    case gnt.GNTTABOP_setup_table: {
      const s = gnt.gnttab_setup_table;
      if (count !== 1) return -XEN_EINVAL;
      const at = buffer(d, uop, s.SIZE);
      if (at < 0) return -XEN_EFAULT;
      const nr = get(view, at, s.nr_frames);
      const list = buffer(d, get64(view, at, s.frame_list), nr * 8);
      if (list < 0) return -XEN_EFAULT;
      const target = grantTarget(d, get(view, at, s.dom));
      if (typeof target === "number") put(view, at, s.status, target);
      else if (!target.grants.grow(nr)) put(view, at, s.status, gnt.GNTST_general_error);
      else {
        for (let i = 0; i < nr; i++) view.setBigUint64(list + i * 8, BigInt(target.grants.frames[i].mfn), true);
        put(view, at, s.status, gnt.GNTST_okay);
      }
      return 0;
    }
    case gnt.GNTTABOP_query_size: {
      const s = gnt.gnttab_query_size;
      if (count !== 1) return -XEN_EINVAL;
      const at = buffer(d, uop, s.SIZE);
      if (at < 0) return -XEN_EFAULT;
      const target = grantTarget(d, get(view, at, s.dom));
      if (typeof target === "number") put(view, at, s.status, target);
      else {
        put(view, at, s.nr_frames, target.grants.frames.length);
        put(view, at, s.max_nr_frames, target.grants.maxFrames);
        put(view, at, s.status, gnt.GNTST_okay);
      }
      return 0;
    }
    case gnt.GNTTABOP_copy: {
      const s = gnt.gnttab_copy;
      const base = buffer(d, uop, count * s.SIZE);
      if (base < 0) return -XEN_EFAULT;
      const lookup = (domid: number) => d.host.grantDomain(domid);
      const ops: { source: CopySide; dest: CopySide; len: number }[] = [];
      for (let i = 0; i < count; i++) {
        const at = base + i * s.SIZE;
        const flags = get(view, at, s.flags);
        if (flags & ~(gnt.GNTCOPY_source_gref | gnt.GNTCOPY_dest_gref)) return -XEN_EPERM;
        const side = (gref: boolean, ref: Field, gmfn: Field, domid: Field, offset: Field) => ({
          gref, ref: gref ? get(view, at, ref) : Number(get64(view, at, gmfn)), domid: get(view, at, domid), offset: get(view, at, offset),
        });
        const source = side((flags & gnt.GNTCOPY_source_gref) !== 0, s.source_u_ref, s.source_u_gmfn, s.source_domid, s.source_offset);
        const dest = side((flags & gnt.GNTCOPY_dest_gref) !== 0, s.dest_u_ref, s.dest_u_gmfn, s.dest_domid, s.dest_offset);
        if (!copySideSafe(d, source) || !copySideSafe(d, dest)) return -XEN_EPERM;
        ops.push({ source, dest, len: get(view, at, s.len) });
      }
      // The caller's writes through its own mappings reach their granters' frames first.
      d.maps.copyOut();
      ops.forEach((op, i) => put(view, base + i * s.SIZE, s.status, grantCopy(lookup, d, op.source, op.dest, op.len)));
      d.maps.copyIn();
      return 0;
    }
    case gnt.GNTTABOP_map_grant_ref: {
      const s = gnt.gnttab_map_grant_ref;
      const base = buffer(d, uop, count * s.SIZE);
      if (base < 0) return -XEN_EFAULT;
      const pages: number[] = [];
      for (let i = 0; i < count; i++) {
        const at = base + i * s.SIZE;
        const page = mappablePage(d, get64(view, at, s.host_addr));
        const own = ownDomain(d, get(view, at, s.dom));
        if ((get(view, at, s.flags) & ~gnt.GNTMAP_readonly) !== gnt.GNTMAP_host_map || page < 0 || (own && !ownGrantSafe(d, get(view, at, s.ref)))) {
          return -XEN_EPERM;
        }
        pages.push(page);
      }
      for (let i = 0; i < count; i++) {
        const at = base + i * s.SIZE;
        const dom = get(view, at, s.dom);
        // map_grant_ref names the granter by id: DOMID_SELF is refused, as by Xen.
        const granter = dom === xen.DOMID_SELF ? undefined : d.host.grantDomain(dom);
        const { status, handle } = granter
          ? d.maps.map(granter, get(view, at, s.ref), pages[i], (get(view, at, s.flags) & gnt.GNTMAP_readonly) !== 0)
          : { status: gnt.GNTST_bad_domain, handle: 0 };
        put(view, at, s.status, status);
        put(view, at, s.handle, handle);
        put64(view, at, s.dev_bus_addr, 0n);
      }
      return 0;
    }
    case gnt.GNTTABOP_unmap_grant_ref: {
      const s = gnt.gnttab_unmap_grant_ref;
      const base = buffer(d, uop, count * s.SIZE);
      if (base < 0) return -XEN_EFAULT;
      const pages: number[] = [];
      for (let i = 0; i < count; i++) {
        const at = base + i * s.SIZE;
        const page = mappablePage(d, get64(view, at, s.host_addr));
        if (page < 0 || get64(view, at, s.dev_bus_addr) !== 0n) return -XEN_EPERM;
        pages.push(page);
      }
      pages.forEach((page, i) => put(view, base + i * s.SIZE, s.status, d.maps.unmap(page, get(view, base + i * s.SIZE, s.handle))));
      return 0;
    }
    default:
      return -XEN_ENOSYS;
  }
}

// The grant checks boot/sandbox.c makes before Xen sees an op (an unsafe element refuses the whole
// call with -EPERM): on both hosts a guest's grant operations only ever reach its own RAM.

function ownDomain(d: Domain, dom: number): boolean {
  return dom === xen.DOMID_SELF || dom === d.domid;
}

/** The linear page of a page-aligned guest address in linear memory, or -1. */
function mappablePage(d: Domain, va: bigint): number {
  if (va % BigInt(PAGE_SIZE) !== 0n) return -1;
  const at = buffer(d, va, PAGE_SIZE);
  return at < 0 ? -1 : at / PAGE_SIZE;
}

/** The domain's own grant `ref` may only ever show a frame of its RAM (the sandbox's own_grant_safe). */
function ownGrantSafe(d: Domain, ref: number): boolean {
  const entry = d.grants.entry(ref);
  return !entry || (entry.flags & gnt.GTF_type_mask) !== gnt.GTF_permit_access || d.mem.isRamFrame(entry.frame);
}

/** A side of a copy: a frame of the caller's RAM, or a grant (the caller's own only of its RAM). */
function copySideSafe(d: Domain, side: CopySide): boolean {
  if (side.offset >= PAGE_SIZE) return false;
  if (side.gref) return !ownDomain(d, side.domid) || ownGrantSafe(d, side.ref);
  return ownDomain(d, side.domid) && d.mem.isRamFrame(side.ref);
}

/** The domain whose table an op names: itself, or any for a privileged caller. */
function grantTarget(d: Domain, dom: number): Domain | number {
  const target = dom === xen.DOMID_SELF || dom === d.domid ? d : d.host.grantDomain(dom);
  if (!target) return gnt.GNTST_bad_domain;
  if (target !== d && !d.privileged) return gnt.GNTST_permission_denied;
  return target;
}

function vcpuOp(d: Domain, cmd: number, vcpuid: bigint, arg: bigint): number {
  if (vcpuid !== 0n) return -XEN_ENOENT;
  switch (cmd) {
    case vcpu.VCPUOP_stop_periodic_timer:
      d.stopPeriodic();
      return 0;
    case vcpu.VCPUOP_set_singleshot_timer: {
      const s = vcpu.vcpu_set_singleshot_timer;
      const at = buffer(d, arg, s.SIZE);
      if (at < 0) return -XEN_EFAULT;
      const timeout = get64(d.mem.view, at, s.timeout_abs_ns);
      if (get(d.mem.view, at, s.flags) & vcpu.VCPU_SSHOTTMR_future && timeout < d.host.now()) return -XEN_ETIME;
      d.setSingleshot(timeout);
      return 0;
    }
    case vcpu.VCPUOP_stop_singleshot_timer:
      d.stopSingleshot();
      return 0;
    default:
      return -XEN_ENOSYS;
  }
}

function schedOp(d: Domain, cmd: number, arg: bigint): number {
  switch (cmd) {
    case sched.SCHEDOP_yield:
      return 0;
    case sched.SCHEDOP_shutdown: {
      const at = buffer(d, arg, sched.sched_shutdown.SIZE);
      if (at < 0) return -XEN_EFAULT;
      const reason = get(d.mem.view, at, sched.sched_shutdown.reason);
      if (reason === sched.SHUTDOWN_poweroff) throw new DomainEnd({ kind: "exit", status: 0 });
      throw new DomainEnd({ kind: "error", message: `shutdown: ${SHUTDOWN_NAMES[reason] ?? `reason ${reason}`}` });
    }
    default:
      return -XEN_ENOSYS;
  }
}

function xenVersion(d: Domain, cmd: number, arg: bigint): number {
  if (cmd === XENVER_version) return XEN_VERSION;
  if (cmd === XENVER_extraversion) {
    const at = buffer(d, arg, EXTRAVERSION_SIZE);
    if (at < 0) return -XEN_EFAULT;
    d.mem.bytes.fill(0, at, at + EXTRAVERSION_SIZE);
    d.mem.bytes.set(new TextEncoder().encode(XEN_EXTRAVERSION), at);
    return 0;
  }
  return -XEN_ENOSYS;
}

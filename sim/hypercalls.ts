// The hypercalls a guest may make, with Xen's argument checks and errnos.
// Pointers are guest virtual (MEMORY_BASE + linear offset): every one, nested
// ones too, is checked against linear memory before use (-EFAULT otherwise).
import type { Domain } from "./domain.ts";
import { DomainEnd } from "./errors.ts";
import { PAGE_SHIFT, PAGE_SIZE } from "./guest_memory.ts";
import { HOST_AREA_END } from "./abi.ts";
import { grantCopy } from "./grant_table.ts";
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
const UVMF_FLUSHTYPE_MASK = 3n;
type Field = { readonly offset: number; readonly type: string };
const SHUTDOWN_NAMES = ["poweroff", "reboot", "suspend", "crash", "watchdog"];

/** Dispatches one hypercall; returns Xen's result (a negative errno on failure). */
export function hypercall(d: Domain, op: number, a1: bigint, a2: bigint, a3: bigint): number {
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
  const mfn = Number((pte & PTE_MFN_MASK) >> BigInt(PAGE_SHIFT));
  if (!d.mem.frameBytes(mfn)) return -XEN_EPERM;
  return d.mem.map(page, mfn) ? 0 : -XEN_EINVAL;
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
      for (let i = 0; i < count; i++) {
        const at = base + i * s.SIZE;
        const flags = get(view, at, s.flags);
        const side = (gref: boolean, ref: Field, gmfn: Field, domid: Field, offset: Field) => ({
          gref, ref: gref ? get(view, at, ref) : Number(get64(view, at, gmfn)), domid: get(view, at, domid), offset: get(view, at, offset),
        });
        const source = side((flags & gnt.GNTCOPY_source_gref) !== 0, s.source_u_ref, s.source_u_gmfn, s.source_domid, s.source_offset);
        const dest = side((flags & gnt.GNTCOPY_dest_gref) !== 0, s.dest_u_ref, s.dest_u_gmfn, s.dest_domid, s.dest_offset);
        put(view, at, s.status, grantCopy(lookup, d, source, dest, get(view, at, s.len)));
      }
      return 0;
    }
    case gnt.GNTTABOP_map_grant_ref: {
      // One wasm memory cannot show another page at an address: only the simulator's backends map grants (as XSM refusing).
      const s = gnt.gnttab_map_grant_ref;
      const base = buffer(d, uop, count * s.SIZE);
      if (base < 0) return -XEN_EFAULT;
      for (let i = 0; i < count; i++) {
        const at = base + i * s.SIZE;
        const status = (get(view, at, s.flags) & (gnt.GNTMAP_device_map | gnt.GNTMAP_host_map)) === 0
          ? gnt.GNTST_bad_gntref
          : typeof grantTarget(d, get(view, at, s.dom)) === "number" ? gnt.GNTST_bad_domain : gnt.GNTST_permission_denied;
        put(view, at, s.status, status);
      }
      return 0;
    }
    case gnt.GNTTABOP_unmap_grant_ref: {
      const s = gnt.gnttab_unmap_grant_ref;
      const base = buffer(d, uop, count * s.SIZE);
      if (base < 0) return -XEN_EFAULT;
      for (let i = 0; i < count; i++) put(view, base + i * s.SIZE, s.status, gnt.GNTST_bad_handle);
      return 0;
    }
    default:
      return -XEN_ENOSYS;
  }
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
    case sched.SCHEDOP_block:
    case sched.SCHEDOP_poll:
      // Waiting goes through the `block` import, which unwinds the guest (runtime/platform.ts).
      return -XEN_EINVAL;
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

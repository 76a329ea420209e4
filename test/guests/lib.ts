// A minimal guest toolkit for the simulator's tests: raw platform imports,
// no Morgana core, so each test sees exactly the hypercalls it makes.
import { block, exit, fetch_and64, hypercall, rdtsc, wmb, xchg64 } from "morgana/runtime/platform";
import { EVTCHNOP_alloc_unbound, EVTCHNOP_bind_interdomain, EVTCHNOP_bind_virq, EVTCHNOP_close, EVTCHNOP_send, EVTCHNOP_unmask, evtchn_alloc_unbound, evtchn_bind_interdomain, evtchn_bind_virq, evtchn_send } from "morgana/runtime/xen/event_channel";
import { xencons_interface } from "morgana/runtime/xen/io/console";
import { VCPUOP_stop_periodic_timer } from "morgana/runtime/xen/vcpu";
import {
  CONSOLEIO_write, DOMID_SELF, SIF_INITDOMAIN, UVMF_INVLPG, VIRQ_TIMER, __HYPERVISOR_console_io,
  __HYPERVISOR_event_channel_op, __HYPERVISOR_update_va_mapping, __HYPERVISOR_vcpu_op, shared_info, start_info,
  vcpu_info, vcpu_time_info,
} from "morgana/runtime/xen/xen";

/** AssemblyScript's abort (the test build routes it here). */
export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  exit(99);
}

export const FOREVER: u64 = 0xffff_ffff_ffff_ffff;
export let memoryBase: u64 = 0;
export let startInfo: usize = 0;
export let shared: usize = 0;
/** The console page (domU) and its event channel. */
export let ring: usize = 0;
export let consolePort: u32 = 0;
/** Pages to map special frames over. */
const PAGES = memory.data(96 * 4096, 4096); // bench/grant-map.ts maps 64
let nextPage = 0;
/** Hypercall argument structs. */
export const ARG = memory.data(256, 8);
/** Events taken from shared_info by `scan`, not yet consumed by `take`. */
const taken = memory.data(64 * 8, 8);

export function va(p: usize): u64 {
  return memoryBase + <u64>p;
}

export function page(): usize {
  return PAGES + <usize>(nextPage++) * 4096;
}

/** Maps a machine frame over a fresh page; returns the page. */
export function mapFrame(mfn: u64): usize {
  const p = page();
  if (hypercall(__HYPERVISOR_update_va_mapping, va(p), (mfn << 12) | 3, UVMF_INVLPG, 0, 0) != 0) exit(100);
  return p;
}

export function init(info: usize, base: u64): void {
  memoryBase = base;
  startInfo = info;
  shared = mapFrame(start_info.shared_info(info) >> 12);
  if ((start_info.flags(info) & SIF_INITDOMAIN) == 0) {
    ring = mapFrame(start_info.console_domU_mfn(info));
    consolePort = start_info.console_domU_evtchn(info);
  }
}

/** The command line's words. */
export function args(): string[] {
  return String.UTF8.decodeUnsafe(start_info.cmd_line(startInfo, 0), 1024, true).split(" ");
}

/** Output: the console ring (waiting for space, never dropping), or console_io for dom0. */
export function print(s: string): void {
  const buf = String.UTF8.encode(s);
  const p = changetype<usize>(buf);
  const n = <u32>buf.byteLength;
  if (ring == 0) {
    hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, n, va(p), 0, 0);
    return;
  }
  let i: u32 = 0;
  while (i < n) {
    const cons = xencons_interface.out_cons(ring);
    const prod = xencons_interface.out_prod(ring);
    const space: u32 = 2048 - (prod - cons);
    if (space == 0) {
      send(consolePort);
      waitFor(consolePort, FOREVER);
      continue;
    }
    const k = min(space, n - i);
    for (let j: u32 = 0; j < k; j++) store<u8>(xencons_interface.out(ring, (prod + j) & 2047), load<u8>(p + i + j));
    wmb();
    xencons_interface.set_out_prod(ring, prod + k);
    send(consolePort);
    i += k;
  }
}

export function evtchnOp(cmd: u32): i64 {
  return hypercall(__HYPERVISOR_event_channel_op, cmd, va(ARG), 0, 0, 0);
}

export function allocUnbound(remote: u32): i64 {
  evtchn_alloc_unbound.set_dom(ARG, <u16>DOMID_SELF);
  evtchn_alloc_unbound.set_remote_dom(ARG, <u16>remote);
  const rc = evtchnOp(EVTCHNOP_alloc_unbound);
  return rc < 0 ? rc : evtchn_alloc_unbound.port(ARG);
}

export function bindInterdomain(remote: u32, remotePort: u32): i64 {
  evtchn_bind_interdomain.set_remote_dom(ARG, <u16>remote);
  evtchn_bind_interdomain.set_remote_port(ARG, remotePort);
  const rc = evtchnOp(EVTCHNOP_bind_interdomain);
  return rc < 0 ? rc : evtchn_bind_interdomain.local_port(ARG);
}

export function portOp(cmd: u32, port: u32): i64 {
  evtchn_send.set_port(ARG, port);
  return evtchnOp(cmd);
}

export function send(port: u32): i64 {
  return portOp(EVTCHNOP_send, port);
}

export function unmask(port: u32): i64 {
  return portOp(EVTCHNOP_unmask, port);
}

export function close(port: u32): i64 {
  return portOp(EVTCHNOP_close, port);
}

/** Stops the boot-time periodic timer and binds VIRQ_TIMER, as a guest must before a timed block. */
export function bindTimer(): i64 {
  hypercall(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 0, 0, 0, 0);
  evtchn_bind_virq.set_virq(ARG, VIRQ_TIMER);
  evtchn_bind_virq.set_vcpu(ARG, 0);
  const rc = evtchnOp(EVTCHNOP_bind_virq);
  return rc < 0 ? rc : evtchn_bind_virq.port(ARG);
}

export function vcpu0(): usize {
  return shared_info.vcpu_info(shared, 0);
}

/** Moves pending, unmasked events out of shared_info (the 2-level scan). */
export function scan(): void {
  vcpu_info.set_evtchn_upcall_pending(vcpu0(), 0);
  let sel = xchg64(vcpu0() + vcpu_info.OFFSET_evtchn_pending_sel, 0);
  while (sel != 0) {
    const w = <u32>ctz(sel);
    sel &= sel - 1;
    const bits = load<u64>(shared_info.evtchn_pending(shared, w)) & ~load<u64>(shared_info.evtchn_mask(shared, w));
    fetch_and64(shared_info.evtchn_pending(shared, w), ~bits);
    store<u64>(taken + w * 8, load<u64>(taken + w * 8) | bits);
  }
}

/** Consumes a scanned event of `port`. */
export function take(port: u32): bool {
  const at = taken + (port >> 6) * 8;
  const bit: u64 = 1 << (port & 63);
  const hit = (load<u64>(at) & bit) != 0;
  store<u64>(at, load<u64>(at) & ~bit);
  return hit;
}

/** Waits for an event on `port` until `deadline`; false on timeout. */
export function waitFor(port: u32, deadline: u64): bool {
  scan();
  while (!take(port)) {
    if (deadline != FOREVER && now() >= deadline) return false;
    block(deadline);
    scan();
  }
  return true;
}

/** pvclock: system time from vcpu_time_info and the TSC (a 128-bit product, as Xen's guests do). */
export function now(): u64 {
  const t = vcpu_info.time(vcpu0());
  let version: u32 = 0;
  let time: u64 = 0;
  do {
    version = vcpu_time_info.version(t);
    let delta = rdtsc() - vcpu_time_info.tsc_timestamp(t);
    const shift = vcpu_time_info.tsc_shift(t);
    delta = shift >= 0 ? delta << <u64>shift : delta >> <u64>(-shift);
    const mul = <u64>vcpu_time_info.tsc_to_system_mul(t);
    time = vcpu_time_info.system_time(t) + (delta >> 32) * mul + (((delta & 0xffff_ffff) * mul) >> 32);
  } while ((version & 1) != 0 || version != vcpu_time_info.version(t));
  return time;
}

// Event channels, 2-level ABI (xen/event_channel.h). The core runs with upcalls
// masked: it scans the pending bitmaps itself (dispatchEvents) from the
// scheduler loop, clearing each pending bit before its handler runs so that an
// event arriving meanwhile is seen on the next scan, never lost.
import { fetch_and64, fetch_or64, xchg64, mb } from "../platform";
import {
  EVTCHNOP_alloc_unbound, EVTCHNOP_bind_interdomain, EVTCHNOP_bind_virq, EVTCHNOP_close,
  EVTCHNOP_send, EVTCHNOP_status, EVTCHNOP_unmask, EVTCHNSTAT_unbound,
  evtchn_alloc_unbound, evtchn_bind_interdomain, evtchn_bind_virq, evtchn_close, evtchn_send,
  evtchn_status, evtchn_unmask,
} from "../xen/event_channel";
import { DOMID_SELF, shared_info, vcpu_info } from "../xen/xen";
import { HYPERVISOR_event_channel_op, scratch } from "./hypercall";

/** Receives the events of the ports it is bound to (AssemblyScript has no closures). */
export abstract class EventHandler {
  abstract onEvent(port: u32): void;
}

/** Ports of the 2-level ABI on x86_64: 64 words of 64 bits. */
export const NR_EVENT_CHANNELS: u32 = 4096;

let sharedInfo: usize = 0;
const handlers: StaticArray<EventHandler | null> = new StaticArray<EventHandler | null>(NR_EVENT_CHANNELS);
let dispatched: u64 = 0;

/** Called once at boot with the mapped shared_info: every port starts masked. */
export function initEvents(si: usize): void {
  sharedInfo = si;
  for (let i: u32 = 0; i < shared_info.LENGTH_evtchn_mask; i++) {
    store<u64>(shared_info.evtchn_mask(si, i), U64.MAX_VALUE);
  }
  const vcpu = shared_info.vcpu_info(si, 0);
  vcpu_info.set_evtchn_upcall_mask(vcpu, 1);
}

export function sharedInfoPage(): usize {
  return sharedInfo;
}

/** Whether Xen has flagged an event for vCPU 0 since the last scan. */
export function eventsPending(): bool {
  return vcpu_info.evtchn_upcall_pending(shared_info.vcpu_info(sharedInfo, 0)) != 0;
}

/** Runs the handler of every pending, unmasked port; returns how many ran. */
export function dispatchEvents(): u32 {
  const vcpu = shared_info.vcpu_info(sharedInfo, 0);
  let ran: u32 = 0;
  while (vcpu_info.evtchn_upcall_pending(vcpu)) {
    vcpu_info.set_evtchn_upcall_pending(vcpu, 0);
    mb(); // clear the flag before taking the selector, as Xen sets them in the other order
    let sel = xchg64(vcpu + vcpu_info.OFFSET_evtchn_pending_sel, 0);
    while (sel) {
      const word = <u32>ctz(sel);
      sel &= sel - 1;
      const pendingAt = shared_info.evtchn_pending(sharedInfo, word);
      let bits = load<u64>(pendingAt) & ~load<u64>(shared_info.evtchn_mask(sharedInfo, word));
      while (bits) {
        const bit = <u32>ctz(bits);
        bits &= bits - 1;
        fetch_and64(pendingAt, ~(<u64>1 << bit));
        const port = (word << 6) | bit;
        const handler = unchecked(handlers[port]);
        if (handler) handler.onEvent(port);
        ran++;
      }
    }
  }
  dispatched += ran;
  return ran;
}

/** Events handled since boot. */
export function eventsDispatched(): u64 {
  return dispatched;
}

/** Binds `handler` to `port` and unmasks it (a pending event is then delivered). */
export function bindHandler(port: u32, handler: EventHandler): void {
  assert(port < NR_EVENT_CHANNELS, "bindHandler: port out of range");
  unchecked((handlers[port] = handler));
  unmask(port);
}

/** Masks `port` and forgets its handler; the port itself stays open. */
export function unbindHandler(port: u32): void {
  if (port >= NR_EVENT_CHANNELS) return;
  mask(port);
  unchecked((handlers[port] = null));
}

export function mask(port: u32): void {
  fetch_or64(shared_info.evtchn_mask(sharedInfo, port >> 6), <u64>1 << (port & 63));
}

/** EVTCHNOP_unmask: Xen re-raises an event that became pending while masked. */
export function unmask(port: u32): i64 {
  evtchn_unmask.set_port(scratch, port);
  return HYPERVISOR_event_channel_op(EVTCHNOP_unmask, scratch);
}

/** A new port that domain `remoteDom` may bind to; negative errno on failure. */
export function evtchnAllocUnbound(remoteDom: u16): i64 {
  evtchn_alloc_unbound.set_dom(scratch, <u16>DOMID_SELF);
  evtchn_alloc_unbound.set_remote_dom(scratch, remoteDom);
  const rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, scratch);
  return rc < 0 ? rc : <i64>evtchn_alloc_unbound.port(scratch);
}

/** The local port connected to `remotePort` of `remoteDom`; negative errno on failure. */
export function evtchnBindInterdomain(remoteDom: u16, remotePort: u32): i64 {
  evtchn_bind_interdomain.set_remote_dom(scratch, remoteDom);
  evtchn_bind_interdomain.set_remote_port(scratch, remotePort);
  const rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, scratch);
  return rc < 0 ? rc : <i64>evtchn_bind_interdomain.local_port(scratch);
}

/** The port of virtual IRQ `virq` on vCPU 0; negative errno on failure. */
export function evtchnBindVirq(virq: u32): i64 {
  evtchn_bind_virq.set_virq(scratch, virq);
  evtchn_bind_virq.set_vcpu(scratch, 0);
  const rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, scratch);
  return rc < 0 ? rc : <i64>evtchn_bind_virq.port(scratch);
}

export function evtchnSend(port: u32): i64 {
  evtchn_send.set_port(scratch, port);
  return HYPERVISOR_event_channel_op(EVTCHNOP_send, scratch);
}

/** Closes `port`, masking it and dropping its handler first. */
export function evtchnClose(port: u32): i64 {
  unbindHandler(port);
  evtchn_close.set_port(scratch, port);
  return HYPERVISOR_event_channel_op(EVTCHNOP_close, scratch);
}

/** What EVTCHNOP_status says of a port. */
export class EvtchnStatus {
  status: u32 = 0; // EVTCHNSTAT_*
  vcpu: u32 = 0;
  remoteDom: u16 = 0; // unbound and interdomain ports
  remotePort: u32 = 0; // interdomain ports
  virq: u32 = 0; // virq ports
}

/** EVTCHNOP_status of one of this domain's ports into `out`; 0 or a negative errno. */
export function evtchnStatus(port: u32, out: EvtchnStatus): i64 {
  evtchn_status.set_dom(scratch, <u16>DOMID_SELF);
  evtchn_status.set_port(scratch, port);
  const rc = HYPERVISOR_event_channel_op(EVTCHNOP_status, scratch);
  if (rc < 0) return rc;
  out.status = evtchn_status.status(scratch);
  out.vcpu = evtchn_status.vcpu(scratch);
  out.remoteDom = out.status == EVTCHNSTAT_unbound ? evtchn_status.u_unbound_dom(scratch) : evtchn_status.u_interdomain_dom(scratch);
  out.remotePort = evtchn_status.u_interdomain_port(scratch);
  out.virq = evtchn_status.u_virq(scratch);
  return 0;
}

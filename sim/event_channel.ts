// Event channels (xen/common/event_channel.c semantics): per-domain port
// tables, interdomain binding, VIRQs, send and close, with Xen's errnos.
import { XEN_EEXIST, XEN_EINVAL, XEN_ENOENT, XEN_ENOSPC, XEN_EPERM, XEN_ESRCH } from "./xen/errno.ts";
import {
  EVTCHNSTAT_closed, EVTCHNSTAT_interdomain, EVTCHNSTAT_unbound, EVTCHNSTAT_virq,
} from "./xen/event_channel.ts";
import { DOMID_SELF, NR_VIRQS, VIRQ_TIMER } from "./xen/xen.ts";

/** The 2-level ABI's limit: 64 words of 64 bits (BITS_PER_EVTCHN_WORD squared). */
export const EVTCHN_2L_NR_CHANNELS = 4096;
/** Ports per guest by default, like xl's max_event_channels (1023, plus port 0). */
export const DEFAULT_MAX_EVTCHNS = 1024;

type Channel =
  | { state: "reserved" }
  | { state: "unbound"; remoteDomid: number }
  | { state: "interdomain"; remoteDomid: number; remotePort: number }
  | { state: "virq"; virq: number };

export class EventChannels {
  private readonly channels: (Channel | undefined)[] = [{ state: "reserved" }];
  /** No port below this is free: allocation scans from here. */
  private lowestFree = 1;
  readonly virqs = new Map<number, number>();

  constructor(readonly max: number) {}

  valid(port: number): boolean {
    return Number.isInteger(port) && port >= 0 && port < this.max;
  }

  get(port: number): Channel | undefined {
    return this.valid(port) ? this.channels[port] : undefined;
  }

  set(port: number, channel: Channel | undefined): void {
    this.channels[port] = channel;
    if (!channel && port < this.lowestFree) this.lowestFree = port;
  }

  /** The lowest free port, or -ENOSPC (get_free_port). */
  alloc(): number {
    for (let port = this.lowestFree; port < this.max; port++) {
      if (!this.channels[port]) {
        this.lowestFree = port + 1;
        return port;
      }
    }
    this.lowestFree = this.max;
    return -XEN_ENOSPC;
  }

  /** Ports in use, port 0 excluded. */
  openPorts(): number[] {
    const ports: number[] = [];
    this.channels.forEach((c, port) => c && c.state !== "reserved" && ports.push(port));
    return ports;
  }
}

/** A domain as event channels see it: a guest or the simulator's own domain 0. */
export interface EvtchnOwner {
  readonly domid: number;
  readonly privileged: boolean;
  readonly evtchn: EventChannels;
  /** Marks the port pending and notifies (2-level ABI for guests). */
  setPending(port: number): void;
  /** Forgets a pending event of a port being closed (evtchn_port_clear_pending). */
  clearPending(port: number): void;
}

export interface EvtchnStatus {
  status: number;
  vcpu: number;
  remoteDomid: number;
  remotePort: number;
  virq: number;
}

export class EventChannelHub {
  constructor(private readonly lookup: (domid: number) => EvtchnOwner | undefined) {}

  private domain(ld: EvtchnOwner, domid: number): EvtchnOwner | undefined {
    return domid === DOMID_SELF || domid === ld.domid ? ld : this.lookup(domid);
  }

  /** EVTCHNOP_alloc_unbound: a port of `dom` that `remoteDom` may bind. */
  allocUnbound(ld: EvtchnOwner, dom: number, remoteDom: number): number {
    const d = this.domain(ld, dom);
    if (!d) return -XEN_ESRCH;
    if (d !== ld && !ld.privileged) return -XEN_EPERM;
    const port = d.evtchn.alloc();
    if (port < 0) return port;
    d.evtchn.set(port, { state: "unbound", remoteDomid: remoteDom === DOMID_SELF ? ld.domid : remoteDom });
    return port;
  }

  /** EVTCHNOP_bind_interdomain: binds a new local port to `remoteDom`'s unbound port offered to us. */
  bindInterdomain(ld: EvtchnOwner, remoteDom: number, remotePort: number): number {
    const rd = this.domain(ld, remoteDom);
    if (!rd) return -XEN_ESRCH;
    const rchn = rd.evtchn.get(remotePort);
    if (!rchn || rchn.state !== "unbound" || rchn.remoteDomid !== ld.domid) return -XEN_EINVAL;
    const port = ld.evtchn.alloc();
    if (port < 0) return port;
    ld.evtchn.set(port, { state: "interdomain", remoteDomid: rd.domid, remotePort });
    rd.evtchn.set(remotePort, { state: "interdomain", remoteDomid: ld.domid, remotePort: port });
    // Xen marks the new port pending: a notification sent while the remote port was unbound is not lost.
    ld.setPending(port);
    return port;
  }

  /** EVTCHNOP_bind_virq (vCPU 0 only: domains here have one vCPU). */
  bindVirq(ld: EvtchnOwner, virq: number, vcpu: number): number {
    if (!Number.isInteger(virq) || virq < 0 || virq >= NR_VIRQS) return -XEN_EINVAL;
    if (vcpu !== 0) return -XEN_ENOENT;
    if (ld.evtchn.virqs.has(virq)) return -XEN_EEXIST;
    const port = ld.evtchn.alloc();
    if (port < 0) return port;
    ld.evtchn.set(port, { state: "virq", virq });
    ld.evtchn.virqs.set(virq, port);
    return port;
  }

  /** EVTCHNOP_send: an unbound port drops the event, as Xen does. */
  send(ld: EvtchnOwner, port: number): number {
    const chn = ld.evtchn.get(port);
    if (!chn) return -XEN_EINVAL;
    if (chn.state === "unbound") return 0;
    if (chn.state !== "interdomain") return -XEN_EINVAL;
    this.lookup(chn.remoteDomid)?.setPending(chn.remotePort);
    return 0;
  }

  /** Delivers a VIRQ if the domain bound it; returns whether it did. */
  raiseVirq(ld: EvtchnOwner, virq: number): boolean {
    const port = ld.evtchn.virqs.get(virq);
    if (port === undefined) return false;
    ld.setPending(port);
    return true;
  }

  /** EVTCHNOP_close: the remote end of an interdomain channel becomes unbound again. */
  close(ld: EvtchnOwner, port: number): number {
    const chn = ld.evtchn.get(port);
    if (!chn || chn.state === "reserved") return -XEN_EINVAL;
    if (chn.state === "virq") ld.evtchn.virqs.delete(chn.virq);
    if (chn.state === "interdomain") {
      const rd = this.lookup(chn.remoteDomid);
      const rchn = rd?.evtchn.get(chn.remotePort);
      if (rd && rchn?.state === "interdomain" && rchn.remoteDomid === ld.domid && rchn.remotePort === port) {
        rd.evtchn.set(chn.remotePort, { state: "unbound", remoteDomid: ld.domid });
      }
    }
    ld.clearPending(port);
    ld.evtchn.set(port, undefined);
    return 0;
  }

  /** Closes every port of a domain that ends (evtchn_destroy). */
  closeAll(ld: EvtchnOwner): void {
    for (const port of ld.evtchn.openPorts()) this.close(ld, port);
  }

  /** EVTCHNOP_status of `dom`'s port: a domain may ask about itself, a privileged one about any. */
  status(ld: EvtchnOwner, dom: number, port: number): EvtchnStatus | number {
    const d = this.domain(ld, dom);
    if (!d) return -XEN_ESRCH;
    if (d !== ld && !ld.privileged) return -XEN_EPERM;
    if (!d.evtchn.valid(port)) return -XEN_EINVAL;
    const chn = d.evtchn.get(port);
    const out: EvtchnStatus = { status: EVTCHNSTAT_closed, vcpu: 0, remoteDomid: 0, remotePort: 0, virq: 0 };
    if (!chn || chn.state === "reserved") return out;
    if (chn.state === "unbound") return { ...out, status: EVTCHNSTAT_unbound, remoteDomid: chn.remoteDomid };
    if (chn.state === "interdomain") {
      return { ...out, status: EVTCHNSTAT_interdomain, remoteDomid: chn.remoteDomid, remotePort: chn.remotePort };
    }
    return { ...out, status: EVTCHNSTAT_virq, virq: chn.virq };
  }

  timerPort(ld: EvtchnOwner): number | undefined {
    return ld.evtchn.virqs.get(VIRQ_TIMER);
  }
}

// The simulator's own domain 0 as backends see it: event channels whose
// notifications call a handler from the event queue (never inside a guest's
// hypercall), `latency()` after the event was sent.
import type { EventQueue } from "./clock.ts";
import { XenError } from "./errors.ts";
import { EventChannels, type EventChannelHub, type EvtchnOwner } from "./event_channel.ts";

/** Ports of the simulator's domain 0: it serves many guests. */
const DOM0_PORTS = 1 << 16;

export class Dom0Events implements EvtchnOwner {
  readonly domid = 0;
  readonly privileged = true;
  readonly evtchn = new EventChannels(DOM0_PORTS);
  private readonly handlers = new Map<number, () => void>();
  private readonly pending = new Set<number>();
  private readonly queued = new Map<number, { cancel(): void }>();

  constructor(
    private readonly hub: EventChannelHub,
    private readonly queue: EventQueue,
    private readonly now: () => bigint,
    private readonly latency: () => bigint,
  ) {}

  /** A port of domain 0 that guest `remoteDomid` may bind (EVTCHNOP_alloc_unbound). */
  allocUnbound(remoteDomid: number): number {
    return this.check(this.hub.allocUnbound(this, 0, remoteDomid), `alloc_unbound for domain ${remoteDomid}`);
  }

  /** Binds a new port of domain 0 to a guest's unbound port (EVTCHNOP_bind_interdomain). */
  bindInterdomain(remoteDomid: number, remotePort: number): number {
    return this.check(this.hub.bindInterdomain(this, remoteDomid, remotePort), `bind_interdomain to ${remoteDomid}:${remotePort}`);
  }

  /** EVTCHNOP_send from domain 0. */
  notify(port: number): void {
    this.check(this.hub.send(this, port), `send on port ${port}`);
  }

  /** EVTCHNOP_close from domain 0. */
  close(port: number): void {
    this.handlers.delete(port);
    this.check(this.hub.close(this, port), `close of port ${port}`);
  }

  /** Calls `handler` once per burst of notifications on `port` (events coalesce like a pending bit). */
  onEvent(port: number, handler: () => void): void {
    this.handlers.set(port, handler);
    if (this.pending.has(port)) this.schedule(port);
  }

  setPending(port: number): void {
    this.pending.add(port);
    if (this.handlers.has(port)) this.schedule(port);
  }

  clearPending(port: number): void {
    this.pending.delete(port);
    this.queued.get(port)?.cancel();
    this.queued.delete(port);
  }

  private schedule(port: number): void {
    if (this.queued.has(port)) return;
    this.queued.set(port, this.queue.push(this.now() + this.latency(), () => {
      this.queued.delete(port);
      this.pending.delete(port);
      this.handlers.get(port)?.();
    }));
  }

  private check(rc: number, what: string): number {
    if (rc < 0) throw new XenError(rc, `domain 0: ${what} failed with errno ${-rc}`);
    return rc;
  }
}

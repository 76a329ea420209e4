// A virtual Ethernet bridge (a learning switch, as Linux's bridge that xl's
// vif-bridge script attaches vifs to): frames from one port go to the port
// that last sent from their destination MAC, or to every other port when the
// destination is unknown, broadcast or multicast.

/** Something plugged into a bridge: a netback's vif, a tap link. */
export interface BridgePort {
  /** A frame for this port; the bytes belong to the port from now on. */
  deliver(frame: Uint8Array): void;
}

const ETH_HLEN = 14;
/** At most this many learned addresses: a flood of new sources restarts learning rather than growing without bound. */
const MAX_LEARNED = 4096;

function macKey(frame: Uint8Array, at: number): number {
  return frame[at] * 2 ** 40 + frame[at + 1] * 2 ** 32 + ((frame[at + 2] << 24) >>> 0) + (frame[at + 3] << 16) + (frame[at + 4] << 8) + frame[at + 5];
}

export class NetBridge {
  private readonly ports = new Set<BridgePort>();
  private readonly fdb = new Map<number, BridgePort>();
  /** Frames switched, flooded, and dropped (runts, or a destination behind their own port). */
  readonly stats = { forwarded: 0, flooded: 0, dropped: 0 };

  constructor(readonly name = "xenbr0") {}

  /** Plugs `port` in; the returned function sends a frame from it. */
  attach(port: BridgePort): (frame: Uint8Array) => void {
    this.ports.add(port);
    return (frame) => this.forward(port, frame);
  }

  detach(port: BridgePort): void {
    this.ports.delete(port);
    for (const [mac, p] of this.fdb) if (p === port) this.fdb.delete(mac);
  }

  private forward(from: BridgePort, frame: Uint8Array): void {
    if (!this.ports.has(from)) return;
    if (frame.length < ETH_HLEN) {
      this.stats.dropped++;
      return;
    }
    // A group source address is invalid; never learn one.
    if (!(frame[6] & 1)) {
      if (this.fdb.size >= MAX_LEARNED && !this.fdb.has(macKey(frame, 6))) this.fdb.clear();
      this.fdb.set(macKey(frame, 6), from);
    }
    const to = frame[0] & 1 ? undefined : this.fdb.get(macKey(frame, 0));
    if (to === from) {
      this.stats.dropped++;
      return;
    }
    if (to) {
      this.stats.forwarded++;
      to.deliver(frame);
      return;
    }
    this.stats.flooded++;
    for (const port of this.ports) if (port !== from) port.deliver(frame.slice());
  }
}

// A virtual Ethernet bridge (a learning switch, as Linux's bridge that xl's
// vif-bridge script attaches vifs to): frames from one port go to the port
// that last sent from their destination MAC, or to every other port when the
// destination is unknown, broadcast or multicast.

/** Something plugged into a bridge: a netback's vif, a tap link. */
export interface BridgePort {
  /**
   * A frame for this port. The bytes are lent for the call only (often the
   * sending guest's own page): read them, copy what is kept, never write them.
   */
  deliver(frame: Uint8Array): void;
}

const ETH_HLEN = 14;
/** At most this many learned addresses: a flood of new sources restarts learning rather than growing without bound. */
const MAX_LEARNED = 4096;

/** A MAC address as two 24-bit halves (small integers: no float arithmetic, no heap numbers as keys). */
function high(frame: Uint8Array, at: number): number {
  return (frame[at] << 16) | (frame[at + 1] << 8) | frame[at + 2];
}

function low(frame: Uint8Array, at: number): number {
  return (frame[at + 3] << 16) | (frame[at + 4] << 8) | frame[at + 5];
}

/**
 * A port's last source and destination with what the table said of them, as
 * of table version `version`: a port sends mostly to and from the same
 * addresses, so most frames need no table lookup at all.
 */
class PortCache {
  attached = false;
  version = -1;
  srcHigh = -1;
  srcLow = -1;
  dstHigh = -1;
  dstLow = -1;
  dst: BridgePort | undefined;

  constructor(readonly port: BridgePort) {}
}

export class NetBridge {
  /** The attached ports' caches, in attach order; a new array on every change, which a flood under way keeps iterating. */
  private plugged: PortCache[] = [];
  /** Each port's cache, kept across detach and attach again (a send function outlives its port's detach). */
  private readonly caches = new WeakMap<BridgePort, PortCache>();
  /** The forwarding database: learned port by the address's high half, then its low half. */
  private readonly fdb = new Map<number, Map<number, BridgePort>>();
  private learned = 0;
  /** Bumped on every change to the table: a PortCache of an older version is stale. */
  private version = 0;
  /** Frames switched, flooded, and dropped (runts, or a destination behind their own port). */
  readonly stats = { forwarded: 0, flooded: 0, dropped: 0 };

  constructor(readonly name = "xenbr0") {}

  /** Plugs `port` in; the returned function sends a frame from it (lent for the call, as to `deliver`). */
  attach(port: BridgePort): (frame: Uint8Array) => void {
    let cache = this.caches.get(port);
    if (!cache) this.caches.set(port, (cache = new PortCache(port)));
    if (!cache.attached) {
      cache.attached = true;
      this.plugged = [...this.plugged, cache];
    }
    const own = cache;
    return (frame) => this.forward(port, own, frame);
  }

  detach(port: BridgePort): void {
    const cache = this.caches.get(port);
    if (!cache?.attached) return;
    cache.attached = false;
    this.plugged = this.plugged.filter((c) => c !== cache);
    for (const [hi, byLow] of this.fdb) {
      for (const [lo, p] of byLow) {
        if (p !== port) continue;
        byLow.delete(lo);
        this.learned--;
      }
      if (byLow.size === 0) this.fdb.delete(hi);
    }
    this.version++;
  }

  /** The port that last sent from the address, if any. */
  private lookup(hi: number, lo: number): BridgePort | undefined {
    return this.fdb.get(hi)?.get(lo);
  }

  private learn(hi: number, lo: number, port: BridgePort): void {
    let byLow = this.fdb.get(hi);
    const known = byLow?.get(lo);
    if (known === port) return;
    if (known === undefined && this.learned >= MAX_LEARNED) {
      this.fdb.clear();
      this.learned = 0;
      byLow = undefined;
    }
    if (!byLow) this.fdb.set(hi, (byLow = new Map()));
    byLow.set(lo, port);
    if (known === undefined) this.learned++;
    this.version++;
  }

  private forward(from: BridgePort, cache: PortCache, frame: Uint8Array): void {
    if (!cache.attached) return;
    if (frame.length < ETH_HLEN) {
      this.stats.dropped++;
      return;
    }
    // A group source address is invalid; never learn one.
    if (!(frame[6] & 1)) {
      const hi = high(frame, 6);
      const lo = low(frame, 6);
      if (cache.version !== this.version || hi !== cache.srcHigh || lo !== cache.srcLow) {
        this.learn(hi, lo, from);
        cache.srcHigh = hi;
        cache.srcLow = lo;
        cache.dstHigh = -1; // the destination's answer may have changed with the table
        cache.version = this.version;
      }
    }
    let to: BridgePort | undefined;
    if (!(frame[0] & 1)) {
      const hi = high(frame, 0);
      const lo = low(frame, 0);
      if (cache.version !== this.version || hi !== cache.dstHigh || lo !== cache.dstLow) {
        cache.dst = this.lookup(hi, lo);
        cache.dstHigh = hi;
        cache.dstLow = lo;
        if (cache.version !== this.version) {
          cache.srcHigh = -1; // the source's entry may have changed with the table
          cache.version = this.version;
        }
      }
      to = cache.dst;
    }
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
    const plugged = this.plugged;
    for (let i = 0; i < plugged.length; i++) if (plugged[i].attached && plugged[i].port !== from) plugged[i].port.deliver(frame);
  }
}

// ARP for IPv4 over Ethernet (RFC 826; names from <linux/if_arp.h>): answers
// requests for our address, learns senders, and resolves next hops before
// sending, holding a bounded number of frames while a resolution is pending.
// The cache is a fixed table whose entries expire on the core's timers.
import { Timer, armTimer, cancelTimer } from "../runtime/core/sched";
import { monotonicNs, NS_PER_SEC } from "../runtime/core/time";
import { XEN_ENOSPC } from "../runtime/xen/errno";
import { load16, load32, store16, store32 } from "./bytes";
import { isMulticastOrReserved } from "./config";
import { Counter } from "./counters";
import { ETH_ALEN, ETH_HLEN, ETH_P_ARP, ETH_P_IP, ETH_ZLEN, isGroupMac, loadMac, MAC_BROADCAST, OFFSET_h_dest, storeMac, writeEthernetHeader } from "./ethernet";
import { allocFrame, Link } from "./link";

export const ARPHRD_ETHER: u32 = 1;
export const ARPOP_REQUEST: u32 = 1;
export const ARPOP_REPLY: u32 = 2;
/** struct arphdr with the Ethernet/IPv4 addresses that follow it. */
export const ARP_LEN: u32 = 28;
export const OFFSET_ar_hrd: usize = 0;
export const OFFSET_ar_pro: usize = 2;
export const OFFSET_ar_hln: usize = 4;
export const OFFSET_ar_pln: usize = 5;
export const OFFSET_ar_op: usize = 6;
export const OFFSET_ar_sha: usize = 8;
export const OFFSET_ar_sip: usize = 14;
export const OFFSET_ar_tha: usize = 18;
export const OFFSET_ar_tip: usize = 24;

/** The next hop of a broadcast: no resolution, the Ethernet broadcast address. */
export const HOP_BROADCAST: u32 = 0xffffffff;

const CACHE_SIZE: i32 = 32;
const PENDING_FRAMES: i32 = 8;
/** How long a learned address is trusted. */
const ENTRY_TTL_NS: u64 = 60 * NS_PER_SEC;
/** Requests for one address: this many, this far apart, then its frames are dropped. */
const REQUEST_TRIES: u8 = 3;
const RETRY_NS: u64 = NS_PER_SEC;

const FREE: u8 = 0;
const INCOMPLETE: u8 = 1;
const RESOLVED: u8 = 2;

/** The cache is its own timer, armed for its earliest deadline. */
export class Arp extends Timer {
  private ips: StaticArray<u32> = new StaticArray<u32>(CACHE_SIZE);
  private macs: StaticArray<u64> = new StaticArray<u64>(CACHE_SIZE);
  private states: StaticArray<u8> = new StaticArray<u8>(CACHE_SIZE);
  /** INCOMPLETE: when to ask again; RESOLVED: when to forget. */
  private deadlines: StaticArray<u64> = new StaticArray<u64>(CACHE_SIZE);
  private tries: StaticArray<u8> = new StaticArray<u8>(CACHE_SIZE);

  /** Frames waiting for their next hop, in arrival order (`pendingOrder`, 0 when the slot is free). */
  private pendingFrames: StaticArray<usize> = new StaticArray<usize>(PENDING_FRAMES);
  private pendingLengths: StaticArray<u32> = new StaticArray<u32>(PENDING_FRAMES);
  private pendingHops: StaticArray<u32> = new StaticArray<u32>(PENDING_FRAMES);
  private pendingOrder: StaticArray<u64> = new StaticArray<u64>(PENDING_FRAMES);
  private nextOrder: u64 = 1;

  /** ARP requests and replies are built here, apart from the frame that may be waiting in txFrame. */
  private frame: usize;

  constructor(private link: Link) {
    super();
    this.frame = allocFrame(ETH_ZLEN);
    for (let i = 0; i < PENDING_FRAMES; i++) this.pendingFrames[i] = allocFrame(link.frameCapacity);
  }

  /** Takes an ARP packet (the Ethernet payload, `length` bytes). */
  receive(packet: usize, length: u32): void {
    const counters = this.link.counters;
    if (length < ARP_LEN) return counters.count(Counter.ARP_TRUNCATED);
    const op = load16(packet + OFFSET_ar_op);
    if (
      load16(packet + OFFSET_ar_hrd) != ARPHRD_ETHER || load16(packet + OFFSET_ar_pro) != ETH_P_IP ||
      load<u8>(packet + OFFSET_ar_hln) != ETH_ALEN || load<u8>(packet + OFFSET_ar_pln) != 4 ||
      (op != ARPOP_REQUEST && op != ARPOP_REPLY)
    ) return counters.count(Counter.ARP_MALFORMED);
    const sha = loadMac(packet + OFFSET_ar_sha);
    const sip = load32(packet + OFFSET_ar_sip);
    const tip = load32(packet + OFFSET_ar_tip);
    const config = this.link.config;
    if (isGroupMac(sha) || sha == 0 || isMulticastOrReserved(sip) || config.isBroadcast(sip)) {
      return counters.count(Counter.ARP_BAD_SENDER);
    }
    if (sip == config.ip) return counters.count(Counter.ARP_CONFLICT);
    const forUs = tip == config.ip;
    // RFC 826's merge: refresh a known sender; add it only when it talks to us. 0.0.0.0 is a probe (RFC 5227).
    if (sip != 0) {
      const at = this.find(sip);
      if (at >= 0) this.learn(at, sha);
      else if (forUs) this.learn(this.allocate(sip), sha);
    }
    if (forUs && op == ARPOP_REQUEST) {
      this.send(ARPOP_REPLY, sha, sha, sip);
      counters.count(Counter.ARP_REPLIES_SENT);
    }
    counters.count(Counter.ARP_ACCEPTED);
  }

  /**
   * Sends `frame` (source and type written, `length` bytes) to the next hop
   * `hop`, resolving it first if needed: 0 when sent or queued, or a negative errno.
   */
  output(frame: usize, length: u32, hop: u32): i32 {
    let mac = MAC_BROADCAST;
    if (hop != HOP_BROADCAST) {
      const at = this.find(hop);
      if (at < 0 || unchecked(this.states[at]) != RESOLVED) return this.enqueue(frame, length, hop, at);
      mac = unchecked(this.macs[at]);
    }
    storeMac(frame + OFFSET_h_dest, mac);
    return this.link.transmit(frame, length);
  }

  /** The cached MAC of `ip`, or -1 (tests and diagnostics). */
  lookup(ip: u32): i64 {
    const at = this.find(ip);
    return at >= 0 && unchecked(this.states[at]) == RESOLVED ? <i64>unchecked(this.macs[at]) : -1;
  }

  /** The timer: asks again for incomplete entries, gives up on them, forgets stale ones. */
  fire(now: u64): void {
    for (let i = 0; i < CACHE_SIZE; i++) {
      const state = unchecked(this.states[i]);
      if (state == FREE || unchecked(this.deadlines[i]) > now) continue;
      if (state == INCOMPLETE && unchecked(this.tries[i]) < REQUEST_TRIES) {
        unchecked((this.tries[i] += 1));
        unchecked((this.deadlines[i] = now + RETRY_NS));
        this.request(unchecked(this.ips[i]));
        continue;
      }
      if (state == RESOLVED) this.link.counters.count(Counter.ARP_EXPIRED);
      this.release(i);
    }
    this.rearm();
  }

  private find(ip: u32): i32 {
    for (let i = 0; i < CACHE_SIZE; i++) {
      if (unchecked(this.states[i]) != FREE && unchecked(this.ips[i]) == ip) return i;
    }
    return -1;
  }

  /** A free entry for `ip`; when full, the resolved entry closest to expiry gives way (one with frames waiting, last). */
  private allocate(ip: u32): i32 {
    let victim = 0;
    for (let i = 0; i < CACHE_SIZE; i++) {
      if (unchecked(this.states[i]) == FREE) {
        victim = i;
        break;
      }
      if (this.evictsBefore(i, victim)) victim = i;
    }
    if (unchecked(this.states[victim]) != FREE) {
      this.link.counters.count(Counter.ARP_EVICTED);
      this.release(victim);
    }
    unchecked((this.ips[victim] = ip));
    unchecked((this.states[victim] = INCOMPLETE));
    unchecked((this.tries[victim] = 0));
    unchecked((this.deadlines[victim] = 0));
    return victim;
  }

  private evictsBefore(a: i32, b: i32): bool {
    const resolvedA = unchecked(this.states[a]) == RESOLVED;
    const resolvedB = unchecked(this.states[b]) == RESOLVED;
    if (resolvedA != resolvedB) return resolvedA;
    return unchecked(this.deadlines[a]) < unchecked(this.deadlines[b]);
  }

  /** Records `mac` for entry `at` and sends what was waiting for it. */
  private learn(at: i32, mac: u64): void {
    unchecked((this.macs[at] = mac));
    unchecked((this.states[at] = RESOLVED));
    unchecked((this.deadlines[at] = monotonicNs() + ENTRY_TTL_NS));
    this.link.counters.count(Counter.ARP_LEARNED);
    const ip = unchecked(this.ips[at]);
    while (true) {
      const slot = this.oldestPending(ip);
      if (slot < 0) break;
      const frame = unchecked(this.pendingFrames[slot]);
      unchecked((this.pendingOrder[slot] = 0));
      storeMac(frame + OFFSET_h_dest, mac);
      this.link.transmit(frame, unchecked(this.pendingLengths[slot]));
    }
    this.rearm();
  }

  /** Frees entry `at`, dropping (and counting) the frames that waited for it. */
  private release(at: i32): void {
    const ip = unchecked(this.ips[at]);
    unchecked((this.states[at] = FREE));
    for (let s = 0; s < PENDING_FRAMES; s++) {
      if (unchecked(this.pendingOrder[s]) != 0 && unchecked(this.pendingHops[s]) == ip) {
        unchecked((this.pendingOrder[s] = 0));
        this.link.counters.count(Counter.ARP_UNRESOLVED);
      }
    }
  }

  private enqueue(frame: usize, length: u32, hop: u32, at: i32): i32 {
    let slot = -1;
    for (let s = 0; s < PENDING_FRAMES; s++) {
      if (unchecked(this.pendingOrder[s]) == 0) {
        slot = s;
        break;
      }
    }
    const counters = this.link.counters;
    if (slot < 0) {
      counters.count(Counter.ARP_QUEUE_FULL);
      return -<i32>XEN_ENOSPC;
    }
    memory.copy(unchecked(this.pendingFrames[slot]), frame, length);
    unchecked((this.pendingLengths[slot] = length));
    unchecked((this.pendingHops[slot] = hop));
    unchecked((this.pendingOrder[slot] = this.nextOrder++));
    counters.count(Counter.ARP_QUEUED);
    if (at < 0) {
      at = this.allocate(hop);
      unchecked((this.tries[at] = 1));
      unchecked((this.deadlines[at] = monotonicNs() + RETRY_NS));
      this.request(hop);
      this.rearm();
    }
    return 0;
  }

  private oldestPending(ip: u32): i32 {
    let best = -1;
    for (let s = 0; s < PENDING_FRAMES; s++) {
      const order = unchecked(this.pendingOrder[s]);
      if (order == 0 || unchecked(this.pendingHops[s]) != ip) continue;
      if (best < 0 || order < unchecked(this.pendingOrder[best])) best = s;
    }
    return best;
  }

  private request(ip: u32): void {
    this.send(ARPOP_REQUEST, MAC_BROADCAST, 0, ip);
    this.link.counters.count(Counter.ARP_REQUESTS_SENT);
  }

  /** Builds and sends an ARP packet from us to `tip` (hardware address `tha`), in an Ethernet frame to `dst`. */
  private send(op: u32, dst: u64, tha: u64, tip: u32): void {
    const link = this.link;
    const frame = this.frame;
    writeEthernetHeader(frame, dst, link.mac, ETH_P_ARP);
    const p = frame + ETH_HLEN;
    store16(p + OFFSET_ar_hrd, ARPHRD_ETHER);
    store16(p + OFFSET_ar_pro, ETH_P_IP);
    store<u8>(p + OFFSET_ar_hln, <u8>ETH_ALEN);
    store<u8>(p + OFFSET_ar_pln, 4);
    store16(p + OFFSET_ar_op, op);
    storeMac(p + OFFSET_ar_sha, link.mac);
    store32(p + OFFSET_ar_sip, link.config.ip);
    storeMac(p + OFFSET_ar_tha, tha);
    store32(p + OFFSET_ar_tip, tip);
    link.transmit(frame, ETH_HLEN + ARP_LEN);
  }

  /** Arms the timer for the earliest deadline in the cache, or stops it. */
  private rearm(): void {
    let next = U64.MAX_VALUE;
    for (let i = 0; i < CACHE_SIZE; i++) {
      if (unchecked(this.states[i]) != FREE && unchecked(this.deadlines[i]) < next) next = unchecked(this.deadlines[i]);
    }
    if (next == U64.MAX_VALUE) cancelTimer(this);
    else if (this.slot < 0 || this.deadline != next) armTimer(this, next);
  }
}

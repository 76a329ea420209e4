// netfront (io/netif.h): one queue of a Xen virtual network interface, offered
// as runtime/devices.ts's Network. Receive is rx-copy: a page per rx slot stays
// granted to the backend, which copies frames into it; the buffer of a request
// is the one of its ring slot (netif.h: responses sit in their request's slot,
// extra-info slots included). Transmit copies each frame into pages granted
// read-only, one per tx id, a frame spanning as many slots as it needs. Every
// response field is checked before use and a bad one is counted, never trusted.
// The xenbus plumbing (ports, ring grants, the leak rule, reset) is
// runtime/core/frontend.ts's: a page the backend still maps at teardown is left
// to it, and a backend that keeps doing so is no longer reconnected to.
import { FrameListener, Network, NetworkStats } from "../../runtime/devices";
import { evtchnSend } from "../../runtime/core/events";
import { Frontend } from "../../runtime/core/frontend";
import { GRANT_INVALID_REF, grantPage } from "../../runtime/core/grants";
import { allocPage, allocPages, PAGE_SIZE } from "../../runtime/core/pages";
import { armTimer, cancelTimer, Timer } from "../../runtime/core/sched";
import { monotonicNs } from "../../runtime/core/time";
import { XenbusDevice } from "../../runtime/core/xenbus";
import { parseDecimal, xsRead } from "../../runtime/core/xenstore";
import { FrontRing } from "../../runtime/ring/front";
import { ringSlot } from "../../runtime/ring/ring";
import { RING_OVERFLOW, ringSizeOf } from "../../runtime/ring/sring";
import { XEN_E2BIG, XEN_EAGAIN, XEN_EINVAL, XEN_EIO, XEN_ENOSPC, XEN_ENOSYS } from "../../runtime/xen/errno";
import { XenbusStateConnected } from "../../runtime/xen/io/xenbus";
import {
  NETIF_RSP_NULL, NETIF_RSP_OKAY, NETRXF_csum_blank, NETRXF_extra_info, NETRXF_more_data, NETTXF_more_data,
  XEN_NETIF_EXTRA_FLAG_MORE, XEN_NETIF_EXTRA_TYPE_MAX, XEN_NETIF_EXTRA_TYPE_NONE, XEN_NETIF_MAX_TX_SIZE,
  netif_extra_info, netif_rx_request, netif_rx_response, netif_rx_sring, netif_tx_request, netif_tx_response,
  netif_tx_sring,
} from "../../runtime/xen/io/netif";
import { completeChecksum } from "./checksum";

const NET_TX_RING_SIZE: u32 = ringSizeOf(PAGE_SIZE, netif_tx_sring.LENGTH_ring);
const NET_RX_RING_SIZE: u32 = ringSizeOf(PAGE_SIZE, netif_rx_sring.LENGTH_ring);
const ETH_HLEN: u32 = 14;
/** ETH_DATA_LEN: the MTU without scatter-gather, and the default. */
const ETH_DATA_LEN: u32 = 1500;
/** The largest frame either way (XEN_NETIF_MAX_TX_SIZE); received chains are gathered into this many bytes. */
const MAX_FRAME: u32 = XEN_NETIF_MAX_TX_SIZE;
const REASSEMBLY_PAGES: u32 = (MAX_FRAME + <u32>PAGE_SIZE - 1) / <u32>PAGE_SIZE;
/** A stalled ring is polled this often; responses left unnotified across two polls count as a missed notification. */
const WATCHDOG_NS: u64 = 50_000_000;
/** What was wrong with a received slot (rxFault). */
const FAULT_EXTRA: u32 = 0;
const FAULT_ID: u32 = 1;
const FAULT_STATUS: u32 = 2;
const FAULT_OFFSET: u32 = 3;
const FAULT_OVERSIZE: u32 = 4;

/** What a backend did wrong, counted (each also counts in NetworkStats' errors or drops). */
export class NetfrontErrors {
  /** An rx response whose id is not its slot's request. */
  rxBadId: u64 = 0;
  /** An rx response whose offset lies outside the page. */
  rxBadOffset: u64 = 0;
  /** An rx fragment past its page's end, or a frame over MAX_FRAME. */
  rxOversize: u64 = 0;
  /** An rx response with a negative (NETIF_RSP_*) status. */
  rxStatus: u64 = 0;
  /** An extra-info slot of no known type. */
  rxBadExtra: u64 = 0;
  /** NETRXF_csum_blank on a frame whose checksum cannot be completed. */
  rxBadChecksum: u64 = 0;
  /** A tx response for an id not in flight. */
  txBadId: u64 = 0;
  /** A tx response with a status other than NETIF_RSP_OKAY. */
  txStatus: u64 = 0;
  /** A producer index past what was asked for: the device stops. */
  ringOverflow: u64 = 0;
  /** Responses left waiting without an event. */
  missedNotifications: u64 = 0;

  total(): u64 {
    return this.rxBadId + this.rxBadOffset + this.rxOversize + this.rxStatus + this.rxBadExtra + this.rxBadChecksum +
      this.txBadId + this.txStatus + this.ringOverflow + this.missedNotifications;
  }
}

class Watchdog extends Timer {
  constructor(private nf: Netfront) {
    super();
  }
  fire(now: u64): void {
    this.nf.watchdog(now);
  }
}

export class Netfront extends Network {
  readonly front!: Frontend<Netfront>;
  readonly errors: NetfrontErrors = new NetfrontErrors();
  /** The backend's feature-sg: frames may span several slots. */
  sg: bool = false;
  split: bool = false;
  private macBytes: u64 = 0;
  private mtuValue: u32 = ETH_DATA_LEN;
  private counts: NetworkStats = new NetworkStats();
  private listener: FrameListener | null = null;
  private timer!: Watchdog;
  private stalled: bool = false;
  private txRing: FrontRing = new FrontRing(netif_tx_sring.LENGTH_ring);
  private rxRing: FrontRing = new FrontRing(netif_rx_sring.LENGTH_ring);
  private txRingPage: usize = 0;
  private rxRingPage: usize = 0;
  private txPort: i64 = -1;
  private rxPort: i64 = -1;
  /** One page per tx id and per rx slot, with their grants. */
  private txPages: StaticArray<usize> = new StaticArray<usize>(NET_TX_RING_SIZE);
  private txRefs: StaticArray<u32> = new StaticArray<u32>(NET_TX_RING_SIZE);
  private txInFlight: StaticArray<bool> = new StaticArray<bool>(NET_TX_RING_SIZE);
  private txFree: StaticArray<u16> = new StaticArray<u16>(NET_TX_RING_SIZE); // a stack of free tx ids
  private txFreeCount: u32 = 0;
  private rxPages: StaticArray<usize> = new StaticArray<usize>(NET_RX_RING_SIZE);
  private rxRefs: StaticArray<u32> = new StaticArray<u32>(NET_RX_RING_SIZE);
  /** A received chain being gathered: its bytes so far, first flags, and what the last slot announced. */
  private reassembly: usize = 0;
  private rxLen: u32 = 0;
  private rxFlags: u32 = 0;
  private rxInFrame: bool = false;
  private rxMore: bool = false;
  private rxExtra: bool = false;
  private rxDrop: bool = false;
  /** The frame's only slot went to the listener from its own page. */
  private deliveredInPlace: bool = false;

  /** The frontend of device/vif/<id>; `connect` brings it up. */
  constructor(id: string) {
    super();
    this.front = new Frontend<Netfront>("vif", id, this);
    this.timer = new Watchdog(this);
    this.reassembly = allocPages(REASSEMBLY_PAGES);
    for (let i: u32 = 0; i < NET_TX_RING_SIZE; i++) unchecked((this.txRefs[i] = GRANT_INVALID_REF));
    for (let i: u32 = 0; i < NET_RX_RING_SIZE; i++) unchecked((this.rxRefs[i] = GRANT_INVALID_REF));
  }

  get dev(): XenbusDevice {
    return this.front.dev;
  }

  /** Connected and the rings sane: frames flow. */
  get up(): bool {
    return this.front.up;
  }

  /** The backend broke a ring: nothing flows until the device has been reset (closed and reconnected). */
  get broken(): bool {
    return this.front.broken;
  }

  /** Why connect failed or the device gave up, for its caller's message. */
  get reason(): string {
    return this.front.reason;
  }

  /** Reads the MAC, runs the xenbus handshake and waits for it until `deadline`: 0, or a negative status with `reason`. */
  connect(deadline: u64): i32 {
    const node = this.front.dev.nodename;
    const mac = xsRead(`${node}/mac`);
    if (!mac.ok) return this.front.refuse(mac.status, `no ${node}/mac`);
    const parsed = parseMac(mac.value);
    if (parsed < 0) return this.front.refuse(-XEN_EINVAL, `${node}/mac "${mac.value}" is not a MAC address`);
    this.macBytes = <u64>parsed;
    return this.front.connect(deadline);
  }

  /** Closes the device cleanly: 0, or XS_ETIMEDOUT. */
  close(deadline: u64): i32 {
    return this.front.close(deadline);
  }

  // --- Network ---------------------------------------------------------------------------------

  mac(dst: usize): void {
    for (let i = 0; i < 6; i++) store<u8>(dst + i, <u8>(this.macBytes >> (8 * (5 - i))));
  }

  mtu(): u32 {
    return this.mtuValue;
  }

  listen(listener: FrameListener): void {
    this.listener = listener;
  }

  stats(): NetworkStats {
    return this.counts;
  }

  /** Copies the frame into granted tx pages and queues it: 0, or -EIO (down), -E2BIG, -EINVAL, -EAGAIN (ring full). */
  write(frame: usize, length: u32): i32 {
    const counts = this.counts;
    if (!this.up || this.broken) return this.txFailed(-<i32>XEN_EIO);
    if (length == 0) return this.txFailed(-<i32>XEN_EINVAL);
    if (length > ETH_HLEN + this.mtuValue) return this.txFailed(-<i32>XEN_E2BIG);
    const slots = (length + <u32>PAGE_SIZE - 1) / <u32>PAGE_SIZE;
    const ring = this.txRing;
    if (this.txFreeCount < slots || ring.freeRequests() < slots) this.reapTx();
    if (this.broken) return this.txFailed(-<i32>XEN_EIO);
    if (this.txFreeCount < slots || ring.freeRequests() < slots) return this.txFailed(-<i32>XEN_EAGAIN);
    let done: u32 = 0;
    for (let k: u32 = 0; k < slots; k++) {
      const id = unchecked(this.txFree[--this.txFreeCount]);
      const chunk = min(length - done, <u32>PAGE_SIZE);
      memory.copy(unchecked(this.txPages[id]), frame + done, chunk);
      unchecked((this.txInFlight[id] = true));
      const req = ring.getRequest(ring.reqProdPvt++);
      netif_tx_request.set_gref(req, unchecked(this.txRefs[id]));
      netif_tx_request.set_offset(req, 0);
      netif_tx_request.set_flags(req, <u16>(k + 1 < slots ? NETTXF_more_data : 0));
      netif_tx_request.set_id(req, <u16>id);
      netif_tx_request.set_size(req, <u16>(k == 0 ? length : chunk)); // the first slot carries the frame's size
      done += chunk;
    }
    if (ring.pushRequestsAndCheckNotify()) evtchnSend(<u32>this.txPort);
    counts.txPackets++;
    counts.txBytes += length;
    return 0;
  }

  private txFailed(status: i32): i32 {
    this.counts.txErrors++;
    return status;
  }

  // --- Events ----------------------------------------------------------------------------------

  onEvent(port: u32): void {
    this.poll(false);
  }

  /** Takes every response on both rings; `watchdog` when no event announced them. */
  poll(watchdog: bool): void {
    if (!watchdog) this.stalled = false;
    if (!this.up || this.broken) return;
    this.reapTx();
    this.receive();
  }

  /** Polls a ring that has responses nobody announced (a backend that dropped a notification). */
  watchdog(now: u64): void {
    if (!this.up) return;
    if (!this.broken) {
      const waiting = this.txRing.hasUnconsumedResponses() || this.rxRing.hasUnconsumedResponses();
      if (waiting && this.stalled) {
        this.errors.missedNotifications++;
        this.poll(true);
        this.stalled = false;
      } else {
        this.stalled = waiting;
      }
    }
    armTimer(this.timer, now + WATCHDOG_NS);
  }

  /** The backend broke a ring (an overflow, or a tx id never sent whose request could then never be freed): start over. */
  private ringBroken(overflow: bool): void {
    if (this.broken) return;
    if (overflow) this.errors.ringOverflow++;
    this.front.reset();
  }

  /** Frees the tx ids the backend is done with. */
  private reapTx(): void {
    const ring = this.txRing;
    do {
      const ready = ring.checkResponses();
      if (ready == RING_OVERFLOW) return this.ringBroken(true);
      const base = ring.slotBase();
      const mask = ring.indexMask();
      const size = ring.entrySize;
      const first = ring.rspCons;
      ring.rspCons = first + <u32>ready;
      for (let idx = first; idx != first + <u32>ready; idx++) {
        const rsp = ringSlot(base, mask, size, idx);
        const id = <u32>netif_tx_response.id(rsp);
        const status = <i32>netif_tx_response.status(rsp);
        if (status == NETIF_RSP_NULL) continue; // answers an extra-info slot
        if (id >= NET_TX_RING_SIZE || !unchecked(this.txInFlight[id])) {
          this.errors.txBadId++;
          this.counts.txErrors++;
          return this.ringBroken(false); // Linux marks the device broken; a reset frees every slot
        }
        unchecked((this.txInFlight[id] = false));
        unchecked((this.txFree[this.txFreeCount++] = <u16>id));
        if (status != NETIF_RSP_OKAY) {
          this.errors.txStatus++;
          this.counts.txErrors++;
        }
      }
    } while (ring.finalCheckForResponses());
  }

  /** Takes received slots, hands complete frames to the listener, and posts the buffers again. */
  private receive(): void {
    const ring = this.rxRing;
    do {
      const ready = ring.checkResponses();
      if (ready == RING_OVERFLOW) return this.ringBroken(true);
      for (let i = 0; i < ready; i++) this.rxSlot(ring.rspCons++);
      this.refill();
    } while (ring.finalCheckForResponses());
  }

  /** One rx response, at ring index `idx`; its slot's buffer goes back by the next refill. */
  private rxSlot(idx: u32): void {
    const rsp = this.rxRing.getResponse(idx);
    const slot = idx & (NET_RX_RING_SIZE - 1);
    if (this.rxExtra) {
      // An extra-info slot overlays the response: honoured by type, none changes how we take the frame.
      const type = <u32>netif_extra_info.type(rsp);
      const flags = <u32>netif_extra_info.flags(rsp);
      if (type == XEN_NETIF_EXTRA_TYPE_NONE || type >= XEN_NETIF_EXTRA_TYPE_MAX) this.rxFault(FAULT_EXTRA);
      this.rxExtra = (flags & XEN_NETIF_EXTRA_FLAG_MORE) != 0;
      if (!this.rxExtra && !this.rxMore) this.rxFinish();
      return;
    }
    // Each field read once: the backend may rewrite the slot meanwhile.
    const id = <u32>netif_rx_response.id(rsp);
    const offset = <u32>netif_rx_response.offset(rsp);
    const flags = <u32>netif_rx_response.flags(rsp);
    const status = <i32>netif_rx_response.status(rsp);
    const first = !this.rxInFrame;
    if (first) this.rxFlags = flags;
    this.rxInFrame = true;
    this.rxMore = (flags & NETRXF_more_data) != 0;
    this.rxExtra = first && (flags & NETRXF_extra_info) != 0; // only the first slot may announce extras
    if (id != slot) this.rxFault(FAULT_ID);
    else if (status < 0) this.rxFault(FAULT_STATUS);
    else if (offset >= <u32>PAGE_SIZE) this.rxFault(FAULT_OFFSET);
    else if (offset + <u32>status > <u32>PAGE_SIZE || this.rxLen + <u32>status > MAX_FRAME) this.rxFault(FAULT_OVERSIZE);
    else if (!this.rxDrop) {
      const data = unchecked(this.rxPages[slot]) + offset;
      if (first && !this.rxMore && !this.rxExtra) {
        this.rxLen = <u32>status;
        this.deliver(data);
      } else {
        memory.copy(this.reassembly + this.rxLen, data, <u32>status);
        this.rxLen += <u32>status;
      }
    }
    if (!this.rxMore && !this.rxExtra) this.rxFinish();
  }

  /** The frame being taken is bad: counted once, the rest of its slots are consumed and dropped. */
  private rxFault(kind: u32): void {
    if (this.rxDrop) return;
    this.rxDrop = true;
    const e = this.errors;
    if (kind == FAULT_EXTRA) e.rxBadExtra++;
    else if (kind == FAULT_ID) e.rxBadId++;
    else if (kind == FAULT_STATUS) e.rxStatus++;
    else if (kind == FAULT_OFFSET) e.rxBadOffset++;
    else e.rxOversize++;
    this.counts.rxErrors++;
  }

  /** The last slot of a frame: deliver what was gathered (a single slot was delivered in place). */
  private rxFinish(): void {
    if (this.rxDrop) this.counts.rxDropped++;
    else if (this.rxInFrame && this.rxLen > 0 && !this.deliveredInPlace) this.deliver(this.reassembly);
    this.deliveredInPlace = false;
    this.rxLen = 0;
    this.rxFlags = 0;
    this.rxInFrame = false;
    this.rxMore = false;
    this.rxExtra = false;
    this.rxDrop = false;
  }

  private deliver(data: usize): void {
    const length = this.rxLen;
    if (data != this.reassembly) this.deliveredInPlace = true;
    if (this.rxFlags & NETRXF_csum_blank && !completeChecksum(data, length)) {
      this.errors.rxBadChecksum++;
      this.counts.rxErrors++;
      this.counts.rxDropped++;
      return;
    }
    this.counts.rxPackets++;
    this.counts.rxBytes += length;
    const listener = this.listener;
    if (listener) listener.onFrame(data, length);
  }

  /** Posts a request for every free rx slot (its buffer is the slot's own page). */
  private refill(): void {
    const ring = this.rxRing;
    const free = ring.freeRequests();
    if (free == 0) return;
    // A batch: the ring's geometry and private index in locals (ringSlot).
    const base = ring.slotBase();
    const mask = ring.indexMask();
    const size = ring.entrySize;
    const first = ring.reqProdPvt;
    for (let idx = first; idx != first + free; idx++) {
      const slot = idx & (NET_RX_RING_SIZE - 1);
      const req = ringSlot(base, mask, size, idx);
      netif_rx_request.set_id(req, <u16>slot);
      netif_rx_request.set_gref(req, unchecked(this.rxRefs[slot]));
    }
    ring.reqProdPvt = first + free;
    if (ring.pushRequestsAndCheckNotify() && this.up) evtchnSend(<u32>this.rxPort);
  }

  // --- Xenbus ----------------------------------------------------------------------------------

  /** Ports, rings, and a granted page per tx id and rx slot (allocated per connection: teardown revokes them). */
  setup(dev: XenbusDevice): i32 {
    const backend = <u16>dev.backendId;
    const front = this.front;
    this.split = dev.readBackendNumber("feature-split-event-channels", 0) == 1;
    this.txPort = front.openPort();
    if (this.txPort < 0) return <i32>this.txPort;
    this.rxPort = this.split ? front.openPort() : this.txPort;
    if (this.rxPort < 0) return <i32>this.rxPort;
    this.txRingPage = front.grantRing(1);
    this.rxRingPage = front.grantRing(1);
    if (!this.txRingPage || !this.rxRingPage) return -<i32>XEN_ENOSPC;
    this.txRing.xenFrontRingInit(this.txRingPage, PAGE_SIZE);
    this.rxRing.xenFrontRingInit(this.rxRingPage, PAGE_SIZE);
    this.txFreeCount = 0;
    for (let i: u32 = NET_TX_RING_SIZE; i > 0; i--) {
      const page = allocPage();
      unchecked((this.txPages[i - 1] = page));
      const ref = grantPage(backend, page, true);
      unchecked((this.txRefs[i - 1] = ref));
      if (ref == GRANT_INVALID_REF) return this.noGrants();
      unchecked((this.txInFlight[i - 1] = false));
      unchecked((this.txFree[this.txFreeCount++] = <u16>(i - 1)));
    }
    for (let i: u32 = 0; i < NET_RX_RING_SIZE; i++) {
      const page = allocPage();
      unchecked((this.rxPages[i] = page));
      const ref = grantPage(backend, page, false);
      unchecked((this.rxRefs[i] = ref));
      if (ref == GRANT_INVALID_REF) return this.noGrants();
    }
    this.rxFinish();
    this.refill(); // buffers are there before the backend looks
    return 0;
  }

  private noGrants(): i32 {
    return this.front.refuse(-<i32>XEN_ENOSPC, "out of grant references");
  }

  publish(dev: XenbusDevice, tx: u32): i32 {
    let rc: i32 = 0;
    if (dev.readBackend("multi-queue-max-queues").ok) rc = dev.writeFront("multi-queue-num-queues", "1", tx);
    if (!rc) rc = dev.writeFront("tx-ring-ref", this.front.ringRef(0).toString(), tx);
    if (!rc) rc = dev.writeFront("rx-ring-ref", this.front.ringRef(1).toString(), tx);
    if (this.split) {
      if (!rc) rc = dev.writeFront("event-channel-tx", this.txPort.toString(), tx);
      if (!rc) rc = dev.writeFront("event-channel-rx", this.rxPort.toString(), tx);
    } else if (!rc) {
      rc = dev.writeFront("event-channel", this.txPort.toString(), tx);
    }
    if (!rc) rc = dev.writeFront("request-rx-copy", "1", tx);
    if (!rc) rc = dev.writeFront("feature-rx-notify", "1", tx);
    if (!rc) rc = dev.writeFront("feature-sg", "1", tx);
    // Checksums are computed in software here; the backend fills them in too (csum_blank is still completed).
    if (!rc) rc = dev.writeFront("feature-no-csum-offload", "1", tx);
    return rc ? rc : <i32>XenbusStateConnected;
  }

  connected(dev: XenbusDevice): i32 {
    if (dev.readBackendNumber("feature-rx-copy", 0) != 1) {
      return this.front.refuse(-<i32>XEN_ENOSYS, "the backend does not offer feature-rx-copy");
    }
    this.sg = dev.readBackendNumber("feature-sg", 0) == 1;
    const mtu = readMtu(dev);
    if (mtu < 0) return this.front.refuse(-<i32>XEN_EINVAL, "the mtu in xenstore is not a number from 68 to 65521");
    this.mtuValue = this.sg ? <u32>mtu : min(<u32>mtu, ETH_DATA_LEN);
    this.stalled = false;
    evtchnSend(<u32>this.rxPort); // the posted buffers and anything already answered
    armTimer(this.timer, monotonicNs() + WATCHDOG_NS);
    return 0;
  }

  /** Revokes every tx and rx page (the ports and rings are the skeleton's); one the backend still maps is left to it. */
  teardown(): void {
    cancelTimer(this.timer);
    for (let i: u32 = 0; i < NET_TX_RING_SIZE; i++) {
      const ref = unchecked(this.txRefs[i]);
      if (unchecked(this.txPages[i])) this.front.revoke(ref, unchecked(this.txPages[i]));
      unchecked((this.txPages[i] = 0));
      unchecked((this.txRefs[i] = GRANT_INVALID_REF));
    }
    for (let i: u32 = 0; i < NET_RX_RING_SIZE; i++) {
      const ref = unchecked(this.rxRefs[i]);
      if (unchecked(this.rxPages[i])) this.front.revoke(ref, unchecked(this.rxPages[i]));
      unchecked((this.rxPages[i] = 0));
      unchecked((this.rxRefs[i] = GRANT_INVALID_REF));
    }
    this.txPort = -1;
    this.rxPort = -1;
  }

  /** Whether [frame, frame + length) lies inside one of this device's receive buffers (for tests). */
  ownsFrame(frame: usize, length: u32): bool {
    if (frame >= this.reassembly && frame + length <= this.reassembly + <usize>REASSEMBLY_PAGES * PAGE_SIZE) return true;
    for (let i: u32 = 0; i < NET_RX_RING_SIZE; i++) {
      const page = unchecked(this.rxPages[i]);
      if (frame >= page && frame + length <= page + PAGE_SIZE) return true;
    }
    return false;
  }
}

/** The MTU: the frontend's `mtu` (libxl writes it there), else the backend's, else 1500; -1 if malformed. */
function readMtu(dev: XenbusDevice): i64 {
  const own = xsRead(`${dev.nodename}/mtu`);
  const mtu = own.ok ? parseDecimal(own.value) : dev.readBackendNumber("mtu", ETH_DATA_LEN);
  return mtu < 68 || mtu > <i64>(MAX_FRAME - ETH_HLEN) ? -1 : mtu;
}

/** "00:16:3e:01:02:03" as the 48-bit value of its bytes in order, or -1. */
export function parseMac(text: string): i64 {
  if (text.length != 17) return -1;
  let mac: u64 = 0;
  for (let i = 0; i < 6; i++) {
    const hi = hexDigit(text.charCodeAt(i * 3));
    const lo = hexDigit(text.charCodeAt(i * 3 + 1));
    if (hi < 0 || lo < 0 || (i < 5 && text.charCodeAt(i * 3 + 2) != 0x3a)) return -1;
    mac = (mac << 8) | <u64>((hi << 4) | lo);
  }
  return <i64>mac;
}

function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  c |= 0x20;
  return c >= 0x61 && c <= 0x66 ? c - 0x61 + 10 : -1;
}

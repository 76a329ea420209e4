// The simulated netback (Linux's xen-netback, rx-copy only): one queue of a
// guest's vif. Transmit: the guest's tx requests are gathered (multi-slot
// frames, extra-info slots answered NETIF_RSP_NULL) and copied out through
// grant copy, then sent to the bridge. Receive: frames from the bridge are
// copied into the buffers the guest posted, through grant copy with its checks,
// split over several slots when they do not fit one (feature-sg). Features are
// switchable, and `misbehave` makes it answer wrongly on purpose.
import type { Simulator } from "../simulator.ts";
import type { PluggedXenstore } from "../xenstore/plug.ts";
import type { Domain } from "../domain.ts";
import { PAGE_SIZE } from "../guest_memory.ts";
import type { GrantMapping } from "../grant_table.ts";
import { GNTST_bad_copy_arg, GNTST_okay } from "../xen/grant_table.ts";
import {
  NETIF_RSP_ERROR, NETIF_RSP_NULL, NETIF_RSP_OKAY, NETRXF_csum_blank, NETRXF_data_validated, NETRXF_extra_info,
  NETRXF_more_data, NETTXF_extra_info, NETTXF_more_data, XEN_NETIF_EXTRA_FLAG_MORE, XEN_NETIF_EXTRA_TYPE_GSO,
  XEN_NETIF_GSO_TYPE_TCPV4, XEN_NETIF_MAX_TX_SIZE, XEN_NETIF_NR_SLOTS_MIN, netif_extra_info, netif_rx_request,
  netif_rx_response, netif_tx_request, netif_tx_response,
} from "../xen/io/netif.ts";
import type { BridgePort, NetBridge } from "./net-bridge.ts";
import { BackRing } from "./back-ring.ts";
import { XenbusBackend } from "./net-xenbus.ts";

export interface NetbackFeatures {
  /** feature-sg: frames over several slots (default on). */
  sg?: boolean;
  /** feature-split-event-channels (default on). */
  splitEventChannels?: boolean;
  /** multi-queue-max-queues, offered when above 1 (default 1: not offered); one queue is served. */
  maxQueues?: number;
  /** feature-rx-copy (default on; a frontend must refuse a backend without it). */
  rxCopy?: boolean;
}

export interface NetbackOptions {
  features?: NetbackFeatures;
  /** Bytes per rx slot (default a page): smaller values split received frames over several slots. */
  rxSlotBytes?: number;
  /** Deliver IPv4 UDP frames with their checksum left blank and NETRXF_csum_blank set (checksum offload). */
  rxCsumBlank?: boolean;
}

/** Wrong answers, each for the next `times` occasions. */
export type Misbehaviour =
  | "rx-bad-id" // an rx response id other than its request's
  | "rx-bad-offset" // an rx offset outside the page
  | "rx-oversize" // an rx length running past the page
  | "rx-error" // an rx status of NETIF_RSP_ERROR
  | "rx-bad-extra" // an extra-info slot of type 0 (invalid)
  | "rx-extra" // a valid GSO extra-info slot: to be skipped
  | "rx-overflow" // rsp_prod pushed past what the frontend asked for
  | "tx-bad-id" // a tx response with an id never sent
  | "tx-error" // a tx status of NETIF_RSP_ERROR (frame dropped)
  | "tx-overflow"
  | "drop-notify" // responses pushed without the notification
  | "hold-rx-grants"; // on connecting, every posted rx buffer's grant mapped and kept till the guest ends

/** The frontend's keys netback reads (io/netif.h), recorded for tests. */
const PUBLISHED = [
  "tx-ring-ref", "rx-ring-ref", "event-channel", "event-channel-tx", "event-channel-rx", "request-rx-copy",
  "feature-rx-notify", "feature-sg", "feature-no-csum-offload", "feature-gso-tcpv4", "multi-queue-num-queues",
];
/** Frames queued for a guest before further ones are dropped (netback's rx queue). */
const RX_QUEUE_MAX = 512;
const ETH_HLEN = 14;
/** Slots one tx frame may take (data and extra-info) before the frontend is at fault. */
const MAX_TX_SLOTS = XEN_NETIF_NR_SLOTS_MIN + 5;
/** Entries of the tx view cache (a power of two; a tx ring's worth of buffers). */
const TX_VIEWS = 256;
const EMPTY: Uint8Array = new Uint8Array(0);

export class Netback implements BridgePort {
  readonly xenbus: XenbusBackend;
  readonly stats = { txFrames: 0, txErrors: 0, rxFrames: 0, rxDropped: 0, protocolErrors: 0, notifications: 0 };
  /** The frontend's feature-sg, split channels, and the keys it published when it last connected. */
  frontSg = false;
  published: Record<string, string | undefined> = {};
  split = false;
  private readonly features: Required<NetbackFeatures>;
  private readonly rxSlotBytes: number;
  private readonly misbehaviour = new Map<Misbehaviour, number>();
  /** Whether `misbehaviour` holds anything: `take` is asked several times a frame. */
  private misbehaving = false;
  /** Frames from the bridge waiting for rx buffers: a circular queue of copies, each slot's buffer reused by the next frame of its length. */
  private readonly rxQueue: Uint8Array[] = [];
  private rxHead = 0;
  private rxQueued = 0;
  /** Responses written to the rx ring but not yet pushed. */
  private rxPending = false;
  /** Where a frame of several tx slots is gathered (a single-slot frame goes from the guest's page). */
  private readonly txFrameBuf = new Uint8Array(XEN_NETIF_MAX_TX_SIZE);
  /** Views of single-slot frames in the guest's pages, by grant: one made again only for another page, offset or size. */
  private readonly txViews = Array.from({ length: TX_VIEWS }, () => ({ page: EMPTY, offset: -1, size: -1, frame: EMPTY }));
  /** The slots of the tx frame being taken, copied out of the ring (reused: no allocation per frame). */
  private readonly tx = {
    extra: new Uint8Array(MAX_TX_SLOTS), gref: new Uint32Array(MAX_TX_SLOTS), offset: new Uint16Array(MAX_TX_SLOTS),
    id: new Uint16Array(MAX_TX_SLOTS), size: new Uint16Array(MAX_TX_SLOTS),
  };
  private send: (frame: Uint8Array) => void = () => {};
  private mappings: GrantMapping[] = [];
  /** Grants mapped by "hold-rx-grants", unmapped only when the guest ends. */
  private held: GrantMapping[] = [];
  private ports: number[] = [];
  private txRing?: BackRing;
  private rxRing?: BackRing;
  private txPort = -1;
  private rxPort = -1;
  private scheduled = false;
  private bridge?: NetBridge;

  constructor(
    private readonly sim: Simulator, xs: PluggedXenstore, readonly domid: number, readonly devid: number,
    private readonly options: NetbackOptions = {},
  ) {
    const f = options.features ?? {};
    this.features = { sg: f.sg ?? true, splitEventChannels: f.splitEventChannels ?? true, maxQueues: f.maxQueues ?? 1, rxCopy: f.rxCopy ?? true };
    const slot = options.rxSlotBytes ?? PAGE_SIZE;
    if (!Number.isInteger(slot) || slot < 1 || slot > PAGE_SIZE) throw new Error(`netback: rxSlotBytes must be from 1 to ${PAGE_SIZE}`);
    this.rxSlotBytes = slot;
    this.xenbus = new XenbusBackend(
      sim, xs.store, `/local/domain/${domid}/device/vif/${devid}`, `/local/domain/0/backend/vif/${domid}/${devid}`,
      { features: () => this.offered(), connect: () => this.connect(), disconnect: () => this.disconnect() },
    );
  }

  /** Plugs the vif into `bridge` and starts the handshake. */
  start(bridge?: NetBridge): void {
    if (bridge) this.send = bridge.attach(this);
    this.bridge = bridge;
    this.xenbus.start();
  }

  /** The guest is gone: unplug, unmap, close. */
  stop(): void {
    this.bridge?.detach(this);
    this.xenbus.stop();
    for (const m of this.held) this.sim.grants.unmap(m.handle);
    this.held = [];
  }

  /** Makes the next `times` occasions of `kind` go wrong. */
  misbehave(kind: Misbehaviour, times = 1): void {
    this.misbehaviour.set(kind, (this.misbehaviour.get(kind) ?? 0) + times);
    this.misbehaving = true;
  }

  private take(kind: Misbehaviour): boolean {
    if (!this.misbehaving) return false;
    const left = this.misbehaviour.get(kind) ?? 0;
    if (left <= 0) return false;
    if (left === 1) {
      this.misbehaviour.delete(kind);
      this.misbehaving = this.misbehaviour.size > 0;
    } else this.misbehaviour.set(kind, left - 1);
    return true;
  }

  private offered(): Record<string, string> {
    const f = this.features;
    return {
      "feature-sg": f.sg ? "1" : "0",
      "feature-rx-copy": f.rxCopy ? "1" : "0",
      "feature-rx-flip": "0",
      "feature-split-event-channels": f.splitEventChannels ? "1" : "0",
      "feature-gso-tcpv4": "0",
      ...(f.maxQueues > 1 ? { "multi-queue-max-queues": String(f.maxQueues) } : {}),
    };
  }

  // --- Connection --------------------------------------------------------------------------------

  private connect(): string | undefined {
    const x = this.xenbus;
    this.published = Object.fromEntries(PUBLISHED.map((key) => [key, x.read(key)]));
    const queues = x.read("multi-queue-num-queues");
    if (queues !== undefined && queues !== "1") return `multi-queue-num-queues "${queues}": one queue is served`;
    if (x.read("request-rx-copy") !== "1") return "the frontend did not write request-rx-copy=1";
    if (x.read("feature-rx-notify") !== "1") return "the frontend did not write feature-rx-notify=1";
    this.frontSg = x.read("feature-sg") === "1";
    const txRef = decimal(x.read("tx-ring-ref"));
    const rxRef = decimal(x.read("rx-ring-ref"));
    if (txRef === undefined || rxRef === undefined) return "tx-ring-ref and rx-ring-ref must be grant references";
    this.split = this.features.splitEventChannels && x.read("event-channel-tx") !== undefined;
    const txEv = decimal(x.read(this.split ? "event-channel-tx" : "event-channel"));
    const rxEv = this.split ? decimal(x.read("event-channel-rx")) : txEv;
    if (txEv === undefined || rxEv === undefined) return "no usable event-channel";
    for (const [ref, slot, which] of [[txRef, netif_tx_request.SIZE, "tx"], [rxRef, netif_rx_request.SIZE, "rx"]] as const) {
      const { status, mapping } = this.sim.grants.map(this.domid, ref, false);
      if (status !== GNTST_okay || !mapping) {
        this.disconnect();
        return `cannot map the ${which} ring (grant ${ref}): status ${status}`;
      }
      this.mappings.push(mapping);
      if (which === "tx") this.txRing = new BackRing([mapping], slot);
      else this.rxRing = new BackRing([mapping], slot);
    }
    try {
      this.txPort = this.sim.events.bindInterdomain(this.domid, txEv);
      this.ports.push(this.txPort);
      this.rxPort = this.split ? this.sim.events.bindInterdomain(this.domid, rxEv) : this.txPort;
      if (this.split) this.ports.push(this.rxPort);
    } catch (err) {
      this.disconnect();
      return `cannot bind the event channel: ${(err as Error).message}`;
    }
    this.sim.events.onEvent(this.txPort, () => this.kick());
    if (this.split) this.sim.events.onEvent(this.rxPort, () => this.kick());
    if (this.take("hold-rx-grants")) this.holdRxGrants();
    this.kick();
    return undefined;
  }

  /** Maps the grant of every rx request on the ring (the frontend posted them before connecting) and keeps it. */
  private holdRxGrants(): void {
    const ring = this.rxRing!;
    const view = ring.view();
    for (let i = 0; i < ring.size; i++) {
      const { status, mapping } = this.sim.grants.map(this.domid, view.getUint32(ring.at(i) + netif_rx_request.gref.offset, true), false);
      if (status === GNTST_okay && mapping) this.held.push(mapping);
    }
  }

  private disconnect(): void {
    for (const port of this.ports) {
      try {
        this.sim.events.close(port);
      } catch {
        // the guest closed its end already
      }
    }
    for (const m of this.mappings) this.sim.grants.unmap(m.handle);
    this.ports = [];
    this.mappings = [];
    this.rxPending = false;
    this.txRing = undefined;
    this.rxRing = undefined;
  }

  private get live(): boolean {
    return this.xenbus.connected && this.txRing !== undefined && this.rxRing !== undefined;
  }

  // --- Frames ------------------------------------------------------------------------------------

  /** A frame from the bridge for this guest: into its posted buffers now if it has room and none wait before it, else queued. */
  deliver(frame: Uint8Array): void {
    if (this.rxQueued === 0 && this.live) {
      const ring = this.rxRing!;
      const waiting = ring.unconsumed();
      if (waiting < 0) this.fatal();
      else if (this.rxFrame(ring, ring.view(), frame, waiting) >= 0) {
        this.rxPending = true;
        this.kick();
        return;
      }
    }
    if (this.rxQueued >= RX_QUEUE_MAX) {
      this.stats.rxDropped++;
      return;
    }
    const slot = (this.rxHead + this.rxQueued) % RX_QUEUE_MAX;
    let copy = this.rxQueue[slot];
    if (copy?.length !== frame.length) copy = this.rxQueue[slot] = new Uint8Array(frame.length);
    copy.set(frame);
    this.rxQueued++;
    this.kick();
  }

  /** Serves both rings from the event queue, once per burst. */
  private kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.sim.after(0n, () => {
      this.scheduled = false;
      if (!this.live) return;
      this.serveTx();
      if (this.live) this.serveRx();
    });
  }

  private notify(port: number): void {
    if (this.take("drop-notify")) return;
    this.stats.notifications++;
    this.sim.events.notify(port);
  }

  /** The frontend broke the ring protocol: stop serving it, as Linux's netback does. */
  private fatal(): void {
    this.stats.protocolErrors++;
    this.disconnect();
  }

  private serveTx(): void {
    const ring = this.txRing!;
    do {
      // The guest cannot add requests or move the ring's page while this runs: both are read once per drain.
      let waiting = ring.unconsumed();
      if (waiting < 0) return this.fatal();
      const view = ring.view();
      for (let taken = 1; waiting > 0 && taken > 0 && this.txRing === ring; waiting -= taken) taken = this.txFrame(ring, view, waiting);
      if (!this.txRing) return;
      if (this.take("tx-overflow")) ring.pushBogusProducer(ring.size + 3);
      else if (ring.pushResponses()) this.notify(this.txPort);
    } while (this.txRing && ring.finalCheck());
  }

  /** Takes one frame's slots if all `waiting` hold it: how many it took, 0 to wait for more. */
  private txFrame(ring: BackRing, view: DataView, waiting: number): number {
    const t = this.tx;
    let n = 0;
    let extra = false;
    let more = true;
    // Copy each slot out (the guest may change it), until the frame's last; the first slot's size is the frame's.
    let total = -1;
    let rest = 0;
    let dataSlots = 0;
    for (; more || extra; n++) {
      if (n >= waiting) return 0;
      if (n >= MAX_TX_SLOTS) {
        this.fatal();
        return 0;
      }
      const at = ring.at(ring.reqCons + n);
      t.extra[n] = extra ? 1 : 0;
      t.gref[n] = view.getUint32(at + netif_tx_request.gref.offset, true);
      t.offset[n] = view.getUint16(at + netif_tx_request.offset.offset, true);
      t.id[n] = view.getUint16(at + netif_tx_request.id.offset, true);
      t.size[n] = view.getUint16(at + netif_tx_request.size.offset, true);
      if (extra) {
        extra = (view.getUint8(at + netif_extra_info.flags.offset) & XEN_NETIF_EXTRA_FLAG_MORE) !== 0;
        continue;
      }
      const flags = view.getUint16(at + netif_tx_request.flags.offset, true);
      more = (flags & NETTXF_more_data) !== 0;
      extra = n === 0 && (flags & NETTXF_extra_info) !== 0;
      if (total < 0) total = t.size[n];
      else rest += t.size[n];
      dataSlots++;
    }
    ring.reqCons = (ring.reqCons + n) >>> 0;
    let ok = total >= ETH_HLEN && rest <= total && total <= XEN_NETIF_MAX_TX_SIZE && (dataSlots === 1 || this.frontSg);
    // One slot: the frame goes to the bridge from the guest's page, pinned meanwhile (whoever keeps it copies it).
    let pinned = -1;
    let frame: Uint8Array = this.txFrameBuf;
    if (ok && dataSlots === 1) {
      let k = 0;
      while (t.extra[k]) k++;
      const page = t.offset[k] + total <= PAGE_SIZE ? this.sim.grants.beginRead(this.domid, t.gref[k]) : GNTST_bad_copy_arg;
      if (typeof page === "number") ok = false;
      else {
        pinned = t.gref[k];
        const v = this.txViews[pinned & (TX_VIEWS - 1)];
        if (v.page !== page || v.offset !== t.offset[k] || v.size !== total) {
          v.page = page;
          v.offset = t.offset[k];
          v.size = total;
          v.frame = page.subarray(v.offset, v.offset + total);
        }
        frame = v.frame;
      }
    } else if (ok) {
      frame = this.txFrameBuf.subarray(0, total);
      let done = 0;
      let first = true;
      for (let k = 0; ok && k < n; k++) {
        if (t.extra[k]) continue;
        const len = first ? total - rest : t.size[k];
        first = false;
        ok = t.offset[k] + len <= PAGE_SIZE && this.sim.grants.copyFrom(this.domid, t.gref[k], t.offset[k], frame.subarray(done, done + len)) === GNTST_okay;
        done += len;
      }
    }
    try {
      if (ok && this.take("tx-error")) ok = false;
      for (let k = 0; k < n; k++) {
        const at = ring.at(ring.rspProdPvt);
        ring.rspProdPvt = (ring.rspProdPvt + 1) >>> 0;
        const id = t.extra[k] ? 0 : this.take("tx-bad-id") ? 0xfff0 : t.id[k];
        view.setUint16(at + netif_tx_response.id.offset, id, true);
        view.setInt16(at + netif_tx_response.status.offset, t.extra[k] ? NETIF_RSP_NULL : ok ? NETIF_RSP_OKAY : NETIF_RSP_ERROR, true);
      }
      if (!ok) {
        this.stats.txErrors++;
        return n;
      }
      this.stats.txFrames++;
      this.send(frame);
      return n;
    } finally {
      if (pinned >= 0) this.sim.grants.endRead(this.domid, pinned);
    }
  }

  private serveRx(): void {
    const ring = this.rxRing!;
    do {
      // As for tx, the guest cannot post buffers or move the ring while this runs.
      let waiting = this.rxQueued > 0 ? ring.unconsumed() : 0;
      if (waiting < 0) return this.fatal();
      const view = ring.view();
      let stalled = false;
      while (this.rxQueued > 0) {
        const used = this.rxFrame(ring, view, this.rxQueue[this.rxHead], waiting);
        if (used < 0) {
          stalled = true;
          break;
        }
        waiting -= used;
        this.rxHead = (this.rxHead + 1) % RX_QUEUE_MAX;
        this.rxQueued--;
        this.rxPending = true;
      }
      if (this.rxPending) {
        this.rxPending = false;
        if (this.take("rx-overflow")) ring.pushBogusProducer(ring.size + 3);
        else if (ring.pushResponses()) this.notify(this.rxPort);
      }
      // Posted buffers too few for the frame in hand stay unconsumed: looping on them would spin (issue 12, defect 10).
      if (stalled) return ring.awaitRequests();
    } while (this.rxQueued > 0 && this.rxRing && ring.finalCheck());
  }

  /** Copies one frame into the guest's posted buffers: the requests it used (0 for a frame dropped), -1 when too few are posted yet. */
  private rxFrame(ring: BackRing, view: DataView, frame: Uint8Array, waiting: number): number {
    const step = this.rxSlotBytes;
    const pieces = frame.length <= step ? 1 : Math.ceil(frame.length / step);
    if (pieces > 1 && !(this.frontSg && this.features.sg)) {
      this.stats.rxDropped++;
      return 0;
    }
    if (pieces >= ring.size) {
      // More slots than the ring holds (with one left for an extra): no posting can ever take it.
      this.stats.rxDropped++;
      return 0;
    }
    const extra = this.take("rx-bad-extra") ? 0 : this.take("rx-extra") ? XEN_NETIF_EXTRA_TYPE_GSO : -1;
    if (waiting < pieces + (extra >= 0 ? 1 : 0)) {
      if (extra >= 0) this.misbehave(extra === 0 ? "rx-bad-extra" : "rx-extra"); // kept for the frame that fits
      return -1;
    }
    let bytes = frame;
    let csum = 0;
    if (this.options.rxCsumBlank && blankUdpChecksum(bytes = frame.slice())) csum = NETRXF_csum_blank | NETRXF_data_validated;
    for (let k = 0; k < pieces; k++) {
      const at = ring.at(ring.reqCons);
      const id = view.getUint16(at + netif_rx_request.id.offset, true);
      const gref = view.getUint32(at + netif_rx_request.gref.offset, true);
      ring.reqCons = (ring.reqCons + 1) >>> 0;
      const chunk = pieces === 1 ? bytes : bytes.subarray(k * step, Math.min(bytes.length, (k + 1) * step));
      const copied = this.sim.grants.copyTo(this.domid, gref, 0, chunk) === GNTST_okay;
      const flags = (k + 1 < pieces ? NETRXF_more_data : 0) | (k === 0 ? csum | (extra >= 0 ? NETRXF_extra_info : 0) : 0);
      let offset = 0;
      let status = copied ? chunk.length : NETIF_RSP_ERROR;
      let rid = id;
      if (k === 0) {
        if (this.take("rx-bad-id")) rid = (id + 1) & 0xffff;
        if (this.take("rx-bad-offset")) offset = PAGE_SIZE + 16;
        if (this.take("rx-oversize")) status = PAGE_SIZE + 1;
        if (this.take("rx-error")) status = NETIF_RSP_ERROR;
      }
      // ring.h: a response goes in the slot its request came from.
      const rat = ring.at(ring.rspProdPvt);
      ring.rspProdPvt = (ring.rspProdPvt + 1) >>> 0;
      view.setUint16(rat + netif_rx_response.id.offset, rid, true);
      view.setUint16(rat + netif_rx_response.offset.offset, offset & 0xffff, true);
      view.setUint16(rat + netif_rx_response.flags.offset, flags, true);
      view.setInt16(rat + netif_rx_response.status.offset, status, true);
      if (k === 0 && extra >= 0) {
        ring.reqCons = (ring.reqCons + 1) >>> 0;
        const eat = ring.at(ring.rspProdPvt);
        ring.rspProdPvt = (ring.rspProdPvt + 1) >>> 0;
        view.setUint8(eat + netif_extra_info.type.offset, extra);
        view.setUint8(eat + netif_extra_info.flags.offset, 0);
        view.setUint16(eat + netif_extra_info.u_gso_size.offset, 1448, true);
        view.setUint8(eat + netif_extra_info.u_gso_type.offset, XEN_NETIF_GSO_TYPE_TCPV4);
        view.setUint16(eat + netif_extra_info.u_gso_features.offset, 0, true);
      }
    }
    this.stats.rxFrames++;
    return pieces + (extra >= 0 ? 1 : 0);
  }
}

function decimal(text: string | undefined): number | undefined {
  return text !== undefined && /^(0|[1-9]\d{0,9})$/.test(text) && Number(text) <= 0xffffffff ? Number(text) : undefined;
}

/** Leaves an IPv4 UDP frame's checksum as offloading senders do (garbage to be filled in); false if not UDP. */
function blankUdpChecksum(frame: Uint8Array): boolean {
  if (frame.length < ETH_HLEN + 28 || frame[12] !== 0x08 || frame[13] !== 0x00 || frame[ETH_HLEN] >> 4 !== 4) return false;
  const ihl = (frame[ETH_HLEN] & 15) * 4;
  if (frame[ETH_HLEN + 9] !== 17 || frame.length < ETH_HLEN + ihl + 8) return false;
  frame[ETH_HLEN + ihl + 6] = 0x12;
  frame[ETH_HLEN + ihl + 7] = 0x34;
  return true;
}

/** Adds vif `devid` to a domain (as `xl network-attach`) with a netback plugged into `bridge`. */
export function attachNetwork(
  sim: Simulator, xs: PluggedXenstore, domain: Domain,
  options: NetbackOptions & { bridge?: NetBridge; mac?: string; devid?: number; mtu?: number } = {},
): Netback {
  const devid = options.devid ?? 0;
  const mac = options.mac ?? `00:16:3e:${hex((domain.domid >> 8) & 0xff)}:${hex(domain.domid & 0xff)}:${hex(devid & 0xff)}`;
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac) || parseInt(mac.slice(0, 2), 16) & 1) {
    throw new Error(`attachNetwork: "${mac}" is not a unicast MAC address like 00:16:3e:00:00:01`);
  }
  xs.toolstack.addVif(domain.domid, { devid, mac, mtu: options.mtu, bridge: options.bridge?.name });
  const netback = new Netback(sim, xs, domain.domid, devid, options);
  netback.start(options.bridge);
  sim.onDomainEnd((d) => {
    if (d.domid === domain.domid) netback.stop();
  });
  return netback;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}

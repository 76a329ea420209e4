// The driver campaigns' one door to the simulated backends: their hostile
// switches drawn at random for a session (BlkbackFaults, Netback.misbehave),
// and the ring layouts RingCorrupter rewrites responses in. When the backends'
// fault mechanism changes, this file is the one to port.
import type { BlkbackFaults } from "../../sim/backends/blkback.ts";
import type { Misbehaviour, Netback } from "../../sim/backends/netback.ts";
import type { Prng } from "../../sim/prng.ts";
import {
  BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_WRITE_BARRIER, BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_ERROR, BLKIF_RSP_OKAY, blkif_response, blkif_sring,
} from "../../sim/xen/io/blkif.ts";
import { NETIF_RSP_ERROR, netif_rx_response, netif_rx_sring, netif_tx_response, netif_tx_sring } from "../../sim/xen/io/netif.ts";
import type { Store } from "../../sim/xenstore/store.ts";
import { chance, pick } from "../campaign.ts";
import type { RingSpec } from "./ring-corrupt.ts";

export interface DrawnFaults {
  faults: BlkbackFaults;
  /** The switches that can make a correct-looking answer wrong (a repeated id may belong to a request in flight). */
  undetectable: boolean;
}

/**
 * Blkback's hostile switches for one session: each on with some chance, at a
 * random rate; those after which blkfront stops the device (a bad id, an
 * overflow, a close) rarely and late, as they end the session.
 */
export function drawBlkFaults(rng: Prng, allowUndetectable: boolean): DrawnFaults {
  const every = () => 3 + rng.int(60);
  const late = () => 200 + rng.int(5000);
  const faults: BlkbackFaults = {};
  if (chance(rng, 0.1)) faults.badIdEvery = late();
  if (chance(rng, 0.4)) faults.errorEvery = every();
  if (chance(rng, 0.2)) faults.dropNotifyEvery = every();
  if (chance(rng, 0.2)) faults.notifyDelayNs = rng.int(2_000_000);
  if (chance(rng, 0.03)) faults.overflowAfter = late();
  if (chance(rng, 0.02)) faults.closeAfter = late();
  if (chance(rng, 0.1)) faults.refuseFlushes = true;
  const undetectable = allowUndetectable && chance(rng, 0.5);
  if (undetectable) faults.duplicateEvery = every();
  return { faults, undetectable };
}

/** Hostile responses the switches made, from the backend's response count. */
export function blkFaultResponses(f: BlkbackFaults, responses: number): number {
  return [f.badIdEvery, f.errorEvery, f.duplicateEvery].reduce<number>((n, e) => n + (e ? Math.floor(responses / e) : 0), 0) + (f.overflowAfter && responses > f.overflowAfter ? 1 : 0);
}

const refKeys = (order: number | undefined, single: string, multi: string) =>
  order === undefined ? [single] : Array.from({ length: 2 ** order }, (_, i) => `${multi}${i}`);

/** Changes a driver must detect and survive, detect and stop the device for, and cannot detect at all. */
export interface Kinds {
  survivable: string[];
  fatal: string[];
  undetectable: string[];
}

/** blkif's responses: error and unknown statuses; ids and operations no request had; another request's id, OKAY for an error. */
export const BLKIF_KINDS: Kinds = { survivable: ["bad-status", "error", "refuse"], fatal: ["bad-id", "bad-op"], undetectable: ["other-id", "ok-for-error"] };

export const BLKIF_RING: RingSpec = {
  refKeys(store: Store, front: string) {
    const order = store.nodes.get(`${front}/ring-page-order`);
    return refKeys(order ? Number(new TextDecoder().decode(order.value)) : undefined, "ring-ref", "ring-ref");
  },
  entry: blkif_sring.ring.length,
  apply(kind, rng, slot) {
    const r = blkif_response;
    const status = Number(BigInt.asIntN(16, slot.get(r.status.offset, 2)));
    switch (kind) {
      case "bad-id": slot.set(r.id.offset, 8, (1n << 40n) + BigInt(rng.int(2 ** 31))); return true;
      case "bad-op": slot.set(r.operation.offset, 1, (slot.get(r.operation.offset, 1) ^ BigInt(1 + rng.int(255))) & 0xffn); return true;
      case "bad-status": slot.set(r.status.offset, 2, BigInt(3 + rng.int(0x7ff0))); return true;
      case "error":
      case "refuse": {
        // "refuse" answers a flush or barrier EOPNOTSUPP; "error" fails anything.
        const op = Number(slot.get(r.operation.offset, 1));
        const flush = op === BLKIF_OP_FLUSH_DISKCACHE || op === BLKIF_OP_WRITE_BARRIER;
        if (status !== BLKIF_RSP_OKAY || (kind === "refuse") !== flush) return false;
        slot.set(r.status.offset, 2, BigInt.asUintN(16, BigInt(kind === "refuse" ? BLKIF_RSP_EOPNOTSUPP : BLKIF_RSP_ERROR)));
        return true;
      }
      case "other-id": slot.set(r.id.offset, 8, BigInt(rng.int(32))); return true;
      default:
        if (status === BLKIF_RSP_OKAY) return false;
        slot.set(r.status.offset, 2, 0n);
        return true;
    }
  },
};

/** netif's tx responses: error statuses; ids never sent; an id that may be in flight. */
export const NETIF_TX_KINDS: Kinds = { survivable: ["tx-error", "tx-bad-id"], fatal: [], undetectable: ["tx-other-id"] };

export const NETIF_TX_RING: RingSpec = {
  refKeys: () => ["tx-ring-ref"],
  entry: netif_tx_sring.ring.length,
  apply(kind, rng, slot) {
    const r = netif_tx_response;
    if (kind === "tx-bad-id") slot.set(r.id.offset, 2, BigInt(256 + rng.int(0xff00)));
    else if (kind === "tx-error") slot.set(r.status.offset, 2, BigInt.asUintN(16, BigInt(NETIF_RSP_ERROR)));
    else slot.set(r.id.offset, 2, BigInt(rng.int(256)));
    return true;
  },
};

/** netif's rx responses: bad ids, offsets, lengths, statuses; flags, shorter lengths and ids that may be posted. */
export const NETIF_RX_KINDS: Kinds = {
  survivable: ["rx-bad-id", "rx-bad-offset", "rx-oversize", "rx-error"], fatal: [], undetectable: ["rx-flags", "rx-shorter", "rx-other-id"],
};

export const NETIF_RX_RING: RingSpec = {
  refKeys: () => ["rx-ring-ref"],
  entry: netif_rx_sring.ring.length,
  apply(kind, rng, slot) {
    const r = netif_rx_response;
    const length = Number(BigInt.asIntN(16, slot.get(r.status.offset, 2)));
    if (kind === "rx-bad-id") slot.set(r.id.offset, 2, BigInt(256 + rng.int(0xff00)));
    else if (kind === "rx-bad-offset") slot.set(r.offset.offset, 2, BigInt(4096 + rng.int(0xf000)));
    else if (kind === "rx-oversize") slot.set(r.status.offset, 2, BigInt(4097 + rng.int(0x7000)));
    else if (kind === "rx-error") slot.set(r.status.offset, 2, BigInt.asUintN(16, BigInt(NETIF_RSP_ERROR)));
    else if (kind === "rx-flags") slot.set(r.flags.offset, 2, BigInt(rng.int(0x40)));
    else if (kind === "rx-shorter") {
      if (length <= 1) return false;
      slot.set(r.status.offset, 2, BigInt(rng.int(length)));
    } else slot.set(r.id.offset, 2, BigInt(rng.int(256)));
    return true;
  },
};

/**
 * A session's mix for `kinds`: survivable changes always, fatal ones (which stop
 * the device) rarely, undetectable ones only when allowed.
 */
export function chooser(rng: Prng, kinds: Map<RingSpec, Kinds>, fatalRate: number, undetectable: boolean): (spec: RingSpec) => string | undefined {
  return (spec) => {
    const k = kinds.get(spec);
    if (!k) return undefined;
    if (k.fatal.length && chance(rng, fatalRate)) return pick(rng, k.fatal);
    if (undetectable && chance(rng, 0.3)) return pick(rng, k.undetectable);
    return pick(rng, k.survivable);
  };
}

/** Whether a change of `kind` is one no protocol can detect. */
export function isUndetectable(kind: string): boolean {
  return [BLKIF_KINDS, NETIF_TX_KINDS, NETIF_RX_KINDS].some((k) => k.undetectable.includes(kind));
}

const NET_FAULTS: Misbehaviour[] = ["rx-bad-id", "rx-bad-offset", "rx-oversize", "rx-error", "rx-bad-extra", "rx-extra", "tx-bad-id", "tx-error", "drop-notify"];
const NET_OVERFLOWS: Misbehaviour[] = ["rx-overflow", "tx-overflow"];

/** Netback's own hostile answers, one at a time; overflows (which reset the device) rarely. Returns the kind. */
export function netMisbehave(rng: Prng, netback: Netback): Misbehaviour {
  const kind = chance(rng, 0.01) ? pick(rng, NET_OVERFLOWS) : pick(rng, NET_FAULTS);
  netback.misbehave(kind);
  return kind;
}

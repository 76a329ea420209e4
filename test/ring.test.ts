// The shared ring (runtime/ring/) against Xen's io/ring.h compiled natively:
// the same operation sequences on both, the ring's bytes and every counter
// compared after each step, with the 32-bit indices starting just below 2^32
// so that they wrap. Then a peer that breaks the protocol.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO } from "../cli/build.ts";
import { blkif_sring } from "../sim/xen/io/blkif.ts";
import { netif_rx_sring, netif_tx_sring } from "../sim/xen/io/netif.ts";
import { XEN_PAGE_SHIFT } from "../sim/xen/io/ring.ts";
import { KINDS, loadRingModule, type RingModule } from "./ring/host.ts";

const RING_DIFF = join(REPO, "build/test/ring_diff");
const START = 0xffffff00;
const RING_OVERFLOW = 0xffffffff; // runtime/ring/sring.ts RING_OVERFLOW (-1) as a u32
const LAYOUT_WORDS = 13;
const STATE_WORDS = 9;
const SRINGS = { blkif: blkif_sring, netif_tx: netif_tx_sring, netif_rx: netif_rx_sring };

type Kind = (typeof KINDS)[number];
type Op = [name: string, n: number];

let ring: RingModule;

beforeAll(async () => {
  mkdirSync(join(REPO, "build/test"), { recursive: true });
  execFileSync("gcc", ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", RING_DIFF, join(REPO, "test/ring/ring_diff.c")]);
  ring = await loadRingModule();
});

/** xorshift32: sequences repeatable from their seed. */
function random(seed: number): (below: number) => number {
  let x = seed >>> 0 || 1;
  return (below) => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x % below;
  };
}

/**
 * A legal run of both ends in one thread: a model of where every slot is keeps
 * each step within what ring.h allows (the front never produces into a full
 * ring, each end consumes only what the other pushed).
 */
function sequence(seed: number, nrEnts: number, steps: number): Op[] {
  const rand = random(seed);
  let produced = 0, pushedReq = 0, inService = 0, responded = 0, pushedRsp = 0, consumed = 0;
  const ops: Op[] = [];
  const take = (k: number) => 1 + rand(Math.min(k, rand(4) === 0 ? nrEnts : 40));
  while (ops.length < steps) {
    const free = nrEnts - (produced + pushedReq + inService + responded + pushedRsp);
    switch (rand(13)) {
      case 0: case 1:
        if (free > 0) { const n = take(free); produced += n; ops.push(["produce", n]); }
        break;
      case 2:
        ops.push([rand(2) ? "pushRequests" : "pushRequestsAndCheckNotify", 0]);
        pushedReq += produced; produced = 0;
        break;
      case 3: ops.push(["checkRequests", 0]); break;
      case 4:
        if (pushedReq > 0) { const n = take(pushedReq); pushedReq -= n; inService += n; ops.push(["consumeRequests", n]); }
        break;
      case 5: ops.push(["finalCheckForRequests", 0]); break;
      case 6: case 7:
        if (inService > 0) { const n = take(inService); inService -= n; responded += n; ops.push(["produceResponses", n]); }
        break;
      case 8:
        ops.push([rand(2) ? "pushResponses" : "pushResponsesAndCheckNotify", 0]);
        pushedRsp += responded; responded = 0;
        break;
      case 9: ops.push(["checkResponses", 0]); break;
      case 10:
        if (pushedRsp > 0) { const n = take(pushedRsp); pushedRsp -= n; consumed += n; ops.push(["consumeResponses", n]); }
        break;
      case 11: ops.push(["finalCheckForResponses", 0]); break;
      case 12: {
        // An index near the counters (both sides of every bound: rsp_cons is START + consumed) or anywhere.
        const near = START + consumed + rand(3 * nrEnts) - nrEnts;
        ops.push(["overflowPredicates", (rand(4) ? near : rand(0x10000) * 0x10000 + rand(0x10000)) >>> 0]);
        break;
      }
    }
  }
  return ops;
}

interface Step { state: Uint32Array; bytes: Uint8Array }

/** ring_diff.c's run: its layout record and one state + page dump per step. */
function runC(kind: Kind, order: number, ops: Op[]): { layout: Uint32Array; steps: Step[] } {
  const out = execFileSync(RING_DIFF, [kind, String(order), String(START)], {
    input: ops.map(([name, n]) => `${name} ${n}\n`).join(""),
    maxBuffer: 1 << 30,
  });
  const size = 1 << (order + XEN_PAGE_SHIFT);
  const words = (at: number, n: number) => new Uint32Array(out.buffer.slice(out.byteOffset + at, out.byteOffset + at + 4 * n));
  const layout = words(0, LAYOUT_WORDS);
  const record = 4 * STATE_WORDS + size;
  const steps: Step[] = [];
  for (let at = 4 * LAYOUT_WORDS; at < out.length; at += record) {
    steps.push({ state: words(at, STATE_WORDS), bytes: out.subarray(at + 4 * STATE_WORDS, at + record) });
  }
  expect(steps.length).toBe(ops.length + 1);
  return { layout, steps };
}

/** The same record from Morgana's ring: the op's result, the private counters, the ring's bytes. */
function morganaStep(result: number, base: number, size: number): Step {
  const state = new Uint32Array(STATE_WORDS);
  state[0] = result;
  for (let i = 1; i < STATE_WORDS; i++) state[i] = ring.state(i - 1) >>> 0;
  return { state, bytes: new Uint8Array(ring.memory.buffer, base, size) };
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const STATE_NAMES = ["result", "req_prod_pvt", "rsp_cons", "rsp_prod_pvt", "req_cons", "RING_FREE_REQUESTS", "RING_FULL", "unconsumed responses", "unconsumed requests"];

const CASES: { kind: Kind; order: number; seed: number }[] = [
  { kind: "blkif", order: 0, seed: 1 },
  { kind: "blkif", order: 0, seed: 2 },
  { kind: "blkif", order: 2, seed: 3 },
  { kind: "netif_tx", order: 0, seed: 4 },
  { kind: "netif_rx", order: 1, seed: 5 },
];

describe("ring.h differential", () => {
  it.each(KINDS)("%s: layout and slot size come from gcc", (kind) => {
    const { layout } = runC(kind, 0, []);
    const [reqProd, reqEvent, rspProd, rspEvent, pvt, pvtLength, pad, padLength, slots, entry] = layout;
    // runtime/ring/ uses blkif_sring's header for every ring: each ring type must agree with it.
    expect([...Array(9).keys()].map((i) => ring.header(i))).toEqual([reqProd, reqEvent, rspProd, rspEvent, pvt, pvtLength, pad, padLength, slots]);
    const sring = SRINGS[kind];
    expect([sring.req_prod.offset, sring.req_event.offset, sring.rsp_prod.offset, sring.rsp_event.offset, sring.ring.offset]).toEqual([reqProd, reqEvent, rspProd, rspEvent, slots]);
    expect(ring.entrySize(KINDS.indexOf(kind))).toBe(entry);
    expect(sring.ring.length).toBe(entry);
  });

  it.each(CASES)("$kind ring-page-order $order, seed $seed: same bytes after every step", ({ kind, order, seed }) => {
    const size = 1 << (order + XEN_PAGE_SHIFT);
    const nrEnts = runC(kind, order, []).layout[12];
    const ops = sequence(seed, nrEnts, 800);
    const { layout, steps } = runC(kind, order, ops);
    const [requestSize, responseSize] = [layout[10], layout[11]];
    const base = ring.setup(KINDS.indexOf(kind), order, START, requestSize, responseSize);
    expect(ring.state(8)).toBe(nrEnts);
    const notifies = new Set<number>();
    const predicates = new Set<number>();
    for (let i = 0; i <= ops.length; i++) {
      const [name, n] = i === 0 ? ["setup", 0] : ops[i - 1];
      const result = i === 0 ? 0 : (ring[name] as (n: number) => number)(n) >>> 0;
      const ours = morganaStep(result, base, size);
      const theirs = steps[i];
      const where = `step ${i} (${name} ${n})`;
      for (let w = 0; w < STATE_WORDS; w++) expect(ours.state[w], `${where}: ${STATE_NAMES[w]}`).toBe(theirs.state[w]);
      const at = firstDifference(ours.bytes, theirs.bytes);
      expect(at, `${where}: first differing byte of the ring`).toBe(-1);
      if (name.endsWith("AndCheckNotify")) notifies.add(result);
      if (name === "overflowPredicates") predicates.add(result);
    }
    // The run exercised both answers of the hold-off check and of each overflow predicate, and wrapped every counter.
    expect([...notifies].sort()).toEqual([0, 1]);
    for (const bit of [1, 2, 4]) expect(new Set([...predicates].map((p) => p & bit))).toEqual(new Set([0, bit]));
    for (let w = 1; w <= 4; w++) expect(steps[ops.length].state[w]).toBeLessThan(START);
  });
});

describe("a peer that breaks the protocol", () => {
  const { req_prod, rsp_prod } = blkif_sring;
  const BLKIF = KINDS.indexOf("blkif");
  const NR = 32; // blkif, one page

  /** A blkif ring whose counters stand at `start`, with `inFlight` requests pushed and consumed. */
  function ringWith(start: number, inFlight: number): void {
    ring.setup(BLKIF, 0, start, 112, 16);
    (ring.produce as (n: number) => void)(inFlight);
    (ring.pushRequests as () => void)();
  }
  const call = (name: string) => (ring[name] as () => number)() >>> 0;

  it("the backend answering more than it was asked is an error, and stays one", () => {
    ringWith(0xfffffffc, 5);
    ring.peerStore(rsp_prod.offset, (0xfffffffc + 5) >>> 0);
    expect(call("checkResponses")).toBe(5);
    ring.peerStore(rsp_prod.offset, (0xfffffffc + 6) >>> 0);
    expect(call("checkResponses")).toBe(RING_OVERFLOW);
    ring.peerStore(rsp_prod.offset, (0xfffffffc + 5) >>> 0);
    expect(call("checkResponses")).toBe(RING_OVERFLOW);
  });

  it.each([
    ["beyond the ring", 0xfffffffc + NR + 1],
    ["half the index space ahead", 0xfffffffc + 0x80000000],
    ["moved back", 0xfffffffc - 1],
  ])("rsp_prod %s is an error", (_, prod) => {
    ringWith(0xfffffffc, 5);
    ring.peerStore(rsp_prod.offset, prod >>> 0);
    expect(call("checkResponses")).toBe(RING_OVERFLOW);
  });

  it("the frontend overflowing req_prod is an error; a full ring is not", () => {
    ringWith(0xfffffff0, 0);
    ring.peerStore(req_prod.offset, (0xfffffff0 + NR) >>> 0);
    expect(call("checkRequests")).toBe(NR);
    ring.setup(BLKIF, 0, 0xfffffff0, 112, 16);
    ring.peerStore(req_prod.offset, (0xfffffff0 + NR + 1) >>> 0);
    expect(call("checkRequests")).toBe(RING_OVERFLOW);
    ring.peerStore(req_prod.offset, (0xfffffff0 + 1) >>> 0);
    expect(call("checkRequests")).toBe(RING_OVERFLOW);
  });

  it("req_prod moved behind what the backend consumed is an error", () => {
    ringWith(0xfffffffe, 4);
    expect(call("checkRequests")).toBe(4);
    (ring.consumeRequests as (n: number) => void)(4);
    ring.peerStore(req_prod.offset, 0xfffffffe + 2);
    expect(call("checkRequests")).toBe(RING_OVERFLOW);
  });

  it("a driver's completion loop ends whatever the peer writes", () => {
    const rand = random(7);
    for (let i = 0; i < 2000; i++) {
      const start = (0xffffffff - rand(64)) >>> 0;
      const inFlight = rand(NR + 1);
      ringWith(start, inFlight);
      const prod = rand(2) ? (start + rand(2 * NR)) >>> 0 : (rand(0x10000) * 0x10001) >>> 0;
      ring.peerStore(rsp_prod.offset, prod);
      const ahead = (prod - start) >>> 0;
      expect(ring.drainResponses()).toBe(ahead <= inFlight ? ahead : -1);
      ring.peerStore(req_prod.offset, prod);
      ring.setup(BLKIF, 0, start, 112, 16);
      ring.peerStore(req_prod.offset, prod);
      expect(ring.drainRequests()).toBe(ahead <= NR ? ahead : -1);
    }
  });

  it("every index lands in a slot inside the ring", () => {
    ring.setup(BLKIF, 0, 0, 112, 16);
    const rand = random(11);
    for (let i = 0; i < 5000; i++) {
      const idx = (rand(0x10000) * 0x10000 + rand(0x10000)) >>> 0;
      const offset = ring.slotOffset(idx);
      expect(offset).toBe(64 + (idx % NR) * 112);
      expect(offset + 112).toBeLessThanOrEqual(4096);
    }
  });

  it("a slot copy moves exactly its bytes, whatever the size", () => {
    for (let bytes = 0; bytes <= 256; bytes++) {
      const at = ring.copySlotOf(bytes);
      const copied = new Uint8Array(ring.memory.buffer, at, 256);
      for (let i = 0; i < 256; i++) expect(copied[i], `byte ${i} of a ${bytes}-byte copy`).toBe(i < bytes ? (i + 1) & 0xff : 0xee);
    }
  });
});

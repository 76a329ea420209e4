// blkfront against the simulated blkback under random reads, writes, flushes,
// discards and batches (test/apps/blk-harness): the guest checks every read
// against its model of the disk, and Node checks the image file against the
// model, right when the final flush was acknowledged (nothing may be missing
// from the file then) and after the run. Every feature combination the backend
// can offer, and every hostile switch it has.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BlkbackFaults, BlkbackFeatures } from "../sim/backends/blkback.ts";
import { bytes, utf8 } from "../sim/xenstore/wire.ts";
import type { Watcher } from "../sim/xenstore/store.ts";
import { counter, differingChunks, makeImage, modelChunks, runDisk, sha256 } from "./blk-run.ts";

const APP = "test/apps/blk-harness";
const SIZE = 2 << 20;
const CHUNKS = SIZE / 65536;

describe("blkfront data integrity", () => {
  for (const sectorSize of [512, 4096]) {
    it(`random operations on ${sectorSize}-byte sectors match the model and the file`, async () => {
      const path = makeImage(SIZE, sectorSize);
      // Writes stay in the backend's cache until a flush: the file shows only what flushes wrote.
      const run = await runDisk({ app: APP, path, sectorSize, cmdline: "seed=7 ops=300 maxkib=700", cacheLimitBytes: 64 << 20 });
      expect(run.domain.result).toEqual({ kind: "exit", status: 0 });
      expect(run.lines).toContain("final flush: 0");
      if (sectorSize > 512) expect(run.lines).toContain("misaligned read: -22");
      expect(counter(run.console, "mismatches")).toBe(0);
      expect(counter(run.console, "failures")).toBe(0);
      expect(counter(run.console, "indirect")).toBeGreaterThan(0);
      expect(counter(run.console, "told")).toBeGreaterThan(0);
      expect(modelChunks(run.console).size).toBe(CHUNKS);
      expect(differingChunks(run.console, run.atFlush!)).toEqual([]);
      expect(differingChunks(run.console, run.file)).toEqual([]);
    });
  }

  it("a small backend cache writes back between flushes without losing or reordering data", async () => {
    const path = makeImage(SIZE, 3);
    const run = await runDisk({ app: APP, path, cmdline: "seed=11 ops=200", cacheLimitBytes: 128 * 1024 });
    expect(counter(run.console, "mismatches")).toBe(0);
    expect(differingChunks(run.console, run.atFlush!)).toEqual([]);
  });

  it("the same seed replays the same run", async () => {
    const runs = await Promise.all([1, 2].map(() => runDisk({ app: APP, path: makeImage(SIZE, 5), cmdline: "seed=5 ops=60", seed: 9 })));
    expect(runs[0].console).toBe(runs[1].console);
    expect(runs[0].domain.stats.hypercalls).toBe(runs[1].domain.stats.hypercalls);
  });
});

describe("every feature combination the backend offers", () => {
  it("negotiates what is offered and keeps the data intact", async () => {
    const features = fc.record({
      flushCache: fc.boolean(), barrier: fc.boolean(), discard: fc.boolean(), discardSecure: fc.boolean(),
      persistent: fc.boolean(), maxIndirectSegments: fc.constantFrom(0, 11, 32, 256), maxRingPageOrder: fc.constantFrom(0, 1, 2, 4),
    });
    await fc.assert(
      fc.asyncProperty(features, fc.constantFrom(512, 4096), fc.integer({ min: 1, max: 1000 }), async (f: BlkbackFeatures, sectorSize, seed) => {
        const path = makeImage(SIZE, seed);
        const run = await runDisk({ app: APP, path, sectorSize, features: f, cmdline: `seed=${seed} ops=60` });
        const flush = f.flushCache || f.barrier;
        const segments = f.maxIndirectSegments > 11 ? Math.min(f.maxIndirectSegments, 128) : 11;
        expect(run.lines[0]).toBe(
          `disk: 4096 sectors, sector size ${sectorSize}, rw, flush ${flush}, discard ${f.discard}, persistent ${f.persistent}, segments ${segments}, ring pages ${2 ** f.maxRingPageOrder}`,
        );
        expect(counter(run.console, "mismatches")).toBe(0);
        expect(counter(run.console, "failures")).toBe(0);
        expect(run.backend.stats.ringPageOrder).toBe(f.maxRingPageOrder);
        expect(run.backend.stats.persistentMaps > 0).toBe(f.persistent);
        expect(differingChunks(run.console, run.atFlush!)).toEqual([]);
        expect(differingChunks(run.console, run.file)).toEqual([]);
        // Without flush or barrier the backend writes through: still nothing lost.
        if (!flush) expect(run.backend.stats.fsyncs).toBe(0);
      }),
      { numRuns: 30, seed: 4242 },
    );
  });
});

describe("a hostile backend", () => {
  const cases: { name: string; faults: BlkbackFaults; check: (console: string) => void; lost: boolean; cmdline?: string }[] = [
    { name: "unknown ids", faults: { badIdEvery: 40 }, lost: true, check: (c) => expect(counter(c, "badIds")).toBe(1) },
    { name: "duplicate responses", faults: { duplicateEvery: 40 }, lost: true, check: (c) => expect(counter(c, "badIds")).toBe(1) },
    { name: "producer overflow", faults: { overflowAfter: 40 }, lost: true, check: (c) => expect(counter(c, "overflows")).toBe(1) },
    { name: "error statuses", faults: { errorEvery: 7 }, lost: false, check: (c) => expect(counter(c, "errors")).toBeGreaterThan(10) },
    { name: "slow notifications", faults: { notifyDelayNs: 5_000_000 }, lost: false, check: (c) => expect(counter(c, "failures")).toBe(0) },
    { name: "dropped notifications", faults: { dropNotifyEvery: 4 }, lost: false, check: (c) => expect(counter(c, "polled")).toBeGreaterThan(0) },
    {
      // As Linux: a refused flush or barrier is an EOPNOTSUPP error, then the feature is dropped; unlike
      // Linux, every later flush fails too (nothing makes the writes durable), the last one included.
      name: "flushes refused", faults: { refuseFlushes: true }, lost: false,
      check: (c) => {
        expect(counter(c, "errors")).toBe(2);
        expect(counter(c, "flushes")).toBeGreaterThan(2);
        expect(counter(c, "failures")).toBe(counter(c, "flushes"));
        expect(counter(c, "flush")).toBe(0);
        expect(c).toContain("final flush: -95\n");
      },
    },
    {
      name: "requests never answered", faults: { neverAnswerEvery: 40 }, lost: false, cmdline: "timeoutms=50",
      check: (c) => {
        expect(counter(c, "timeouts")).toBeGreaterThan(1);
        expect(counter(c, "connections")).toBe(counter(c, "timeouts") + 1);
        expect(counter(c, "failures")).toBeGreaterThan(0);
      },
    },
    {
      name: "closing mid-way", faults: { closeAfter: 50 }, lost: false,
      check: (c) => {
        expect(counter(c, "connections")).toBe(2);
        expect(counter(c, "aborted")).toBeGreaterThan(0);
      },
    },
  ];
  for (const { name, faults, check, lost, cmdline } of cases) {
    it(`${name}: a clear error, the unikernel carries on or stops cleanly, no acknowledged write lost`, async () => {
      const path = makeImage(SIZE, 21);
      const run = await runDisk({ app: APP, path, faults, cmdline: `seed=21 ops=150 ${cmdline ?? ""}` });
      expect(run.domain.result).toEqual({ kind: "exit", status: 0 });
      check(run.console);
      expect(counter(run.console, "mismatches")).toBe(0);
      expect(run.lines.some((l) => l.startsWith("ops:") && l.endsWith(" lost"))).toBe(lost);
      // Every chunk the model knows (acknowledged writes) is in the file once the backend let go.
      expect(modelChunks(run.console).size).toBeGreaterThan(0);
      expect(differingChunks(run.console, run.file)).toEqual([]);
    });
  }

  it("a read-only image refuses writes with BLKIF_RSP_ERROR even when the frontend is told otherwise", async () => {
    const path = makeImage(SIZE, 8);
    const before = sha256(readFileSync(path));
    const run = await runDisk({
      app: APP, path, readOnly: true, cmdline: "seed=2 ops=80",
      // A lying toolstack: the backend's `info` loses VDISK_READONLY as soon as it is written.
      before: (backend, xs) => {
        const liar: Watcher = {
          caller: { domid: 0, privileged: true },
          watches: [{ path: `${backend.back}/state`, token: "liar", prefixLength: 0 }],
          deliver: () => {
            const info = xs.store.nodes.get(`${backend.back}/info`);
            if (info && utf8(info.value) !== "0") xs.store.write(xs.store.global, liar.caller, `${backend.back}/info`, bytes("0"));
          },
          shutdown: () => {},
        };
        xs.store.watchers.add(liar);
      },
    });
    expect(run.lines[0]).toContain(", rw,");
    expect(counter(run.console, "writes")).toBeGreaterThan(0);
    expect(counter(run.console, "mismatches")).toBe(0);
    expect(run.backend.stats.errors).toBeGreaterThan(0);
    expect(sha256(run.file)).toBe(before);
  });
});

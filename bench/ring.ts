// npm run bench (issue 7, part 1): the shared ring's throughput side by side
// with native C. One invocation builds every variant (bench/ring/variants.ts,
// wasm2c.ts), runs each workload on each in interleaved rounds, checks that
// every variant did the same work (checksums) with the same notifications as
// C, and writes bench/results/ring.{md,json,svg}.
//
// Usage: tsx bench/ring.ts [--rounds N] [--quick] [--out DIR]
//   --quick: 1/200 of the work and one round (the smoke test in npm test).
import { execFileSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { benchMain } from "./command.ts";
import { median, writeReport, type Cell, type Report } from "./ring/report.ts";
import { buildRingModule, cVariants, RING_SLOTS, v8Variants, type Measurement, type Variant, type Workload } from "./ring/variants.ts";
import { wasm2cVariant } from "./ring/wasm2c.ts";
import { blkif_request, blkif_response } from "../sim/xen/io/blkif.ts";

export interface RingBenchOptions {
  rounds: number;
  /** Fraction of the full work per run. */
  scale: number;
  outDir: string;
  log: (line: string) => void;
}

/** The full work per run: a few tens of milliseconds of native C each. */
const WORKLOADS: Workload[] = [
  { name: "batch 1", batch: 1, window: RING_SLOTS, total: 2_000_000 },
  { name: "batch 8", batch: 8, window: RING_SLOTS, total: 4_000_000 },
  { name: "batch 32", batch: 32, window: RING_SLOTS, total: 4_000_000 },
  { name: "round trip", batch: 1, window: 1, total: 1_000_000 },
];
const REFERENCE = "C, Xen barriers";

export async function ringBench(opts: RingBenchOptions): Promise<Report> {
  const loadStart = loadavg();
  const workloads = WORKLOADS.map((w) => ({ ...w, total: Math.max(w.batch, Math.round((w.total * opts.scale) / 32) * 32) }));
  opts.log("ring benchmark: building the variants");
  const { plain, asyncified } = await buildRingModule();
  const variants: Variant[] = [...cVariants(), ...(await v8Variants(plain, asyncified))];
  const skipped: { name: string; note: string }[] = [];
  const wasm2c = wasm2cVariant(asyncified);
  if (typeof wasm2c === "string") skipped.push({ name: "wasm2c", note: wasm2c });
  else variants.push(wasm2c);

  // Warm-up at a tenth of the work: V8 tiers the module up to TurboFan.
  for (const v of variants) for (const w of workloads) v.run({ ...w, total: Math.max(w.batch, Math.round(w.total / 10 / w.batch) * w.batch) });
  const runs = new Map<string, Measurement[]>();
  for (let round = 0; round < opts.rounds; round++) {
    opts.log(`ring benchmark: round ${round + 1} of ${opts.rounds}`);
    for (const w of workloads) {
      // Rotate the order every round so that no variant always runs first or last.
      for (let i = 0; i < variants.length; i++) {
        const v = variants[(i + round) % variants.length];
        const key = `${v.name}\n${w.name}`;
        runs.set(key, [...(runs.get(key) ?? []), v.run(w)]);
      }
    }
  }

  const cells: Cell[] = [];
  for (const w of workloads) {
    const reference = runs.get(`${REFERENCE}\n${w.name}`)![0];
    const opsOf = (m: Measurement) => (w.total * 1e9) / m.cpuNs;
    const medianOps = (name: string) => median(runs.get(`${name}\n${w.name}`)!.map(opsOf));
    for (const v of variants) {
      const measured = runs.get(`${v.name}\n${w.name}`)!;
      for (const m of measured) {
        if (m.checksum !== reference.checksum) throw new Error(`${v.name}, ${w.name}: checksum ${m.checksum}, C's is ${reference.checksum}`);
        if (m.notifications !== reference.notifications) {
          throw new Error(`${v.name}, ${w.name}: ${m.notifications} notifications, C sent ${reference.notifications}`);
        }
      }
      const ops = measured.map(opsOf);
      cells.push({
        variant: v.name,
        workload: w.name,
        runs: measured.map(({ ns, cpuNs }) => ({ wallNs: ns, cpuNs })),
        opsPerSec: { median: median(ops), min: Math.min(...ops), max: Math.max(...ops) },
        ratio: { cXen: median(ops) / medianOps(REFERENCE), cCompiler: median(ops) / medianOps("C, compiler barriers") },
        checksum: reference.checksum,
        notificationsPerRequest: reference.notifications / w.total,
      });
    }
  }
  const report: Report = {
    generated: new Date().toISOString(),
    command: `npm run bench${opts.rounds !== DEFAULT_ROUNDS ? ` -- --rounds ${opts.rounds}` : ""}${opts.scale !== 1 ? " (scaled)" : ""}`,
    host: {
      cpu: cpus()[0]?.model ?? "unknown CPU",
      cores: cpus().length,
      loadAverage: { start: loadStart, end: loadavg() },
      node: process.versions.node,
      gcc: execFileSync("gcc", ["--version"], { encoding: "utf8" }).split("\n")[0],
      wasm2c: typeof wasm2c === "string" ? "not run" : execFileSync("/usr/bin/wasm2c", ["--version"], { encoding: "utf8" }).trim(),
    },
    ring: { type: "blkif", ringPageOrder: 0, slots: RING_SLOTS, requestBytes: blkif_request.SIZE, responseBytes: blkif_response.SIZE },
    rounds: opts.rounds,
    workloads,
    variants: variants.map(({ name, note }) => ({ name, note })),
    skipped,
    cells,
  };
  for (const file of writeReport(opts.outDir, report)) opts.log(`ring benchmark: wrote ${file}`);
  return report;
}

const DEFAULT_ROUNDS = 7;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  benchMain("bench/ring.ts", DEFAULT_ROUNDS, 1 / 200, ringBench, (r) => r.cells.filter((c) => c.workload === "batch 32").map((c) => `${c.variant}: ${(c.opsPerSec.median / 1e6).toFixed(1)} M/s, ${c.ratio.cCompiler.toFixed(2)}x C (compiler barriers)`).join("\n"));
}

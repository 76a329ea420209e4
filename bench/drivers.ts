// The driver benchmarks (issue 7, part 2): blkfront's IOPS and netfront's
// packets per second on the simulator (bench/drivers/block.ts, network.ts),
// each run several times, then once more under the profiler to show where the
// time goes; writes bench/results/drivers.{md,json}.
//
// Usage: tsx bench/drivers.ts [--rounds N] [--quick] [--net] [--out DIR]
//   --quick: a sliver of the work and one round (the smoke test in npm test).
//   --net: the netfront workloads alone, printed with their profiles' heaviest
//     functions; no report is written unless --out says where.
import { cpus, loadavg, tmpdir } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchMain } from "./command.ts";
import { median } from "./ring/report.ts";
import { BLOCK_WORKLOADS, blockRun } from "./drivers/block.ts";
import { FRAME_SIZES, netRun, type NetPath } from "./drivers/network.ts";
import { writeDriversReport, type DriverCell, type DriverReport } from "./drivers/report.ts";
import type { Span } from "./drivers/spans.ts";

export interface DriverBenchOptions {
  rounds: number;
  /** Fraction of the full work per run. */
  scale: number;
  outDir: string;
  log: (line: string) => void;
  /** Only the netfront workloads. */
  netOnly?: boolean;
  /** Write drivers.{md,json} into outDir (default true). */
  write?: boolean;
}

/** The full work per run: a second or two of host time each. */
const BLOCK_OPS = 4000;
/** 100,000 frames had become a tenth of a second, mostly the first run's warm-up. */
const NET_FRAMES = 1_000_000;
const NET_PATHS: NetPath[] = ["bridge", "backend"];
const DEFAULT_ROUNDS = 3;

function cell(device: DriverCell["device"], workload: string, bytes: number, spans: Span[], checked: number[]): DriverCell {
  const perCpu = spans.map((s) => (s.ops * 1e9) / s.cpuNs);
  return {
    device, workload, bytes, ops: spans[0].ops,
    runs: spans.map(({ wallNs, cpuNs }) => ({ wallNs, cpuNs })),
    perCpuSecond: { median: median(perCpu), min: Math.min(...perCpu), max: Math.max(...perCpu) },
    perWallSecond: median(spans.map((s) => (s.ops * 1e9) / s.wallNs)),
    checked: Math.min(...checked),
  };
}

export async function driverBench(opts: DriverBenchOptions): Promise<DriverReport> {
  const loadStart = loadavg();
  const build = mkdtempSync(join(tmpdir(), "morgana-driver-bench-"));
  try {
    const blockOps = Math.max(32, Math.round(BLOCK_OPS * opts.scale));
    const frames = Math.max(64, Math.round(NET_FRAMES * opts.scale));
    const report: DriverReport = {
      generated: new Date().toISOString(),
      command: `tsx bench/drivers.ts${opts.rounds !== DEFAULT_ROUNDS ? ` --rounds ${opts.rounds}` : ""}${opts.netOnly ? " --net" : ""}${opts.scale !== 1 ? " (scaled)" : ""}`,
      host: { cpu: cpus()[0]?.model ?? "unknown CPU", cores: cpus().length, loadAverage: { start: loadStart, end: [] }, node: process.versions.node },
      rounds: opts.rounds,
      cells: [],
      profiles: [],
      backendStats: {},
    };

    if (!opts.netOnly) {
      opts.log("driver benchmark: blkfront (building, warming up)");
      await blockRun(Math.max(32, blockOps >> 3), build);
      const blockSpans = new Map<string, Span[]>();
      const blockChecked = new Map<string, number[]>();
      for (let round = 0; round < opts.rounds; round++) {
        opts.log(`driver benchmark: blkfront, round ${round + 1} of ${opts.rounds}`);
        const run = await blockRun(blockOps, build);
        for (const s of run.spans) blockSpans.set(s.name, [...(blockSpans.get(s.name) ?? []), s]);
        for (const [name, n] of run.checked) blockChecked.set(name, [...(blockChecked.get(name) ?? []), n]);
        report.backendStats.blkback = run.backend;
      }
      for (const [name, bytes] of BLOCK_WORKLOADS) report.cells.push(cell("blkfront", name, bytes, blockSpans.get(name)!, blockChecked.get(name)!));
      report.profiles.push({ name: "blkfront, every workload", summary: (await blockRun(blockOps, build, true)).profile! });
    }

    opts.log("driver benchmark: netfront (building, warming up)");
    await netRun("bridge", 64, Math.max(64, frames >> 3), build);
    for (const path of NET_PATHS) {
      for (const size of FRAME_SIZES) {
        const runs = [];
        for (let round = 0; round < opts.rounds; round++) {
          opts.log(`driver benchmark: netfront ${path} ${size} bytes, round ${round + 1} of ${opts.rounds}`);
          runs.push(await netRun(path, size, frames, build));
        }
        const spans = runs.map((r) => r.span);
        report.cells.push(cell("netfront", `${path === "bridge" ? "unikernel to unikernel (bridge)" : "to netback alone"}, ${size} B`, size, spans, runs.map((r) => r.checked)));
        report.backendStats[`netback ${path} ${size}`] = runs.at(-1)!.backend;
        if (size === 64) report.profiles.push({ name: `netfront ${path}, 64 B`, summary: (await netRun(path, size, frames, build, true)).profile! });
      }
    }
    report.host.loadAverage.end = loadavg();
    if (opts.write !== false) for (const file of writeDriversReport(opts.outDir, report)) opts.log(`driver benchmark: wrote ${file}`);
    return report;
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
}

/** Each cell's median, and with --net the heaviest functions of each profile. */
function summary(r: DriverReport, profiles: boolean): string {
  const cells = r.cells.map((c) => `${c.device} ${c.workload}: ${(c.perCpuSecond.median / 1e3).toFixed(1)} k/s`);
  const tops = r.profiles.map((p) => `${p.name}: ${p.summary.top.slice(0, 8).map((t) => `${t.name} (${t.where}) ${(t.share * 100).toFixed(0)}%`).join(", ")}`);
  return [...cells, ...(profiles ? tops : [])].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const netOnly = process.argv.includes("--net");
  const write = !netOnly || process.argv.includes("--out");
  benchMain("bench/drivers.ts", DEFAULT_ROUNDS, 1 / 50, (args) => driverBench({ ...args, netOnly, write }), (r) => summary(r, netOnly));
}

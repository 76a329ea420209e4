// A seconds-long smoke run of the driver benchmarks (tsx bench/drivers.ts):
// blkfront and netfront run every workload on the simulator with every byte
// they move checked (a run with a lost or corrupt block or frame throws), the
// profile folds into its parts, and the report is written.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { driverBench } from "../bench/drivers.ts";

const out = mkdtempSync(join(tmpdir(), "morgana-driver-bench-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it("runs blkfront and netfront on a sliver of the work and writes the report", async () => {
  const report = await driverBench({ rounds: 1, scale: 1 / 200, outDir: out, log: () => {} });
  expect(report.cells.map((c) => `${c.device} ${c.workload}`)).toEqual([
    "blkfront randread-4k-qd1", "blkfront randread-4k-qd32", "blkfront seqread-64k-qd1", "blkfront seqread-64k-qd32",
    "blkfront seqwrite-64k-qd1", "blkfront seqwrite-64k-qd32",
    "netfront unikernel to unikernel (bridge), 64 B", "netfront unikernel to unikernel (bridge), 1514 B",
    "netfront to netback alone, 64 B", "netfront to netback alone, 1514 B",
  ]);
  for (const c of report.cells) expect(c.perCpuSecond.median).toBeGreaterThan(0);
  // Every read checked against the pattern, every write found in the image, every frame arrived intact.
  for (const c of report.cells) expect(c.checked, c.workload).toBe(c.ops);
  // Every request of the last timed run reached the backend: 6 workloads of 32.
  expect(report.backendStats.blkback).toMatchObject({ requests: 6 * 32, errors: 0 });
  for (const p of report.profiles) {
    const total = Object.values(p.summary.parts).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 5);
    expect(p.summary.samples).toBeGreaterThan(0);
  }
  expect(JSON.parse(readFileSync(join(out, "drivers.json"), "utf8")).cells).toHaveLength(10);
  const md = readFileSync(join(out, "drivers.md"), "utf8");
  expect(md).toContain("| workload | IOPS per CPU-second | IOPS per wall second | MiB/s (CPU) | data checked |");
  expect(md).toMatch(/\| unikernel to unikernel \(bridge\), 1514 B \|[^\n]*\| (\d+) of \1 \|\n/);
}, 300_000);

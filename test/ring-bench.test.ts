// A seconds-long smoke run of the ring benchmark (npm run bench): every
// variant builds and runs, does C's work (checksums, checked by the
// benchmark itself) with C's notifications, and the report is written.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { ringBench } from "../bench/ring.ts";

const out = mkdtempSync(join(tmpdir(), "morgana-ring-bench-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it("runs every variant on a sliver of the work and writes the report", async () => {
  const report = await ringBench({ rounds: 1, scale: 1 / 1000, outDir: out, log: () => {} });
  expect(report.variants.map((v) => v.name)).toEqual(["C, Xen barriers", "C, compiler barriers", "V8", "V8, no Asyncify", "wasm2c"]);
  const perRequest = (workload: string) => new Set(report.cells.filter((c) => c.workload === workload).map((c) => c.notificationsPerRequest));
  // The hold-off at work: two notifications per round trip, two per batch of 32 (one each way).
  expect([...perRequest("round trip")]).toEqual([2]);
  expect([...perRequest("batch 32")]).toEqual([2 / 32]);
  for (const cell of report.cells) expect(cell.opsPerSec.median).toBeGreaterThan(0);
  const json = JSON.parse(readFileSync(join(out, "ring.json"), "utf8"));
  expect(json.cells).toHaveLength(5 * 4);
  expect(readFileSync(join(out, "ring.md"), "utf8")).toContain("| variant | batch 1 | batch 8 | batch 32 | round trip |");
  expect(readFileSync(join(out, "ring.svg"), "utf8")).toMatch(/^<svg [^]*<\/svg>\n$/);
}, 300_000);

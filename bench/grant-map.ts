// What a guest's grant map costs on the simulator (sim/grant_map.ts): the
// mapper's pages are copied in at every switch into it and, writable, out at
// every switch away. One guest maps N pages another lends it, then blocks
// ROUNDS times (each a full unwind, clock step, VIRQ_TIMER and rewind); the
// cost per mapped page is the difference from N = 0. Writes
// bench/results/grant-map.md.
//
// Usage: tsx bench/grant-map.ts [--rounds N] [--quick] [--out DIR]
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Simulator } from "../sim/index.ts";
import { compileGuest } from "../sim/wasm_module.ts";
import { buildGuest } from "../test/guests/build.ts";
import { benchMain, type BenchArgs } from "./command.ts";

const MAPPED = [0, 1, 16, 64];
const SWITCHES = 100_000;

interface Row {
  mapped: number;
  nsPerSwitch: number;
  /** Above N = 0, per mapped page and switch. */
  nsPerPage: number;
}

/** ns per switch of one run: the difference of two runs, `switches` apart, so boot and instantiation cancel out. */
async function once(wasm: WebAssembly.Module, mapped: number, switches: number): Promise<number> {
  return ((await runNs(wasm, mapped, 2 * switches)) - (await runNs(wasm, mapped, switches))) / switches;
}

async function runNs(wasm: WebAssembly.Module, mapped: number, switches: number): Promise<number> {
  const sim = new Simulator();
  sim.createDomain({ name: "lender", wasm, cmdline: `lend-many 2 ${mapped}` });
  const mapper = sim.createDomain({ name: "mapper", wasm, cmdline: `switch 1 ${mapped} ${switches}` });
  const started = process.hrtime.bigint();
  await sim.run({ timeoutMs: 600_000 }).catch(() => {}); // the lender ends "blocked forever" once the mapper is gone
  const ns = Number(process.hrtime.bigint() - started);
  if (mapper.console !== "switched\n" || mapper.result?.kind !== "exit") throw new Error(`mapper: ${mapper.console} ${JSON.stringify(mapper.result)}`);
  return ns;
}

async function bench({ rounds, scale, outDir, log }: BenchArgs): Promise<Row[]> {
  const wasm = compileGuest(await buildGuest("grants"));
  const switches = Math.max(200, Math.round(SWITCHES * scale));
  await once(wasm, 1, switches); // warm-up
  const rows: Row[] = [];
  for (const mapped of MAPPED) {
    const runs: number[] = [];
    for (let r = 0; r < rounds; r++) runs.push(await once(wasm, mapped, switches));
    runs.sort((a, b) => a - b);
    const ns = runs[runs.length >> 1];
    const base = rows[0]?.nsPerSwitch ?? ns;
    rows.push({ mapped, nsPerSwitch: ns, nsPerPage: mapped ? (ns - base) / mapped : 0 });
    log(`${mapped} mapped: ${ns.toFixed(0)} ns per switch`);
  }
  const md = [
    "# Grant maps on the simulator (`npx tsx bench/grant-map.ts`)",
    "",
    `A guest blocks with N pages of another guest mapped writable: wall time per block round trip (unwind, virtual clock step, ` +
      `VIRQ_TIMER, rewind, and the copies), from runs of ${switches} and ${2 * switches} blocks; median of ${rounds}.`,
    "",
    "| mapped pages | ns per switch | ns per mapped page and switch |",
    "| ---: | ---: | ---: |",
    ...rows.map((r) => `| ${r.mapped} | ${r.nsPerSwitch.toFixed(0)} | ${r.mapped ? r.nsPerPage.toFixed(0) : "-"} |`),
    "",
  ].join("\n");
  writeFileSync(join(outDir, "grant-map.md"), md);
  return rows;
}

benchMain("grant-map", 5, 0.05, bench, (rows) => rows.map((r) => `${r.mapped}: ${r.nsPerSwitch.toFixed(0)} ns/switch`).join("\n"));

// Builds test and example unikernels (once per test process) and runs them on
// the simulator, returning what a test asserts on.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../cli/build.ts";
import { Simulator, type Domain, type DomainResult } from "../../sim/index.ts";

const out = mkdtempSync(join(tmpdir(), "morgana-apps-"));
const built = new Map<string, Promise<Uint8Array>>();

/** The app folder's .wasm, built on first use. */
export function appWasm(appDir: string): Promise<Uint8Array> {
  let wasm = built.get(appDir);
  if (!wasm) {
    wasm = buildApp(appDir, join(out, `${appDir.replaceAll("/", "_")}.wasm`));
    built.set(appDir, wasm);
  }
  return wasm;
}

export interface RunOptions {
  cmdline?: string;
  seed?: number;
  memoryMiB?: number;
  dom0?: boolean;
  maxEvtchns?: number;
  timeoutMs?: number;
}

export interface Run {
  console: string;
  result: DomainResult | undefined;
  domain: Domain;
  sim: Simulator;
  wallMs: number;
}

/** Boots one unikernel alone and runs the simulation to its end. */
export async function runApp(appDir: string, opts: RunOptions = {}): Promise<Run> {
  const wasm = await appWasm(appDir);
  const sim = new Simulator({ seed: opts.seed ?? 1 });
  const domain = sim.createDomain({
    name: appDir.split("/").pop()!, wasm, cmdline: opts.cmdline, memoryMiB: opts.memoryMiB, dom0: opts.dom0,
    maxEvtchns: opts.maxEvtchns,
  });
  const start = performance.now();
  await sim.run({ timeoutMs: opts.timeoutMs ?? 30_000 });
  return { console: domain.console, result: domain.result, domain, sim, wallMs: performance.now() - start };
}

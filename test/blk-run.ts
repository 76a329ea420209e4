// Runs a blkfront unikernel on the simulator against the simulated blkback on a
// fresh image file, and hands back what the blk*.test.ts suites assert on.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Simulator } from "../sim/index.ts";
import type { Domain } from "../sim/index.ts";
import { type AttachDiskOptions, type Blkback, attachDisk } from "../sim/backends/blkback.ts";
import { plugXenstore, type PluggedXenstore } from "../sim/xenstore/plug.ts";
import { appWasm } from "./helpers/apps.ts";

const dir = mkdtempSync(join(tmpdir(), "morgana-blk-"));
let images = 0;

/** A new image of `size` bytes with seeded content (so reads that return zeros by mistake show). */
export function makeImage(size: number, seed = 1): string {
  const path = join(dir, `disk${images++}.img`);
  const data = new Uint8Array(size);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    data[i] = x & 0xff;
  }
  writeFileSync(path, data);
  return path;
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export interface DiskRun {
  console: string;
  lines: string[];
  domain: Domain;
  backend: Blkback;
  xs: PluggedXenstore;
  /** The image file as Node read it when the guest printed "final flush: 0". */
  atFlush?: Uint8Array;
  /** The image file after the run. */
  file: Uint8Array;
}

export interface DiskRunOptions extends Omit<AttachDiskOptions, "path"> {
  app: string;
  path: string;
  cmdline?: string;
  seed?: number;
  /** Called once the disk is attached, before the run (to tamper with xenstore, say). */
  before?: (backend: Blkback, xs: PluggedXenstore) => void;
}

export async function runDisk(opts: DiskRunOptions): Promise<DiskRun> {
  const wasm = await appWasm(opts.app);
  const sim = new Simulator({ seed: opts.seed ?? 1 });
  const xs = plugXenstore(sim);
  const domain = sim.createDomain({ name: opts.app.split("/").pop()!, wasm, cmdline: opts.cmdline, memoryMiB: 64 });
  const backend = attachDisk(sim, xs, domain, opts);
  opts.before?.(backend, xs);
  let atFlush: Uint8Array | undefined;
  let text = "";
  domain.onConsole((t) => {
    text += t;
    if (!atFlush && text.includes("final flush: 0\n")) atFlush = new Uint8Array(readFileSync(opts.path));
  });
  await sim.run({ timeoutMs: 60_000 });
  const console = domain.console;
  if (domain.result?.kind !== "exit") throw new Error(`${opts.app}: ${JSON.stringify(domain.result)}\n${console}`);
  return { console, lines: console.trim().split("\n"), domain, backend, xs, atFlush, file: new Uint8Array(readFileSync(opts.path)) };
}

/** The harness's "chunk <i> <sha>" lines: the 64 KiB chunks whose content the model knows. */
export function modelChunks(console: string): Map<number, string> {
  const chunks = new Map<number, string>();
  for (const m of console.matchAll(/^chunk (\d+) ([0-9a-f]{64})$/gm)) chunks.set(Number(m[1]), m[2]);
  return chunks;
}

/** Chunks of the file that differ from the model's known ones. */
export function differingChunks(console: string, file: Uint8Array): number[] {
  const bad: number[] = [];
  for (const [i, sha] of modelChunks(console)) {
    if (sha256(file.subarray(i * 65536, (i + 1) * 65536)) !== sha) bad.push(i);
  }
  return bad;
}

/** A numeric counter from the harness's "driver:" or "ops:" line. */
export function counter(console: string, name: string): number {
  const m = new RegExp(`\\b${name} (\\d+)`).exec(console);
  if (!m) throw new Error(`no counter ${name} in:\n${console}`);
  return Number(m[1]);
}

// blkfront's IOPS on the simulator (issue 7, part 2): bench/drivers/blk/ in a
// simulated domain against the simulated blkback, serving a raw image in
// /dev/shm (memory, so the host's disk stays out of the figures) with no
// virtual completion latency: what is measured is what the driver, the core,
// the simulator and the backend cost the host per request. The image starts
// as a pattern the guest checks every read against; its writes put a second
// pattern, which afterwards must be exactly where they went.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildApp, REPO } from "../../cli/build.ts";
import { compileGuest, Simulator } from "../../sim/index.ts";
import { attachDisk, type Blkback } from "../../sim/backends/blkback.ts";
import { plugXenstore } from "../../sim/xenstore/plug.ts";
import { profile, type ProfileSummary } from "./profile.ts";
import { watchSpans, type Span } from "./spans.ts";

/** The guest's workloads, in its order (bench/drivers/blk/main.ts): name, bytes per request. */
export const BLOCK_WORKLOADS = [
  ["randread-4k-qd1", 4096], ["randread-4k-qd32", 4096],
  ["seqread-64k-qd1", 65536], ["seqread-64k-qd32", 65536],
  ["seqwrite-64k-qd1", 65536], ["seqwrite-64k-qd32", 65536],
] as const;
const IMAGE_BYTES = 64 << 20;
const WRITE_BYTES = 65536;
/** Where the image lives: a tmpfs, when the host has one. */
const SHM = "/dev/shm";

/** The guest's patterns (bench/drivers/blk/main.ts): the u32 at byte offset o is o ^ PATTERN, o ^ WRITTEN once written. */
const PATTERN = 0x6d6f7267;
const WRITTEN = 0x77726974;
const patternWord = (offset: number, writtenBytes: number) => (offset ^ (offset < writtenBytes ? WRITTEN : PATTERN)) >>> 0;

function patternImage(bytes: number): Uint8Array {
  const words = new Uint32Array(bytes / 4);
  for (let i = 0; i < words.length; i++) words[i] = patternWord(i * 4, 0);
  return new Uint8Array(words.buffer);
}

/** The first byte offset of the image that breaks the pattern with its first `writtenBytes` written, or -1. */
function firstMismatch(image: Uint8Array, writtenBytes: number): number {
  const words = new Uint32Array(image.buffer, image.byteOffset, image.byteLength / 4);
  for (let i = 0; i < words.length; i++) if (words[i] !== patternWord(i * 4, writtenBytes)) return i * 4;
  return -1;
}

export interface BlockRun {
  spans: Span[];
  /** Per workload: reads checked against the pattern by the guest, or writes found intact in the image afterwards. */
  checked: Map<string, number>;
  backend: Blkback["stats"];
  profile?: ProfileSummary;
}

/** Compiled once: every run's domains share the module and V8's optimised code for it. */
let wasm: Promise<WebAssembly.Module> | undefined;

/** A backend without persistent grants, and whether the guest trusts it (bench/drivers/bounce.ts). */
export interface BlockVariant {
  persistent?: boolean;
  trusted?: boolean;
}

/** One run of every workload with `ops` requests each; `profiled` samples where the time goes (slower). */
export async function blockRun(ops: number, outDir: string, profiled = false, variant: BlockVariant = {}): Promise<BlockRun> {
  wasm ??= buildApp(join(REPO, "bench/drivers/blk"), join(outDir, "blk-bench.wasm")).then(compileGuest);
  const dir = mkdtempSync(join(SHM, "morgana-bench-"));
  try {
    const sim = new Simulator({ seed: 1 });
    const xs = plugXenstore(sim);
    const domain = sim.createDomain({ name: "blk-bench", wasm: await wasm, cmdline: `ops=${ops} trusted=${variant.trusted ? 1 : 0}`, memoryMiB: 64 });
    const image = join(dir, "disk.img");
    writeFileSync(image, patternImage(IMAGE_BYTES));
    const features = { persistent: variant.persistent ?? true };
    const backend = attachDisk(sim, xs, domain, { path: image, latencyNs: [0, 0], features });
    const { spans, lines } = watchSpans([domain]);
    const run = () => sim.run({ timeoutMs: 600_000 });
    const summary = profiled ? (await profile(run)).summary : (await run(), undefined);
    const result = domain.result;
    if (result?.kind !== "exit" || result.status !== 0) {
      throw new Error(`blk-bench: ${result?.kind === "exit" ? `exit ${result.status}` : result?.message}: ${lines(domain).slice(-3).join(" / ")}`);
    }
    const missing = BLOCK_WORKLOADS.find(([name]) => !spans.some((s) => s.name === name));
    if (missing) throw new Error(`blk-bench: no timing for ${missing[0]}`);
    // The write workloads go sequentially from sector 0, wrapping at the disk's end.
    const written = Math.min(ops, IMAGE_BYTES / WRITE_BYTES) * WRITE_BYTES;
    const bad = firstMismatch(readFileSync(image), written);
    if (bad >= 0) throw new Error(`blk-bench: after the run, byte ${bad} of the image is not what was written there (a write lost, torn or misplaced)`);
    const checked = new Map<string, number>();
    for (const line of lines(domain)) {
      const m = /^(\S+): (\d+) reads verified$/.exec(line);
      if (m) checked.set(m[1], Number(m[2]));
    }
    for (const [name] of BLOCK_WORKLOADS) if (name.startsWith("seqwrite")) checked.set(name, ops);
    return { spans, checked, backend: { ...backend.stats }, profile: summary };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

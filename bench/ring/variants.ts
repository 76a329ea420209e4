// The variants of the ring benchmark: the same workload (bench/ring/ring_bench.c
// and its twin ring_bench.ts) as native C with Xen's barriers and with
// compiler-only barriers, and as Morgana's ring in V8 with and without Asyncify.
import asc from "assemblyscript/dist/asc.js";
import binaryen from "binaryen";
import wabt from "wabt";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { abiFlags, asyncify, BuildError, REPO } from "../../cli/build.ts";
import { CODEGEN_FLAGS } from "../../cli/xen-image.ts";

export interface Workload {
  name: string;
  /** Requests pushed, and answered, at a time. */
  batch: number;
  /** Most requests outstanding: the ring's 32 slots, or 1 for a round trip. */
  window: number;
  /** Requests per measurement. */
  total: number;
}

export interface Measurement {
  /** Wall-clock time of the run. */
  ns: number;
  /** CPU time of the process during the run: what the figures use (the host is shared). */
  cpuNs: number;
  /** FNV-1a over every request and response consumed: the same work was done. */
  checksum: string;
  /** Notifications sent, both directions. */
  notifications: number;
}

export interface Variant {
  name: string;
  /** Why its figures compare with the others, or why it did not run. */
  note: string;
  run(w: Workload): Measurement;
}

/** The C reference's flags: the boot stub's code generation, which compiles the wasm2c variant's app.c (wasm2c.ts). */
export const C_FLAGS = [...CODEGEN_FLAGS, "-no-pie"];
/** Only for our own sources: wasm2c's output does not pass them. */
const WARNINGS = ["-Wall", "-Wextra", "-Werror"];
/** blkif on one page: __RING_SIZE(4096 - 64 bytes of header, 112-byte slots). */
export const RING_SLOTS = 32;

const BENCH = join(REPO, "bench/ring");
export const OUT = join(REPO, "build/bench");

function cVariant(name: string, defines: string[], note: string): Variant {
  const exe = join(OUT, name.replace(/[^a-z0-9]+/gi, "_"));
  execFileSync("gcc", [...C_FLAGS, ...WARNINGS, ...defines, "-o", exe, join(BENCH, "ring_bench.c")]);
  return {
    name,
    note,
    run: (w) => JSON.parse(execFileSync(exe, [String(w.batch), String(w.window), String(w.total)], { encoding: "utf8" })),
  };
}

export function cVariants(): Variant[] {
  mkdirSync(OUT, { recursive: true });
  return [
    cVariant("C, Xen barriers", ["-DXEN_BARRIERS"], "io/ring.h with <xenctrl.h>'s xen_mb (locked add), xen_rmb/xen_wmb (compiler barriers)"),
    cVariant("C, compiler barriers", [], "io/ring.h with compiler-only barriers: what V8's empty barrier imports give"),
  ];
}

/** asc with the ABI flags, once: the Asyncify variant is exactly what cli/build.ts compile() makes of it. */
export async function buildRingModule(): Promise<{ plain: Uint8Array; asyncified: Uint8Array }> {
  let diagnostics = "";
  const out: Record<string, Uint8Array> = {};
  const sink = { write: (s: string | Uint8Array) => void (diagnostics += String(s)) };
  const { error } = await asc.main([join(BENCH, "ring_bench.ts"), "--outFile", "ring_bench.wasm", ...abiFlags()], {
    stdout: sink,
    stderr: sink,
    writeFile: (name: string, contents: Uint8Array | string) => void (out[name] = contents as Uint8Array),
  });
  if (error) throw new BuildError(`bench/ring/ring_bench.ts: ${diagnostics.trim().split("\n")[0] ?? error.message}`);
  const raw = out["ring_bench.wasm"];
  return { plain: optimizeAgain(raw), asyncified: asyncify(raw) };
}

/** The -O3 round asyncify() runs after its pass, without the pass: the two differ by Asyncify alone. */
function optimizeAgain(binary: Uint8Array): Uint8Array {
  const mod = binaryen.readBinary(binary);
  try {
    mod.setFeatures(binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.SignExt |
      binaryen.Features.NontrappingFPToInt | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt);
    binaryen.setOptimizeLevel(3);
    binaryen.setShrinkLevel(0);
    mod.optimize();
    return mod.emitBinary();
  } finally {
    mod.dispose();
  }
}

/** bench/ring/platform.wat, assembled: the barrier and atomic imports as wasm exports. */
async function platformModule(): Promise<WebAssembly.Module> {
  const wat = await wabt();
  const parsed = wat.parseWat("platform.wat", readFileSync(join(BENCH, "platform.wat"), "utf8"), { threads: true });
  try {
    return new WebAssembly.Module(parsed.toBinary({}).buffer as Uint8Array<ArrayBuffer>);
  } finally {
    parsed.destroy();
  }
}

interface RingExports {
  run(batch: number, window: number, total: number): bigint;
  lastNotifications(): bigint;
  lastFailure(): number;
}

const FAILURES = ["", "the peer overflowed a producer index", "stalled: a notification was lost"];

/** An instance whose imports are the platform module's exports; what the ring never calls throws. */
export function v8Variant(name: string, binary: Uint8Array, platform: WebAssembly.Module, note: string): Variant {
  const module = new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>);
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 1024 });
  const provided = new WebAssembly.Instance(platform, { env: { memory } }).exports;
  const env: Record<string, unknown> = { memory };
  for (const { name: imported, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== "function") continue;
    env[imported] = provided[imported] ?? (() => {
      throw new Error(`ring benchmark: unexpected call to env.${imported}`);
    });
  }
  const ring = new WebAssembly.Instance(module, { env: env as WebAssembly.ModuleImports }).exports as unknown as RingExports;
  return {
    name,
    note,
    run(w) {
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      const checksum = ring.run(w.batch, w.window, w.total);
      const cpu = process.cpuUsage(c0);
      const ns = Number(process.hrtime.bigint() - t0);
      const failure = ring.lastFailure();
      if (failure) throw new Error(`${name}, ${w.name}: ${FAILURES[failure]}`);
      return { ns, cpuNs: (cpu.user + cpu.system) * 1000, checksum: BigInt.asUintN(64, checksum).toString(16).padStart(16, "0"), notifications: Number(ring.lastNotifications()) };
    },
  };
}

export async function v8Variants(plain: Uint8Array, asyncified: Uint8Array): Promise<Variant[]> {
  const platform = await platformModule();
  return [
    v8Variant("V8", asyncified, platform, `Morgana's ring as cli/build.ts builds every unikernel (Asyncify on env.block; ${asyncified.length} bytes)`),
    v8Variant("V8, no Asyncify", plain, platform, `the same module without the Asyncify pass (${plain.length} bytes)`),
  ];
}

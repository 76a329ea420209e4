// Builds a Xen PV image from a unikernel's .wasm: Debian's wasm2c (1.0.32)
// translates it to C, gcc compiles it with the boot stub (boot/), and ld links
// one ELF that `xl create` and Xen's dom0 loader boot.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { BuildError, REPO } from "./build.ts";

/** Debian's wasm2c, by path: npm's wabt ships a 1.0.39 one that shadows it in npm scripts. */
export const WASM2C = "/usr/bin/wasm2c";
/** The boot stack (entry.S) and the call depth wasm2c's counter allows on it. */
export const STACK_SIZE = 1 << 20;
export const CALL_STACK_DEPTH = 1000;
/** Stack kept for the stub, the imports and Xen's exception frames below the deepest wasm call. */
const STACK_RESERVE = 64 << 10;

const BOOT = join(REPO, "boot");
/** Stub sources: the general-register ones, and those built with SSE for wasm's floats. */
const STUB_SOURCES = ["main", "console", "time", "pagetable", "traps", "shutdown", "sandbox", "imports", "random", "wasm-rt", "libc/string"];
const FLOAT_SOURCES = ["libc/math"];

/** The platform ABI's imports (runtime/platform.ts) with their wasm types. */
const I32 = "i32", I64 = "i64";
const ABI: Record<string, [ValType[], ValType[]]> = {
  hypercall: [[I32, I64, I64, I64, I64, I64], [I64]],
  block: [[I64], []],
  mb: [[], []],
  rmb: [[], []],
  wmb: [[], []],
  frame: [[I32], [I64]],
  rdtsc: [[], [I64]],
  exit: [[I32], []],
};
for (const bits of [16, 32, 64]) {
  const v = bits === 64 ? I64 : I32;
  ABI[`xchg${bits}`] = [[I32, v], [v]];
  ABI[`cmpxchg${bits}`] = [[I32, v, v], [v]];
  ABI[`fetch_and${bits}`] = [[I32, v], [v]];
  ABI[`fetch_or${bits}`] = [[I32, v], [v]];
}

function need(path: string, pkg: string): void {
  if (!existsSync(path)) throw new BuildError(`${path} not found: install Debian's ${pkg} (apt-get install ${pkg})`);
}

function tool(name: string, pkg: string): string {
  for (const dir of ["/usr/bin", "/usr/local/bin", "/bin"]) if (existsSync(join(dir, name))) return join(dir, name);
  throw new BuildError(`${name} not found: install Debian's ${pkg} (apt-get install ${pkg})`);
}

function run(file: string, args: string[], cwd: string): string {
  try {
    return execFileSync(file, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stderr?: string; message: string; signal?: string };
    if (file === WASM2C && e.signal === "SIGABRT") {
      throw new BuildError(`${WASM2C} (wabt 1.0.32) aborted: the module uses a feature it cannot translate (SIMD v128, threads or exceptions)`);
    }
    const first = (e.stderr ?? "").split("\n").find((l) => /error|undefined reference/i.test(l)) ?? e.message;
    throw new BuildError(`${basename(file)}: ${first.trim().split("\n")[0]}`);
  }
}

const sameTypes = (a: ValType[], b: ValType[]) => a.length === b.length && a.every((t, i) => t === b[i]);

/** Checks the module against what the stub provides; returns env.memory's limits and the table slots. */
export function checkModule(wasmPath: string, info: WasmInfo): { memory: Limits; tableSlots: number } {
  let memory: Limits | undefined;
  for (const imp of info.imports) {
    const where = `${wasmPath}: import ${imp.module}.${imp.name}`;
    if (imp.module === "env" && imp.name === "memory" && imp.kind === "memory") memory = imp.limits;
    else if (imp.module !== "env" || imp.kind !== "func" || !(imp.name in ABI)) {
      throw new BuildError(`${where} is not part of the platform ABI (runtime/platform.ts)`);
    } else if (!sameTypes(imp.type.params, ABI[imp.name][0]) || !sameTypes(imp.type.results, ABI[imp.name][1])) {
      const [params, results] = ABI[imp.name];
      throw new BuildError(`${where} has type ${formatType(imp.type)}; the ABI says ${formatType({ params, results })}`);
    }
  }
  if (!memory || info.memories.length) throw new BuildError(`${wasmPath}: linear memory must be the import env.memory (asc --importMemory)`);
  if (memory.shared || memory.memory64) throw new BuildError(`${wasmPath}: env.memory must be a plain 32-bit, unshared memory`);
  const start = info.exports.get("start");
  if (start?.kind !== "func" || !start.type || !sameTypes(start.type.params, [I32, I64]) || start.type.results.length) {
    throw new BuildError(`${wasmPath}: no export start(startInfo: i32, memoryBase: i64) (runtime/start.ts)`);
  }
  return { memory, tableSlots: info.tables.reduce((a, b) => a + b, 0) };
}

/** gcc -fstack-usage: the largest frame of any generated function. */
function largestFrame(suFile: string): { name: string; bytes: number } {
  let largest = { name: "", bytes: 0 };
  for (const line of readFileSync(suFile, "utf8").split("\n")) {
    const [where, bytes, kind] = line.split("\t");
    if (!where) continue;
    if (kind === "dynamic") throw new BuildError(`generated function ${where} has an unbounded stack frame`);
    if (Number(bytes) > largest.bytes) largest = { name: where.replace(/.*:/, ""), bytes: Number(bytes) };
  }
  return largest;
}

/** How the stub's C and app.c are compiled, as far as a hosted Linux program can be: the ring benchmark's C reference uses them too. */
export const CODEGEN_FLAGS = [
  "-O2", "-std=gnu11", "-fno-pic", "-fno-pie", "-fno-stack-protector", "-fcf-protection=none", "-mno-red-zone",
  "-fno-asynchronous-unwind-tables", "-fno-math-errno", "-ffunction-sections", "-fdata-sections",
];

/** The loads' and stores' address in wasm2c 1.0.32's DEFINE_LOAD/DEFINE_STORE (both byte orders). */
const MEMORY_ACCESS = "&mem->data[";

/** Linear memory never moves (boot/memory-base.h): loads and stores take its base as a constant, not
    reloaded from the memory object after every store (wasm2c's memcpy may alias it). */
function constantMemoryBase(appC: string): void {
  const source = readFileSync(appC, "utf8");
  const found = source.split(MEMORY_ACCESS).length - 1;
  if (found !== 4) throw new BuildError(`${appC}: ${found} "${MEMORY_ACCESS}" where wasm2c 1.0.32 writes 4 (another wasm2c version?)`);
  writeFileSync(appC, source.replaceAll(MEMORY_ACCESS, "&((u8 *)MEMORY_BASE)["));
}

/** Compiles `wasmPath` into the PV image `outPath` (stripped; an unstripped app.elf stays in the work folder,
    with the objects); returns the work folder. */
export function buildXenImage(wasm: string, out: string): string {
  const wasmPath = resolve(wasm), outPath = resolve(out);
  need(WASM2C, "wabt");
  need("/usr/include/xen/xen.h", "libxen-dev");
  const gcc = tool("gcc", "gcc");
  const ld = tool("ld", "binutils");
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(wasmPath);
  } catch {
    throw new BuildError(`${wasmPath}: cannot read the module`);
  }
  let info: WasmInfo;
  try {
    info = readWasmInfo(bytes);
  } catch (err) {
    throw new BuildError(`${wasmPath}: ${(err as Error).message}`);
  }
  const { memory, tableSlots } = checkModule(wasmPath, info);

  const id = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  const work = join(REPO, "build", "xen", id);
  mkdirSync(work, { recursive: true });
  run(WASM2C, [wasmPath, "-n", "app", "-o", join(work, "app.c")], work);
  constantMemoryBase(join(work, "app.c"));

  const gccInclude = run(gcc, ["-print-file-name=include"], work).trim();
  const common = [
    ...CODEGEN_FLAGS, "-ffreestanding", "-nostdinc",
    "-isystem", gccInclude, "-I", join(BOOT, "libc", "include"), "-I", join(BOOT, "include"),
    "-I", "/usr/src/wasm2c", "-I", work,
    "-D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__",
    // No bounds checks in app.c: linear memory is mapped only up to its size (boot/pagetable.c) and
    // a fault past it traps (boot/traps.c); the call-depth counter the handler would turn off stays.
    "-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=1", "-DWASM_RT_USE_STACK_DEPTH_COUNT=1",
    `-DWASM_RT_MAX_CALL_STACK_DEPTH=${CALL_STACK_DEPTH}`,
    `-DMORGANA_STACK_SIZE=${STACK_SIZE}`, `-DMORGANA_TABLE_SLOTS=${tableSlots}`,
    `-DMORGANA_MEMORY_INITIAL_PAGES=${memory.initial}`, `-DMORGANA_MEMORY_MAXIMUM_PAGES=${memory.maximum ?? 65536}`,
  ];
  const objects: string[] = [];
  const compile = (source: string, object: string, flags: string[]) => {
    run(gcc, [...common, ...flags, "-c", source, "-o", join(work, object)], work);
    objects.push(object);
  };
  compile(join(BOOT, "entry.S"), "entry.o", ["-D__ASSEMBLY__"]);
  for (const s of STUB_SOURCES) compile(join(BOOT, `${s}.c`), `${basename(s)}.o`, ["-Wall", "-Wextra", "-Werror", "-mgeneral-regs-only"]);
  for (const s of FLOAT_SOURCES) compile(join(BOOT, `${s}.c`), `${basename(s)}.o`, ["-Wall", "-Wextra", "-Werror"]);
  // Generated code: SSE for wasm's floats (traps.c enables the FPU), its own warnings silenced.
  compile(join(work, "app.c"), "app.o", [
    "-w", "-fstack-usage", "-include", join(BOOT, "memory-base.h"),
    "-DMORGANA_INLINE_BARRIERS", "-include", join(BOOT, "barriers.h"),
  ]);

  const frame = largestFrame(join(work, "app.su"));
  if (frame.bytes * CALL_STACK_DEPTH + STACK_RESERVE > STACK_SIZE) {
    throw new BuildError(
      `generated function ${frame.name} needs ${frame.bytes} bytes of stack: ${CALL_STACK_DEPTH} nested calls would overflow the stub's ${STACK_SIZE >> 10} KiB stack`,
    );
  }
  // libgcc: helpers gcc calls for wasm operations x86-64's baseline lacks (__popcountdi2).
  const libgcc = run(gcc, ["-print-libgcc-file-name"], work).trim();
  const link = ["-T", join(BOOT, "xen.ld"), "-nostdlib", "-static", "-no-pie", "-z", "max-page-size=4096", "--gc-sections", "--no-warn-rwx-segments"];
  run(ld, [...link, "-o", join(work, "app.elf"), ...objects, libgcc], work);
  mkdirSync(join(outPath, ".."), { recursive: true });
  run(ld, [...link, "--strip-all", "-o", outPath, ...objects, libgcc], work);
  return work;
}

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";
export interface FuncType { params: ValType[]; results: ValType[] }
export interface Limits { initial: number; maximum?: number; shared: boolean; memory64: boolean }
export type Import =
  | { module: string; name: string; kind: "func"; type: FuncType }
  | { module: string; name: string; kind: "memory"; limits: Limits }
  | { module: string; name: string; kind: "table" | "global" | "tag" };
export interface WasmInfo {
  imports: Import[];
  /** Memories the module defines itself (not imported). */
  memories: Limits[];
  /** Tables the module defines: their initial element counts. */
  tables: number[];
  exports: Map<string, { kind: "func" | "table" | "memory" | "global" | "tag"; type?: FuncType }>;
}

const VALTYPES: Record<number, ValType> = {
  0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref",
};
const KINDS = ["func", "table", "memory", "global", "tag"] as const;

class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array, readonly end = bytes.length) {}
  byte(): number {
    if (this.at >= this.end) throw new Error("unexpected end of module");
    return this.bytes[this.at++];
  }
  u32(): number {
    let result = 0, shift = 0, b: number;
    do {
      b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return result;
  }
  name(): string {
    const n = this.u32();
    const s = new TextDecoder().decode(this.bytes.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }
  valtype(): ValType {
    const b = this.byte();
    const t = VALTYPES[b];
    if (!t) throw new Error(`unknown value type 0x${b.toString(16)}`);
    return t;
  }
  limits(): Limits {
    const flags = this.byte();
    const initial = this.u32();
    const maximum = flags & 1 ? this.u32() : undefined;
    return { initial, maximum, shared: (flags & 2) !== 0, memory64: (flags & 4) !== 0 };
  }
}

/** Throws on a malformed module; callers turn that into a one-line error. */
export function readWasmInfo(bytes: Uint8Array): WasmInfo {
  const r = new Reader(bytes);
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (bytes.length < 8 || magic.some((b, i) => bytes[i] !== b)) throw new Error("not a WebAssembly 1.0 module");
  r.at = 8;
  const types: FuncType[] = [];
  const funcTypes: number[] = []; // function index -> type index (imports first)
  const info: WasmInfo = { imports: [], memories: [], tables: [], exports: new Map() };
  const exported: { name: string; kind: (typeof KINDS)[number]; index: number }[] = [];
  while (r.at < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const s = new Reader(bytes, r.at + size);
    s.at = r.at;
    r.at += size;
    if (id === 1) {
      for (let n = s.u32(); n > 0; n--) {
        if (s.byte() !== 0x60) throw new Error("unknown type form");
        const params = Array.from({ length: s.u32() }, () => s.valtype());
        const results = Array.from({ length: s.u32() }, () => s.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = s.u32(); n > 0; n--) {
        const module = s.name(), name = s.name(), kind = s.byte();
        if (kind === 0) {
          const t = s.u32();
          funcTypes.push(t);
          info.imports.push({ module, name, kind: "func", type: types[t] });
        } else if (kind === 2) {
          info.imports.push({ module, name, kind: "memory", limits: s.limits() });
        } else if (kind === 1) {
          s.valtype();
          s.limits();
          info.imports.push({ module, name, kind: "table" });
        } else if (kind === 3) {
          s.valtype();
          s.byte();
          info.imports.push({ module, name, kind: "global" });
        } else if (kind === 4) {
          s.byte();
          s.u32();
          info.imports.push({ module, name, kind: "tag" });
        } else throw new Error(`unknown import kind ${kind}`);
      }
    } else if (id === 3) {
      for (let n = s.u32(); n > 0; n--) funcTypes.push(s.u32());
    } else if (id === 4) {
      for (let n = s.u32(); n > 0; n--) {
        s.valtype();
        info.tables.push(s.limits().initial);
      }
    } else if (id === 5) {
      for (let n = s.u32(); n > 0; n--) info.memories.push(s.limits());
    } else if (id === 7) {
      for (let n = s.u32(); n > 0; n--) {
        const name = s.name(), kind = KINDS[s.byte()], index = s.u32();
        exported.push({ name, kind, index });
      }
    }
  }
  for (const e of exported) {
    info.exports.set(e.name, { kind: e.kind, type: e.kind === "func" ? types[funcTypes[e.index]] : undefined });
  }
  return info;
}

export function formatType(t: FuncType): string {
  return `(${t.params.join(", ")}) -> (${t.results.join(", ")})`;
}

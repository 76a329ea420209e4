// Runs test/apps/net-harness in Node: the stack without a hypervisor. The
// imports it reaches are the clock (vcpu_time_info at shared_info 0, moved by
// `block` to its deadline: virtual time), console_io (a panic's message) and exit.
import { join } from "node:path";
import { compile, REPO } from "../cli/build.ts";
import { shared_info, vcpu_info, vcpu_time_info } from "../sim/xen/xen.ts";

const SYSTEM_TIME = shared_info.vcpu_info.offset + vcpu_info.time.offset + vcpu_time_info.system_time.offset;
const HYPERVISOR_console_io = 18;

export interface Harness {
  memory: WebAssembly.Memory;
  /** Heap blocks allocated so far (only counted in a harness built with rtrace). */
  allocations(): number;
  bytes(): Uint8Array;
  now(): bigint;
  inputBuffer(): number;
  setup(ip: number, prefix: number, gw: number, mtu: number): void;
  feed(length: number): void;
  counter(c: number): bigint;
  counterCount(): number;
  outcomes(): number;
  nameOf(c: number): number;
  sentCount(): number;
  sentFrame(i: number): number;
  sentLength(i: number): number;
  clearSent(): void;
  listenEcho(port: number): number;
  sendUdp(srcPort: number, dst: number, dstPort: number, length: number): number;
  sendEcho(dst: number, id: number, seq: number, length: number): number;
  arpLookup(ip: number): bigint;
  advance(ns: bigint): void;
  checksumOf(at: number, length: number): number;
  parseConfig(ipLength: number, gwLength: number): number;
  configField(i: number): number;
  runPair(): number;
  pairLogLength(): number;
  pairLog(i: number): number;
}

const ENTRY = join(REPO, "test/apps/net-harness/harness.ts");
const binaries = new Map<boolean, Promise<Uint8Array>>();

/** Builds the harness once per test file; with `rtrace`, AssemblyScript's allocator reports every allocation. */
function harnessBinary(rtrace: boolean): Promise<Uint8Array> {
  let binary = binaries.get(rtrace);
  if (!binary) {
    binary = rtrace ? compileTraced() : compile({ entries: [ENTRY], outFile: join(REPO, "build/test/net-harness.wasm") });
    binaries.set(rtrace, binary);
  }
  return binary;
}

function compileTraced(): Promise<Uint8Array> {
  return compile({ entries: [ENTRY], outFile: join(REPO, "build/test/net-harness-rtrace.wasm"), flags: ["--use", "ASC_RTRACE=1"] });
}

/** A fresh instance: its own memory, stack and clock at 0. */
export async function loadHarness(rtrace = false): Promise<Harness> {
  const module = new WebAssembly.Module((await harnessBinary(rtrace)) as Uint8Array<ArrayBuffer>);
  let allocations = 0;
  // rtrace also reports every load and store (onload, onstore: the pointer passes through).
  const rtraceImports: Record<string, unknown> = { onalloc: () => void allocations++, onvisit: () => 1 };
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 4096 });
  const view = () => new DataView(memory.buffer);
  let console = "";
  const nothing = () => {};
  const env: Record<string, unknown> = {
    memory, mb: nothing, rmb: nothing, wmb: nothing,
    rdtsc: () => 0n,
    block: (deadline: bigint) => {
      if (deadline > view().getBigUint64(SYSTEM_TIME, true)) view().setBigUint64(SYSTEM_TIME, deadline, true);
    },
    hypercall: (op: number, a1: bigint, a2: bigint, a3: bigint) => {
      if (op !== HYPERVISOR_console_io || a1 !== 0n) throw new Error(`net harness: unexpected hypercall ${op}`);
      console += new TextDecoder().decode(new Uint8Array(memory.buffer, Number(a3), Number(a2)));
      return a2;
    },
    exit: (status: number) => {
      throw new Error(`net harness: exit ${status}: ${console.trim()}`);
    },
  };
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    if (from === "rtrace" && !(name in rtraceImports)) rtraceImports[name] = (ptr: number) => ptr;
    if (from === "env" && kind === "function" && !(name in env)) env[name] = () => { throw new Error(`net harness: unexpected call to env.${name}`); };
  }
  const { exports } = new WebAssembly.Instance(module, { env: env as WebAssembly.ModuleImports, rtrace: rtraceImports as WebAssembly.ModuleImports });
  return {
    ...(exports as unknown as Harness),
    allocations: () => allocations,
    memory,
    bytes: () => new Uint8Array(memory.buffer),
    now: () => view().getBigUint64(SYSTEM_TIME, true),
  };
}

/** An AssemblyScript string returned by the harness (UTF-16, its byte length in the header before it). */
export function readString(h: Harness, ptr: number): string | null {
  if (ptr === 0) return null;
  const bytes = new DataView(h.memory.buffer).getUint32(ptr - 4, true);
  return Buffer.from(new Uint8Array(h.memory.buffer, ptr, bytes)).toString("utf16le");
}

/** Counter names in the harness's order. */
export function counterNames(h: Harness): string[] {
  return Array.from({ length: h.counterCount() }, (_, i) => readString(h, h.nameOf(i))!);
}

/** Every counter by name. */
export function counters(h: Harness): Map<string, bigint> {
  return new Map(counterNames(h).map((name, i) => [name, h.counter(i)]));
}

/** The frames the stack has written since the last clearSent, as copies. */
export function sent(h: Harness): Uint8Array[] {
  return Array.from({ length: h.sentCount() }, (_, i) => h.bytes().slice(h.sentFrame(i), h.sentFrame(i) + h.sentLength(i)));
}

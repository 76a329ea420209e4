// One table of consoles for both hosts: each case is a unikernel, its command
// line and the lines it must print, the same on the simulator and as dom0 of
// real Xen (system-time numbers aside). test/core.test.ts runs it on the
// simulator; test/xen/parity.test.ts boots the very bytes of each Xen image on
// both and compares them with each other and with this table.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import wabtInit from "wabt";
import { REPO } from "../../cli/build.ts";
import { Simulator, type DomainResult } from "../../sim/index.ts";

export interface ParityCase {
  name: string;
  /** An app folder, or a .wat file for what AssemblyScript cannot express. */
  app: string;
  cmdline: string;
  /** The console, line by line, after `normalise`. */
  console: (string | RegExp)[];
  /** main's status, or "trap". */
  end: number | "trap";
  /** Xen's dom0 has the 2-level ABI's 4,096 ports; the simulator's default is xl's 1,024 for a domU. */
  maxEvtchns?: number;
}

const trap = (how: string, kind: string): ParityCase => ({
  name: `trap ${kind}`, app: "test/apps/crash", cmdline: `crash=${how}`, console: [`crash=${how}`, `morgana: trap ${kind}`], end: "trap",
});

export const PARITY: ParityCase[] = [
  {
    name: "hello", app: "examples/hello", cmdline: "", end: 0,
    console: ["Hello from Morgana", "tick 1: system time T s", "tick 2: system time T s", "tick 3: system time T s", "morgana: exit 0"],
  },
  { name: "a non-zero status", app: "test/apps/crash", cmdline: "status=7", console: ["crash=none", "morgana: exit 7"], end: 7 },
  {
    name: "a panic that says where", app: "test/apps/crash", cmdline: "crash=assert", end: 255,
    console: ["crash=assert", /^morgana: panic: a broken invariant at .*test\/apps\/crash\/main\.ts:\d+:\d+$/, "morgana: exit 255"],
  },
  trap("oob", "out-of-bounds"),
  trap("unreachable", "unreachable"),
  trap("divide", "divide-by-zero"),
  trap("overflow", "integer-overflow"),
  trap("indirect", "call-indirect"),
  trap("recurse", "call-stack-exhausted"),
  { name: "trap invalid-conversion", app: "test/apps/wat/invalid-conversion.wat", cmdline: "", console: ["morgana: trap invalid-conversion"], end: "trap" },
  {
    name: "event channels", app: "test/apps/evtchn", cmdline: "pairs=600", end: 0, maxEvtchns: 4096,
    console: [
      /^status of \d+: interdomain to port \d+$/,
      "ports 1200: 600 of 600 receivers got exactly one event",
      "masked: 0 delivered",
      "unmasked: 1 delivered",
      "raised in a handler: other port 1, own port 2",
      "morgana: exit 0",
    ],
  },
];

/** The console as lines, Xen's system time (real, so never the same twice) as `T`. */
export const normalise = (lines: string[]) => lines.map((l) => l.replace(/system time [\d.]+ s$/, "system time T s"));

/** The expected console with its patterns applied to `actual` (for one toEqual that shows every line). */
export function expected(c: ParityCase, actual: string[]): string[] {
  return c.console.map((e, i) => (typeof e === "string" ? e : e.test(actual[i] ?? "") ? actual[i] : String(e)));
}

/** isa-debug-exit: QEMU exits with (code << 1) | 1; the stub writes the status, or 0x7f on a crash. */
export const qemuStatus = (code: number) => ((code << 1) | 1) & 0xff;

/** The simulator's result for the case's end. */
export const simResult = (c: ParityCase) => (c.end === "trap" ? { kind: "trap" } : { kind: "exit", status: c.end });

/** A .wat case's bytes (apps are built by the caller: test/xen/images.ts or test/helpers/apps.ts). */
export async function watBytes(file: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat(file, readFileSync(join(REPO, file), "utf8"));
  try {
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

/** Boots `wasm` alone on the simulator as dom0 (console_io, as on Xen): its console lines and result. */
export async function runParity(c: ParityCase, wasm: Uint8Array): Promise<{ lines: string[]; result: DomainResult | undefined }> {
  const sim = new Simulator();
  const d = sim.createDomain({ name: c.name, wasm, cmdline: c.cmdline, dom0: true, maxEvtchns: c.maxEvtchns });
  await sim.run({ timeoutMs: 30_000 });
  return { lines: normalise(d.console.replace(/\n$/, "").split("\n")), result: d.result };
}

// compileGuest: one compiled module for many domains, each with its memory at
// the module's declared size (the core's page allocator grows it).
import { beforeAll, describe, expect, it } from "vitest";
import wabtInit from "wabt";
import { Simulator, compileGuest } from "../sim/index.ts";
import { appWasm } from "./helpers/apps.ts";

let bytes: Uint8Array;
/** The declared minimum of env.memory, in bytes, as wabt reads the module (not the simulator's own reader). */
let declaredBytes: number;
beforeAll(async () => {
  bytes = await appWasm("test/apps/timers");
  const module = (await wabtInit()).readWasm(bytes, { readDebugNames: false });
  const text = module.toText({});
  module.destroy();
  const pages = /\(import "env" "memory" \(memory \(;\d+;\) (\d+) \d+\)\)/.exec(text);
  if (!pages) throw new Error("no env.memory import in test/apps/timers");
  declaredBytes = Number(pages[1]) * 65536;
});

describe("compileGuest", () => {
  it("runs two domains from one compiled module, memory at the declared size", async () => {
    const module = compileGuest(bytes);
    const sim = new Simulator();
    const domains = [sim.createDomain({ name: "a", wasm: module }), sim.createDomain({ name: "b", wasm: module })];
    const fromBytes = new Simulator().createDomain({ name: "bytes", wasm: bytes });
    for (const d of [...domains, fromBytes]) expect(d.memory.buffer.byteLength).toBe(declaredBytes);
    await sim.run({ timeoutMs: 20_000 });
    for (const d of domains) expect(d.result).toEqual({ kind: "exit", status: 0 });
  });

  it("refuses a module compiled elsewhere, whose memory limits Node cannot tell", () => {
    const sim = new Simulator();
    expect(() => sim.createDomain({ name: "foreign", wasm: new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>) }))
      .toThrow("foreign: a WebAssembly.Module from elsewhere: pass the bytes, or compileGuest(bytes)");
  });
});

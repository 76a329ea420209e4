// The console ring backend: a chatty guest's output arrives complete and in
// order, input reaches the guest's in ring, dom0 uses console_io.
import { beforeAll, describe, expect, it } from "vitest";
import { Simulator } from "../sim/index.ts";
import { buildGuest } from "./guests/build.ts";

let probe: Uint8Array;
beforeAll(async () => {
  probe = await buildGuest("probe");
});

describe("console", () => {
  it("delivers a chatty guest's output complete and in order through the ring", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "chatty", wasm: probe, cmdline: "chatty 5000" });
    const chunks: string[] = [];
    d.onConsole((text) => chunks.push(text));
    await sim.run({ timeoutMs: 20_000 });
    const expected = Array.from({ length: 5000 }, (_, i) => `line ${i} of the chatty guest\n`).join("");
    expect(d.console).toBe(expected);
    expect(chunks.join("")).toBe(expected);
    // ~150 KB through a 2 KiB ring: the guest waited for space many times.
    expect(chunks.length).toBeGreaterThan(50);
    expect(d.stats.unwinds).toBeGreaterThan(50);
    expect(d.result).toEqual({ kind: "exit", status: 0 });
  });

  it("keeps output the guest wrote just before exit", async () => {
    const sim = new Simulator({ eventLatencyNs: [1_000_000, 1_000_000] });
    const d = sim.createDomain({ name: "hello", wasm: probe, cmdline: "hello late" });
    await sim.run({ timeoutMs: 10_000 });
    expect(d.console).toBe("hello from late\n");
  });

  it("feeds console input into the guest's in ring", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "echo", wasm: probe, cmdline: "echo" });
    sim.consoleInput(d.domid, "x".repeat(1500) + " over the ring's 1 KiB\n");
    await sim.run({ timeoutMs: 10_000 });
    expect(d.console).toBe(`echo: ${"x".repeat(1500)} over the ring's 1 KiB\n`);
  });

  it("gives dom0 console_io in both directions", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "dom0", wasm: probe, cmdline: "read", dom0: true });
    sim.consoleInput(d.domid, "typed");
    await sim.run({ timeoutMs: 10_000 });
    expect(d.console).toBe("read 5: typed\n");
  });

  it("ends a guest that corrupts its ring indexes", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "liar", wasm: probe, cmdline: "liar" });
    await sim.run({ timeoutMs: 10_000 });
    expect(d.result).toEqual({ kind: "error", message: "console ring: out_prod 1000000 is 1000000 bytes ahead of out_cons 0, the ring holds 2048" });
  });
});

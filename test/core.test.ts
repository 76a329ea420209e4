// The Morgana core on the simulator, through real unikernels: time and timers,
// event channels, the console ring, memory under the incremental collector,
// and how a unikernel ends.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appWasm, runApp } from "./helpers/apps.ts";
import { Simulator, type Domain } from "../sim/index.ts";
import { attachDisk } from "../sim/backends/blkback.ts";
import { plugXenstore } from "../sim/xenstore/plug.ts";
import { expected, PARITY, runParity, simResult, watBytes } from "./xen/parity.ts";

/** test/apps/seeded-disk's console on a fresh 1 MiB disk, with the default latencies (20-200 us, seeded). */
async function seededDisk(seed: number): Promise<string> {
  const sim = new Simulator({ seed });
  const xs = plugXenstore(sim);
  const d = sim.createDomain({ name: "seeded-disk", wasm: await appWasm("test/apps/seeded-disk") });
  const dir = mkdtempSync(join(tmpdir(), "morgana-seed-"));
  try {
    attachDisk(sim, xs, d, { path: join(dir, "disk.img"), sizeBytes: 1 << 20 });
    await sim.run({ timeoutMs: 30_000 });
    return d.console;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("time", () => {
  it("runs hello on virtual time: exact times, far faster than the wall clock", async () => {
    const run = await runApp("examples/hello");
    expect(run.console).toBe(
      "Hello from Morgana\n" +
        "tick 1: system time 1.000000000 s\n" +
        "tick 2: system time 2.000000000 s\n" +
        "tick 3: system time 3.000000000 s\n" +
        "morgana: exit 0\n",
    );
    expect(run.result).toEqual({ kind: "exit", status: 0 });
    expect(run.wallMs).toBeLessThan(1000);
    expect(run.sim.now()).toBeGreaterThanOrEqual(3_000_000_000n);
  });

  it("gives the same console for the same seed and another for another seed (blkback's latencies are drawn from it)", async () => {
    const [a, b, c] = [await seededDisk(42), await seededDisk(42), await seededDisk(43)];
    expect(a).toMatch(/^(read \d: done at \+\d+ ns\n){8}morgana: exit 0\n$/);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it("fires timers in deadline order, equal deadlines in arming order, never a cancelled one", async () => {
    const run = await runApp("test/apps/timers");
    expect(run.console).toBe(
      "a at +10000000 ns\nb1 at +20000000 ns\nb2 at +20000000 ns\nc at +30000000 ns\n" +
        "done at +40000000 ns\nmorgana: exit 0\n",
    );
  });
});

describe("scheduler", () => {
  it("runs every deferred task once, also those deferred while a task waits", async () => {
    const run = await runApp("test/apps/tasks");
    expect(run.console).toBe("a waits\nb runs\na resumes\nc runs\nb runs\nb ran 2 times, c 1\nmorgana: exit 0\n");
  });
});

describe("event channels", () => {
  it("delivers exactly one event on each of 1,200 loopback ports, honours masks, loses none raised in a handler", async () => {
    const run = await runApp("test/apps/evtchn", { cmdline: "pairs=600", maxEvtchns: 4096 });
    const lines = run.console.split("\n");
    expect(lines[0]).toMatch(/^status of \d+: interdomain to port \d+$/);
    expect(lines.slice(1)).toEqual([
      "ports 1200: 600 of 600 receivers got exactly one event",
      "masked: 0 delivered",
      "unmasked: 1 delivered",
      "raised in a handler: other port 1, own port 2",
      "morgana: exit 0",
      "",
    ]);
  });

  it("reports running out of ports (xl's default of 1,024) as an error, not a crash", async () => {
    const run = await runApp("test/apps/evtchn", { cmdline: "pairs=600" });
    expect(run.console).toMatch(/^loopback \d+ failed\nmorgana: exit 1\n$/);
    expect(run.result).toEqual({ kind: "exit", status: 1 });
  });
});

describe("console", () => {
  it("passes 5,000 lines through the 2 KiB ring complete and in order", async () => {
    const run = await runApp("test/apps/chatty");
    const lines = run.console.split("\n");
    expect(lines.length).toBe(5002);
    for (let i = 0; i < 5000; i++) expect(lines[i]).toBe(`line ${i} ${"-".repeat(i % 70)}|`);
    expect(lines[5000]).toBe("morgana: exit 0");
  });
});

describe("memory", () => {
  it("keeps memory.size flat while allocating over ten times the domain's memory across 1,200 blocks", async () => {
    const run = await runApp("test/apps/soak", { memoryMiB: 32, timeoutMs: 120_000 });
    expect(run.result).toEqual({ kind: "exit", status: 0 });
    const m = /allocated (\d+) bytes/.exec(run.console);
    expect(Number(m![1])).toBeGreaterThan(10 * 32 * 1024 * 1024);
    expect(run.console).toMatch(/pages after warm-up (\d+), at end \1\n/);
    expect(run.domain.stats.unwinds).toBeGreaterThanOrEqual(1200);
    expect(run.domain.stats.rewinds).toBe(run.domain.stats.unwinds);
  }, 180_000);
});

describe("ending, and the consoles both hosts share (test/xen/parity.ts)", () => {
  for (const c of PARITY) {
    it(c.name, async () => {
      const run = await runParity(c, c.app.endsWith(".wat") ? await watBytes(c.app) : await appWasm(c.app));
      expect(run.lines).toEqual(expected(c, run.lines));
      expect(run.result).toMatchObject(simResult(c));
    });
  }
});

describe("event channels between two domains", () => {
  it("connects an unbound port of one domain to another and carries events both ways", async () => {
    const wasm = await appWasm("test/apps/evtchn-pair");
    const sim = new Simulator({ seed: 5 });
    const a = sim.createDomain({ name: "a", wasm, cmdline: "role=a peer=2" });
    let b: Domain | undefined;
    a.onConsole((text) => {
      const m = /port (\d+)/.exec(text);
      if (m) sim.after(0n, () => void (b = sim.createDomain({ name: "b", wasm, cmdline: `role=b peer=1 port=${m[1]}` })));
    });
    await sim.run({ timeoutMs: 30_000 });
    expect(b?.domid).toBe(2);
    expect(a.console).toMatch(/^port \d+\na: event from b\nmorgana: exit 0\n$/);
    expect(b?.console).toBe("b: 1 event on binding\nb: answer from a\nmorgana: exit 0\n");
  });
});

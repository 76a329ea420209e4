// Boot, start_info, exit, traps and block on the simulator, with test/guests/probe.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { Simulator } from "../sim/index.ts";
import { START_INFO_OFFSET } from "../sim/abi.ts";
import { get, get64 } from "../sim/layout.ts";
import { SIF_INITDOMAIN, SIF_PRIVILEGED, start_info } from "../sim/xen/xen.ts";
import { buildGuest } from "./guests/build.ts";

let probe: Uint8Array;
beforeAll(async () => {
  probe = await buildGuest("probe");
});

async function boot(cmdline: string, options: { dom0?: boolean; memoryMiB?: number } = {}) {
  const sim = new Simulator();
  const d = sim.createDomain({ name: "probe", wasm: probe, cmdline, ...options });
  await sim.run({ timeoutMs: 10_000 });
  return { sim, d };
}

describe("boot", () => {
  it("fills start_info like Xen and passes the command line", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "probe", wasm: probe, cmdline: "startinfo x=1 y", memoryMiB: 16 });
    const view = new DataView(d.memory.buffer);
    const bytes = new Uint8Array(d.memory.buffer);
    expect(new TextDecoder().decode(bytes.subarray(START_INFO_OFFSET, START_INFO_OFFSET + 15))).toBe("xen-3.0-x86_64\0");
    expect(get64(view, START_INFO_OFFSET, start_info.nr_pages)).toBe(4096n);
    expect(get64(view, START_INFO_OFFSET, start_info.shared_info) % 4096n).toBe(0n);
    expect(get(view, START_INFO_OFFSET, start_info.flags)).toBe(0);
    expect(get64(view, START_INFO_OFFSET, start_info.console_domU_mfn)).toBe(BigInt(d.consolePage!.mfn));
    expect(get64(view, START_INFO_OFFSET, start_info.store_mfn)).toBe(BigInt(d.storePage!.mfn));
    await sim.run({ timeoutMs: 10_000 });
    expect(d.console).toBe("magic xen-3.0-x86_64 pages 4096 flags 0 store 1 console 2 cmdline [startinfo x=1 y]\n");
    expect(d.result).toEqual({ kind: "exit", status: 0 });
  });

  it("boots dom0 privileged, with console_io and no console ring", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "dom0", wasm: probe, cmdline: "hello dom0", dom0: true });
    const view = new DataView(d.memory.buffer);
    expect(get(view, START_INFO_OFFSET, start_info.flags)).toBe(SIF_INITDOMAIN | SIF_PRIVILEGED);
    expect(get64(view, START_INFO_OFFSET, start_info.store_mfn)).toBe(0n);
    await sim.run({ timeoutMs: 10_000 });
    expect(d.console).toBe("hello from dom0\n");
    expect(d.result).toEqual({ kind: "exit", status: 7 });
  });

  it("refuses console_io to a domU with -EPERM, as a release Xen does", async () => {
    const { d } = await boot("console_io");
    expect(d.console).toBe("console_io -1\n");
  });

  it("ends a domain with exit's status and counts its hypercalls", async () => {
    const { d } = await boot("hello world");
    expect(d.result).toEqual({ kind: "exit", status: 7 });
    expect(d.console).toBe("hello from world\n");
    expect(d.stats.hypercalls).toBe(3); // two update_va_mapping, one send
  });

  it("implements the atomic imports with their widths", async () => {
    const { d } = await boot("atomics");
    // Start 0x80000000ffff0001; each op returns the old value.
    expect(d.console).toBe("atomics 1 80000000 ffffffff ffffffffffff1234 0 800000ffffff1234 fedcba9876543210\n");
  });

  it("reports Xen 4.17", async () => {
    const { d } = await boot("version");
    expect(d.result).toEqual({ kind: "exit", status: (4 << 16) | 17 });
  });

  it("turns a wasm trap into a trap result", async () => {
    const { d } = await boot("trap");
    expect(d.result).toMatchObject({ kind: "trap" });
    expect((d.result as { message: string }).message).toMatch(/^unreachable \(unreachable\) in /);
    expect(d.console.endsWith("morgana: trap unreachable\n")).toBe(true);
  });

  it("traps a timed block while VIRQ_TIMER is unbound", async () => {
    const { d } = await boot("block-unbound");
    expect(d.result).toEqual({ kind: "trap", message: "block while VIRQ_TIMER is unbound: a real guest would never wake" });
  });

  it("ends a domain that blocks with nothing that could wake it", async () => {
    const { d } = await boot("forever");
    expect(d.result).toEqual({ kind: "error", message: "blocked forever: no timer is set and no event can arrive" });
  });

  it("leaves a guest that masked its timer port asleep, as Xen would, and says why", async () => {
    const { d, sim } = await boot("masked-timer");
    expect(d.result).toEqual({ kind: "error", message: "blocked forever: VIRQ_TIMER (port 3) is masked, so its timer cannot wake it" });
    expect(sim.now()).toBe(1_000_000n);
  });

  it("really unwinds a blocked guest and rewinds it", async () => {
    const { d, sim } = await boot("sleep");
    expect(d.result).toEqual({ kind: "exit", status: 0 });
    expect(d.console.split("\n").filter(Boolean)).toEqual([
      "woke at 1000000000 (deadline 1000000000)",
      "woke at 2000000000 (deadline 2000000000)",
      "woke at 3000000000 (deadline 3000000000)",
    ]);
    // Three timed waits, plus wake-ups by the console backend's notifications.
    expect(d.stats.unwinds).toBeGreaterThanOrEqual(3);
    expect(d.stats.rewinds).toBe(d.stats.unwinds);
    expect(sim.now()).toBe(3_000_000_000n);
  });

  it("unwinds and rewinds once per block, ten thousand times", async () => {
    const { d, sim } = await boot("spin 10000");
    expect(d.console).toBe("spun 10000\n");
    expect(d.stats).toMatchObject({ unwinds: 10_000, rewinds: 10_000 });
    expect(sim.now()).toBe(10_000n);
  });

  it("lets Node's event loop run during a long virtual run", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "spin", wasm: probe, cmdline: "spin 200000" });
    let seenWhile: string | undefined;
    setTimeout(() => (seenWhile = d.state), 5);
    await sim.run({ timeoutMs: 30_000 });
    expect(d.stats.unwinds).toBe(200_000);
    expect(seenWhile).toMatch(/^(ready|blocked)$/);
  });

  it("keeps delivering events after memory.grow", async () => {
    const { d } = await boot("grow");
    expect(d.console).toMatch(/^grew \d+ to \d+ pages, woke at 1000000\n$/);
    expect(d.result).toEqual({ kind: "exit", status: 0 });
  });

  it("interleaves several domains on one clock", async () => {
    const sim = new Simulator();
    const order: string[] = [];
    const a = sim.createDomain({ name: "a", wasm: probe, cmdline: "sleep" });
    const b = sim.createDomain({ name: "b", wasm: probe, cmdline: "periodic" });
    a.onConsole((t) => order.push(`a ${t.trim()}`));
    b.onConsole((t) => order.push(`b ${t.trim()}`));
    await sim.run({ timeoutMs: 10_000 });
    expect(order.slice(0, 4)).toEqual(["b tick 10000000", "b tick 20000000", "b tick 30000000", "a woke at 1000000000 (deadline 1000000000)"]);
    expect([a.result, b.result]).toEqual([{ kind: "exit", status: 0 }, { kind: "exit", status: 0 }]);
  });
});

describe("createDomain and run refuse bad input with one line", () => {
  it("rejects what is not a module", () => {
    const sim = new Simulator();
    expect(() => sim.createDomain({ name: "x", wasm: new Uint8Array([1, 2, 3]) })).toThrow(/^x: not a valid WebAssembly module/);
  });

  it("rejects an import the platform does not provide", async () => {
    const wabt = await (await import("wabt")).default();
    const text = '(module (import "env" "memory" (memory 1)) (import "env" "seed" (func)))';
    const wasm = wabt.parseWat("seed.wat", text).toBinary({}).buffer;
    const sim = new Simulator();
    expect(() => sim.createDomain({ name: "x", wasm })).toThrow("x: the module imports env.seed, which runtime/platform.ts does not provide");
  });

  it("rejects a module built without Asyncify, and one whose start section ends it", async () => {
    const wabt = await (await import("wabt")).default();
    const wasm = (text: string) => wabt.parseWat("m.wat", text).toBinary({}).buffer;
    const sim = new Simulator();
    const plain = '(module (import "env" "memory" (memory 1)) (func (export "start") (param i32 i64)))';
    expect(() => sim.createDomain({ name: "plain", wasm: wasm(plain) })).toThrow("plain: the module does not export asyncify_start_unwind (build it with cli/build.ts)");
    const early = '(module (import "env" "memory" (memory 1)) (import "env" "exit" (func $exit (param i32))) (func $s (call $exit (i32.const 3))) (start $s))';
    expect(() => sim.createDomain({ name: "early", wasm: wasm(early) })).toThrow("early: cannot instantiate the module: exit(3)");
    const big = '(module (import "env" "memory" (memory 1000)))';
    expect(() => sim.createDomain({ name: "big", wasm: wasm(big), memoryMiB: 32 })).toThrow("big: the module needs 64000 KiB of memory at start, the domain has 32 MiB");
  });

  it("rejects a command line longer than MAX_GUEST_CMDLINE - 1", () => {
    const sim = new Simulator();
    expect(() => sim.createDomain({ name: "x", wasm: probe, cmdline: "a".repeat(1024) })).toThrow(/at most 1023 bytes/);
  });

  it("rejects a timed-out run and ends what still runs", async () => {
    const sim = new Simulator({ realTime: true });
    const sleeper = sim.createDomain({ name: "sleeper", wasm: probe, cmdline: "sleep" });
    await expect(sim.run({ timeoutMs: 200 })).rejects.toThrow(/^simulation timed out after 200 ms of wall-clock time; still running: sleeper \(blocked\)$/);
    expect(sleeper.result).toEqual({ kind: "error", message: "timed out after 200 ms of wall-clock time" });
  });
});

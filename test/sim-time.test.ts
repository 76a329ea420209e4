// Time on the simulator: vcpu_time_info and the wall clock in shared_info,
// virtual time repeatable from the seed and far faster than the wall clock.
import { beforeAll, describe, expect, it } from "vitest";
import { Simulator } from "../sim/index.ts";
import { TSC_SHIFT, TSC_TO_SYSTEM_MUL, VIRTUAL_EPOCH_NS, pvclock } from "../sim/time.ts";
import { buildGuest } from "./guests/build.ts";

let probe: Uint8Array;
beforeAll(async () => {
  probe = await buildGuest("probe");
});

async function run(cmdline: string, options: ConstructorParameters<typeof Simulator>[0] = {}) {
  const sim = new Simulator(options);
  const d = sim.createDomain({ name: "probe", wasm: probe, cmdline });
  await sim.run({ timeoutMs: 10_000 });
  return { sim, d };
}

describe("time", () => {
  it("publishes a consistent vcpu_time_info (1 GHz TSC) and the wall clock", async () => {
    const { d, sim } = await run("time");
    const [time, wc, now, past] = d.console.split("\n");
    const fields = Object.fromEntries(time.split(" ").slice(1).map((v, i, all) => (i % 2 ? [] : [v, all[i + 1]])).filter((f) => f.length));
    expect(Number(fields.version) % 2).toBe(0);
    expect(Number(fields.mul)).toBe(TSC_TO_SYSTEM_MUL);
    expect(Number(fields.shift)).toBe(TSC_SHIFT);
    expect(fields.system).toBe(fields.tsc);
    const sec = VIRTUAL_EPOCH_NS / 1_000_000_000n;
    expect(wc).toBe(`wc version 2 sec ${sec & 0xffff_ffffn} nsec 0 hi ${sec >> 32n}`);
    // The guest's pvclock (a 128-bit product over rdtsc) lands exactly on the timer.
    expect(now).toBe("now 1234567");
    expect(sim.now()).toBe(1_234_567n);
    // Xen 4.17 refuses a VCPU_SSHOTTMR_future timeout already past with -ETIME.
    expect(past).toBe("past future timer -62");
    // What the simulator left in shared_info still converts a TSC value into system time exactly.
    const view = new DataView(d.memory.buffer, d.sharedInfo.mappedAt * 4096, 4096);
    expect(pvclock(view, 5_000_000_000n)).toBe(5_000_000_000n);
  });

  it("delivers the boot-time 100 Hz periodic timer until the guest stops it", async () => {
    const { d } = await run("periodic");
    expect(d.console).toBe("tick 10000000\ntick 20000000\ntick 30000000\n");
  });

  it("runs three seconds of virtual sleep in a fraction of a second", async () => {
    const started = Date.now();
    const { d, sim } = await run("sleep");
    expect(Date.now() - started).toBeLessThan(1000);
    expect(sim.now()).toBe(3_000_000_000n);
    expect(d.console).toContain("woke at 3000000000 (deadline 3000000000)");
  });

  it("replays a run from its seed, backend latencies included", async () => {
    const latency = { eventLatencyNs: [1_000, 50_000] as [number, number] };
    const first = await run("stamped 400", { seed: 42, ...latency });
    const again = await run("stamped 400", { seed: 42, ...latency });
    const other = await run("stamped 400", { seed: 43, ...latency });
    expect(first.d.console.split("\n")).toHaveLength(401);
    expect(again.d.console).toBe(first.d.console);
    expect(other.d.console).not.toBe(first.d.console);
  });

  it("follows the host clock in real-time mode", async () => {
    const started = process.hrtime.bigint();
    const { d, sim } = await run("time", { realTime: true });
    const now = BigInt(/now (\d+)/.exec(d.console)![1]);
    expect(now).toBeGreaterThanOrEqual(1_234_567n);
    expect(sim.now()).toBeLessThanOrEqual(process.hrtime.bigint() - started);
    expect(d.result).toEqual({ kind: "exit", status: 0 });
  });
});

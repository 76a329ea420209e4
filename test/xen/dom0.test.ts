// Unikernels as dom0 of real Xen 4.17 in QEMU (about a second of boot each):
// the ABI probe fixture (stub, runtime and sandbox without the core, the same
// table test/sim-probe.test.ts asserts), the core's timers and the random
// source (hello, statuses, panics, traps and event channels are in
// parity.test.ts, beside the simulator). Each case checks the console and
// QEMU's exit status.
import { beforeAll, describe, expect, it } from "vitest";
import { runDom0, type XenResult } from "../../cli/run-xen.ts";
import { appImage, figure, watImage } from "./images.ts";
import { qemuStatus } from "./parity.ts";
import { PROBE_CASES } from "../fixtures/abi-probe-cases.ts";

const texts = (r: XenResult) => r.console.map((l) => l.text);

async function boot(image: string, cmdline: string, name: string, cpuFeatures?: string): Promise<XenResult> {
  const result = await runDom0(image, { cmdline, timeoutMs: 60_000, cpuFeatures });
  figure(`wall time: dom0 ${name}`, result.wallMs, "ms");
  return result;
}

describe("the ABI probe as dom0 (test/fixtures/abi-probe.wat)", () => {
  let probe: string;
  beforeAll(async () => {
    probe = await watImage("test/fixtures/abi-probe.wat");
  });

  // The same table test/sim-probe.test.ts asserts on the simulator.
  for (const c of PROBE_CASES) {
    it(`case ${c.letter}: ${c.what}`, async () => {
      const r = await boot(probe, `case=${c.letter}`, `probe case ${c.letter}`);
      expect(texts(r)).toEqual(c.console);
      const shutdown = c.status === 0 ? "poweroff" : "crash";
      expect(r).toMatchObject({ status: c.status, shutdown, qemuStatus: qemuStatus(c.status ?? 0x7f) });
    });
  }
});

describe("the core's own checks as dom0", () => {
  it("timers fire in deadline order, a cancelled one never", async () => {
    const r = await boot(await appImage("test/apps/timers"), "", "timers");
    const fired = texts(r).map((l) => /^(\S+) at \+(\d+) ns$/.exec(l)).filter((m) => m !== null);
    expect(fired.map((m) => m![1])).toEqual(["a", "b1", "b2", "c", "done"]);
    const deadlines = [10e6, 20e6, 20e6, 30e6, 40e6];
    fired.forEach((m, i) => expect(Number(m![2])).toBeGreaterThanOrEqual(deadlines[i]));
    expect(texts(r).at(-1)).toBe("morgana: exit 0");
    expect(r).toMatchObject({ status: 0, shutdown: "poweroff", qemuStatus: qemuStatus(0) });
  });
});

describe("the random source as dom0 (test/apps/random)", () => {
  const check = (r: XenResult, source: string) => {
    expect(texts(r)[0]).toBe(`random source: ${source}`);
    expect(texts(r)[1]).toMatch(/^u64 [0-9a-f]+ [0-9a-f]+$/);
    const fill = /^fill 4094 bytes: edges untouched true, most common byte (\d+) times$/.exec(texts(r)[3]);
    expect(Number(fill?.[1])).toBeLessThan(40);
    expect(texts(r)[4]).toMatch(/^Math\.random 0\.\d+ in \[0, 1\): true$/);
    expect(texts(r)[5]).toBe("morgana: exit 0");
  };

  it("seeds from TSC jitter on a CPU without RDRAND (QEMU's qemu64), differently each boot", async () => {
    const image = await appImage("test/apps/random");
    const a = await boot(image, "", "random tsc-jitter");
    const b = await boot(image, "", "random tsc-jitter again");
    check(a, "tsc-jitter");
    check(b, "tsc-jitter");
    expect(texts(b)[1]).not.toBe(texts(a)[1]);
  });

  it("seeds from RDRAND where CPUID has it", async () => {
    const r = await boot(await appImage("test/apps/random"), "", "random rdrand", "+rdrand");
    check(r, "rdrand");
  });
});

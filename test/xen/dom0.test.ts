// Unikernels as dom0 of real Xen 4.17 in QEMU (about a second of boot each):
// the ABI probe fixture (stub, runtime and sandbox without the core), the
// core's own checks, examples/hello, and every way of ending badly. Each case
// checks the console's status line, not only QEMU's exit code.
import { beforeAll, describe, expect, it } from "vitest";
import { runDom0, type XenResult } from "../../cli/run-xen.ts";
import { appImage, bootMs, figure, imageBytes, watImage } from "./images.ts";
import { PROBE_CASES } from "../fixtures/abi-probe-cases.ts";

const texts = (r: XenResult) => r.console.map((l) => l.text);

async function boot(image: string, cmdline: string, name: string, cpuFeatures?: string): Promise<XenResult> {
  const result = await runDom0(image, { cmdline, timeoutMs: 60_000, cpuFeatures });
  figure(`wall time: dom0 ${name}`, result.wallMs, "ms");
  return result;
}

/** isa-debug-exit: QEMU exits with (code << 1) | 1; the stub writes the status, or 0x7f on a crash. */
const qemuStatus = (code: number) => ((code << 1) | 1) & 0xff;

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

describe("examples/hello as dom0", () => {
  it("prints through console_io, sleeps on real timers and exits 0", async () => {
    const image = await appImage("examples/hello");
    figure("image size: examples/hello (.xen, stripped)", imageBytes(image), "bytes");
    const r = await boot(image, "", "examples/hello");
    expect(texts(r)[0]).toBe("Hello from Morgana");
    expect(texts(r).slice(1, 4).map((l) => l.replace(/[\d.]+ s$/, "T s"))).toEqual([
      "tick 1: system time T s", "tick 2: system time T s", "tick 3: system time T s",
    ]);
    expect(texts(r)[4]).toBe("morgana: exit 0");
    expect(r).toMatchObject({ status: 0, shutdown: "poweroff" });
    // Three one-second sleeps, on Xen's clock as the host sees it.
    expect(r.console[3].at - r.console[0].at).toBeGreaterThan(2_500);
    figure("boot time: Xen's 'Freed init memory' to hello's first line (dom0)", bootMs(r.serial, /^Hello from Morgana$/), "ms");
  });
});

describe("the core's own checks as dom0", () => {
  it("event channels: 1,200 loopback ports, masking, events raised in a handler", async () => {
    const r = await boot(await appImage("test/apps/evtchn"), "pairs=600", "evtchn");
    expect(texts(r)[0]).toMatch(/^status of \d+: interdomain to port \d+$/);
    expect(texts(r).slice(1)).toEqual([
      "ports 1200: 600 of 600 receivers got exactly one event",
      "masked: 0 delivered",
      "unmasked: 1 delivered",
      "raised in a handler: other port 1, own port 2",
      "morgana: exit 0",
    ]);
  });

  it("timers fire in deadline order, a cancelled one never", async () => {
    const r = await boot(await appImage("test/apps/timers"), "", "timers");
    const fired = texts(r).map((l) => /^(\S+) at \+(\d+) ns$/.exec(l)).filter((m) => m !== null);
    expect(fired.map((m) => m![1])).toEqual(["a", "b1", "b2", "c", "done"]);
    const deadlines = [10e6, 20e6, 20e6, 30e6, 40e6];
    fired.forEach((m, i) => expect(Number(m![2])).toBeGreaterThanOrEqual(deadlines[i]));
    expect(texts(r).at(-1)).toBe("morgana: exit 0");
  });
});

describe("ending badly as dom0 (test/apps/crash)", () => {
  it("returns main's status", async () => {
    const r = await boot(await appImage("test/apps/crash"), "status=7", "crash status=7");
    expect(texts(r)).toEqual(["crash=none", "morgana: exit 7"]);
    expect(r).toMatchObject({ status: 7, shutdown: "crash", qemuStatus: qemuStatus(7) });
  });

  it("turns a failed assertion into a panic that says where", async () => {
    const r = await boot(await appImage("test/apps/crash"), "crash=assert", "crash assert");
    expect(texts(r)[1]).toMatch(/^morgana: panic: a broken invariant at .*test\/apps\/crash\/main\.ts:\d+:\d+$/);
    expect(texts(r)[2]).toBe("morgana: exit 255");
    expect(r).toMatchObject({ status: 255, shutdown: "crash" });
  });

  for (const [how, kind] of [["oob", "out-of-bounds"], ["unreachable", "unreachable"], ["divide", "divide-by-zero"]]) {
    it(`traps: ${how}`, async () => {
      const r = await boot(await appImage("test/apps/crash"), `crash=${how}`, `crash ${how}`);
      expect(texts(r)).toEqual([`crash=${how}`, `morgana: trap ${kind}`]);
      expect(r).toMatchObject({ status: null, shutdown: "crash" });
    });
  }
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

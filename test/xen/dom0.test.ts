// Unikernels as dom0 of real Xen 4.17 in QEMU (about a second of boot each):
// the ABI probe fixture (stub, runtime and sandbox without the core) and the
// core's timers (hello, statuses, panics, traps and event channels are in
// parity.test.ts, beside the simulator). Each case checks the console and
// QEMU's exit status.
import { beforeAll, describe, expect, it } from "vitest";
import { runDom0, type XenResult } from "../../cli/run-xen.ts";
import { appImage, figure, watImage } from "./images.ts";
import { qemuStatus } from "./parity.ts";

const texts = (r: XenResult) => r.console.map((l) => l.text);

async function boot(image: string, cmdline: string, name: string): Promise<XenResult> {
  const result = await runDom0(image, { cmdline, timeoutMs: 60_000 });
  figure(`wall time: dom0 ${name}`, result.wallMs, "ms");
  return result;
}

describe("the ABI probe as dom0 (test/fixtures/abi-probe.wat)", () => {
  let probe: string;
  beforeAll(async () => {
    probe = await watImage("test/fixtures/abi-probe.wat");
  });

  it("prints through console_io and powers off with status 0", async () => {
    const r = await boot(probe, "case=h", "probe hello");
    expect(texts(r)).toEqual(["wat: hello from the abi probe", "morgana: exit 0"]);
    expect(r).toMatchObject({ status: 0, shutdown: "poweroff", qemuStatus: qemuStatus(0) });
  });

  it("ends with a non-zero status as a crash", async () => {
    const r = await boot(probe, "case=s", "probe status 3");
    expect(texts(r)).toEqual(["morgana: exit 3"]);
    expect(r).toMatchObject({ status: 3, shutdown: "crash", qemuStatus: qemuStatus(3) });
  });

  for (const [letter, kind] of [["o", "out-of-bounds"], ["u", "unreachable"], ["d", "call-stack-exhausted"]]) {
    it(`traps: ${kind}`, async () => {
      const r = await boot(probe, `case=${letter}`, `probe trap ${kind}`);
      expect(texts(r)).toEqual([`morgana: trap ${kind}`]);
      expect(r).toMatchObject({ status: null, shutdown: "crash", qemuStatus: qemuStatus(0x7f) });
    });
  }

  // The guard region: only the current memory is mapped, so every access past its end faults.
  for (const [letter, what] of [["p", "a load straddling the end"], ["w", "a store at the end"], ["q", "the new end after a grow"], ["k", "the largest address plus offset"]]) {
    it(`traps out-of-bounds: ${what}`, async () => {
      const r = await boot(probe, `case=${letter}`, `probe guard ${letter}`);
      expect(texts(r)).toEqual(["wat: hello from the abi probe", "morgana: trap out-of-bounds"]);
      expect(r).toMatchObject({ status: null, shutdown: "crash", qemuStatus: qemuStatus(0x7f) });
    });
  }

  it("crashes a block that nothing could wake (no VIRQ_TIMER bound), as the simulator traps it", async () => {
    const r = await boot(probe, "case=b", "probe block without timer");
    expect(texts(r)).toEqual(["morgana: trap block without VIRQ_TIMER bound (it would never wake)"]);
    expect(r).toMatchObject({ status: null, shutdown: "crash", qemuStatus: qemuStatus(0x7f) });
  });

  it("crashes when start returns instead of calling exit", async () => {
    const r = await boot(probe, "case=r", "probe start returns");
    expect(texts(r)).toEqual(["morgana: start returned without calling exit"]);
    expect(r).toMatchObject({ status: null, shutdown: "crash", qemuStatus: qemuStatus(0x7f) });
  });

  it("loops an event channel back to itself and wakes from block on a VIRQ_TIMER single-shot", async () => {
    const r = await boot(probe, "case=e", "probe events");
    expect(texts(r)).toEqual(["wat: all checks passed: 9", "morgana: exit 0"]);
    expect(r).toMatchObject({ status: 0, shutdown: "poweroff", qemuStatus: qemuStatus(0) });
  });

  it("refuses every hypercall that reaches for the stub or a foreign frame, allows own grants of linear memory", async () => {
    const r = await boot(probe, "case=x", "probe hostile");
    expect(texts(r)).toEqual(["wat: all checks passed: 47", "morgana: exit 0"]);
    expect(r).toMatchObject({ status: 0, shutdown: "poweroff", qemuStatus: qemuStatus(0) });
  });

  it("runs f32/f64 arithmetic, rounding and conversions in generated code (the FPU is on)", async () => {
    const r = await boot(probe, "case=f", "probe floats");
    expect(texts(r)).toEqual(["wat: all checks passed: 15", "morgana: exit 0"]);
    expect(r).toMatchObject({ status: 0, shutdown: "poweroff", qemuStatus: qemuStatus(0) });
  });

  it("grows memory in place, zeroed, and refuses to grow past the domain's memory", async () => {
    const r = await boot(probe, "case=g", "probe grow");
    expect(texts(r)).toEqual(["wat: all checks passed: 5", "morgana: exit 0"]);
    expect(r).toMatchObject({ status: 0, shutdown: "poweroff", qemuStatus: qemuStatus(0) });
  });
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

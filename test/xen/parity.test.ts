// "The same .wasm on both hosts": each case of test/xen/parity.ts boots as dom0
// of real Xen, and the very .wasm its image was translated from boots on the
// simulator; both consoles must be the table's, line for line, and the ends
// (status, shutdown, QEMU's exit status) must agree.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runDom0 } from "../../cli/run-xen.ts";
import { appImage, bootMs, figure, imageBytes, watImage } from "./images.ts";
import { expected, normalise, PARITY, qemuStatus, runParity, simResult } from "./parity.ts";

describe("one console on both hosts, from the same bytes", () => {
  for (const c of PARITY) {
    it(c.name, async () => {
      const image = await (c.app.endsWith(".wat") ? watImage(c.app) : appImage(c.app));
      const wasm = readFileSync(image.replace(/\.xen$/, ".wasm"));
      const sim = await runParity(c, wasm);
      const xen = await runDom0(image, { cmdline: c.cmdline, timeoutMs: 60_000 });
      figure(`wall time: dom0 ${c.name}`, xen.wallMs, "ms");
      const xenLines = normalise(xen.console.map((l) => l.text));
      expect(xenLines).toEqual(expected(c, xenLines));
      expect(sim.lines).toEqual(xenLines);
      expect(sim.result).toMatchObject(simResult(c));
      const status = c.end === "trap" ? null : c.end;
      const shutdown = c.end === 0 ? "poweroff" : "crash";
      expect(xen).toMatchObject({ status, shutdown, qemuStatus: qemuStatus(status ?? 0x7f) });
      if (c.name === "hello") {
        // Three one-second sleeps, on Xen's clock as the host sees it.
        expect(xen.console[3].at - xen.console[0].at).toBeGreaterThan(2_500);
        figure("image size: examples/hello (.xen, stripped)", imageBytes(image), "bytes");
        figure("boot time: Xen's 'Freed init memory' to hello's first line (dom0)", bootMs(xen.serial, /^Hello from Morgana$/), "ms");
      }
    });
  }
});

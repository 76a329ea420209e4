// The console against a backend that stops reading (issue 12, defect 8): the
// guest drops and counts output after a bound, never hangs, and prints again
// once the backend reads.
import { describe, expect, it } from "vitest";
import { Simulator } from "../sim/index.ts";
import { appWasm } from "./helpers/apps.ts";

describe("the console against a stalled backend", () => {
  it("drops and counts what does not fit, without hanging, then prints again", async () => {
    const wasm = await appWasm("fuzz/apps/console");
    const sim = new Simulator();
    const d = sim.createDomain({ name: "stall", wasm, cmdline: "stall" });
    const backend = sim.consoleBackend(d.domid)!;
    backend.stalled = true;
    sim.after(2_000_000_000n, () => backend.resume());
    await sim.run({ timeoutMs: 30_000 });
    expect(d.result).toEqual({ kind: "exit", status: 0 });
    const lines = Array.from({ length: 200 }, (_, i) => `line ${1000 + i} of output nobody reads\n`).join("");
    // The 2 KiB ring holds the first bytes; one second without room, then the rest is dropped at once.
    expect(d.console).toBe(`${lines.slice(0, 2048)}dropped: ${lines.length - 2048}, printing took 1000 ms\nmorgana: exit 0\n`);
  });
});

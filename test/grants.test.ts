// Grant tables through the core: the test plays the backend (domain 0) with
// the simulator's grant operations, as blkback and netback do.
import { describe, expect, it } from "vitest";
import { Simulator } from "../sim/index.ts";
import { appWasm } from "./helpers/apps.ts";
import { GNTST_general_error, GNTST_okay } from "../sim/xen/grant_table.ts";

describe("grant tables through the core", () => {
  it("serves copies and maps, refuses violations and reuse in use, reports exhaustion", async () => {
    const sim = new Simulator({ seed: 3 });
    const d = sim.createDomain({ name: "grants", wasm: await appWasm("test/apps/grants") });
    const seen: Record<string, unknown> = {};
    let port = -1;
    let handle = -1;
    d.onConsole((text) => {
      const m = /grants ro=(\d+) rw=(\d+) other=(\d+) port=(\d+)/.exec(text);
      if (!m) return;
      const [ro, rw, other, guestPort] = m.slice(1).map(Number);
      sim.after(0n, () => {
        const page = new Uint8Array(4096);
        seen.copyRo = sim.grants.copyFrom(d.domid, ro, 0, page);
        seen.pattern = page.every((b, i) => b === ((i * 7) & 0xff));
        seen.writeRo = sim.grants.copyTo(d.domid, ro, 0, new Uint8Array(16));
        seen.other = sim.grants.copyFrom(d.domid, other, 0, new Uint8Array(16));
        seen.writeRw = sim.grants.copyTo(d.domid, rw, 0, new Uint8Array(4096).fill(1));
        const mapped = sim.grants.map(d.domid, rw, false);
        seen.map = mapped.status;
        handle = mapped.mapping!.handle;
        port = sim.events.bindInterdomain(d.domid, guestPort);
        sim.events.onEvent(port, () => {
          // Xen raises the port on bind_interdomain, and the domain's end closes it: act on state, not on events.
          if ("unmap" in seen || !d.console.includes("end access while mapped")) return;
          seen.unmap = sim.grants.unmap(handle);
          sim.events.notify(port);
        });
        sim.events.notify(port);
      });
    });
    await sim.run({ timeoutMs: 30_000 });
    expect(seen).toEqual({
      copyRo: GNTST_okay,
      pattern: true,
      // Xen refuses a write through a read-only grant, and a grant to another domain, with general_error.
      writeRo: GNTST_general_error,
      other: GNTST_general_error,
      writeRw: GNTST_okay,
      map: GNTST_okay,
      unmap: GNTST_okay,
    });
    const lines = d.console.split("\n");
    expect(lines.slice(1)).toEqual([
      "backend wrote sum 4096",
      "in use while mapped: true",
      "end access while mapped: refused",
      "end access after unmap: done",
      "end access twice: refused",
      expect.stringMatching(/^exhausted after (\d+) of \1 free references$/),
      "morgana: exit 0",
      "",
    ]);
    expect(d.result).toEqual({ kind: "exit", status: 0 });
  });
});

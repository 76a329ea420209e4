// Grant tables: a backend (the simulator's domain 0) copying from and mapping
// a guest's grants, with Xen 4.17's GNTST_* answers (test/guests/grants.ts).
import { beforeAll, describe, expect, it } from "vitest";
import { type GrantMapping, Simulator } from "../sim/index.ts";
import {
  GNTST_bad_copy_arg, GNTST_bad_domain, GNTST_bad_gntref, GNTST_bad_handle, GNTST_general_error, GNTST_okay,
  GTF_permit_access, GTF_reading, GTF_readonly, GTF_writing,
} from "../sim/xen/grant_table.ts";
import { buildGuest } from "./guests/build.ts";

let grants: Uint8Array;
let probe: Uint8Array;
beforeAll(async () => {
  grants = await buildGuest("grants");
  probe = await buildGuest("probe");
});

describe("grant tables", () => {
  it("lets a backend copy and map granted pages, and refuses violations with Xen's status", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "granter", wasm: grants, cmdline: "grants 1 2" });
    sim.createDomain({ name: "other", wasm: probe, cmdline: "hello other" });
    const statuses: Record<string, number> = {};
    const copied = new Uint8Array(16);
    let port = 0;
    let read: number[] = [];
    let mapping: GrantMapping | undefined;
    d.onConsole((text) => {
      const m = /^port (\d+)/m.exec(text);
      if (m) {
        port = sim.events.bindInterdomain(1, Number(m[1]));
        const scratch = new Uint8Array(16);
        statuses.copyFrom = sim.grants.copyFrom(1, 8, 4, copied);
        statuses.readOnlyDest = sim.grants.copyTo(1, 9, 0, scratch);
        statuses.wrongDomain = sim.grants.copyFrom(1, 10, 0, scratch);
        statuses.notInUse = sim.grants.copyFrom(1, 11, 0, scratch);
        statuses.badRef = sim.grants.copyFrom(1, 1 << 20, 0, scratch);
        statuses.crossesPage = sim.grants.copyFrom(1, 8, 4090, scratch);
        statuses.noDomain = sim.grants.copyFrom(9, 8, 0, scratch);
        // A copy's source half alone (a frame a bridge switches): the page itself while pinned.
        const page = sim.grants.beginRead(1, 8);
        if (typeof page !== "number") read = Array.from(page.subarray(4, 20));
        sim.grants.endRead(1, 8);
        statuses.readWrongDomain = sim.grants.beginRead(1, 10) as number;
        statuses.readBadRef = sim.grants.beginRead(1, 1 << 20) as number;
        statuses.readNoDomain = sim.grants.beginRead(9, 8) as number;
        statuses.mapReadOnlyForWrite = sim.grants.map(1, 9, false).status;
        const mapped = sim.grants.map(1, 8, false);
        statuses.map = mapped.status;
        mapping = mapped.mapping!;
        mapping.bytes().set(new TextEncoder().encode("XEN!"));
        sim.events.notify(port);
      }
      if (/^mapped flags/m.test(text)) {
        statuses.unmap = sim.grants.unmap(mapping!.handle);
        statuses.unmapAgain = sim.grants.unmap(mapping!.handle);
        sim.events.notify(port);
      }
    });
    await sim.run({ timeoutMs: 10_000 });
    expect(d.result).toEqual({ kind: "exit", status: 0 });
    expect(Array.from(copied)).toEqual(Array.from({ length: 16 }, (_, i) => ((i + 4) * 7) & 0xff));
    expect(read).toEqual(Array.from(copied));
    expect(statuses).toEqual({
      copyFrom: GNTST_okay,
      // Xen 4.17's _set_status_v1 answers all three with GNTST_general_error.
      readOnlyDest: GNTST_general_error,
      wrongDomain: GNTST_general_error,
      notInUse: GNTST_general_error,
      badRef: GNTST_bad_gntref,
      crossesPage: GNTST_bad_copy_arg,
      noDomain: GNTST_bad_domain,
      readWrongDomain: GNTST_general_error,
      readBadRef: GNTST_bad_gntref,
      readNoDomain: GNTST_bad_domain,
      mapReadOnlyForWrite: GNTST_general_error,
      map: GNTST_okay,
      unmap: GNTST_okay,
      unmapAgain: GNTST_bad_handle,
    });
    const inUse = GTF_permit_access | GTF_reading | GTF_writing;
    expect(d.console.split("\n").slice(-4, -1)).toEqual([
      "port 3",
      // While mapped: GTF_reading|GTF_writing set in the guest's entry, so its end-access cmpxchg fails; the mapping is its page.
      `mapped flags ${inUse} end access saw ${inUse} data XEN!`,
      `unmapped flags before end ${GTF_permit_access} now 0`,
    ]);
  });

  it("runs a guest's own GNTTABOP_copy and refuses frames it does not own", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "granter", wasm: grants, cmdline: "grants 1 2" });
    sim.createDomain({ name: "other", wasm: probe, cmdline: "hello other" });
    d.onConsole((text) => {
      const m = /^port (\d+)/m.exec(text);
      if (m) {
        const port = sim.events.bindInterdomain(1, Number(m[1]));
        sim.grants.map(1, 8, true);
        sim.events.notify(port);
        sim.after(1_000_000n, () => sim.events.notify(port));
      }
    });
    await sim.run({ timeoutMs: 10_000 });
    expect(d.console.split("\n").slice(0, 8)).toEqual([
      "setup 0",
      `self copy 0 byte ${(99 * 7) & 0xff}`,
      "foreign source -1", // -EPERM for the call, as boot/sandbox.c: only the local domain may name a frame
      "unowned frame -1", // -EPERM: a frame outside the guest's RAM
      "read-only dest -1",
      "setup 65 -1", // beyond gnttab_max_frames (64): GNTST_general_error
      "size 1 of 64",
      "port 3",
    ]);
  });

  it("copies between two guests through a grant (GNTTABOP_copy with a source gref)", async () => {
    const sim = new Simulator();
    const a = sim.createDomain({ name: "offer", wasm: grants, cmdline: "offer 2" });
    const b = sim.createDomain({ name: "take", wasm: grants, cmdline: "take 1 3" });
    await sim.run({ timeoutMs: 10_000 });
    expect(b.console).toBe("copied 0 same 1 not granted -1\n");
    // The copy pinned and released the grant: no GTF_reading left behind.
    expect(a.console).toBe(`offered ref 8, port 3\npeer done, flags ${GTF_permit_access | GTF_readonly}\n`);
    expect([a.result, b.result]).toEqual([{ kind: "exit", status: 0 }, { kind: "exit", status: 0 }]);
  });

  it("maps another guest's grant (GNTTABOP_map_grant_ref): both see each other's writes, GTF_reading|GTF_writing while mapped", async () => {
    const sim = new Simulator();
    const a = sim.createDomain({ name: "lend", wasm: grants, cmdline: "lend 2" });
    const b = sim.createDomain({ name: "borrow", wasm: grants, cmdline: "borrow 1 3" });
    await sim.run({ timeoutMs: 10_000 });
    const inUse = GTF_permit_access | GTF_reading | GTF_writing;
    expect(a.console).toBe(
      "lent ref 8, port 3\n" +
      `mapped: flags ${inUse}, end access false, peer wrote 171\n` +
      `unmapped: flags ${GTF_permit_access}, end access true, byte 7 171\n`,
    );
    // The unmap gives the page its own contents back; a second unmap of the handle is GNTST_bad_handle.
    expect(b.console).toBe(`map 0 handle 0, contents granted\npeer wrote 90, unmap 0, own byte 17, again ${GNTST_bad_handle}\n`);
    expect([a.result, b.result]).toEqual([{ kind: "exit", status: 0 }, { kind: "exit", status: 0 }]);
  });
});

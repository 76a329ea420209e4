// Hostile hypercalls and imports: pointers outside linear memory, frames the
// domain does not own, bad addresses to map at. Each is refused with Xen's
// errno (or ends the domain with a trap where real hardware would fault).
import { beforeAll, describe, expect, it } from "vitest";
import { Simulator } from "../sim/index.ts";
import { buildGuest } from "./guests/build.ts";

let hostile: Uint8Array;
let probe: Uint8Array;
beforeAll(async () => {
  hostile = await buildGuest("hostile");
  probe = await buildGuest("probe");
});

const EPERM = -1, ENOENT = -2, ESRCH = -3, EFAULT = -14, EINVAL = -22, ENOSYS = -38;

describe("hostile guests", () => {
  it("gets Xen's errno for every bad hypercall and keeps running", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "hostile", wasm: hostile, cmdline: "all" });
    sim.createDomain({ name: "bystander", wasm: probe, cmdline: "forever" });
    await sim.run({ timeoutMs: 10_000 });
    const results = Object.fromEntries(d.console.trim().split("\n").map((line) => {
      const at = line.lastIndexOf(" ");
      return [line.slice(0, at), Number(line.slice(at + 1))];
    }));
    expect(results).toEqual({
      "alloc_unbound beyond": EFAULT,
      "alloc_unbound below": EFAULT,
      "alloc_unbound null": EFAULT,
      "alloc_unbound straddling": EFAULT,
      "setup_table frame_list beyond": EFAULT,
      "copy array beyond": EFAULT,
      "xen_version extraversion beyond": EFAULT,
      "uvm unaligned": EINVAL,
      "uvm beyond": EINVAL,
      "uvm host area": EINVAL,
      "uvm foreign frame": EPERM,
      "uvm other domain special": EPERM,
      "uvm own page elsewhere": EPERM,
      "uvm vcpu mask": EINVAL,
      "uvm own special": 0,
      "console_io": EPERM,
      "unknown hypercall": ENOSYS,
      "sched block": ENOSYS,
      "sched poll": ENOSYS,
      "vcpu 1": ENOENT,
      "send bad port": EINVAL,
      "close port 0": EINVAL,
      "close free port": EINVAL,
      "bind_virq 99": EINVAL,
      "bind_interdomain no domain": ESRCH,
      "bind_interdomain not offered": EINVAL,
      "alloc_unbound for domain 0": EPERM,
      "map_grant_ref": -2, // GNTST_bad_domain: map_grant_ref names the granter by id, DOMID_SELF is none
    });
    expect(d.result).toEqual({ kind: "exit", status: 0 });
  });

  it("traps frame() outside linear memory", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "hostile", wasm: hostile, cmdline: "frame" });
    await sim.run({ timeoutMs: 10_000 });
    expect(d.result).toMatchObject({ kind: "trap", message: expect.stringMatching(/^frame: address 0x[0-9a-f]+ outside linear memory$/) });
  });

  it("traps a misaligned atomic", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "hostile", wasm: hostile, cmdline: "atomic" });
    await sim.run({ timeoutMs: 10_000 });
    expect(d.result).toMatchObject({ kind: "trap", message: expect.stringMatching(/^xchg32: misaligned address 0x[0-9a-f]+2$/) });
  });
});

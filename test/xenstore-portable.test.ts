// test/apps/xenstore-portable on the simulator, beside a backend that behaves as
// Linux's xen-netback does with a frontend that publishes no usable ring. It
// must print test/xenstore-portable.expected.ts, which test/xen/domu.test.ts
// expects of the same app as a domU of the real-Xen test bed (Xen 4.17,
// cxenstored, Linux netback, `xl create` with a vif).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../cli/build.ts";
import { Simulator } from "../sim/index.ts";
import { plugXenstore } from "../sim/xenstore/plug.ts";
import type { Caller, Store, Watch, Watcher } from "../sim/xenstore/store.ts";
import { bytes, utf8 } from "../sim/xenstore/wire.ts";
import { XENSTORE_PORTABLE_CONSOLE } from "./xenstore-portable.expected.ts";

let dir: string;
let wasm: Uint8Array;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "morgana-xs-portable-"));
  wasm = await buildApp("test/apps/xenstore-portable", join(dir, "portable.wasm"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** xen-netback's frontend_changed, for a frontend whose rings cannot be read. */
class Netback implements Watcher {
  readonly caller: Caller = { domid: 0, privileged: true };
  readonly watches: Watch[];

  constructor(private readonly store: Store, private readonly front: string, private readonly back: string) {
    this.watches = [{ path: `${front}/state`, token: "netback", prefixLength: 0 }];
    store.watchers.add(this);
  }

  private state(): string | undefined {
    const node = this.store.nodes.get(`${this.back}/state`);
    return node && utf8(node.value);
  }

  setState(state: number): void {
    this.store.write(this.store.global, this.caller, `${this.back}/state`, bytes(String(state)));
  }

  deliver(): void {
    const node = this.store.nodes.get(`${this.front}/state`);
    const f = node && utf8(node.value);
    if (f === "1" && this.state() === "6") this.setState(2); // "prepare for reconnect"
    // connect(): reading tx-ring-ref fails, so xenbus_dev_fatal takes the backend to Closing.
    if (f === "4" && this.state() !== "4") this.setState(5);
    if (f === "5") this.setState(5);
    if (f === "6") this.setState(6);
  }

  shutdown(): void {}
}

describe("the portable xenstore and xenbus checks", () => {
  it("print on the simulator what test/xen/domu.test.ts expects on real Xen", async () => {
    const sim = new Simulator();
    const { store, toolstack } = plugXenstore(sim);
    const d = sim.createDomain({ name: "xsportable", wasm });
    toolstack.addVif(d.domid, { devid: 0, mac: "00:16:3e:00:00:02" });
    const netback = new Netback(store, `/local/domain/${d.domid}/device/vif/0`, `/local/domain/0/backend/vif/${d.domid}/0`);
    // netback_probe: InitWait once the device exists.
    sim.after(1_000_000n, () => netback.setState(2));
    await sim.run({ timeoutMs: 30_000 });
    expect(d.result).toEqual({ kind: "exit", status: 0 });
    expect(d.console.trim().split("\n")).toEqual(XENSTORE_PORTABLE_CONSOLE);
  });
});

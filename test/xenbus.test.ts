// runtime/core/xenbus.ts in a unikernel on the simulator, against a backend this
// test plays in dom0: it walks through the XenbusStates, closes once mid-way
// through the handshake and once while connected, and comes back each time.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../cli/build.ts";
import { Simulator } from "../sim/index.ts";
import { plugXenstore } from "../sim/xenstore/plug.ts";
import { type Caller, Store, type Watch, type Watcher } from "../sim/xenstore/store.ts";
import { bytes, utf8 } from "../sim/xenstore/wire.ts";

let dir: string;
let wasm: Uint8Array;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "morgana-xenbus-"));
  wasm = await buildApp("test/apps/xenbus", join(dir, "xenbus.wasm"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MS = 1_000_000n;

/** A netback-like backend: InitWait, then Connected once the frontend published its ring. */
class Backend implements Watcher {
  readonly caller: Caller = { domid: 0, privileged: true };
  readonly watches: Watch[];
  readonly seen: string[] = [];
  private round = 0;
  private closingForGood = false;

  constructor(
    private readonly sim: Simulator, private readonly store: Store, private readonly front: string, private readonly back: string,
    private readonly refuse = false,
  ) {
    this.watches = [{ path: `${front}/state`, token: "backend", prefixLength: 0 }];
    store.watchers.add(this);
  }

  read(path: string): string | undefined {
    const node = this.store.nodes.get(path);
    return node && utf8(node.value);
  }

  setState(state: number): void {
    this.store.write(this.store.global, this.caller, `${this.back}/state`, bytes(String(state)));
  }

  deliver(): void {
    const f = this.read(`${this.front}/state`);
    this.seen.push(f ?? "gone");
    if (f === "3") {
      this.round++;
      this.seen.push(`ring-ref=${this.read(`${this.front}/ring-ref`)} event-channel=${/^\d+$/.test(this.read(`${this.front}/event-channel`) ?? "") ? "n" : "?"}`);
      // First time (every time if refusing): the backend gives up half-way through the handshake.
      if (this.round === 1 || this.refuse) this.setState(5);
      else {
        this.store.write(this.store.global, this.caller, `${this.back}/feature-x`, bytes("7"));
        this.setState(4);
      }
    }
    // Second connection: dropped a moment after it is up.
    if (f === "4" && this.round === 2) this.sim.after(MS, () => this.setState(5));
    if (f === "5") {
      this.closingForGood = true;
      this.setState(5);
    }
    if (f === "6") this.setState(6);
    // As Linux's backends: a frontend starting over after a close gets InitWait again.
    if (f === "1" && this.read(`${this.back}/state`) === "6" && !this.closingForGood) this.setState(2);
  }

  shutdown(): void {}
}

describe("xenbus frontend state machine", () => {
  it("connects, survives a backend closing mid-way and while connected, and closes cleanly", async () => {
    const sim = new Simulator();
    const { store, toolstack } = plugXenstore(sim);

    const d = sim.createDomain({ name: "xenbus", wasm });
    toolstack.addVif(d.domid, { devid: 0, mac: "00:16:3e:00:00:01" });
    const front = `/local/domain/${d.domid}/device/vif/0`;
    const back = `/local/domain/0/backend/vif/${d.domid}/0`;
    const backend = new Backend(sim, store, front, back);
    // The hotplug script ran: the backend waits for its frontend.
    sim.after(MS, () => backend.setState(2));
    await sim.run({ timeoutMs: 30_000 });
    expect(d.result).toEqual({ kind: "exit", status: 0 });
    expect(d.console.trim().split("\n")).toEqual([
      "devices: 0",
      `open: OK, backend ${back} (domain 0)`,
      "connect: OK",
      "connections: 2",
      "close: OK",
      "driver: setup, publish, teardown, setup, publish, connected feature-x=7, teardown, setup, publish, connected feature-x=7, teardown",
      "states: 3,6,1,3,4,6,1,3,4,5,6; backend 6",
      "missing device: ENOENT",
      "morgana: exit 0",
    ]);
    expect(backend.seen.filter((s) => s.startsWith("ring-ref"))).toEqual(Array(3).fill("ring-ref=8 event-channel=n"));
  });

  it("gives up with EIO when the backend breaks off every handshake", async () => {
    const sim = new Simulator();
    const { store, toolstack } = plugXenstore(sim);
    const d = sim.createDomain({ name: "xenbus", wasm, cmdline: "refused" });
    toolstack.addVif(d.domid, { devid: 0, mac: "00:16:3e:00:00:01" });
    const backend = new Backend(sim, store, `/local/domain/${d.domid}/device/vif/0`, `/local/domain/0/backend/vif/${d.domid}/0`, true);
    sim.after(MS, () => backend.setState(2));
    await sim.run({ timeoutMs: 30_000 });
    expect(d.console.trim().split("\n").slice(2)).toEqual([
      "connect: EIO",
      "driver: setup, publish, teardown, setup, publish, teardown, setup, publish, teardown",
      "states: 3,6,1,3,6,1,3,6; backend 6",
      "morgana: exit 0",
    ]);
  });
});

// Event channels between simulated domains and domain 0, at the hypercall and
// shared_info level (test/guests/events.ts).
import { beforeAll, describe, expect, it } from "vitest";
import { Simulator, XenError } from "../sim/index.ts";
import { buildGuest } from "./guests/build.ts";

let events: Uint8Array;
beforeAll(async () => {
  events = await buildGuest("events");
});

/** Calls `act` with the numbers of the first console line matching `pattern`. */
function onLine(sim: Simulator, domid: number, pattern: RegExp, act: (n: number[]) => void): void {
  sim.domain(domid)!.onConsole((text) => {
    const m = pattern.exec(text);
    if (m) act(m.slice(1).map(Number));
  });
}

describe("event channels", () => {
  it("loop back between two domains: alloc_unbound, bind_interdomain, send both ways", async () => {
    const sim = new Simulator();
    const a = sim.createDomain({ name: "listener", wasm: events, cmdline: "listen 2" });
    const b = sim.createDomain({ name: "pinger", wasm: events, cmdline: "ping 1 3" });
    await sim.run({ timeoutMs: 10_000 });
    expect(a.console).toBe("listening on 3\nping received\n");
    // Xen marks the binding side's new port pending, so a notification sent before the bind is not lost.
    expect(b.console).toBe("bound 3 pending at bind 1\npong received\n");
    expect([a.result, b.result]).toEqual([{ kind: "exit", status: 0 }, { kind: "exit", status: 0 }]);
  });

  it("holds a masked event pending without an upcall, and raises it on unmask", async () => {
    const sim = new Simulator();
    sim.createDomain({ name: "mask", wasm: events, cmdline: "mask" });
    onLine(sim, 1, /ports (\d+) (\d+)/, ([masked, doorbell]) => {
      sim.events.notify(sim.events.bindInterdomain(1, masked));
      sim.events.notify(sim.events.bindInterdomain(1, doorbell));
    });
    await sim.run({ timeoutMs: 10_000 });
    expect(sim.domain(1)!.console).toBe("ports 3 4\nmasked: pending 1 upcall 0 taken 0\nunmasked: upcall 1 sel 1 taken 1\n");
  });

  it("serves over 1,000 ports: alloc until -ENOSPC, deliver on each, send on each", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "many", wasm: events, cmdline: "many" });
    const handled = new Set<number>();
    onLine(sim, 1, /ports (\d+) (\d+)/, ([first, last]) => {
      for (let port = first; port <= last; port++) {
        const local = sim.events.bindInterdomain(1, port);
        sim.events.onEvent(local, () => handled.add(port));
        sim.events.notify(local);
      }
    });
    await sim.run({ timeoutMs: 10_000 });
    // Ports 1 and 2 are the store and console channels; 1024 ports by default, like xl.
    expect(d.console).toBe("ports 3 1023 then -28\nreceived 1021 status 2 dom 0\n");
    expect(handled.size).toBe(1021);
  });

  it("allows up to 4096 ports (the 2-level limit) when configured", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "many", wasm: events, cmdline: "many", maxEvtchns: 4096 });
    onLine(sim, 1, /ports (\d+) (\d+)/, ([first, last]) => {
      for (let port = first; port <= last; port++) sim.events.notify(sim.events.bindInterdomain(1, port));
    });
    await sim.run({ timeoutMs: 20_000 });
    expect(d.console).toBe("ports 3 4095 then -28\nreceived 4093 status 2 dom 0\n");
    expect(() => sim.createDomain({ name: "x", wasm: events, maxEvtchns: 4097 })).toThrow(/2-level ABI/);
  });

  it("does not lose an event raised while another is handled", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "nested", wasm: events, cmdline: "nested" });
    await sim.run({ timeoutMs: 10_000 });
    expect(d.console).toBe("handled right 1, then upcall 1 sel 1 pending 1 left taken 1\n");
  });

  it("keeps an event sent before the guest mapped shared_info", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "early", wasm: events, cmdline: "early" });
    sim.events.notify(sim.events.bindInterdomain(d.domid, 1));
    await sim.run({ timeoutMs: 10_000 });
    expect(d.console).toBe("store event before boot 1\n");
  });

  it("hands each domU's store page and channel to a plugged xenstored", async () => {
    const sim = new Simulator();
    const released: number[] = [];
    sim.onStorePage((host) => ({
      onEvent: () => {
        // Answers a request (a non-zero first byte), like a ring server: the bind itself also notifies.
        const page = host.page();
        if (page[0] === 0) return;
        page[1] = page[0] + 1;
        host.notify();
      },
      release: () => released.push(host.domid),
    }));
    const d = sim.createDomain({ name: "store", wasm: events, cmdline: "store" });
    await sim.run({ timeoutMs: 10_000 });
    expect(d.console).toBe("store answered 43\n");
    expect(released).toEqual([d.domid]);
  });

  it("waits for a backend's real asynchronous work it tracks instead of calling the guest deadlocked", async () => {
    const sim = new Simulator();
    sim.onStorePage((host) => ({
      onEvent: () => {
        const page = host.page();
        if (page[0] === 0) return;
        void sim.track(new Promise((resolve) => setTimeout(resolve, 20))).then(() => {
          page[1] = 7;
          host.notify();
        });
      },
      release: () => {},
    }));
    const d = sim.createDomain({ name: "store", wasm: events, cmdline: "store" });
    await sim.run({ timeoutMs: 10_000 });
    expect(d.console).toBe("store answered 7\n");
    expect(sim.now()).toBe(0n); // virtual time did not move while the work ran
  });

  it("gives backends Xen's errors", () => {
    const sim = new Simulator();
    sim.createDomain({ name: "idle", wasm: events, cmdline: "listen 0" });
    const error = (f: () => void) => {
      try {
        f();
      } catch (err) {
        return (err as XenError).errno;
      }
      return 0;
    };
    expect(error(() => sim.events.bindInterdomain(9, 1))).toBe(-3); // -ESRCH: no such domain
    expect(error(() => sim.events.bindInterdomain(1, 2))).toBe(-22); // the console backend holds that port already
    expect(error(() => sim.events.bindInterdomain(1, 7))).toBe(-22); // a free port is not offered
    expect(error(() => sim.events.notify(60000))).toBe(-22);
    const port = sim.events.allocUnbound(1);
    expect(port).toBeGreaterThan(0);
    expect(error(() => sim.events.notify(port))).toBe(0); // an unbound port drops the event
  });
});

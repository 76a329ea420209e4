// netfront on the simulated netback: unikernels on one virtual bridge ping and
// UDP-echo each other (test/apps/nf-peer) and examples/ping, with each of the
// backend's feature switches, multi-slot frames both ways and checksum offload.
import { beforeAll, describe, expect, it } from "vitest";
import { type Domain, Simulator } from "../sim/index.ts";
import { plugXenstore } from "../sim/xenstore/plug.ts";
import { NetBridge } from "../sim/backends/net-bridge.ts";
import { attachNetwork, type Netback, type NetbackOptions } from "../sim/backends/netback.ts";
import { appWasm } from "./helpers/apps.ts";

interface Guest {
  app: string;
  cmdline: string;
  net?: NetbackOptions & { mtu?: number };
}

async function runBridge(guests: Guest[], seed = 3) {
  const sim = new Simulator({ seed });
  const xs = plugXenstore(sim);
  const bridge = new NetBridge();
  const domains: Domain[] = [];
  const backs: Netback[] = [];
  for (const [i, g] of guests.entries()) {
    const d = sim.createDomain({ name: `${g.app.split("/").pop()}-${i}`, wasm: await appWasm(g.app), cmdline: g.cmdline, memoryMiB: 16 });
    backs.push(attachNetwork(sim, xs, d, { bridge, ...g.net }));
    domains.push(d);
  }
  // examples/ping serves until destroyed: once the peers are done, destroy it as `xl destroy` would.
  const peers = domains.filter((d) => !d.name.startsWith("ping"));
  sim.onDomainEnd(() => {
    if (peers.every((d) => d.state === "ended")) for (const d of domains) d.end({ kind: "exit", status: 0 });
  });
  await sim.run({ timeoutMs: 60_000 });
  return { sim, domains, backs, bridge, xs };
}

function expectAllOk(console: string): void {
  const lines = console.trim().split("\n");
  expect(lines.filter((l) => l.includes("failed"))).toEqual([]);
  expect(lines).toContain("peer: all ok");
  expect(console).toMatch(/rxErrors 0 rxDropped 0 txErrors 0 errors 0/);
}

beforeAll(async () => {
  await Promise.all([appWasm("test/apps/nf-peer"), appWasm("examples/ping")]);
}, 180_000);

describe("netfront on a simulated bridge", () => {
  it("two unikernels ping and UDP-echo each other, and examples/ping answers both", async () => {
    const { domains, backs, xs } = await runBridge([
      { app: "test/apps/nf-peer", cmdline: "ip=10.77.0.2/24 peers=10.77.0.3,10.77.0.4" },
      { app: "test/apps/nf-peer", cmdline: "ip=10.77.0.3/24 peers=10.77.0.2,10.77.0.4" },
      { app: "examples/ping", cmdline: "ip=10.77.0.4/24" },
    ]);
    for (const d of domains.slice(0, 2)) {
      expectAllOk(d.console);
      expect(d.console).toContain("ping 10.77.0.4 1472 bytes: ok");
      expect(d.console).toContain("udp echo 10.77.0.4 1472 bytes: ok");
      expect(d.result).toEqual({ kind: "exit", status: 0 });
    }
    expect(domains[2].console).toMatch(/^ping: MAC 00:16:3e:00:03:00 IP 10\.77\.0\.4\/24 MTU 1500; UDP echo on port 7\n/);
    expect(backs.every((b) => b.split && b.stats.protocolErrors === 0)).toBe(true);
    // What netfront published for its backend (read before the domain went away, as the backend saw it).
    expect(backs[0].published).toMatchObject({
      "request-rx-copy": "1", "feature-rx-notify": "1", "feature-sg": "1", "feature-no-csum-offload": "1",
      "event-channel-tx": expect.stringMatching(/^\d+$/), "event-channel-rx": expect.stringMatching(/^\d+$/),
      "tx-ring-ref": expect.stringMatching(/^\d+$/), "rx-ring-ref": expect.stringMatching(/^\d+$/),
    });
    expect(backs[0].published["event-channel"]).toBeUndefined();
    expect(backs[0].published["multi-queue-num-queues"]).toBeUndefined();
    expect(xs.store.nodes.has(`/local/domain/${domains[0].domid}`)).toBe(false);
  });

  it("jumbo frames span several slots both ways; small rx slots; one event channel; checksum offload", async () => {
    const { domains, backs } = await runBridge([
      { app: "test/apps/nf-peer", cmdline: "ip=10.77.0.2/24 peers=10.77.0.3", net: { mtu: 9000, rxSlotBytes: 1000, rxCsumBlank: true } },
      { app: "test/apps/nf-peer", cmdline: "ip=10.77.0.3/24 peers=10.77.0.2", net: { mtu: 9000, features: { splitEventChannels: false, maxQueues: 4 } } },
    ]);
    for (const d of domains) {
      expectAllOk(d.console);
      expect(d.console).toContain("MTU 9000");
      expect(d.console).toMatch(/ping 10\.77\.0\.\d 8972 bytes: ok/);
      expect(d.console).toMatch(/udp echo 10\.77\.0\.\d 8972 bytes: ok/);
    }
    expect(backs[0].split).toBe(true);
    expect(backs[1].split).toBe(false);
    expect(backs[1].published).toMatchObject({ "multi-queue-num-queues": "1", "event-channel": expect.stringMatching(/^\d+$/) });
    expect(backs[1].published["event-channel-tx"]).toBeUndefined();
  });

  it("rx slots too small for a frame: it waits for more buffers, or is dropped if no ring could hold it, and the backend never spins", async () => {
    // 16-byte slots: a 1514-byte frame takes 95 of 256, an 8972-byte ping's 9014 bytes more than the ring holds.
    const { domains, backs } = await runBridge([
      { app: "test/apps/nf-peer", cmdline: "ip=10.77.0.2/24 peers=10.77.0.3", net: { mtu: 9000, rxSlotBytes: 16 } },
      { app: "test/apps/nf-peer", cmdline: "ip=10.77.0.3/24 peers=10.77.0.2", net: { mtu: 9000 } },
    ]);
    expect(domains[0].console).toContain("ping 10.77.0.3 1472 bytes: ok");
    expect(domains[0].console).toContain("udp echo 10.77.0.3 1472 bytes: ok");
    expect(domains[0].console).toMatch(/ping 10\.77\.0\.3 8972 bytes: failed/);
    expect(backs[0].stats.rxDropped).toBeGreaterThan(0);
    expect(backs[0].stats.protocolErrors).toBe(0);
  });

  it("without feature-sg the MTU stays 1500", async () => {
    const { domains } = await runBridge([
      { app: "test/apps/nf-peer", cmdline: "ip=10.77.0.2/24 peers=10.77.0.3", net: { mtu: 9000, features: { sg: false } } },
      { app: "test/apps/nf-peer", cmdline: "ip=10.77.0.3/24 peers=10.77.0.2", net: { features: { sg: false } } },
    ]);
    for (const d of domains) {
      expectAllOk(d.console);
      expect(d.console).toContain("MTU 1500");
    }
  });
});

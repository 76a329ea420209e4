// netfront against a netback that misbehaves on purpose (sim/backends/netback.ts
// `misbehave`): each fault is counted once, the frame it hit is dropped (or,
// for a valid extra-info slot, taken), the next frame goes through, and no
// frame handed to the stack lies outside netfront's own buffers. A producer
// overflow resets the device: closed, then connected again.
import { beforeAll, describe, expect, it } from "vitest";
import { Simulator } from "../sim/index.ts";
import { plugXenstore } from "../sim/xenstore/plug.ts";
import { type BridgePort, NetBridge } from "../sim/backends/net-bridge.ts";
import { attachNetwork, type Misbehaviour, type Netback } from "../sim/backends/netback.ts";
import { appWasm } from "./helpers/apps.ts";
import { arpPacket, be16, ethernet, icmpEcho, ipv4, ipv4Packet, mac } from "./net-model.ts";

const MS = 1_000_000n;
const HOST_MAC = mac("02:00:00:00:00:01");
const HOST_IP = ipv4("10.77.0.1");
const GUEST_IP = ipv4("10.77.0.2");

/** A host on the bridge written in TypeScript: answers ARP, sends echo requests, records the replies. */
class Host implements BridgePort {
  readonly replies = new Set<number>();
  send: (frame: Uint8Array) => void = () => {};
  guestMac: Uint8Array = new Uint8Array(6);

  deliver(f: Uint8Array): void {
    const type = be16(f, 12);
    if (type === 0x0806 && be16(f, 20) === 1 && be16(f, 38) === HOST_IP >>> 16 && be16(f, 40) === (HOST_IP & 0xffff)) {
      this.send(ethernet(f.subarray(6, 12), HOST_MAC, 0x0806, arpPacket(2, HOST_MAC, HOST_IP, f.slice(22, 28), GUEST_IP)));
    }
    if (type === 0x0800 && f[23] === 1 && f[14 + (f[14] & 15) * 4] === 0) this.replies.add(be16(f, 14 + (f[14] & 15) * 4 + 6));
  }

  ping(seq: number): void {
    const data = Uint8Array.from({ length: 56 }, (_, i) => i);
    this.send(ethernet(this.guestMac, HOST_MAC, 0x0800, ipv4Packet(HOST_IP, GUEST_IP, 1, icmpEcho(8, 0x4242, seq, data))));
  }
}

function counters(console: string): Record<string, string> {
  return Object.fromEntries([...console.matchAll(/(\w+)=(-?\w+)/g)].map((m) => [m[1], m[2]]));
}

/** Boots nf-probe, warms up ARP, then runs `plan` one fault every 400 ms: a ping hit by it, then one that must pass. */
async function probe(plan: Misbehaviour[], seconds: number, also?: (sim: Simulator, netback: Netback) => void) {
  const sim = new Simulator({ seed: 11 });
  const xs = plugXenstore(sim);
  const bridge = new NetBridge();
  const host = new Host();
  host.send = bridge.attach(host);
  const d = sim.createDomain({ name: "probe", wasm: await appWasm("test/apps/nf-probe"), cmdline: `ip=10.77.0.2/24 seconds=${seconds}`, memoryMiB: 16 });
  const netback: Netback = attachNetwork(sim, xs, d, { bridge });
  host.guestMac = mac("00:16:3e:00:01:00");
  sim.after(100n * MS, () => host.ping(1000));
  sim.after(1000n * MS, () => host.ping(2000));
  also?.(sim, netback);
  plan.forEach((kind, i) => {
    sim.after(BigInt(400 + 400 * i) * MS, () => {
      netback.misbehave(kind);
      host.ping(2 * i);
    });
    sim.after(BigInt(600 + 400 * i) * MS, () => host.ping(2 * i + 1));
  });
  await sim.run({ timeoutMs: 60_000 });
  return { d, host, netback, c: counters(d.console) };
}

beforeAll(async () => {
  await appWasm("test/apps/nf-probe");
}, 180_000);

describe("netfront against a misbehaving netback", () => {
  it("counts each bad response once, drops only the frame it hit, and recovers", async () => {
    const plan: Misbehaviour[] = ["rx-bad-id", "rx-bad-offset", "rx-oversize", "rx-error", "rx-bad-extra", "rx-extra", "tx-bad-id", "tx-error", "drop-notify"];
    const { d, host, c } = await probe(plan, 5);
    expect(d.result).toEqual({ kind: "exit", status: 0 });
    expect(host.replies.has(1000)).toBe(true);
    // Every second ping, after each fault, is answered.
    expect(plan.filter((_, i) => !host.replies.has(2 * i + 1))).toEqual([]);
    // The hit ping is lost where the frame had to be dropped; a valid extra, a bad tx id and a late event lose nothing.
    expect(plan.filter((_, i) => host.replies.has(2 * i))).toEqual(["rx-extra", "tx-bad-id", "drop-notify"]);
    expect(c).toMatchObject({
      rxBadId: "1", rxBadOffset: "1", rxOversize: "1", rxStatus: "1", rxBadExtra: "1", rxBadChecksum: "0",
      txBadId: "1", txStatus: "1", ringOverflow: "0", missedNotifications: "1", outside: "0", broken: "false",
      rxErrors: "5", rxDropped: "5", txErrors: "2",
    });
  });

  it("the backend closes and comes back: netfront reconnects and frames flow again", async () => {
    const { d, host, c } = await probe([], 2, (sim, nb) => sim.after(300n * MS, () => nb.xenbus.close()));
    expect(d.result).toEqual({ kind: "exit", status: 0 });
    expect(host.replies.has(1000) && host.replies.has(2000)).toBe(true);
    expect(c).toMatchObject({ connections: "2", broken: "false", outside: "0" });
  });

  it("refuses, in one line, a backend without feature-rx-copy", async () => {
    const sim = new Simulator();
    const xs = plugXenstore(sim);
    const d = sim.createDomain({ name: "probe", wasm: await appWasm("test/apps/nf-probe"), cmdline: "ip=10.77.0.2/24", memoryMiB: 16 });
    attachNetwork(sim, xs, d, { features: { rxCopy: false } });
    await sim.run({ timeoutMs: 30_000 });
    expect(d.console).toBe("morgana: panic: netfront: vif 0: the backend does not offer feature-rx-copy\nmorgana: exit 255\n");
  });

  it("a backend that keeps the rx grants mapped across resets: the pages it holds are bounded, counted, and reported", async () => {
    // 40 resets would hold 10,000 pages (40 MiB) of the guest's 16 MiB if each were reconnected to.
    const plan: Misbehaviour[] = Array.from({ length: 40 }, () => "rx-overflow");
    const { d, c } = await probe(plan, 20, (_, nb) => nb.misbehave("hold-rx-grants", 40));
    expect(d.result).toEqual({ kind: "exit", status: 0 });
    const leaked = Number(c.leakedPages);
    expect(leaked).toBeGreaterThan(1024);
    expect(leaked).toBeLessThanOrEqual(1024 + 256);
    expect(c).toMatchObject({ ringOverflow: String(Number(c.connections)), status: "-5", outside: "0" });
    expect(d.console).toContain(`netfront: the backend kept ${leaked} pages mapped after they were revoked: not reconnecting\n`);
  });

  for (const kind of ["rx-overflow", "tx-overflow"] as const) {
    it(`${kind}: counted, the device is reset and reconnects, the unikernel runs on`, async () => {
      const { d, host, c } = await probe([kind], 2);
      expect(d.result).toEqual({ kind: "exit", status: 0 });
      expect(host.replies.has(1000) && host.replies.has(1) && host.replies.has(2000)).toBe(true);
      expect(c).toMatchObject({ ringOverflow: "1", broken: "false", outside: "0", connections: "2" });
    });
  }
});

// The network stack's parsers (net/: Ethernet, ARP, IPv4, ICMP, UDP) and
// netfront (drivers/netfront), in test/apps/nf-probe (the stack with its echo
// services, behind a guard that counts frames outside netfront's buffers),
// with a host on the bridge that pings and sends UDP. `net` makes the host's
// frames hostile (bytes flipped, fields set at random, truncated, extended,
// checksums fixed up or not); `netfront` keeps them valid and makes netback
// hostile (its misbehave switches and random rx/tx response corruption).
// Either way every frame the guest sends must be well formed, and once the
// hostility ends pings must be answered again.
import { type BridgePort, NetBridge } from "../../sim/backends/net-bridge.ts";
import { attachNetwork } from "../../sim/backends/netback.ts";
import { Simulator } from "../../sim/index.ts";
import { Prng } from "../../sim/prng.ts";
import { plugXenstore } from "../../sim/xenstore/plug.ts";
import { appWasm } from "../../test/helpers/apps.ts";
import {
  type Host, arpPacket, be16, classify, ethernet, icmpEcho, ipv4, ipv4Packet, mac, put16, rfc1071, udpDatagram,
} from "../../test/net-model.ts";
import { NETIF_RX_KINDS, NETIF_RX_RING, NETIF_TX_KINDS, NETIF_TX_RING, chooser, isUndetectable, netMisbehave } from "../adapters/backends.ts";
import { RingCorrupter } from "../adapters/ring-corrupt.ts";
import { type SessionResult, type Target, chance, judge, pick, runSim, verbose } from "../campaign.ts";

const APP = "test/apps/nf-probe";
const MS = 1_000_000n;
const US = 1_000n;
const HOST: Host = { mac: mac("02:00:00:00:00:01"), ip: ipv4("10.77.0.1"), prefix: 24, mtu: 1500, udpPorts: new Set([40000]) };
const GUEST_IP = ipv4("10.77.0.2");
const ECHO_PORT = 7;
/** The echo id of the pings sent once the hostility ended (hostile frames use 0x4242). */
const FINAL_ID = 0x4243;
const PATTERN = Uint8Array.from({ length: 1500 }, (_, i) => i);
/** What a well-formed frame from the guest may classify as, seen from the host. */
const MALFORMED = /truncated|bad_checksum|bad_version|bad_header_length|bad_total_length|bad_length|malformed/;

/** A host on the bridge: answers ARP for itself, pings and sends UDP to the guest, checks every frame the guest sends. */
class FuzzHost implements BridgePort {
  send: (frame: Uint8Array) => void = () => {};
  readonly replies = new Set<number>();
  malformed = 0;
  firstMalformed = "";
  fromGuest = 0;
  constructor(readonly guestMac: Uint8Array) {}

  deliver(f: Uint8Array): void {
    this.fromGuest++;
    const outcome = classify(HOST, f);
    if (MALFORMED.test(outcome)) {
      if (!this.malformed++) this.firstMalformed = `${outcome}: ${Buffer.from(f.subarray(0, 64)).toString("hex")}`;
      return;
    }
    const type = be16(f, 12);
    if (type === 0x0806 && be16(f, 20) === 1 && be16(f, 38) === HOST.ip >>> 16 && be16(f, 40) === (HOST.ip & 0xffff)) {
      this.send(ethernet(f.subarray(6, 12), HOST.mac, 0x0806, arpPacket(2, HOST.mac, HOST.ip, f.slice(22, 28), GUEST_IP)));
    }
    const icmp = 14 + (f[14] & 15) * 4;
    if (outcome === "icmp.echo_reply_unmatched" && be16(f, icmp + 4) === FINAL_ID) this.replies.add(be16(f, icmp + 6));
  }

  ping(seq: number, size = 56, id = 0x4242): Uint8Array {
    const data = PATTERN.subarray(0, size);
    return ethernet(this.guestMac, HOST.mac, 0x0800, ipv4Packet(HOST.ip, GUEST_IP, 1, icmpEcho(8, id, seq, data)));
  }

  udp(size: number): Uint8Array {
    return ethernet(this.guestMac, HOST.mac, 0x0800, ipv4Packet(HOST.ip, GUEST_IP, 17, udpDatagram(HOST.ip, GUEST_IP, 40000, ECHO_PORT, new Uint8Array(size).fill(0x5a))));
  }

  /** A gratuitous ARP (RFC 5227's announcement): repairs a cache that hostile ARP taught a wrong MAC, as ARP itself cannot tell. */
  announce(): Uint8Array {
    return ethernet(new Uint8Array(6).fill(0xff), HOST.mac, 0x0806, arpPacket(1, HOST.mac, HOST.ip, new Uint8Array(6), HOST.ip));
  }

  arp(op: number): Uint8Array {
    return ethernet(op === 1 ? new Uint8Array(6).fill(0xff) : this.guestMac, HOST.mac, 0x0806, arpPacket(op, HOST.mac, HOST.ip, op === 1 ? new Uint8Array(6) : this.guestMac, GUEST_IP));
  }
}

/** A valid frame, then 1-3 hostile edits; checksums fixed up half the time so deeper parsers see the damage. */
function hostileFrame(rng: Prng, host: FuzzHost): Uint8Array {
  let f = pick(rng, [() => host.ping(rng.int(1 << 16), rng.int(1400)), () => host.udp(rng.int(1400)), () => host.arp(1 + rng.int(2))])();
  for (let n = 1 + rng.int(3); n > 0; n--) {
    const e = rng.int(6);
    if (e === 0 && f.length) f[rng.int(f.length)] ^= 1 + rng.int(255);
    else if (e === 1) f = f.slice(0, rng.int(f.length + 1));
    else if (e === 2) {
      const longer = new Uint8Array(Math.min(1514, f.length + rng.int(64)));
      longer.set(f.subarray(0, longer.length));
      for (let i = f.length; i < longer.length; i++) longer[i] = rng.int(256);
      f = longer;
    }
    else if (e === 3 && f.length > 34) f[14 + pick(rng, [0, 2, 3, 6, 7, 8, 9, 10, 11, 12, 16, 19])] = rng.int(256); // IPv4 header fields
    else if (e === 4 && f.length > 42) f[34 + rng.int(8)] = rng.int(256); // ICMP/UDP header
    else if (e === 5 && f.length >= 14) f[12 + rng.int(2)] = rng.int(256); // EtherType
  }
  if (chance(rng, 0.5) && f.length >= 34 && be16(f, 12) === 0x0800) {
    const ihl = (f[14] & 15) * 4;
    if (ihl >= 20 && 14 + ihl <= f.length) {
      put16(f, 24, 0);
      put16(f, 24, rfc1071(f.subarray(14, 14 + ihl)));
    }
  }
  return f;
}

function session(mode: "frames" | "responses") {
  return async (seed: number, smoke: boolean): Promise<SessionResult> => {
    const rng = new Prng(seed);
    const lies = mode === "responses" && chance(rng, 0.25);
    const seconds = smoke ? 1 : 3;
    const sim = new Simulator({ seed });
    const xs = plugXenstore(sim);
    const bridge = new NetBridge();
    const d = sim.createDomain({ name: "nf-fuzz", wasm: await appWasm(APP), cmdline: `ip=10.77.0.2/24 seconds=${seconds}`, memoryMiB: 16 });
    const host = new FuzzHost(mac(`00:16:3e:00:${d.domid.toString(16).padStart(2, "0")}:00`));
    host.send = bridge.attach(host);
    const netback = attachNetwork(sim, xs, d, { bridge });
    const counts = { responses: 0, hostile: 0, undetectable: 0 };
    const extra: Record<string, number> = {};
    let corrupter: RingCorrupter | undefined;
    if (mode === "responses") {
      const choose = chooser(rng, new Map([[NETIF_TX_RING, NETIF_TX_KINDS], [NETIF_RX_RING, NETIF_RX_KINDS]]), 0, lies);
      corrupter = new RingCorrupter(sim, xs.store, d, `/local/domain/${d.domid}/device/vif/0`, [NETIF_TX_RING, NETIF_RX_RING], rng, 0.05 + rng.random() * 0.5, choose);
    }
    // Hostile traffic (or a hostile backend) until `calm`, then pings that must be answered.
    const end = BigInt(seconds) * 1000n * MS;
    const calm = end - 400n * MS;
    // Bursts, so that the guest takes many frames per wake-up, as from a busy link.
    const gap = BigInt((100 + rng.int(400)) * (smoke ? 20 : 1)) * US;
    const burst = 1 + rng.int(48);
    let seq = 0;
    const tick = (t: bigint) => {
      if (t >= calm) {
        if (corrupter) corrupter.p = 0;
        return;
      }
      for (let i = rng.int(burst) + 1; i > 0; i--) {
        if (mode === "frames" && chance(rng, 0.8)) {
          counts.responses++;
          counts.hostile++;
          host.send(hostileFrame(rng, host));
        } else {
          if (mode === "frames") counts.responses++;
          host.send(chance(rng, 0.5) ? host.ping(seq++ & 0xffff, rng.int(1400)) : host.udp(rng.int(1400)));
        }
      }
      if (mode === "responses" && chance(rng, 0.02)) {
        const kind = netMisbehave(rng, netback);
        extra[kind] = (extra[kind] ?? 0) + 1;
        counts.hostile++;
      }
      sim.at(t + gap, () => tick(t + gap));
    };
    sim.at(50n * MS, () => tick(50n * MS));
    sim.at(calm + 50n * MS, () => host.send(host.announce()));
    for (let i = 0; i < 10; i++) sim.at(calm + 100n * MS + BigInt(i) * 20n * MS, () => host.send(host.ping(i, 56, FINAL_ID)));
    const err = await runSim(sim, 120_000);
    if (verbose.on) console.log(d.console);
    const result: SessionResult = { counts, failures: [], extra };
    judge(d, err, result);
    if (corrupter) {
      counts.responses += corrupter.responses;
      counts.hostile += corrupter.hostile;
      for (const [k, v] of Object.entries(corrupter.kinds)) {
        extra[k] = v;
        if (isUndetectable(k)) counts.undetectable += v;
      }
    }
    const outside = Number(/outside=(\d+)/.exec(d.console)?.[1] ?? 0);
    const answered = host.replies.size;
    Object.assign(extra, { framesFromGuest: host.fromGuest, malformed: host.malformed, outside, finalPingsAnswered: answered });
    if (host.malformed + outside) {
      const what = `${host.malformed} malformed frames from the guest (first ${host.firstMalformed}), ${outside} frames outside netfront's buffers`;
      if (lies) result.counts.undetectableWrongData = host.malformed + outside;
      else {
        result.counts.wrongData = host.malformed + outside;
        result.failures.push({ kind: "wrong data", detail: what });
      }
    }
    if (!result.failures.length && d.result?.kind === "exit" && answered === 0) {
      result.counts.hangs = 1;
      result.failures.push({ kind: "hang", detail: "no ping answered once the hostility ended" });
    }
    return result;
  };
}

export const netParsers: Target = {
  name: "net",
  what: "net/ (Ethernet, ARP, IPv4, ICMP, UDP) on netfront, fed hostile frames",
  prepare: () => appWasm(APP),
  session: session("frames"),
};

export const netfront: Target = {
  name: "netfront",
  what: "drivers/netfront against netback's misbehave switches and random rx/tx response corruption",
  prepare: () => appWasm(APP),
  session: session("responses"),
};

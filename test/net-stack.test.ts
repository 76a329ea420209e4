// The network stack (net/) in Node through test/apps/net-harness: checksums
// against RFC 1071 computed here, the command-line configuration, the frames
// it builds checked byte by byte, property-based runs of random and mutated
// frames (no trap, exactly the outcome counter a second implementation
// predicts), and two stacks back to back.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { counterNames, loadHarness, readString, sent, type Harness } from "./net-host.ts";
import {
  arpPacket, be16, be32, classify, ethernet, icmpEcho, ipv4, ipv4Packet, mac, pseudoSum, put16, put32, rfc1071, udpDatagram, type Host,
} from "./net-model.ts";

const US: Host = { mac: mac("02:00:00:00:00:01"), ip: ipv4("10.0.0.1"), prefix: 24, mtu: 1500, udpPorts: new Set([7]) };
const GATEWAY = ipv4("10.0.0.254");
const PEER_MAC = mac("02:00:00:00:00:02");
const PEER = ipv4("10.0.0.2");
const BROADCAST = mac("ff:ff:ff:ff:ff:ff");
const ZERO_MAC = new Uint8Array(6);
const ENOSPC = -28;
const SECOND = 1_000_000_000n;

// Both builds of the harness up front, under the hook timeout rather than a test's.
beforeAll(async () => void (await Promise.all([loadHarness(), loadHarness(true)])), 300_000);

async function stack(rtrace = false): Promise<Harness> {
  const h = await loadHarness(rtrace);
  h.setup(US.ip, US.prefix, GATEWAY, US.mtu);
  expect(h.listenEcho(7)).toBe(0);
  return h;
}

function write(h: Harness, bytes: Uint8Array, at = h.inputBuffer()): void {
  h.bytes().set(bytes, at);
}

function snapshot(h: Harness): bigint[] {
  return Array.from({ length: h.counterCount() }, (_, i) => h.counter(i));
}

/** Feeds one frame (followed in memory by `tail`, which the stack must not read) and names the counters that moved. */
function feed(h: Harness, frame: Uint8Array, tail: Uint8Array = new Uint8Array(0)): { outcomes: string[]; moved: Map<string, bigint> } {
  const names = counterNames(h);
  const before = snapshot(h);
  write(h, frame);
  write(h, tail, h.inputBuffer() + frame.length);
  h.feed(frame.length);
  const after = snapshot(h);
  const moved = new Map<string, bigint>();
  after.forEach((v, i) => v !== before[i] && moved.set(names[i], v - before[i]));
  const outcomes = names.slice(0, h.outcomes()).filter((n) => moved.has(n));
  return { outcomes, moved };
}

function count(h: Harness, name: string): bigint {
  return h.counter(counterNames(h).indexOf(name));
}

describe("checksum", () => {
  let h: Harness;
  beforeAll(async () => void (h = await stack()));

  it("gives RFC 1071's example and a real IPv4 header's field", () => {
    const at = h.inputBuffer();
    write(h, Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]));
    expect(h.checksumOf(at, 8)).toBe(~0xddf2 & 0xffff);
    // 192.168.0.1 -> 192.168.0.199, UDP, 115 bytes: the header's field is b861.
    write(h, Uint8Array.from([0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7]));
    expect(h.checksumOf(at, 20)).toBe(0xb861);
  });

  it("equals RFC 1071 computed here, on any bytes, length and alignment", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 0, max: 7 }), (bytes, shift) => {
      const at = h.inputBuffer() + shift;
      write(h, bytes, at);
      expect(h.checksumOf(at, bytes.length)).toBe(rfc1071(bytes));
    }), { numRuns: 500 });
  });
});

describe("configuration from the command line", () => {
  let h: Harness;
  beforeAll(async () => void (h = await stack()));

  function parse(ip: string | null, gw: string | null = null): string | null {
    const enc = new TextEncoder();
    if (ip !== null) write(h, enc.encode(ip));
    if (gw !== null) write(h, enc.encode(gw), h.inputBuffer() + 2048);
    return readString(h, h.parseConfig(ip === null ? -1 : enc.encode(ip).length, gw === null ? -1 : enc.encode(gw).length));
  }
  const field = (i: number) => h.configField(i) >>> 0;

  it("takes ip=address/prefix and gw=address", () => {
    expect(parse("10.77.0.2/24", "10.77.0.1")).toBeNull();
    expect([field(0), field(1), field(2), field(3)]).toEqual([ipv4("10.77.0.2"), 24, 0xffffff00, ipv4("10.77.0.1")]);
    expect(parse("192.168.1.200/16")).toBeNull();
    expect([field(0), field(1), field(2), field(3)]).toEqual([ipv4("192.168.1.200"), 16, 0xffff0000, 0]);
    expect(parse("10.1.2.3/32")).toBeNull();
    expect(parse("10.1.2.3/31")).toBeNull();
    expect(parse("10.1.2.3/0")).toBeNull();
  });

  it("says what is wrong with a malformed or unusable value", () => {
    expect(parse(null)).toBe("net: no ip= on the command line (e.g. ip=10.77.0.2/24 gw=10.77.0.1)");
    for (const bad of ["", "10.77.0.2", "10.77.0/24", "10.77.0.256/24", "10.77.0.2/33", "10.77.0.2/", "a.b.c.d/24",
      "10.77.0.02/24", "10.77.0.2/024", " 10.77.0.2/24", "10.77.0.2/24x", "10.77.0.2.5/24", "10..0.2/24", "10.77.0.2/-1", "1000.0.0.1/8"]) {
      expect(parse(bad), bad).toBe(`net: ip=${bad}: expected an IPv4 address and prefix length, like ip=10.77.0.2/24`);
    }
    for (const unusable of ["10.77.0.0/24", "10.77.0.255/24", "0.0.0.0/8", "224.0.0.1/24", "255.255.255.255/32"]) {
      expect(parse(unusable), unusable).toBe(`net: ip=${unusable}: not a usable host address`);
    }
    expect(parse("10.77.0.2/24", "10.77.0")).toBe("net: gw=10.77.0: expected an IPv4 address, like gw=10.77.0.1");
    expect(parse("10.77.0.2/24", "10.78.0.1")).toBe("net: gw=10.78.0.1: not a host of 10.77.0.0/24");
    expect(parse("10.77.0.2/24", "10.77.0.255")).toBe("net: gw=10.77.0.255: not a host of 10.77.0.0/24");
    expect(parse("10.77.0.2/24", "10.77.0.2")).toBe("net: gw=10.77.0.2: not a host of 10.77.0.0/24");
    expect(parse("10.77.0.2/24", "10.77.0.0")).toBe("net: gw=10.77.0.0: not a host of 10.77.0.0/24");
  });
});

/** Checks an IPv4 frame from us and returns its IP packet. */
function fromUs(frame: Uint8Array, to: Uint8Array): Uint8Array {
  expect(frame.subarray(0, 6)).toEqual(to);
  expect(frame.subarray(6, 12)).toEqual(US.mac);
  expect(be16(frame, 12)).toBe(0x0800);
  expect(frame.length).toBeGreaterThanOrEqual(60);
  const ip = frame.subarray(14);
  expect(ip[0]).toBe(0x45);
  expect(rfc1071(ip.subarray(0, 20))).toBe(0);
  expect(be16(ip, 6)).toBe(0x4000); // DF, no fragment
  expect(be32(ip, 12)).toBe(US.ip);
  return ip.subarray(0, be16(ip, 2));
}

describe("frames the stack builds and answers", () => {
  it("resolves with ARP before sending, then sends a checksummed UDP datagram", async () => {
    const h = await stack();
    const data = new TextEncoder().encode("hello, morgana");
    write(h, data);
    expect(h.sendUdp(5000, PEER, 6000, data.length)).toBe(0);
    let out = sent(h);
    expect(out.length).toBe(1);
    expect(out[0].length).toBe(60);
    expect(out[0].subarray(0, 14)).toEqual(ethernet(BROADCAST, US.mac, 0x0806, new Uint8Array(0)));
    expect(out[0].subarray(14, 42)).toEqual(arpPacket(1, US.mac, US.ip, ZERO_MAC, PEER));
    expect(out[0].subarray(42).every((b) => b === 0)).toBe(true);
    expect(count(h, "arp.queued")).toBe(1n);
    h.clearSent();
    expect(feed(h, ethernet(US.mac, PEER_MAC, 0x0806, arpPacket(2, PEER_MAC, PEER, US.mac, US.ip))).outcomes).toEqual(["arp.accepted"]);
    expect(h.arpLookup(PEER)).toBe(BigInt("0x" + Buffer.from(PEER_MAC).reverse().toString("hex")));
    out = sent(h);
    expect(out.length).toBe(1);
    const ip = fromUs(out[0], PEER_MAC);
    expect(ip.length).toBe(20 + 8 + data.length);
    expect([ip[9], be32(ip, 16)]).toEqual([17, PEER]);
    const udp = ip.subarray(20);
    expect([be16(udp, 0), be16(udp, 2), be16(udp, 4)]).toEqual([5000, 6000, 8 + data.length]);
    expect(be16(udp, 6)).not.toBe(0);
    expect(rfc1071(udp, pseudoSum(US.ip, PEER, udp.length))).toBe(0);
    expect(udp.subarray(8)).toEqual(data);
  });

  it("answers an ARP request for its address, and only for it", async () => {
    const h = await stack();
    expect(feed(h, ethernet(BROADCAST, PEER_MAC, 0x0806, arpPacket(1, PEER_MAC, PEER, ZERO_MAC, US.ip))).outcomes).toEqual(["arp.accepted"]);
    const out = sent(h);
    expect(out.length).toBe(1);
    expect(out[0].length).toBe(60);
    expect(out[0].subarray(0, 42)).toEqual(ethernet(PEER_MAC, US.mac, 0x0806, arpPacket(2, US.mac, US.ip, PEER_MAC, PEER)));
    expect(h.arpLookup(PEER)).toBeGreaterThan(0n);
    h.clearSent();
    const other = ipv4("10.0.0.3");
    expect(feed(h, ethernet(BROADCAST, mac("02:00:00:00:00:03"), 0x0806, arpPacket(1, mac("02:00:00:00:00:03"), other, ZERO_MAC, PEER))).outcomes).toEqual(["arp.accepted"]);
    expect(sent(h).length).toBe(0);
    expect(h.arpLookup(other)).toBe(-1n); // not talking to us: not learned (RFC 826)
  });

  it("answers an echo request (IP options skipped) with the same identifier, sequence and data", async () => {
    const h = await stack();
    feed(h, ethernet(BROADCAST, PEER_MAC, 0x0806, arpPacket(1, PEER_MAC, PEER, ZERO_MAC, US.ip)));
    h.clearSent();
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i * 31);
    const options = Uint8Array.from([0x01, 0x01, 0x01, 0x00]); // NOP, NOP, NOP, end of options
    const request = ethernet(US.mac, PEER_MAC, 0x0800, ipv4Packet(PEER, US.ip, 1, icmpEcho(8, 0x1234, 7, data), options));
    expect(feed(h, request).outcomes).toEqual(["icmp.echo_answered"]);
    const out = sent(h);
    expect(out.length).toBe(1);
    const ip = fromUs(out[0], PEER_MAC);
    expect([ip[9], be32(ip, 16)]).toEqual([1, PEER]);
    expect(ip.subarray(20)).toEqual(icmpEcho(0, 0x1234, 7, data));
  });

  it("echoes UDP on port 7, with or without a sender's checksum", async () => {
    const h = await stack();
    feed(h, ethernet(BROADCAST, PEER_MAC, 0x0806, arpPacket(1, PEER_MAC, PEER, ZERO_MAC, US.ip)));
    h.clearSent();
    const data = Uint8Array.from({ length: 1472 }, (_, i) => 255 - (i & 0xff));
    const datagram = udpDatagram(PEER, US.ip, 33333, 7, data);
    expect(feed(h, ethernet(US.mac, PEER_MAC, 0x0800, ipv4Packet(PEER, US.ip, 17, datagram))).outcomes).toEqual(["udp.delivered"]);
    put16(datagram, 6, 0);
    expect(feed(h, ethernet(US.mac, PEER_MAC, 0x0800, ipv4Packet(PEER, US.ip, 17, datagram))).outcomes).toEqual(["udp.delivered"]);
    const out = sent(h);
    expect(out.length).toBe(2);
    for (const frame of out) {
      const ip = fromUs(frame, PEER_MAC);
      expect(ip.length).toBe(1500);
      expect(ip.subarray(20)).toEqual(udpDatagram(US.ip, PEER, 7, 33333, data));
    }
    expect(feed(h, ethernet(US.mac, PEER_MAC, 0x0800, ipv4Packet(PEER, US.ip, 17, udpDatagram(PEER, US.ip, 1, 9, data)))).outcomes).toEqual(["udp.no_listener"]);
  });

  it("asks three times a second apart, then drops what waited; learned entries expire after 60 s", async () => {
    const h = await stack();
    const absent = ipv4("10.0.0.3");
    expect(h.sendUdp(1, absent, 9, 10)).toBe(0);
    expect(sent(h).length).toBe(1);
    for (let s = 1; s <= 5; s++) {
      h.advance(SECOND);
      expect(count(h, "arp.requests_sent")).toBe(BigInt(Math.min(s + 1, 3)));
    }
    expect(count(h, "arp.unresolved")).toBe(1n);
    expect(sent(h).every((f) => be16(f, 12) === 0x0806 && be32(f, 14 + 24) === absent)).toBe(true);
    feed(h, ethernet(BROADCAST, PEER_MAC, 0x0806, arpPacket(1, PEER_MAC, PEER, ZERO_MAC, US.ip)));
    h.advance(59n * SECOND);
    expect(h.arpLookup(PEER)).toBeGreaterThan(0n);
    h.advance(2n * SECOND);
    expect(h.arpLookup(PEER)).toBe(-1n);
    expect(count(h, "arp.expired")).toBe(1n);
  });

  it("keeps 32 addresses, evicting the resolved one closest to expiry before one with frames waiting", async () => {
    const h = await stack();
    const host = (i: number) => ({ ip: US.ip - 1 + i, mac: mac(`02:00:00:00:01:${i.toString(16).padStart(2, "0")}`) });
    const announce = (i: number) => {
      const { ip, mac } = host(i);
      expect(feed(h, ethernet(BROADCAST, mac, 0x0806, arpPacket(1, mac, ip, ZERO_MAC, US.ip))).outcomes).toEqual(["arp.accepted"]);
      h.advance(1_000_000n);
    };
    for (let i = 10; i < 42; i++) announce(i);
    expect(count(h, "arp.evicted")).toBe(0n);
    const waiting = host(100);
    expect(h.sendUdp(1, waiting.ip, 9, 10)).toBe(0);
    expect(count(h, "arp.evicted")).toBe(1n);
    expect(h.arpLookup(host(10).ip)).toBe(-1n);
    expect(h.arpLookup(host(11).ip)).toBeGreaterThan(0n);
    for (let i = 50; i < 90; i++) announce(i);
    expect(count(h, "arp.evicted")).toBe(41n);
    expect(count(h, "arp.unresolved")).toBe(0n);
    h.clearSent();
    feed(h, ethernet(US.mac, waiting.mac, 0x0806, arpPacket(2, waiting.mac, waiting.ip, US.mac, US.ip)));
    const out = sent(h);
    expect(out.length).toBe(1);
    expect(be32(fromUs(out[0], waiting.mac), 16)).toBe(waiting.ip);
  });

  it("sends off-subnet traffic to the gateway and bounds what waits for ARP", async () => {
    const h = await stack();
    for (let i = 0; i < 8; i++) expect(h.sendUdp(1, ipv4("8.8.8.8"), 53, 20)).toBe(0);
    expect(h.sendUdp(1, ipv4("8.8.8.8"), 53, 20)).toBe(ENOSPC);
    expect(count(h, "arp.queue_full")).toBe(1n);
    const out = sent(h);
    expect(out.length).toBe(1);
    expect(be32(out[0], 14 + 24)).toBe(GATEWAY);
    h.clearSent();
    const gwMac = mac("02:00:00:00:00:fe");
    feed(h, ethernet(US.mac, gwMac, 0x0806, arpPacket(2, gwMac, GATEWAY, US.mac, US.ip)));
    const flushed = sent(h);
    expect(flushed.length).toBe(8);
    for (const f of flushed) expect(be32(fromUs(f, gwMac), 16)).toBe(ipv4("8.8.8.8"));
  });
});

/** Payloads short, long, and around the largest the MTU carries. */
const payload = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 1400, maxLength: 1600 }));
const GROUP_MAC = mac("01:00:5e:00:00:01");

/** Frames a peer could send us, well-formed or with odd senders, before mutation. */
const validFrame = fc.oneof(
  fc.record({
    op: fc.constantFrom(1, 2),
    sha: fc.constantFrom(PEER_MAC, PEER_MAC, PEER_MAC, GROUP_MAC, ZERO_MAC),
    sip: fc.constantFrom(PEER, PEER, ipv4("10.0.0.77"), 0, US.ip, ipv4("10.0.0.255"), 0xffffffff, ipv4("224.0.0.1")),
    tip: fc.constantFrom(US.ip, PEER),
  }).map(({ op, sha, sip, tip }) => ethernet(BROADCAST, PEER_MAC, 0x0806, arpPacket(op, sha, sip, ZERO_MAC, tip))),
  fc.record({ type: fc.constantFrom(0, 8, 8, 3), data: payload, words: fc.integer({ min: 0, max: 10 }), dst: fc.constantFrom(US.ip, US.ip, 0xffffffff) })
    .map(({ type, data, words, dst }) => ethernet(US.mac, PEER_MAC, 0x0800, ipv4Packet(PEER, dst, 1, icmpEcho(type, 1, 2, data), new Uint8Array(4 * words)))),
  fc.record({ port: fc.constantFrom(7, 9), data: payload, dst: fc.constantFrom(US.ip, 0xffffffff, ipv4("10.0.0.255")) }).map(({ port, data, dst }) =>
    ethernet(US.mac, PEER_MAC, 0x0800, ipv4Packet(PEER, dst, 17, udpDatagram(PEER, dst, 40000, port, data)))),
);

interface Mutation { writes: [number, number][]; cut: number | null; fixHeader: boolean; fixPayload: boolean }

/** Byte overwrites (mostly past the Ethernet header), sometimes a cut, and checksums made right again to reach the layers above. */
const mutation: fc.Arbitrary<Mutation> = fc.record({
  writes: fc.array(fc.tuple(fc.oneof(
    { weight: 1, arbitrary: fc.nat(13) }, // Ethernet
    { weight: 4, arbitrary: fc.integer({ min: 14, max: 33 }) }, // IPv4 header or ARP
    { weight: 3, arbitrary: fc.integer({ min: 34, max: 41 }) }, // ICMP or UDP header
    { weight: 2, arbitrary: fc.integer({ min: 14, max: 84 }) },
  ), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
  cut: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
  fixHeader: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  fixPayload: fc.boolean(),
});

function mutate(frame: Uint8Array, m: Mutation): Uint8Array {
  let f = frame.slice();
  for (const [at, value] of m.writes) if (at < f.length) f[at] = value;
  const hlen = (f[14] & 0xf) * 4;
  const isIp = be16(f, 12) === 0x0800 && hlen >= 20 && 14 + hlen <= f.length;
  if (isIp && m.fixPayload) {
    const end = Math.min(f.length, 14 + be16(f, 16));
    const l4 = f.subarray(14 + hlen, Math.max(14 + hlen, end));
    const at = f[23] === 1 ? 2 : f[23] === 17 ? 6 : -1;
    if (at >= 0 && l4.length >= at + 2) {
      put16(l4, at, 0);
      const sum = f[23] === 1 ? rfc1071(l4) : rfc1071(l4.subarray(0, Math.min(l4.length, be16(l4, 4))), pseudoSum(be32(f, 26), be32(f, 30), be16(l4, 4)));
      put16(l4, at, sum);
    }
  }
  if (isIp && m.fixHeader) {
    put16(f, 24, 0);
    put16(f, 24, rfc1071(f.subarray(14, 14 + hlen)));
  }
  if (m.cut !== null) f = f.subarray(0, m.cut % (f.length + 1));
  return f;
}

describe("every received frame ends in the one outcome a second implementation predicts", () => {
  let h: Harness;
  beforeAll(async () => void (h = await stack()));

  function check(frame: Uint8Array, tail: Uint8Array): void {
    h.clearSent();
    const { outcomes, moved } = feed(h, frame, tail);
    expect(moved.get("eth.rx_frames")).toBe(1n);
    expect(outcomes).toEqual([classify(US, frame)]);
  }

  it("random bytes, addressed to us or not", () => {
    const frame = fc.record({
      bytes: fc.uint8Array({ maxLength: 1600 }),
      to: fc.constantFrom(null, US.mac, BROADCAST),
      from: fc.constantFrom(null, PEER_MAC),
      type: fc.constantFrom(null, 0x0800, 0x0806),
    }).map(({ bytes, to, from, type }) => {
      const f = bytes.slice();
      if (to && f.length >= 6) f.set(to, 0);
      if (from && f.length >= 12) f.set(from, 6);
      if (type !== null && f.length >= 14) put16(f, 12, type);
      return f;
    });
    fc.assert(fc.property(frame, fc.uint8Array({ minLength: 64, maxLength: 64 }), check), { numRuns: 3000 });
  });

  it("valid ARP, ICMP and UDP frames, mutated and truncated", () => {
    fc.assert(fc.property(validFrame, mutation, fc.uint8Array({ minLength: 64, maxLength: 64 }), (frame, m, tail) => check(mutate(frame, m), tail)), { numRuns: 3000 });
  });

  it("has a frame for every outcome, each counted as predicted", () => {
    const ip = (fields: (p: Uint8Array) => void, l4 = udpDatagram(PEER, US.ip, 1, 7, new Uint8Array(40)), protocol = 17) => {
      const p = ipv4Packet(PEER, US.ip, protocol, l4);
      fields(p);
      put16(p, 10, 0);
      put16(p, 10, rfc1071(p.subarray(0, (p[0] & 0xf) * 4)));
      return ethernet(US.mac, PEER_MAC, 0x0800, p);
    };
    const udp = (fields: (s: Uint8Array) => void) => {
      const s = udpDatagram(PEER, US.ip, 1, 7, new Uint8Array(40));
      fields(s);
      return ip(() => {}, s);
    };
    const arp = (fields: (p: Uint8Array) => void) => {
      const p = arpPacket(1, PEER_MAC, PEER, ZERO_MAC, US.ip);
      fields(p);
      return ethernet(BROADCAST, PEER_MAC, 0x0806, p);
    };
    const icmp = (m: Uint8Array, dst = US.ip) => ethernet(US.mac, PEER_MAC, 0x0800, ipv4Packet(PEER, dst, 1, m));
    const cases: [string, Uint8Array][] = [
      ["eth.truncated", new Uint8Array(13)],
      ["eth.not_for_us", ethernet(PEER_MAC, US.mac, 0x0800, new Uint8Array(46))],
      ["eth.bad_source", ethernet(BROADCAST, US.mac, 0x0806, arpPacket(1, US.mac, US.ip, ZERO_MAC, PEER))],
      ["eth.bad_source", ethernet(US.mac, GROUP_MAC, 0x0800, new Uint8Array(46))],
      ["eth.unknown_type", ethernet(US.mac, PEER_MAC, 0x86dd, new Uint8Array(46))],
      ["arp.truncated", arp(() => {}).subarray(0, 14 + 27)],
      ["arp.malformed", arp((p) => put16(p, 0, 6))],
      ["arp.malformed", arp((p) => put16(p, 6, 3))],
      ["arp.bad_sender", arp((p) => p.set(GROUP_MAC, 8))],
      ["arp.conflict", arp((p) => put32(p, 14, US.ip))],
      ["arp.accepted", arp(() => {})],
      ["ipv4.truncated", ip(() => {}).subarray(0, 14 + 19)],
      ["ipv4.truncated", ip((p) => put16(p, 2, p.length + 1))],
      ["ipv4.truncated", ip((p) => (p[0] = 0x4f)).subarray(0, 14 + 59)],
      ["ipv4.bad_version", ip((p) => (p[0] = 0x65))],
      ["ipv4.bad_header_length", ip((p) => (p[0] = 0x44))],
      ["ipv4.bad_checksum", (() => { const f = ip(() => {}); f[14 + 8] ^= 1; return f; })()],
      ["ipv4.bad_total_length", ip((p) => put16(p, 2, 19))],
      ["ipv4.fragmented", ip((p) => put16(p, 6, 0x2000))],
      ["ipv4.fragmented", ip((p) => put16(p, 6, 0x0001))],
      ["ipv4.bad_source", ip((p) => put16(p, 12, 0xe000))],
      ["ipv4.bad_source", ip((p) => p.set([10, 0, 0, 255], 12))],
      ["ipv4.bad_source", ip((p) => p.set([10, 0, 0, 1], 12))],
      ["ipv4.not_for_us", ip((p) => p.set([10, 0, 0, 9], 16))],
      ["ipv4.unknown_protocol", ip((p) => (p[9] = 6))],
      ["icmp.truncated", icmp(new Uint8Array(7))],
      ["icmp.bad_checksum", icmp((() => { const m = icmpEcho(8, 1, 1, new Uint8Array(9)); m[9] ^= 0x80; return m; })())],
      ["icmp.echo_answered", icmp(icmpEcho(8, 1, 1, new Uint8Array(9)))],
      ["icmp.echo_broadcast", icmp(icmpEcho(8, 1, 1, new Uint8Array(9)), 0xffffffff)],
      ["icmp.echo_too_big", icmp(icmpEcho(8, 1, 1, new Uint8Array(1473)))],
      ["icmp.echo_reply_unmatched", icmp(icmpEcho(0, 1, 1, new Uint8Array(9)))],
      ["icmp.other_type", icmp(icmpEcho(13, 1, 1, new Uint8Array(9)))],
      ["udp.truncated", ip(() => {}, new Uint8Array(7))],
      ["udp.truncated", udp((s) => put16(s, 4, s.length + 1))],
      ["udp.bad_length", udp((s) => put16(s, 4, 7))],
      ["udp.bad_checksum", udp((s) => (s[20] ^= 1))],
      ["udp.no_listener", udp((s) => { put16(s, 6, 0); put16(s, 2, 9); })],
      ["udp.delivered", udp(() => {})],
    ];
    const names = counterNames(h).slice(0, h.outcomes());
    expect(new Set(cases.map(([name]) => name))).toEqual(new Set(names.filter((n) => n !== "icmp.echo_reply_matched")));
    for (const [name, frame] of cases) {
      expect(classify(US, frame), name).toBe(name);
      expect(feed(h, frame).outcomes, name).toEqual([name]);
    }
  });
});

describe("hot paths", () => {
  it("answer, echo, send and drop frames without one heap allocation", async () => {
    const h = await stack(true);
    expect(h.allocations()).toBeGreaterThan(0); // the stack's construction is seen
    const frames = [
      ethernet(BROADCAST, PEER_MAC, 0x0806, arpPacket(1, PEER_MAC, PEER, ZERO_MAC, US.ip)),
      ethernet(US.mac, PEER_MAC, 0x0800, ipv4Packet(PEER, US.ip, 1, icmpEcho(8, 1, 2, new Uint8Array(1472)))),
      ethernet(US.mac, PEER_MAC, 0x0800, ipv4Packet(PEER, US.ip, 17, udpDatagram(PEER, US.ip, 9999, 7, new Uint8Array(1000)))),
      ethernet(US.mac, PEER_MAC, 0x0800, ipv4Packet(PEER, US.ip, 17, udpDatagram(PEER, US.ip, 9999, 8, new Uint8Array(10)))),
      ethernet(US.mac, PEER_MAC, 0x0800, ipv4Packet(PEER, US.ip, 6, new Uint8Array(20))),
      ethernet(US.mac, PEER_MAC, 0x0800, new Uint8Array(30)),
      ethernet(US.mac, PEER_MAC, 0x86dd, new Uint8Array(40)),
    ];
    const run = () => {
      for (const f of frames) {
        write(h, f);
        h.feed(f.length);
        h.clearSent();
      }
      expect(h.sendUdp(1, PEER, 7, 1472)).toBe(0);
      expect(h.sendEcho(PEER, 3, 4, 1472)).toBe(0);
      expect(h.sendUdp(1, ipv4("10.0.0.200"), 7, 100)).toBe(0); // waits for ARP, then given up on
      h.advance(4n * SECOND);
      h.clearSent();
    };
    run(); // warm up: the timer heap's array has its room
    const before = h.allocations();
    const answered = count(h, "icmp.echo_answered");
    for (let i = 0; i < 300; i++) run();
    expect(count(h, "icmp.echo_answered") - answered).toBe(300n);
    expect(h.allocations() - before).toBe(0);
  });
});

describe("two stacks back to back", () => {
  it("resolve each other, ping with payloads up to the MTU, echo UDP, time out and expire", async () => {
    const h = await loadHarness();
    const ok = h.runPair();
    const log = Array.from({ length: h.pairLogLength() }, (_, i) => readString(h, h.pairLog(i))!);
    expect(log.filter((l) => !l.startsWith("ok ")).slice(1)).toEqual([]);
    expect(ok).toBe(1);
    expect(log).toContain("ok ping a->b 1472 bytes");
    expect(log).toContain("ok udp echo 1472 bytes");
  });
});

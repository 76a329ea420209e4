// A second implementation of the stack's receive rules, in TypeScript, for
// test/net-stack.test.ts: which outcome counter a frame must end in, and the
// frames a peer would send, built with Node's own arithmetic.

export interface Host {
  mac: Uint8Array;
  ip: number;
  prefix: number;
  mtu: number;
  udpPorts: Set<number>;
}

export const be16 = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];
export const be32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
export const put16 = (b: Uint8Array, at: number, v: number) => { b[at] = v >>> 8; b[at + 1] = v & 0xff; };
export const put32 = (b: Uint8Array, at: number, v: number) => { put16(b, at, v >>> 16); put16(b, at + 2, v & 0xffff); };

/** RFC 1071 as it is written: 16-bit words, end-around carry after each add. */
export function rfc1071(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) {
    sum += (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return ~sum & 0xffff;
}

/** The running sum of the UDP pseudo-header (RFC 768), folded. */
export function pseudoSum(src: number, dst: number, length: number): number {
  let sum = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 17 + length;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

const netmask = (h: Host) => (h.prefix === 0 ? 0 : (0xffffffff << (32 - h.prefix)) >>> 0);
const isBroadcast = (h: Host, a: number) => a === 0xffffffff || (h.prefix <= 30 && a === ((h.ip | ~netmask(h)) >>> 0));
const isMulticastOrReserved = (a: number) => a >= 0xe0000000;

/** The outcome counter the stack must increment for `frame`. */
export function classify(h: Host, frame: Uint8Array): string {
  if (frame.length < 14) return "eth.truncated";
  const dst = frame.subarray(0, 6);
  if (!dst.every((b, i) => b === h.mac[i]) && !dst.every((b) => b === 0xff)) return "eth.not_for_us";
  if ((frame[6] & 1) !== 0 || frame.subarray(6, 12).every((b, i) => b === h.mac[i])) return "eth.bad_source";
  const type = be16(frame, 12);
  if (type === 0x0800) return onIpv4(h, frame.subarray(14));
  if (type === 0x0806) return onArp(h, frame.subarray(14));
  return "eth.unknown_type";
}

function onArp(h: Host, p: Uint8Array): string {
  if (p.length < 28) return "arp.truncated";
  const op = be16(p, 6);
  if (be16(p, 0) !== 1 || be16(p, 2) !== 0x0800 || p[4] !== 6 || p[5] !== 4 || (op !== 1 && op !== 2)) return "arp.malformed";
  const sha = p.subarray(8, 14);
  const sip = be32(p, 14);
  if ((sha[0] & 1) !== 0 || sha.every((b) => b === 0) || isMulticastOrReserved(sip) || isBroadcast(h, sip)) return "arp.bad_sender";
  if (sip === h.ip) return "arp.conflict";
  return "arp.accepted";
}

function onIpv4(h: Host, p: Uint8Array): string {
  if (p.length < 20) return "ipv4.truncated";
  if (p[0] >> 4 !== 4) return "ipv4.bad_version";
  const hlen = (p[0] & 0xf) * 4;
  if (hlen < 20) return "ipv4.bad_header_length";
  if (hlen > p.length) return "ipv4.truncated";
  if (rfc1071(p.subarray(0, hlen)) !== 0) return "ipv4.bad_checksum";
  const total = be16(p, 2);
  if (total < hlen) return "ipv4.bad_total_length";
  if (total > p.length) return "ipv4.truncated";
  if (be16(p, 6) & 0x3fff) return "ipv4.fragmented";
  const src = be32(p, 12);
  const dst = be32(p, 16);
  if (isMulticastOrReserved(src) || isBroadcast(h, src) || src === h.ip) return "ipv4.bad_source";
  if (dst !== h.ip && !isBroadcast(h, dst)) return "ipv4.not_for_us";
  const payload = p.subarray(hlen, total);
  if (p[9] === 1) return onIcmp(h, dst, payload);
  if (p[9] === 17) return onUdp(h, src, dst, payload);
  return "ipv4.unknown_protocol";
}

function onIcmp(h: Host, dst: number, m: Uint8Array): string {
  if (m.length < 8) return "icmp.truncated";
  if (rfc1071(m) !== 0) return "icmp.bad_checksum";
  if (m[0] === 8 && m[1] === 0) {
    if (dst !== h.ip) return "icmp.echo_broadcast";
    if (m.length > h.mtu - 20) return "icmp.echo_too_big";
    return "icmp.echo_answered";
  }
  if (m[0] === 0 && m[1] === 0) return "icmp.echo_reply_unmatched"; // the harness's pinger waits for nothing
  return "icmp.other_type";
}

function onUdp(h: Host, src: number, dst: number, s: Uint8Array): string {
  if (s.length < 8) return "udp.truncated";
  const ulen = be16(s, 4);
  if (ulen < 8) return "udp.bad_length";
  if (ulen > s.length) return "udp.truncated";
  if (be16(s, 6) !== 0 && rfc1071(s.subarray(0, ulen), pseudoSum(src, dst, ulen)) !== 0) return "udp.bad_checksum";
  if (!h.udpPorts.has(be16(s, 2))) return "udp.no_listener";
  return "udp.delivered";
}

/** An Ethernet frame from `src` to `dst` of `type`. */
export function ethernet(dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(dst, 0);
  f.set(src, 6);
  put16(f, 12, type);
  f.set(payload, 14);
  return f;
}

export function arpPacket(op: number, sha: Uint8Array, sip: number, tha: Uint8Array, tip: number): Uint8Array {
  const p = new Uint8Array(28);
  put16(p, 0, 1);
  put16(p, 2, 0x0800);
  p[4] = 6;
  p[5] = 4;
  put16(p, 6, op);
  p.set(sha, 8);
  put32(p, 14, sip);
  p.set(tha, 18);
  put32(p, 24, tip);
  return p;
}

/** An IPv4 datagram with a correct header checksum; `options` must be a multiple of 4 bytes. */
export function ipv4Packet(src: number, dst: number, protocol: number, payload: Uint8Array, options = new Uint8Array(0), id = 0): Uint8Array {
  const hlen = 20 + options.length;
  const p = new Uint8Array(hlen + payload.length);
  p[0] = 0x40 | (hlen >> 2);
  put16(p, 2, p.length);
  put16(p, 4, id);
  put16(p, 6, 0x4000);
  p[8] = 64;
  p[9] = protocol;
  put32(p, 12, src);
  put32(p, 16, dst);
  p.set(options, 20);
  p.set(payload, hlen);
  put16(p, 10, rfc1071(p.subarray(0, hlen)));
  return p;
}

export function icmpEcho(type: number, id: number, seq: number, data: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + data.length);
  m[0] = type;
  put16(m, 4, id);
  put16(m, 6, seq);
  m.set(data, 8);
  put16(m, 2, rfc1071(m));
  return m;
}

export function udpDatagram(src: number, dst: number, srcPort: number, dstPort: number, data: Uint8Array): Uint8Array {
  const s = new Uint8Array(8 + data.length);
  put16(s, 0, srcPort);
  put16(s, 2, dstPort);
  put16(s, 4, s.length);
  s.set(data, 8);
  put16(s, 6, rfc1071(s, pseudoSum(src, dst, s.length)) || 0xffff);
  return s;
}

export function ipv4(text: string): number {
  return text.split(".").reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);
}

export function mac(text: string): Uint8Array {
  return Uint8Array.from(text.split(":").map((b) => parseInt(b, 16)));
}

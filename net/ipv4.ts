// IPv4 (RFC 791; names from <netinet/ip.h>): validates every received header
// against the frame, verifies its checksum, drops fragments (no reassembly)
// and hands the payload to the protocol registered for it. Options are
// accepted and skipped: a host need not act on any of them (RFC 1122 3.2.1.8).
import { XEN_E2BIG, XEN_EINVAL } from "../runtime/xen/errno";
import { Arp, HOP_BROADCAST } from "./arp";
import { load16, load32, store16, store32 } from "./bytes";
import { checksum } from "./checksum";
import { isMulticastOrReserved } from "./config";
import { Counter } from "./counters";
import { ETH_HLEN, ETH_P_IP, MAC_BROADCAST, writeEthernetHeader } from "./ethernet";
import { Link } from "./link";

export const IPVERSION: u32 = 4;
/** The header without options. */
export const IP_HLEN: u32 = 20;
export const IPPROTO_ICMP: u32 = 1;
export const IPPROTO_UDP: u32 = 17;
export const IP_RF: u32 = 0x8000;
export const IP_DF: u32 = 0x4000;
export const IP_MF: u32 = 0x2000;
export const IP_OFFMASK: u32 = 0x1fff;
const DEFAULT_TTL: u32 = 64;

export const OFFSET_ip_vhl: usize = 0;
export const OFFSET_ip_tos: usize = 1;
export const OFFSET_ip_len: usize = 2;
export const OFFSET_ip_id: usize = 4;
export const OFFSET_ip_off: usize = 6;
export const OFFSET_ip_ttl: usize = 8;
export const OFFSET_ip_p: usize = 9;
export const OFFSET_ip_sum: usize = 10;
export const OFFSET_ip_src: usize = 12;
export const OFFSET_ip_dst: usize = 16;

/** Where a protocol writes the payload of a datagram it is about to send. */
export const TX_PAYLOAD: usize = ETH_HLEN + IP_HLEN;

/** A protocol above IPv4; `payload` is valid only during the call. */
export abstract class IpProtocol {
  abstract receive(src: u32, dst: u32, payload: usize, length: u32): void;
}

export class Ipv4 {
  private protocols: StaticArray<IpProtocol | null> = new StaticArray<IpProtocol | null>(256);
  private ident: u32 = 0;

  constructor(private link: Link, private arp: Arp) {}

  register(protocol: u32, handler: IpProtocol): void {
    this.protocols[protocol] = handler;
  }

  /** The largest payload one datagram carries on this link. */
  maxPayload(): u32 {
    return this.link.mtu - IP_HLEN;
  }

  /** Takes an IPv4 datagram (the Ethernet payload, `length` bytes, which may include padding). */
  receive(packet: usize, length: u32): void {
    const counters = this.link.counters;
    counters.count(Counter.IPV4_RX);
    if (length < IP_HLEN) return counters.count(Counter.IPV4_TRUNCATED);
    const vhl = <u32>load<u8>(packet + OFFSET_ip_vhl);
    if (vhl >> 4 != IPVERSION) return counters.count(Counter.IPV4_BAD_VERSION);
    const hlen = (vhl & 0xf) << 2;
    if (hlen < IP_HLEN) return counters.count(Counter.IPV4_BAD_HEADER_LENGTH);
    if (hlen > length) return counters.count(Counter.IPV4_TRUNCATED);
    if (checksum(packet, hlen) != 0) return counters.count(Counter.IPV4_BAD_CHECKSUM);
    const total = load16(packet + OFFSET_ip_len);
    if (total < hlen) return counters.count(Counter.IPV4_BAD_TOTAL_LENGTH);
    if (total > length) return counters.count(Counter.IPV4_TRUNCATED);
    if (load16(packet + OFFSET_ip_off) & (IP_MF | IP_OFFMASK)) return counters.count(Counter.IPV4_FRAGMENTED);
    const config = this.link.config;
    const src = load32(packet + OFFSET_ip_src);
    const dst = load32(packet + OFFSET_ip_dst);
    if (isMulticastOrReserved(src) || config.isBroadcast(src) || src == config.ip) {
      return counters.count(Counter.IPV4_BAD_SOURCE);
    }
    if (dst != config.ip && !config.isBroadcast(dst)) return counters.count(Counter.IPV4_NOT_FOR_US);
    const handler = unchecked(this.protocols[load<u8>(packet + OFFSET_ip_p)]);
    if (!handler) return counters.count(Counter.IPV4_UNKNOWN_PROTOCOL);
    handler.receive(src, dst, packet + hlen, total - hlen);
  }

  /**
   * Sends the `length` bytes of payload already written at txFrame + TX_PAYLOAD
   * to `dst`: 0 when sent or waiting for ARP, or a negative errno.
   */
  send(dst: u32, protocol: u32, length: u32): i32 {
    const link = this.link;
    const config = link.config;
    if (length > this.maxPayload()) return -<i32>XEN_E2BIG;
    let hop: u32;
    if (config.isBroadcast(dst)) hop = HOP_BROADCAST;
    else if (dst == config.ip || dst == 0 || isMulticastOrReserved(dst)) return -<i32>XEN_EINVAL;
    else if (config.onLink(dst)) hop = dst;
    else if (config.gateway != 0) hop = config.gateway;
    else {
      link.counters.count(Counter.IPV4_NO_ROUTE);
      return -<i32>XEN_EINVAL;
    }
    const frame = link.txFrame;
    writeEthernetHeader(frame, MAC_BROADCAST, link.mac, ETH_P_IP);
    const ip = frame + ETH_HLEN;
    store<u8>(ip + OFFSET_ip_vhl, <u8>((IPVERSION << 4) | (IP_HLEN >> 2)));
    store<u8>(ip + OFFSET_ip_tos, 0);
    store16(ip + OFFSET_ip_len, IP_HLEN + length);
    store16(ip + OFFSET_ip_id, this.ident++ & 0xffff);
    store16(ip + OFFSET_ip_off, IP_DF); // we never fragment: a path with a smaller MTU says so
    store<u8>(ip + OFFSET_ip_ttl, <u8>DEFAULT_TTL);
    store<u8>(ip + OFFSET_ip_p, <u8>protocol);
    store16(ip + OFFSET_ip_sum, 0);
    store32(ip + OFFSET_ip_src, config.ip);
    store32(ip + OFFSET_ip_dst, dst);
    store16(ip + OFFSET_ip_sum, checksum(ip, IP_HLEN));
    link.counters.count(Counter.IPV4_TX);
    return this.arp.output(frame, ETH_HLEN + IP_HLEN + length, hop);
  }
}

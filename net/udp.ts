// UDP (RFC 768; names from <netinet/udp.h>): checksummed send, and listeners
// on ports as handler objects.
import { XEN_E2BIG, XEN_EEXIST, XEN_EINVAL, XEN_ENOSPC } from "../runtime/xen/errno";
import { load16, store16 } from "./bytes";
import { checksumAdd, checksumFinish, pseudoHeaderSum } from "./checksum";
import { Counter } from "./counters";
import { IPPROTO_UDP, IpProtocol, Ipv4, TX_PAYLOAD } from "./ipv4";
import { Link } from "./link";

export const UDP_HLEN: u32 = 8;
export const OFFSET_uh_sport: usize = 0;
export const OFFSET_uh_dport: usize = 2;
export const OFFSET_uh_ulen: usize = 4;
export const OFFSET_uh_sum: usize = 6;

const MAX_LISTENERS: i32 = 16;

/** Receives the datagrams of a port; `data` is valid only during the call. */
export abstract class UdpHandler {
  abstract onDatagram(src: u32, srcPort: u32, dstPort: u32, data: usize, length: u32): void;
}

export class Udp extends IpProtocol {
  private ports: StaticArray<u32> = new StaticArray<u32>(MAX_LISTENERS);
  private handlers: StaticArray<UdpHandler | null> = new StaticArray<UdpHandler | null>(MAX_LISTENERS);

  constructor(private link: Link, private ipv4: Ipv4) {
    super();
  }

  /** Sends what arrives on `port` to `handler`: 0, or -EEXIST, -ENOSPC, -EINVAL. */
  listen(port: u32, handler: UdpHandler): i32 {
    if (port == 0 || port > 0xffff) return -<i32>XEN_EINVAL;
    if (this.find(port) >= 0) return -<i32>XEN_EEXIST;
    for (let i = 0; i < MAX_LISTENERS; i++) {
      if (unchecked(this.handlers[i]) == null) {
        unchecked((this.ports[i] = port));
        unchecked((this.handlers[i] = handler));
        return 0;
      }
    }
    return -<i32>XEN_ENOSPC;
  }

  unlisten(port: u32): void {
    const at = this.find(port);
    if (at >= 0) unchecked((this.handlers[at] = null));
  }

  /** The largest datagram payload one frame carries. */
  maxPayload(): u32 {
    return this.ipv4.maxPayload() - UDP_HLEN;
  }

  receive(src: u32, dst: u32, segment: usize, length: u32): void {
    const counters = this.link.counters;
    if (length < UDP_HLEN) return counters.count(Counter.UDP_TRUNCATED);
    const ulen = load16(segment + OFFSET_uh_ulen);
    if (ulen < UDP_HLEN) return counters.count(Counter.UDP_BAD_LENGTH);
    if (ulen > length) return counters.count(Counter.UDP_TRUNCATED);
    // A zero checksum means the sender computed none (allowed over IPv4).
    if (load<u16>(segment + OFFSET_uh_sum) != 0) {
      const sum = checksumAdd(pseudoHeaderSum(src, dst, IPPROTO_UDP, ulen), segment, ulen);
      if (checksumFinish(sum) != 0) return counters.count(Counter.UDP_BAD_CHECKSUM);
    }
    const dstPort = load16(segment + OFFSET_uh_dport);
    const at = this.find(dstPort);
    if (at < 0) return counters.count(Counter.UDP_NO_LISTENER);
    counters.count(Counter.UDP_DELIVERED);
    unchecked(this.handlers[at])!.onDatagram(src, load16(segment + OFFSET_uh_sport), dstPort, segment + UDP_HLEN, ulen - UDP_HLEN);
  }

  /** Sends `length` bytes from `data`: 0 when sent or waiting for ARP, or a negative errno. */
  send(srcPort: u32, dst: u32, dstPort: u32, data: usize, length: u32): i32 {
    if (srcPort > 0xffff || dstPort == 0 || dstPort > 0xffff) return -<i32>XEN_EINVAL;
    if (length > this.maxPayload()) return -<i32>XEN_E2BIG;
    const segment = this.link.txFrame + TX_PAYLOAD;
    const ulen = UDP_HLEN + length;
    memory.copy(segment + UDP_HLEN, data, length);
    store16(segment + OFFSET_uh_sport, srcPort);
    store16(segment + OFFSET_uh_dport, dstPort);
    store16(segment + OFFSET_uh_ulen, ulen);
    store16(segment + OFFSET_uh_sum, 0);
    const sum = checksumFinish(checksumAdd(pseudoHeaderSum(this.link.config.ip, dst, IPPROTO_UDP, ulen), segment, ulen));
    store16(segment + OFFSET_uh_sum, sum == 0 ? 0xffff : sum); // 0 would mean "no checksum"
    this.link.counters.count(Counter.UDP_TX);
    return this.ipv4.send(dst, IPPROTO_UDP, ulen);
  }

  private find(port: u32): i32 {
    for (let i = 0; i < MAX_LISTENERS; i++) {
      if (unchecked(this.handlers[i]) != null && unchecked(this.ports[i]) == port) return i;
    }
    return -1;
  }
}

// ICMP echo (RFC 792; names from <netinet/ip_icmp.h>): answers echo requests
// addressed to us, sends requests, and passes replies to a handler that
// matches them against what it sent.
import { XEN_E2BIG } from "../runtime/xen/errno";
import { load16, store16 } from "./bytes";
import { checksum } from "./checksum";
import { Counter } from "./counters";
import { IPPROTO_ICMP, IpProtocol, Ipv4, TX_PAYLOAD } from "./ipv4";
import { Link } from "./link";

export const ICMP_ECHOREPLY: u32 = 0;
export const ICMP_ECHO: u32 = 8;
/** Type, code, checksum, identifier, sequence number. */
export const ICMP_HLEN: u32 = 8;
export const OFFSET_icmp_type: usize = 0;
export const OFFSET_icmp_code: usize = 1;
export const OFFSET_icmp_cksum: usize = 2;
export const OFFSET_icmp_id: usize = 4;
export const OFFSET_icmp_seq: usize = 6;

/** Told of every echo reply; says whether it was one it waited for. `data` is valid only during the call. */
export abstract class EchoReplyHandler {
  abstract onEchoReply(src: u32, id: u32, seq: u32, data: usize, length: u32): bool;
}

export class Icmp extends IpProtocol {
  replies: EchoReplyHandler | null = null;

  constructor(private link: Link, private ipv4: Ipv4) {
    super();
  }

  receive(src: u32, dst: u32, message: usize, length: u32): void {
    const counters = this.link.counters;
    if (length < ICMP_HLEN) return counters.count(Counter.ICMP_TRUNCATED);
    if (checksum(message, length) != 0) return counters.count(Counter.ICMP_BAD_CHECKSUM);
    const type = <u32>load<u8>(message + OFFSET_icmp_type);
    const code = <u32>load<u8>(message + OFFSET_icmp_code);
    if (type == ICMP_ECHO && code == 0) {
      if (dst != this.link.config.ip) return counters.count(Counter.ICMP_ECHO_BROADCAST); // no smurf amplifier
      if (length > this.ipv4.maxPayload()) return counters.count(Counter.ICMP_ECHO_TOO_BIG);
      const reply = this.link.txFrame + TX_PAYLOAD;
      memory.copy(reply, message, length);
      store<u8>(reply + OFFSET_icmp_type, <u8>ICMP_ECHOREPLY);
      store16(reply + OFFSET_icmp_cksum, 0);
      store16(reply + OFFSET_icmp_cksum, checksum(reply, length));
      counters.count(Counter.ICMP_ECHO_ANSWERED);
      this.ipv4.send(src, IPPROTO_ICMP, length);
      return;
    }
    if (type == ICMP_ECHOREPLY && code == 0) {
      const handler = this.replies;
      const data = message + ICMP_HLEN;
      const id = load16(message + OFFSET_icmp_id);
      const seq = load16(message + OFFSET_icmp_seq);
      const matched = handler != null && handler.onEchoReply(src, id, seq, data, length - ICMP_HLEN);
      return counters.count(matched ? Counter.ICMP_ECHO_REPLY_MATCHED : Counter.ICMP_ECHO_REPLY_UNMATCHED);
    }
    counters.count(Counter.ICMP_OTHER_TYPE);
  }

  /** Sends an echo request carrying `length` bytes from `data`: 0 when sent or waiting for ARP, or a negative errno. */
  sendEcho(dst: u32, id: u32, seq: u32, data: usize, length: u32): i32 {
    if (length > this.ipv4.maxPayload() - ICMP_HLEN) return -<i32>XEN_E2BIG;
    const message = this.link.txFrame + TX_PAYLOAD;
    store<u8>(message + OFFSET_icmp_type, <u8>ICMP_ECHO);
    store<u8>(message + OFFSET_icmp_code, 0);
    store16(message + OFFSET_icmp_cksum, 0);
    store16(message + OFFSET_icmp_id, id);
    store16(message + OFFSET_icmp_seq, seq);
    memory.copy(message + ICMP_HLEN, data, length);
    store16(message + OFFSET_icmp_cksum, checksum(message, ICMP_HLEN + length));
    this.link.counters.count(Counter.ICMP_ECHO_REQUESTS_SENT);
    return this.ipv4.send(dst, IPPROTO_ICMP, ICMP_HLEN + length);
  }
}

// What the stack counts, one counter per reason. Every received frame ends in
// exactly one outcome counter (a drop reason or a delivery), so a frame is
// never lost without a trace; the other counters record events.

export enum Counter {
  // Outcomes of received frames: each frame increments exactly one of these.
  ETH_TRUNCATED,
  ETH_NOT_FOR_US,
  ETH_BAD_SOURCE,
  ETH_UNKNOWN_TYPE,
  ARP_TRUNCATED,
  ARP_MALFORMED,
  ARP_BAD_SENDER,
  ARP_CONFLICT,
  ARP_ACCEPTED,
  IPV4_TRUNCATED,
  IPV4_BAD_VERSION,
  IPV4_BAD_HEADER_LENGTH,
  IPV4_BAD_CHECKSUM,
  IPV4_BAD_TOTAL_LENGTH,
  IPV4_FRAGMENTED,
  IPV4_BAD_SOURCE,
  IPV4_NOT_FOR_US,
  IPV4_UNKNOWN_PROTOCOL,
  ICMP_TRUNCATED,
  ICMP_BAD_CHECKSUM,
  ICMP_ECHO_ANSWERED,
  ICMP_ECHO_BROADCAST,
  ICMP_ECHO_TOO_BIG,
  ICMP_ECHO_REPLY_MATCHED,
  ICMP_ECHO_REPLY_UNMATCHED,
  ICMP_OTHER_TYPE,
  UDP_TRUNCATED,
  UDP_BAD_LENGTH,
  UDP_BAD_CHECKSUM,
  UDP_NO_LISTENER,
  UDP_DELIVERED,
  // Events.
  ETH_RX_FRAMES,
  ETH_TX_FRAMES,
  ETH_TX_ERRORS,
  ARP_REQUESTS_SENT,
  ARP_REPLIES_SENT,
  ARP_LEARNED,
  ARP_QUEUED,
  ARP_QUEUE_FULL,
  ARP_UNRESOLVED,
  ARP_EXPIRED,
  ARP_EVICTED,
  IPV4_RX,
  IPV4_TX,
  IPV4_NO_ROUTE,
  ICMP_ECHO_REQUESTS_SENT,
  UDP_TX,
  COUNT,
}

/** Outcomes are the counters below this one. */
export const OUTCOMES: i32 = Counter.ETH_RX_FRAMES;

const NAMES: StaticArray<string> = [
  "eth.truncated", "eth.not_for_us", "eth.bad_source", "eth.unknown_type",
  "arp.truncated", "arp.malformed", "arp.bad_sender", "arp.conflict", "arp.accepted",
  "ipv4.truncated", "ipv4.bad_version", "ipv4.bad_header_length", "ipv4.bad_checksum",
  "ipv4.bad_total_length", "ipv4.fragmented", "ipv4.bad_source", "ipv4.not_for_us", "ipv4.unknown_protocol",
  "icmp.truncated", "icmp.bad_checksum", "icmp.echo_answered", "icmp.echo_broadcast", "icmp.echo_too_big",
  "icmp.echo_reply_matched", "icmp.echo_reply_unmatched", "icmp.other_type",
  "udp.truncated", "udp.bad_length", "udp.bad_checksum", "udp.no_listener", "udp.delivered",
  "eth.rx_frames", "eth.tx_frames", "eth.tx_errors",
  "arp.requests_sent", "arp.replies_sent", "arp.learned", "arp.queued", "arp.queue_full",
  "arp.unresolved", "arp.expired", "arp.evicted",
  "ipv4.rx", "ipv4.tx", "ipv4.no_route",
  "icmp.echo_requests_sent", "udp.tx",
];

export class Counters {
  values: StaticArray<u64> = new StaticArray<u64>(Counter.COUNT);

  constructor() {
    assert(NAMES.length == Counter.COUNT, "net/counters.ts: a counter without a name");
  }

  // @ts-ignore: decorator
  @inline count(c: Counter): void {
    unchecked((this.values[c] += 1));
  }

  get(c: Counter): u64 {
    return this.values[c];
  }
}

export function counterName(c: i32): string {
  return NAMES[c];
}

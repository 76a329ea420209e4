// The network stack on one Network device: Ethernet in, dispatched by
// EtherType to ARP or IPv4, and up to ICMP and UDP. Built once; receiving
// and sending allocate nothing.
import { FrameListener, Network } from "../runtime/devices";
import { panic } from "../runtime/core/panic";
import { Arp } from "./arp";
import { NetConfig } from "./config";
import { Counter, Counters } from "./counters";
import { ETH_HLEN, ETH_P_ARP, ETH_P_IP, ethernetProto, isGroupMac, loadMac, MAC_BROADCAST, OFFSET_h_dest, OFFSET_h_source } from "./ethernet";
import { ICMP_HLEN, Icmp } from "./icmp";
import { IPPROTO_ICMP, IPPROTO_UDP, Ipv4 } from "./ipv4";
import { Link } from "./link";
import { Pinger } from "./ping";
import { Udp, UdpHandler } from "./udp";

export class NetStack extends FrameListener {
  counters: Counters;
  link: Link;
  arp: Arp;
  ipv4: Ipv4;
  icmp: Icmp;
  udp: Udp;
  pinger: Pinger;

  /** Takes over `device`'s listener; `config` must be valid (see netConfigFromCmdline). */
  constructor(device: Network, config: NetConfig) {
    super();
    const error = config.error;
    if (error != null) panic(error);
    const counters = new Counters();
    const link = new Link(device, config, counters);
    const arp = new Arp(link);
    const ipv4 = new Ipv4(link, arp);
    const icmp = new Icmp(link, ipv4);
    const udp = new Udp(link, ipv4);
    ipv4.register(IPPROTO_ICMP, icmp);
    ipv4.register(IPPROTO_UDP, udp);
    this.counters = counters;
    this.link = link;
    this.arp = arp;
    this.ipv4 = ipv4;
    this.icmp = icmp;
    this.udp = udp;
    // The MAC's last two bytes as the echo identifier: distinct for each stack on a link.
    this.pinger = new Pinger(icmp, <u32>(link.mac >> 32), ipv4.maxPayload() - ICMP_HLEN);
    device.listen(this);
  }

  onFrame(frame: usize, length: u32): void {
    const counters = this.counters;
    counters.count(Counter.ETH_RX_FRAMES);
    if (length < ETH_HLEN) return counters.count(Counter.ETH_TRUNCATED);
    const dst = loadMac(frame + OFFSET_h_dest);
    if (dst != this.link.mac && dst != MAC_BROADCAST) return counters.count(Counter.ETH_NOT_FOR_US);
    // A group source is invalid; our own is our frame come back (a looping bridge), which ARP would take for a conflict.
    const src = loadMac(frame + OFFSET_h_source);
    if (isGroupMac(src) || src == this.link.mac) return counters.count(Counter.ETH_BAD_SOURCE);
    const proto = ethernetProto(frame);
    if (proto == ETH_P_IP) return this.ipv4.receive(frame + ETH_HLEN, length - ETH_HLEN);
    if (proto == ETH_P_ARP) return this.arp.receive(frame + ETH_HLEN, length - ETH_HLEN);
    counters.count(Counter.ETH_UNKNOWN_TYPE);
  }

  ip(): u32 {
    return this.link.config.ip;
  }

  mac(): u64 {
    return this.link.mac;
  }

  listenUdp(port: u32, handler: UdpHandler): i32 {
    return this.udp.listen(port, handler);
  }

  sendUdp(srcPort: u32, dst: u32, dstPort: u32, data: usize, length: u32): i32 {
    return this.udp.send(srcPort, dst, dstPort, data, length);
  }

  /** One echo request with `length` bytes of payload: the round trip in ns, or a negative errno. */
  ping(dst: u32, length: u32, timeoutNs: u64): i64 {
    return this.pinger.ping(dst, length, timeoutNs);
  }
}

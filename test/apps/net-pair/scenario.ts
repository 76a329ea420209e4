// Two stacks back to back on a PairDevice cable: ARP resolution, ping with
// payloads up to the MTU, UDP echo, an unanswered ARP and cache expiry. Each
// check appends one line to `log`; the run fails on the first wrong result.
import { allocPages, NS_PER_SEC, sleep } from "morgana/runtime";
import { XEN_E2BIG, XEN_ETIMEDOUT } from "morgana/runtime/xen/errno";
import { NetStack } from "morgana/net/stack";
import { formatIpv4, parseIpv4, parseNetConfig } from "morgana/net/config";
import { Counter, counterName, OUTCOMES } from "morgana/net/counters";
import { formatMac } from "morgana/net/ethernet";
import { UdpHandler } from "morgana/net/udp";
import { ECHO_PORT, UdpEcho } from "morgana/net/echo";
import { PairDevice } from "./device";

const MTU: u32 = 1500;
const CLIENT_PORT: u32 = 40000;

/** Keeps the last datagram it got. */
class UdpCollector extends UdpHandler {
  buffer: usize = allocPages(1);
  length: i32 = -1;
  from: u32 = 0;
  fromPort: u32 = 0;
  onDatagram(src: u32, srcPort: u32, dstPort: u32, data: usize, length: u32): void {
    memory.copy(this.buffer, data, length);
    this.length = <i32>length;
    this.from = src;
    this.fromPort = srcPort;
  }
}

export class Scenario {
  log: Array<string> = new Array<string>();
  a: NetStack;
  b: NetStack;

  constructor() {
    const da = new PairDevice(0x01_00_00_77_00_02, MTU); // 02:00:77:00:00:01
    const db = new PairDevice(0x02_00_00_77_00_02, MTU);
    PairDevice.connect(da, db);
    this.a = new NetStack(da, parseNetConfig("10.77.0.2/24", "10.77.0.1"));
    this.b = new NetStack(db, parseNetConfig("10.77.0.3/24", null));
  }

  private check(ok: bool, what: string): bool {
    this.log.push(`${ok ? "ok" : "FAIL"} ${what}`);
    return ok;
  }

  run(): bool {
    const a = this.a;
    const b = this.b;
    this.log.push(`a ${formatMac(a.mac())} ${formatIpv4(a.ip())}, b ${formatMac(b.mac())} ${formatIpv4(b.ip())}`);

    // ARP: the first ping waits for resolution; both sides learn each other.
    let rtt = a.ping(b.ip(), 56, NS_PER_SEC);
    if (!this.check(rtt >= 0, `ping a->b 56 bytes: ${rtt}`)) return false;
    if (!this.check(a.arp.lookup(b.ip()) == <i64>b.mac(), "a learned b's MAC from its reply")) return false;
    if (!this.check(b.arp.lookup(a.ip()) == <i64>a.mac(), "b learned a's MAC from its request")) return false;
    if (!this.check(a.counters.get(Counter.ARP_REQUESTS_SENT) == 1 && b.counters.get(Counter.ARP_REQUESTS_SENT) == 0, "one ARP request in all")) return false;

    // Echo payloads from empty to the MTU, both ways.
    const max = MTU - 20 - 8;
    const sizes: StaticArray<u32> = [0, 1, 2, 3, 63, 64, 65, 511, 1000, max - 1, max];
    for (let i = 0; i < sizes.length; i++) {
      rtt = a.ping(b.ip(), sizes[i], NS_PER_SEC);
      if (!this.check(rtt >= 0, `ping a->b ${sizes[i]} bytes`)) return false;
      rtt = b.ping(a.ip(), sizes[i], NS_PER_SEC);
      if (!this.check(rtt >= 0, `ping b->a ${sizes[i]} bytes`)) return false;
    }
    rtt = a.ping(b.ip(), max + 1, NS_PER_SEC);
    if (!this.check(rtt == -<i32>XEN_E2BIG, `ping beyond the MTU refused: ${rtt}`)) return false;

    // UDP echo with every size class, contents compared.
    const echo = new UdpEcho(b);
    const collector = new UdpCollector();
    if (!this.check(b.listenUdp(ECHO_PORT, echo) == 0 && a.listenUdp(CLIENT_PORT, collector) == 0, "listening")) return false;
    const data = allocPages(1);
    for (let i = 0; i < 4096; i++) store<u8>(data + i, <u8>(i * 13 + 5));
    const udpMax = a.udp.maxPayload();
    const udpSizes: StaticArray<u32> = [0, 1, 7, 512, 1000, udpMax];
    for (let i = 0; i < udpSizes.length; i++) {
      const n = udpSizes[i];
      collector.length = -1;
      const rc = a.sendUdp(CLIENT_PORT, b.ip(), ECHO_PORT, data, n);
      for (let turn = 0; turn < 10 && collector.length < 0; turn++) sleep(NS_PER_SEC / 1000);
      const same = collector.length == <i32>n && memory.compare(collector.buffer, data, n) == 0;
      if (!this.check(rc == 0 && same && collector.from == b.ip() && collector.fromPort == ECHO_PORT, `udp echo ${n} bytes`)) return false;
    }
    if (!this.check(a.sendUdp(CLIENT_PORT, b.ip(), ECHO_PORT, data, udpMax + 1) == -<i32>XEN_E2BIG, "udp beyond the MTU refused")) return false;

    // Nobody has 10.77.0.99: three requests a second apart, then the waiting frame is dropped.
    const absent = <u32>parseIpv4("10.77.0.99");
    rtt = a.ping(absent, 56, 5 * NS_PER_SEC);
    if (!this.check(rtt == -<i32>XEN_ETIMEDOUT, `ping of an absent host times out: ${rtt}`)) return false;
    if (!this.check(a.counters.get(Counter.ARP_REQUESTS_SENT) == 4 && a.counters.get(Counter.ARP_UNRESOLVED) == 1, "3 ARP requests, 1 frame unresolved")) return false;

    // Learned addresses expire.
    sleep(61 * NS_PER_SEC);
    if (!this.check(a.arp.lookup(b.ip()) == -1 && b.arp.lookup(a.ip()) == -1, "ARP entries expired after 60 s")) return false;
    rtt = a.ping(b.ip(), 56, NS_PER_SEC);
    if (!this.check(rtt >= 0 && a.counters.get(Counter.ARP_REQUESTS_SENT) == 5, "resolved again after expiry")) return false;

    // Nothing was dropped on the way.
    for (let c = 0; c < OUTCOMES; c++) {
      const name = counterName(c);
      const ok = name == "arp.accepted" || name == "icmp.echo_answered" || name == "icmp.echo_reply_matched" || name == "udp.delivered";
      if (ok) continue;
      if (!this.check(a.counters.get(c) == 0 && b.counters.get(c) == 0, `no ${name}`)) return false;
    }
    return true;
  }
}

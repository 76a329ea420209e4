// A unikernel on netfront that pings and UDP-echoes its peers (`peers=` a
// comma-separated list of addresses), answers the same itself, then lingers
// (`linger=` seconds) so that slower peers finish, and prints its counters.
import { cmdlineArg, NS_PER_SEC, println, sleep, allocPages } from "morgana/runtime";
import { connectNetfront } from "morgana/drivers/netfront";
import { formatIpv4, formatMac, NetStack, netConfigFromCmdline, parseIpv4, UdpHandler } from "morgana/net";
import { ECHO_PORT, UdpEcho } from "../../../examples/ping/echo";

const CLIENT_PORT: u32 = 40007;

class Collector extends UdpHandler {
  buffer: usize = allocPages(16);
  length: i32 = -1;
  onDatagram(src: u32, srcPort: u32, dstPort: u32, data: usize, length: u32): void {
    memory.copy(this.buffer, data, length);
    this.length = <i32>length;
  }
}

export function main(): i32 {
  const config = netConfigFromCmdline();
  const nic = connectNetfront();
  const stack = new NetStack(nic, config);
  stack.listenUdp(ECHO_PORT, new UdpEcho(stack));
  const collector = new Collector();
  stack.listenUdp(CLIENT_PORT, collector);
  println(`peer: MAC ${formatMac(stack.mac())} IP ${formatIpv4(stack.ip())} MTU ${nic.mtu()}`);
  const data = allocPages(16);
  for (let i = 0; i < 16 * 4096; i++) store<u8>(data + i, <u8>(i * 7 + 3));
  const peersArg = cmdlineArg("peers");
  const peers = peersArg == null ? new Array<string>() : peersArg.split(",");
  let failures = 0;
  const icmpMax = nic.mtu() - 28;
  const sizes: StaticArray<u32> = [0, 56, 1000, 1472, 4000, 8972];
  for (let p = 0; p < peers.length; p++) {
    const peer = <u32>parseIpv4(peers[p]);
    for (let i = 0; i < sizes.length; i++) {
      const n = sizes[i];
      if (n > icmpMax) continue;
      const rtt = stack.ping(peer, n, NS_PER_SEC);
      println(`ping ${peers[p]} ${n} bytes: ${rtt >= 0 ? "ok" : `failed ${rtt}`}`);
      if (rtt < 0) failures++;
      collector.length = -1;
      const rc = stack.sendUdp(CLIENT_PORT, peer, ECHO_PORT, data, n);
      for (let t = 0; t < 100 && collector.length < 0; t++) sleep(NS_PER_SEC / 100);
      const same = rc == 0 && collector.length == <i32>n && memory.compare(collector.buffer, data, n) == 0;
      println(`udp echo ${peers[p]} ${n} bytes: ${same ? "ok" : `failed ${rc}/${collector.length}`}`);
      if (!same) failures++;
    }
  }
  const linger = cmdlineArg("linger");
  sleep((linger == null ? 2 : <u64>parseInt(linger)) * NS_PER_SEC);
  const s = nic.stats();
  println(`stats: rx ${s.rxPackets} tx ${s.txPackets} rxErrors ${s.rxErrors} rxDropped ${s.rxDropped} txErrors ${s.txErrors} errors ${nic.errors.total()}`);
  println(failures == 0 ? "peer: all ok" : `peer: ${failures} failed`);
  return failures == 0 ? 0 : 1;
}

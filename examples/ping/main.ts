// A unikernel on the network: answers ICMP echo (ping) and runs the UDP echo
// service (RFC 862) on port 7. Its address comes from the command line:
// `ip=10.77.0.2/24 [gw=10.77.0.1]`. It runs until the domain is destroyed.
import { NS_PER_SEC, println, sleep } from "morgana/runtime";
import { connectNetfront } from "morgana/drivers";
import { formatIpv4, formatMac, NetStack, netConfigFromCmdline } from "morgana/net";
import { ECHO_PORT, UdpEcho } from "./echo";

export function main(): i32 {
  const config = netConfigFromCmdline();
  const nic = connectNetfront();
  const stack = new NetStack(nic, config);
  const rc = stack.listenUdp(ECHO_PORT, new UdpEcho(stack));
  if (rc != 0) return 1;
  println(`ping: MAC ${formatMac(stack.mac())} IP ${formatIpv4(stack.ip())}/${config.prefix} MTU ${nic.mtu()}; UDP echo on port ${ECHO_PORT}`);
  while (true) sleep(60 * NS_PER_SEC);
  return 0;
}

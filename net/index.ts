// What applications import: the stack on a Network device (runtime/devices.ts).
//
//   const stack = new NetStack(device, netConfigFromCmdline()); // ip=10.77.0.2/24 gw=10.77.0.1
//   stack.listenUdp(ECHO_PORT, new UdpEcho(stack));              // handler objects: no closures
//   const rtt = stack.ping(peer, 56, NS_PER_SEC);                // ns, or a negative errno
//   stack.counters.get(Counter.IPV4_BAD_CHECKSUM);               // one counter per drop reason
//
// It answers ARP and ICMP echo by itself from the device's listener; sends
// return 0 when the frame went out or waits for ARP, or a negative errno.
export { NetStack } from "./stack";
export { NetConfig, netConfigFromCmdline, parseNetConfig, parseIpv4, formatIpv4 } from "./config";
export { Counter, Counters, counterName, OUTCOMES } from "./counters";
export { formatMac } from "./ethernet";
export { UdpHandler } from "./udp";
export { UdpEcho, ECHO_PORT } from "./echo";
export { EchoReplyHandler } from "./icmp";

// What applications import: `import { NetStack, netConfigFromCmdline } from "morgana/net"`.
export { NetStack } from "./stack";
export { NetConfig, netConfigFromCmdline, parseNetConfig, parseIpv4, formatIpv4 } from "./config";
export { Counter, Counters, counterName, OUTCOMES } from "./counters";
export { formatMac } from "./ethernet";
export { UdpHandler } from "./udp";
export { UdpEcho, ECHO_PORT } from "./echo";
export { EchoReplyHandler } from "./icmp";

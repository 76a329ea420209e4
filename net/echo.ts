// The echo service (RFC 862) over UDP: every datagram goes back where it came from.
import { NetStack } from "./stack";
import { UdpHandler } from "./udp";

export const ECHO_PORT: u32 = 7;

export class UdpEcho extends UdpHandler {
  /** Datagrams that could not be sent back (a negative errno from send). */
  failures: u64 = 0;

  constructor(private stack: NetStack) {
    super();
  }

  onDatagram(src: u32, srcPort: u32, dstPort: u32, data: usize, length: u32): void {
    if (this.stack.sendUdp(dstPort, src, srcPort, data, length) < 0) this.failures++;
  }
}

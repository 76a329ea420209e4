// RFC 862's echo service over UDP: every datagram goes back where it came from.
import { NetStack, UdpHandler } from "morgana/net";

export const ECHO_PORT: u32 = 7;

export class UdpEcho extends UdpHandler {
  constructor(public stack: NetStack) {
    super();
  }
  onDatagram(src: u32, srcPort: u32, dstPort: u32, data: usize, length: u32): void {
    this.stack.sendUdp(dstPort, src, srcPort, data, length);
  }
}

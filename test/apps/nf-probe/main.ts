// examples/ping's services on netfront, for a backend that misbehaves on
// purpose: every frame netfront hands up is checked to lie inside its own
// receive buffers before the stack sees it. After `seconds=` it prints
// netfront's counters and exits.
import { cmdlineArg, FrameListener, NS_PER_SEC, println, sleep } from "morgana/runtime";
import { connectNetfront, Netfront } from "morgana/drivers/netfront";
import { NetStack, netConfigFromCmdline } from "morgana/net";
import { ECHO_PORT, UdpEcho } from "../../../examples/ping/echo";

/** Counts frames outside netfront's buffers (and never passes them on). */
class Guard extends FrameListener {
  outside: u32 = 0;
  constructor(public nic: Netfront, public stack: NetStack) {
    super();
  }
  onFrame(frame: usize, length: u32): void {
    if (!this.nic.ownsFrame(frame, length)) {
      this.outside++;
      return;
    }
    this.stack.onFrame(frame, length);
  }
}

export function main(): i32 {
  const config = netConfigFromCmdline();
  const nic = connectNetfront();
  const stack = new NetStack(nic, config);
  const guard = new Guard(nic, stack);
  nic.listen(guard);
  stack.listenUdp(ECHO_PORT, new UdpEcho(stack));
  println("probe: up");
  const seconds = cmdlineArg("seconds");
  sleep((seconds == null ? 10 : <u64>parseInt(seconds)) * NS_PER_SEC);
  const e = nic.errors;
  const s = nic.stats();
  println(`errors rxBadId=${e.rxBadId} rxBadOffset=${e.rxBadOffset} rxOversize=${e.rxOversize} rxStatus=${e.rxStatus} rxBadExtra=${e.rxBadExtra} rxBadChecksum=${e.rxBadChecksum} txBadId=${e.txBadId} txStatus=${e.txStatus} ringOverflow=${e.ringOverflow} missedNotifications=${e.missedNotifications}`);
  println(`stats rx=${s.rxPackets} tx=${s.txPackets} rxErrors=${s.rxErrors} rxDropped=${s.rxDropped} txErrors=${s.txErrors} outside=${guard.outside} broken=${nic.broken} connections=${nic.dev.connections} leakedPages=${nic.front.leakedPages} status=${nic.dev.status}`);
  if (nic.dev.status) println(`netfront: ${nic.reason}`);
  return 0;
}

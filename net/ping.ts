// Blocking ping: one echo request at a time, its reply matched by identifier,
// sequence number, source and payload, with the round-trip time measured.
import { schedule } from "../runtime/core/sched";
import { monotonicNs } from "../runtime/core/time";
import { XEN_ETIMEDOUT } from "../runtime/xen/errno";
import { EchoReplyHandler, Icmp } from "./icmp";
import { allocFrame } from "./link";

export class Pinger extends EchoReplyHandler {
  /** The identifier of this pinger's requests. */
  id: u32;
  private seq: u32 = 0;
  private waiting: bool = false;
  private dst: u32 = 0;
  private length: u32 = 0;
  private sentAt: u64 = 0;
  private rtt: u64 = 0;
  /** The payload every request carries (a prefix of it), so that a reply can be checked byte for byte. */
  private pattern: usize;

  constructor(private icmp: Icmp, id: u32, capacity: u32) {
    super();
    this.id = id & 0xffff;
    this.pattern = allocFrame(capacity);
    for (let i: u32 = 0; i < capacity; i++) store<u8>(this.pattern + i, <u8>(i * 7 + 1));
    icmp.replies = this;
  }

  /** Pings `dst` with `length` bytes of payload: the round trip in ns, or a negative errno (-ETIMEDOUT). */
  ping(dst: u32, length: u32, timeoutNs: u64): i64 {
    this.seq = (this.seq + 1) & 0xffff;
    this.dst = dst;
    this.length = length;
    this.waiting = true;
    this.sentAt = monotonicNs();
    const rc = this.icmp.sendEcho(dst, this.id, this.seq, this.pattern, length);
    if (rc < 0) {
      this.waiting = false;
      return rc;
    }
    const deadline = this.sentAt + timeoutNs;
    while (this.waiting && monotonicNs() < deadline) schedule(deadline);
    if (!this.waiting) return <i64>this.rtt;
    this.waiting = false;
    return -<i32>XEN_ETIMEDOUT;
  }

  onEchoReply(src: u32, id: u32, seq: u32, data: usize, length: u32): bool {
    if (!this.waiting || id != this.id || seq != this.seq || src != this.dst || length != this.length) return false;
    if (memory.compare(data, this.pattern, length) != 0) return false;
    this.waiting = false;
    this.rtt = monotonicNs() - this.sentAt;
    return true;
  }
}

// An in-memory Ethernet cable for tests: two PairDevices joined back to back.
// A written frame is copied into the peer's receive queue and delivered later
// from the scheduler loop, as a real device delivers from its event handler.
import { defer, FrameListener, Network, NetworkStats, Task, allocPages } from "morgana/runtime";
import { XEN_E2BIG } from "morgana/runtime/xen/errno";

const QUEUE: i32 = 16;

class Delivery extends Task {
  constructor(public device: PairDevice) {
    super();
  }
  run(): void {
    this.device.deliver();
  }
}

export class PairDevice extends Network {
  peer: PairDevice | null = null;
  listener: FrameListener | null = null;
  counts: NetworkStats = new NetworkStats();
  /** Frames the peer wrote, waiting for delivery: a ring of page-backed slots. */
  private slots: StaticArray<usize> = new StaticArray<usize>(QUEUE);
  private lengths: StaticArray<u32> = new StaticArray<u32>(QUEUE);
  private head: i32 = 0;
  private queued: i32 = 0;
  private delivery!: Delivery;

  constructor(private address: u64, private maxPayload: u32) {
    super();
    const pages = (14 + maxPayload + 4095) >> 12;
    for (let i = 0; i < QUEUE; i++) this.slots[i] = allocPages(pages);
    this.delivery = new Delivery(this);
  }

  static connect(a: PairDevice, b: PairDevice): void {
    a.peer = b;
    b.peer = a;
  }

  mac(dst: usize): void {
    store<u32>(dst, <u32>this.address);
    store<u16>(dst + 4, <u16>(this.address >> 32));
  }

  mtu(): u32 {
    return this.maxPayload;
  }

  write(frame: usize, length: u32): i32 {
    if (length > 14 + this.maxPayload) {
      this.counts.txErrors++;
      return -<i32>XEN_E2BIG;
    }
    this.counts.txPackets++;
    this.counts.txBytes += length;
    const peer = this.peer;
    if (peer) peer.enqueue(frame, length);
    return 0;
  }

  listen(listener: FrameListener): void {
    this.listener = listener;
  }

  stats(): NetworkStats {
    return this.counts;
  }

  enqueue(frame: usize, length: u32): void {
    if (this.queued == QUEUE) {
      this.counts.rxDropped++;
      return;
    }
    const slot = (this.head + this.queued) % QUEUE;
    memory.copy(this.slots[slot], frame, length);
    this.lengths[slot] = length;
    this.queued++;
    defer(this.delivery);
  }

  /** Hands every queued frame to the listener; frames it causes to arrive are delivered in the same turn. */
  deliver(): void {
    while (this.queued > 0) {
      const slot = this.head;
      const listener = this.listener;
      this.counts.rxPackets++;
      this.counts.rxBytes += this.lengths[slot];
      if (listener) listener.onFrame(this.slots[slot], this.lengths[slot]);
      this.head = (this.head + 1) % QUEUE;
      this.queued--;
    }
  }
}

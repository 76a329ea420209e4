// An in-memory Ethernet cable for tests: two PairDevices joined back to back.
// A written frame is copied into the peer's receive queue and delivered later
// from the scheduler loop, as a real device delivers from its event handler.
import { defer, FrameListener, NetworkStats, Task } from "morgana/runtime";
import { XEN_E2BIG } from "morgana/runtime/xen/errno";
import { TestDevice } from "../lib/test-device";

const QUEUE: i32 = 16;

class Delivery extends Task {
  constructor(public device: PairDevice) {
    super();
  }
  run(): void {
    this.device.deliver();
  }
}

export class PairDevice extends TestDevice {
  peer: PairDevice | null = null;
  listener: FrameListener | null = null;
  counts: NetworkStats = new NetworkStats();
  /** Frames the peer wrote, waiting for delivery: a ring of page-backed slots. */
  private slots!: StaticArray<usize>;
  private lengths: StaticArray<u32> = new StaticArray<u32>(QUEUE);
  private head: i32 = 0;
  private queued: i32 = 0;
  private delivery!: Delivery;

  constructor(address: u64, maxPayload: u32) {
    super(address, maxPayload);
    this.slots = this.frameBuffers(QUEUE);
    this.delivery = new Delivery(this);
  }

  static connect(a: PairDevice, b: PairDevice): void {
    a.peer = b;
    b.peer = a;
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

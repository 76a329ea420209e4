// System time and the one event queue, ordered by (time, sequence) so that
// events due at the same instant run in the order they were queued.

export interface Timer {
  readonly time: bigint;
  /** Unqueues the event; harmless once it ran. */
  cancel(): void;
}

interface Entry extends Timer {
  seq: number;
  run: () => void;
  cancelled: boolean;
}

export class Clock {
  private virtualNow = 0n;
  private readonly realStart = process.hrtime.bigint();

  constructor(readonly realTime: boolean) {}

  /** Xen system time in nanoseconds. */
  now(): bigint {
    return this.realTime ? process.hrtime.bigint() - this.realStart : this.virtualNow;
  }

  /** Virtual time only moves forward, to the next due event. */
  advanceTo(time: bigint): void {
    if (!this.realTime && time > this.virtualNow) this.virtualNow = time;
  }
}

export class EventQueue {
  private heap: Entry[] = [];
  private seq = 0;

  push(time: bigint, run: () => void): Timer {
    const entry: Entry = {
      time, seq: this.seq++, run, cancelled: false,
      cancel: () => void (entry.cancelled = true),
    };
    this.heap.push(entry);
    this.up(this.heap.length - 1);
    return entry;
  }

  /** The earliest live event, without removing it. */
  peek(): Timer | undefined {
    this.dropCancelled();
    return this.heap[0];
  }

  /** Removes and returns the earliest live event's action. */
  pop(): { time: bigint; run: () => void } | undefined {
    this.dropCancelled();
    const top = this.heap[0];
    if (!top) return undefined;
    this.removeTop();
    top.cancelled = true;
    return top;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0].cancelled) this.removeTop();
  }

  private removeTop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
  }

  private less(a: Entry, b: Entry): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

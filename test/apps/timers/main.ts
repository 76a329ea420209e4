// Timers fire in deadline order (equal deadlines in arming order), a cancelled
// one never fires, and virtual time is exact: the test compares the output.
import { armTimer, cancelTimer, monotonicNs, println, sleep, Timer } from "morgana/runtime";

class Named extends Timer {
  constructor(public name: string) {
    super();
  }
  fire(now: u64): void {
    println(`${this.name} at +${now - t0} ns`);
  }
}

let t0: u64 = 0;

export function main(): i32 {
  t0 = monotonicNs();
  const c = new Named("c");
  const a = new Named("a");
  const b1 = new Named("b1");
  const b2 = new Named("b2");
  const gone = new Named("cancelled");
  armTimer(c, t0 + 30_000_000);
  armTimer(gone, t0 + 15_000_000);
  armTimer(b1, t0 + 20_000_000);
  armTimer(a, t0 + 10_000_000);
  armTimer(b2, t0 + 20_000_000);
  cancelTimer(gone);
  sleep(40_000_000);
  let last = monotonicNs();
  for (let i = 0; i < 1000; i++) {
    const now = monotonicNs();
    if (now < last) return 1;
    last = now;
  }
  println(`done at +${monotonicNs() - t0} ns`);
  return 0;
}

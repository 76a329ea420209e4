// Deferred tasks, including one that waits inside its run (a loop inside the
// loop): every task deferred meanwhile still runs, once.
import { armTimer, defer, println, sleep, Task, Timer } from "morgana/runtime";

class Named extends Task {
  runs: u32 = 0;
  constructor(public name: string) {
    super();
  }
  run(): void {
    this.runs++;
    println(`${this.name} runs`);
  }
}

const b = new Named("b");
const c = new Named("c");

/** Waits a millisecond inside its run; meanwhile a timer defers b. */
class Waiter extends Task {
  run(): void {
    println("a waits");
    sleep(1_000_000);
    println("a resumes");
    defer(c);
  }
}

class DeferB extends Timer {
  fire(now: u64): void {
    defer(b);
  }
}

export function main(): i32 {
  defer(new Waiter());
  armTimer(new DeferB(), 500_000);
  sleep(5_000_000);
  defer(b);
  sleep(1_000_000);
  println(`b ran ${b.runs} times, c ${c.runs}`);
  return b.runs == 2 && c.runs == 1 ? 0 : 1;
}

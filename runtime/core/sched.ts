// The scheduler loop: run pending events, deferred tasks and expired timers;
// when there is nothing to do, `block` until the next deadline. Every wait in
// Morgana is a loop around `schedule`.
import { block } from "../platform";
import { dispatchEvents } from "./events";
import { monotonicNs } from "./time";

/** A deadline callback; one object per timer, armed and re-armed without allocating. */
export abstract class Timer {
  deadline: u64 = 0;
  /** Position in the heap, or -1 while not armed. */
  slot: i32 = -1;
  /** Arming order: timers with equal deadlines fire first-armed first. */
  seq: u64 = 0;
  abstract fire(now: u64): void;
}

/** Work to run from the loop rather than from inside an event handler. */
export abstract class Task {
  queued: bool = false;
  abstract run(): void;
}

const timers: Array<Timer> = new Array<Timer>(); // binary min-heap on deadline
const ready: Array<Task> = new Array<Task>();
let readyHead: i32 = 0;
let taskDepth: i32 = 0; // a task may wait, and so run the loop inside the loop
let armed: u64 = 0;

/** Arms (or re-arms) `t` for absolute system time `deadline`. */
export function armTimer(t: Timer, deadline: u64): void {
  if (t.slot >= 0) cancelTimer(t);
  t.deadline = deadline;
  t.seq = armed++;
  t.slot = timers.length;
  timers.push(t);
  siftUp(t.slot);
}

export function cancelTimer(t: Timer): void {
  const at = t.slot;
  if (at < 0) return;
  t.slot = -1;
  const last = timers.pop();
  if (at == timers.length) return;
  place(last, at);
  siftDown(at);
  siftUp(last.slot);
}

/** The earliest armed deadline, or U64.MAX_VALUE. */
export function nextDeadline(): u64 {
  return timers.length ? unchecked(timers[0]).deadline : U64.MAX_VALUE;
}

/** Queues `task` to run once from the loop; queuing it again before it runs is a no-op. */
export function defer(task: Task): void {
  if (task.queued) return;
  task.queued = true;
  ready.push(task);
}

/** One turn of the loop; blocks until `deadline` (or an earlier timer or event) when idle. */
export function schedule(deadline: u64): void {
  if (runOnce()) return;
  const next = nextDeadline();
  const until = next < deadline ? next : deadline;
  if (until > monotonicNs()) block(until);
  runOnce();
}

/** At least one turn of the loop, even when the deadline has passed: a preempted guest still handles its events. */
export function sleepUntil(deadline: u64): void {
  do schedule(deadline);
  while (monotonicNs() < deadline);
}

export function sleep(ns: u64): void {
  sleepUntil(monotonicNs() + ns);
}

/** Events, deferred tasks, then expired timers, in deadline order; returns the work done. */
function runOnce(): u32 {
  let work = dispatchEvents();
  const end = ready.length; // tasks deferred meanwhile wait for the next turn
  taskDepth++;
  while (readyHead < end && readyHead < ready.length) {
    const task = unchecked(ready[readyHead++]);
    task.queued = false;
    task.run();
    work++;
  }
  taskDepth--;
  // Only the outermost turn may compact the queue: an inner one would pull it from under the outer loop.
  if (taskDepth == 0 && readyHead == ready.length) {
    ready.length = 0;
    readyHead = 0;
  }
  const now = monotonicNs();
  while (timers.length && unchecked(timers[0]).deadline <= now) {
    const t = unchecked(timers[0]);
    cancelTimer(t);
    t.fire(now);
    work++;
  }
  return work;
}

function before(a: Timer, b: Timer): bool {
  return a.deadline < b.deadline || (a.deadline == b.deadline && a.seq < b.seq);
}

function place(t: Timer, at: i32): void {
  unchecked((timers[at] = t));
  t.slot = at;
}

function siftUp(at: i32): void {
  const t = unchecked(timers[at]);
  while (at > 0) {
    const parent = (at - 1) >> 1;
    const p = unchecked(timers[parent]);
    if (!before(t, p)) break;
    place(p, at);
    at = parent;
  }
  place(t, at);
}

function siftDown(at: i32): void {
  const n = timers.length;
  const t = unchecked(timers[at]);
  while (true) {
    let child = 2 * at + 1;
    if (child >= n) break;
    if (child + 1 < n && before(unchecked(timers[child + 1]), unchecked(timers[child]))) child++;
    const c = unchecked(timers[child]);
    if (!before(c, t)) break;
    place(c, at);
    at = child;
  }
  place(t, at);
}

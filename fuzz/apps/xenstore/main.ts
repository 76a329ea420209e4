// The xenstore client under a hostile xenstored (fuzz/targets/xenstore-client.ts
// plays it): seeded writes, reads, removals, directories, transactions and a
// watch whose handler reads, checked against a model of what was written; then,
// once the daemon is honest again (data/f/phase = clean), 20 requests that must
// all succeed. Command line: seed=N ops=N.
import { cmdlineArg, println } from "morgana/runtime";
import {
  parseDecimal, xsDirectory, xsRead, xsResets, xsRm, xsSetTimeout, xsStrayReplies, xsTransact, XsTransactionBody,
  xsWatch, xsWatchEventsCoalesced, XsWatchHandler, xsWrite,
} from "morgana/runtime/core/xenstore";

const KEYS: i32 = 12;
const UNKNOWN: string = "\u0001unknown"; // a value no write makes
const ABSENT: string = "\u0001absent";

let state: u32 = 1;
function rand(n: u32): u32 {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state % n;
}

const model = new StaticArray<string>(KEYS);
let counter: i64 = -1; // -1: unknown
let mismatches: u32 = 0;

/** Counts a value that differs from the model, and says which (the first few). */
function mismatch(what: string): void {
  if (mismatches++ < 5) println(`mismatch: ${what}`);
}
let ok: u32 = 0;
let failed: u32 = 0;

class Reader extends XsWatchHandler {
  calls: u32 = 0;
  onWatch(path: string): void {
    this.calls++;
    xsRead("data/f/k0");
  }
}

class Increment extends XsTransactionBody {
  run(tx: u32): i32 {
    const r = xsRead("data/f/counter", tx);
    if (!r.ok) return r.status;
    const n = parseDecimal(r.value);
    return xsWrite("data/f/counter", (n < 0 ? 0 : n + 1).toString(), tx);
  }
}

function tally(status: i32): bool {
  if (status == 0) ok++;
  else failed++;
  return status == 0;
}

function key(i: i32): string {
  return `data/f/k${i}`;
}

function step(op: u32): void {
  const k = <i32>rand(<u32>KEYS);
  const kind = rand(100);
  if (kind < 35) {
    const v = `v${op}-${rand(1000000)}`;
    model[k] = tally(xsWrite(key(k), v)) ? v : UNKNOWN;
  } else if (kind < 70) {
    const r = xsRead(key(k));
    if (!tally(r.status)) return;
    const m = model[k];
    if (m == ABSENT || (m != UNKNOWN && m != r.value)) mismatch(`op ${op} read ${key(k)}: ${r.value}, wrote ${m}`);
  } else if (kind < 80) {
    model[k] = tally(xsRm(key(k))) ? ABSENT : UNKNOWN;
  } else if (kind < 90) {
    const r = xsDirectory("data/f");
    if (!tally(r.status)) return;
    for (let i = 0; i < KEYS; i++) {
      const listed = r.list.includes(`k${i}`);
      if ((model[i] == ABSENT && listed) || (model[i] != ABSENT && model[i] != UNKNOWN && !listed)) mismatch(`op ${op} directory: k${i} ${listed ? "listed" : "missing"}`);
    }
  } else {
    const before = counter;
    if (!tally(xsTransact(new Increment()))) {
      counter = -1;
      return;
    }
    const r = xsRead("data/f/counter");
    if (!tally(r.status)) {
      counter = -1;
      return;
    }
    const now = parseDecimal(r.value);
    if (before >= 0 && now != before + 1) mismatch(`op ${op} counter ${now} after ${before}`);
    counter = now;
  }
}

export function main(): i32 {
  const seed = cmdlineArg("seed");
  const ops = cmdlineArg("ops");
  state = (seed === null ? 1 : <u32>parseDecimal(seed)) | 1;
  const n: u32 = ops === null ? 200 : <u32>parseDecimal(ops);
  xsSetTimeout(100_000_000);
  for (let i = 0; i < KEYS; i++) model[i] = ABSENT;
  const reader = new Reader();
  const watched = xsWatch("data/f", reader);
  for (let op: u32 = 0; op < n; op++) step(op);
  // The daemon is honest from the reply to this write on (it may still be lost).
  xsWrite("data/f/phase", "clean");
  // The first requests may still meet what the hostile phase left (half a message held): the last 10 must work.
  let clean = 0;
  for (let i = 0; i < 20; i++) {
    const v = `clean${i}`;
    if (xsWrite(key(i % KEYS), v) == 0 && xsRead(key(i % KEYS)).value == v && i >= 10) clean++;
  }
  println(`fuzz: ok ${ok} failed ${failed} mismatches ${mismatches} resets ${xsResets()} strays ${xsStrayReplies()} coalesced ${xsWatchEventsCoalesced()} handler ${reader.calls} watch ${watched} clean ${clean}`);
  return 0;
}

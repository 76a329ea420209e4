// The console against a backend that stops reading (test/fuzz-console.test.ts
// and fuzz/targets/console.ts play it): `stall` prints 200 lines into a ring
// nobody reads, then reports once the backend is back; `fuzz seed=N lines=M`
// prints M lines of seeded lengths and says how many bytes were dropped.
import { cmdlineArg, monotonicNs, println, sleep } from "morgana/runtime";
import { consoleDropped } from "morgana/runtime/core/console";

function stall(): i32 {
  const start = monotonicNs();
  for (let i = 0; i < 200; i++) println(`line ${(1000 + i).toString()} of output nobody reads`);
  const ms = (monotonicNs() - start) / 1_000_000;
  sleep(3_000_000_000);
  println(`dropped: ${consoleDropped()}, printing took ${ms} ms`);
  return 0;
}

/** xorshift32: the same lines for the same seed. */
let state: u32 = 1;
function next(): u32 {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

function fuzz(): i32 {
  const seed = cmdlineArg("seed");
  const lines = cmdlineArg("lines");
  state = seed === null ? 1 : <u32>I32.parseInt(seed) | 1;
  const n = lines === null ? 1000 : I32.parseInt(lines);
  let bytes: u64 = 0;
  for (let i = 0; i < n; i++) {
    const len = <i32>(next() % 300);
    const line = `${i.toString()} ${"x".repeat(len)}`;
    bytes += <u64>line.length + 1;
    println(line);
    if (i % 10 == 9) sleep(1_000_000); // output spread over time, across the backend's stalls
  }
  sleep(3_000_000_000);
  println(`printed: ${bytes}, dropped: ${consoleDropped()}`);
  return 0;
}

export function main(): i32 {
  if (cmdlineArg("stall") !== null) return stall();
  if (cmdlineArg("fuzz") !== null) return fuzz();
  println("usage: stall | fuzz seed=N lines=M");
  return 2;
}

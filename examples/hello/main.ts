// The first unikernel: a greeting and three one-second sleeps.
import { println, sleep, monotonicNs, formatSeconds, NS_PER_SEC } from "morgana/runtime";

export function main(): i32 {
  println("Hello from Morgana");
  for (let i = 1; i <= 3; i++) {
    sleep(NS_PER_SEC);
    println(`tick ${i}: system time ${formatSeconds(monotonicNs())} s`);
  }
  return 0;
}

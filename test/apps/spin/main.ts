// Never blocks once it has said so: only an instruction-level preemption
// (the simulator's wall-clock --timeout, Ctrl-C) can stop it.
import { println, sleep } from "morgana/runtime";

let sink: u64 = 0;

export function main(): i32 {
  println("spinning");
  sleep(1_000_000); // lets the console backend print the line before the spin
  for (let i: u64 = 0; ; i++) sink += i;
  return 0;
}

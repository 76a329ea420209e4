// Allocates and drops far more than the domain's memory across many `block`
// suspensions; memory.size must stay flat once the collector has warmed up.
import { println, sleep } from "morgana/runtime";

const ROUNDS = 1200;
const PER_ROUND = 320 * 1024;
const WARM = 200;

export function main(): i32 {
  let sum: u64 = 0;
  let warmPages: i32 = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < 4; k++) {
      const chunk = new Uint8Array(PER_ROUND / 4);
      chunk[round % chunk.length] = <u8>round;
      sum += chunk[round % chunk.length];
      const words = new Array<string>(64);
      for (let w = 0; w < 64; w++) words[w] = `w${w}`;
      sum += <u64>words.length;
    }
    sleep(1_000_000); // one block, one Asyncify unwind and rewind
    if (round == WARM) warmPages = memory.size();
  }
  println(`allocated ${<u64>ROUNDS * PER_ROUND} bytes, sum ${sum}`);
  println(`pages after warm-up ${warmPages}, at end ${memory.size()}`);
  return memory.size() == warmPages ? 0 : 1;
}

// The random source on either host: its name, a few numbers (the simulator's
// follow --seed), a filled buffer and Math.random, each checked for sanity.
import { println, randomFill, randomSourceName, randomU32, randomU64 } from "morgana/runtime";

const BYTES: usize = 4096;

export function main(): i32 {
  println(`random source: ${randomSourceName()}`);
  println(`u64 ${randomU64().toString(16)} ${randomU64().toString(16)}`);
  println(`u32 ${randomU32().toString(16)}`);
  const buf = memory.data(<i32>BYTES);
  randomFill(buf + 1, BYTES - 2); // odd start and length: the copy loop's edges
  const counts = new StaticArray<u32>(256);
  for (let i: usize = 1; i < BYTES - 1; i++) counts[load<u8>(buf + i)]++;
  let maxCount: u32 = 0;
  for (let i = 0; i < 256; i++) maxCount = max(maxCount, counts[i]);
  const edges = load<u8>(buf) == 0 && load<u8>(buf + BYTES - 1) == 0;
  println(`fill ${BYTES - 2} bytes: edges untouched ${edges}, most common byte ${maxCount} times`);
  const r = Math.random();
  let inRange = true;
  for (let i = 0; i < 1000; i++) {
    const x = Math.random();
    if (!(x >= 0 && x < 1)) inRange = false;
  }
  println(`Math.random ${r} in [0, 1): ${inRange}`);
  return 0;
}

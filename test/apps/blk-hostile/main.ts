// blkfront against the hostile blkbacks of test/blk-hostile.test.ts, one case
// per run (case=...):
//   scribble  512-byte reads into the middle of canary-filled pages, one good and
//             one failed, against a backend that writes whole granted pages and
//             keeps writing after the answer: prints the canary bytes changed.
//   cycles    close and connect cycles=N times: prints the page allocator's
//             total after the second cycle and after the last.
import { allocPages, cmdlineArg, monotonicNs, NS_PER_SEC, println, sleep } from "morgana/runtime";
import { connectBlkfront } from "morgana/drivers/blkfront";
import { pageStats } from "morgana/runtime/core/pages";
import { parseDecimal } from "morgana/runtime/core/xenstore";

const MS: u64 = 1_000_000;
const CANARY: u8 = 0x5a;

/** Bytes of [from, to) that are no longer the canary. */
function changed(from: usize, to: usize): u32 {
  let n: u32 = 0;
  for (let p = from; p < to; p++) if (load<u8>(p) != CANARY) n++;
  return n;
}

function scribble(): i32 {
  const disk = connectBlkfront();
  const pages = allocPages(2);
  memory.fill(pages, CANARY, 8192);
  const good = disk.read(0, pages + 1024, 512);
  sleep(10 * MS);
  const around = changed(pages, pages + 1024) + changed(pages + 1536, pages + 4096);
  memory.fill(pages + 4096, CANARY, 4096);
  const bad = disk.read(8, pages + 4096 + 1024, 512);
  sleep(10 * MS);
  println(`good read ${good}: ${around} bytes changed around the buffer`);
  println(`failed read ${bad}: ${changed(pages + 4096, pages + 8192)} bytes changed in its page`);
  println(`leaked pages ${disk.front.leakedPages}`);
  disk.close(monotonicNs() + NS_PER_SEC);
  return 0;
}

function cycles(n: i64): i32 {
  const disk = connectBlkfront();
  let afterTwo: u32 = 0;
  for (let i: i64 = 1; i <= n; i++) {
    if (disk.close(monotonicNs() + NS_PER_SEC)) println(`cycle ${i}: close timed out`);
    const rc = disk.connect(monotonicNs() + NS_PER_SEC);
    if (rc) {
      println(`cycle ${i}: connect ${rc}: ${disk.front.reason}`);
      return 1;
    }
    if (i == 2) afterTwo = <u32>(pageStats() >> 32);
  }
  println(`ring pages ${1 << disk.ringPageOrder}, connections ${disk.dev.connections}`);
  println(`pages after 2 cycles ${afterTwo}, after ${n} ${<u32>(pageStats() >> 32)}`);
  return 0;
}

export function main(): i32 {
  const which = cmdlineArg("case");
  if (which == "scribble") return scribble();
  const n = cmdlineArg("cycles");
  if (which == "cycles") return cycles(n == null ? 50 : parseDecimal(n));
  println("blk-hostile: case=scribble|cycles");
  return 1;
}

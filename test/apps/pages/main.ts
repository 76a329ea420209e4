// The page allocator (test/pages.test.ts): pages freed one by one serve a
// contiguous allocation again, runs merge with both neighbours, and a
// thousand allocate-and-free cycles of mixed sizes take no more memory than
// the first one did.
import { allocPage, allocPages, freePage, freePages, println } from "morgana/runtime";
import { pageStats, PAGE_SIZE } from "morgana/runtime/core/pages";

function total(): u32 {
  return <u32>(pageStats() >> 32);
}

function free(): u32 {
  return <u32>pageStats();
}

export function main(): i32 {
  const ring = allocPages(16);
  for (let i: usize = 0; i < 16; i++) store<u8>(ring + i * PAGE_SIZE, 0xaa);
  for (let i: usize = 0; i < 16; i++) freePage(ring + i * PAGE_SIZE);
  const again = allocPages(16);
  let zeroed = true;
  for (let i: usize = 0; i < 16; i++) if (load<u8>(again + i * PAGE_SIZE) != 0) zeroed = false;
  println(`16 pages freed one by one come back as a run: ${again == ring}, zeroed ${zeroed}`);
  // Free the middle last: it joins the run below and the run above into one.
  freePages(again, 7);
  freePages(again + 8 * PAGE_SIZE, 8);
  freePage(again + 7 * PAGE_SIZE);
  println(`merged both ways: ${allocPages(16) == again}`);
  freePages(again, 16);
  const before = total();
  const freeBefore = free();
  for (let cycle = 0; cycle < 1000; cycle++) {
    const a = allocPages(16);
    const b = allocPage();
    const c = allocPages(3);
    for (let i: usize = 0; i < 16; i++) freePage(a + i * PAGE_SIZE);
    freePage(b);
    freePages(c, 3);
  }
  println(`1000 cycles grew memory by ${total() - before} pages; free pages ${free() == freeBefore ? "as before" : "changed"}`);
  return 0;
}

// Pages handed to Xen or a backend (rings, grant frames, special frames, I/O
// buffers): 4 KiB, page-aligned, zeroed, never part of the GC heap. They come
// from memory.grow, which the incremental runtime's TLSF tolerates between its
// own regions, and are recycled through an intrusive free list.

export const PAGE_SIZE: usize = 4096;
export const PAGE_SHIFT: u32 = 12;
const WASM_PAGE: usize = 65536;
const PAGES_PER_GROW: usize = WASM_PAGE / PAGE_SIZE;

let freeList: usize = 0; // first free page; each free page holds the next one's address
let freeCount: u32 = 0;
let totalPages: u32 = 0;

/** One page, zeroed. Panics (through abort) when the domain's memory is exhausted. */
export function allocPage(): usize {
  if (!freeList) growPages(1);
  const page = freeList;
  freeList = load<usize>(page);
  freeCount--;
  memory.fill(page, 0, PAGE_SIZE);
  return page;
}

/** `count` contiguous zeroed pages (multi-page rings); take them with freePages. */
export function allocPages(count: u32): usize {
  if (count == 1) return allocPage();
  const base = growPages(count);
  // growPages put every page of the new region on the free list; take ours back out.
  for (let i: u32 = 0; i < count; i++) unlinkFree(base + <usize>i * PAGE_SIZE);
  memory.fill(base, 0, <usize>count * PAGE_SIZE);
  return base;
}

export function freePage(page: usize): void {
  assert((page & (PAGE_SIZE - 1)) == 0, "freePage: not a page");
  store<usize>(page, freeList);
  freeList = page;
  freeCount++;
}

export function freePages(base: usize, count: u32): void {
  for (let i: u32 = 0; i < count; i++) freePage(base + <usize>i * PAGE_SIZE);
}

/** Pages ever taken from memory.grow, and how many of them are free now. */
export function pageStats(): u64 {
  return (<u64>totalPages << 32) | freeCount;
}

/** Grows memory by enough 64 KiB units for `count` pages; all go on the free list. */
function growPages(count: u32): usize {
  const units = (<usize>count + PAGES_PER_GROW - 1) / PAGES_PER_GROW;
  const before = memory.grow(<i32>units);
  if (before < 0) abort("out of memory: no pages left for the page allocator", "pages.ts", 0, 0);
  const base = <usize>before * WASM_PAGE;
  const pages = <u32>(units * PAGES_PER_GROW);
  for (let i = pages; i > 0; i--) freePage(base + <usize>(i - 1) * PAGE_SIZE);
  totalPages += pages;
  return base;
}

function unlinkFree(page: usize): void {
  let prev: usize = 0;
  let at = freeList;
  while (at != page) {
    prev = at;
    at = load<usize>(at);
  }
  if (prev) store<usize>(prev, load<usize>(page));
  else freeList = load<usize>(page);
  freeCount--;
}

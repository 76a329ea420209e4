// Pages handed to Xen or a backend (rings, grant frames, special frames, I/O
// buffers): 4 KiB, page-aligned, zeroed, never part of the GC heap. They come
// from memory.grow, which the incremental runtime's TLSF tolerates between its
// own regions. Free pages are kept as runs of contiguous pages, sorted by
// address and merged with their neighbours when freed, so that pages freed one
// by one (a multi-page ring's, say) serve a contiguous allocation again.

export const PAGE_SIZE: usize = 4096;
export const PAGE_SHIFT: u32 = 12;
const WASM_PAGE: usize = 65536;
const PAGES_PER_GROW: usize = WASM_PAGE / PAGE_SIZE;
// A free run's first page holds the next run's address and the run's length in pages.
const RUN_NEXT: usize = 0;
const RUN_PAGES: usize = 8;

let runs: usize = 0; // the lowest free run
let freeCount: u32 = 0;
let totalPages: u32 = 0;

/** One page, zeroed. Panics (through abort) when the domain's memory is exhausted. */
export function allocPage(): usize {
  return allocPages(1);
}

/** `count` contiguous zeroed pages, from the first free run long enough, else new memory. */
export function allocPages(count: u32): usize {
  assert(count > 0, "allocPages: no pages");
  let prev: usize = 0;
  let run = runs;
  while (run && load<usize>(run, RUN_PAGES) < <usize>count) {
    prev = run;
    run = load<usize>(run, RUN_NEXT);
  }
  if (!run) {
    growPages(count);
    return allocPages(count);
  }
  // The run's tail: its head (and the link it holds) stays put unless the whole run goes.
  const left = load<usize>(run, RUN_PAGES) - <usize>count;
  const base = run + left * PAGE_SIZE;
  if (left) store<usize>(run, left, RUN_PAGES);
  else if (prev) store<usize>(prev, load<usize>(run, RUN_NEXT), RUN_NEXT);
  else runs = load<usize>(run, RUN_NEXT);
  freeCount -= count;
  memory.fill(base, 0, <usize>count * PAGE_SIZE);
  return base;
}

export function freePage(page: usize): void {
  freePages(page, 1);
}

/** Returns `count` pages from `base` (any part of what an allocation gave) to the free runs. */
export function freePages(base: usize, count: u32): void {
  assert((base & (PAGE_SIZE - 1)) == 0 && count > 0, "freePages: not a page");
  const end = base + <usize>count * PAGE_SIZE;
  let prev: usize = 0;
  let next = runs;
  while (next && next < base) {
    prev = next;
    next = load<usize>(next, RUN_NEXT);
  }
  if ((prev && prev + load<usize>(prev, RUN_PAGES) * PAGE_SIZE > base) || (next && next < end)) {
    abort("freePages: a page freed twice", "runtime/core/pages.ts", 0, 0);
  }
  let run = base;
  store<usize>(run, <usize>count, RUN_PAGES);
  store<usize>(run, next, RUN_NEXT);
  if (next == end) {
    store<usize>(run, <usize>count + load<usize>(next, RUN_PAGES), RUN_PAGES);
    store<usize>(run, load<usize>(next, RUN_NEXT), RUN_NEXT);
  }
  if (prev && prev + load<usize>(prev, RUN_PAGES) * PAGE_SIZE == base) {
    store<usize>(prev, load<usize>(prev, RUN_PAGES) + load<usize>(run, RUN_PAGES), RUN_PAGES);
    store<usize>(prev, load<usize>(run, RUN_NEXT), RUN_NEXT);
  } else if (prev) {
    store<usize>(prev, run, RUN_NEXT);
  } else {
    runs = run;
  }
  freeCount += count;
}

/** Pages ever taken from memory.grow, and how many of them are free now. */
export function pageStats(): u64 {
  return (<u64>totalPages << 32) | freeCount;
}

/** Grows memory by enough 64 KiB units for `count` pages; they become a free run. */
function growPages(count: u32): void {
  const units = (<usize>count + PAGES_PER_GROW - 1) / PAGES_PER_GROW;
  const before = memory.grow(<i32>units);
  if (before < 0) abort("out of memory: no pages left for the page allocator", "runtime/core/pages.ts", 0, 0);
  const pages = <u32>(units * PAGES_PER_GROW);
  totalPages += pages;
  freePages(<usize>before * WASM_PAGE, pages);
}

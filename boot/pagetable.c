/* Linear memory: the domain's free frames mapped at MEMORY_BASE, read-write and
   non-executable, by L2s and L1s the stub builds and hooks into the L3 of Xen's
   bootstrap tables (L4 slot 0) below its initial mapping's 1 GiB. Only the
   first linear_memory.size bytes are mapped (more on memory.grow): the rest of
   LINEAR_GUARD_SIZE faults, which traps.c reports as out-of-bounds, so app.c
   needs no bounds checks (cli/xen-image.ts).
   Xen validates every table when an entry is written (xen.h, mmu_update), and
   a frame becomes a page table only with no writable mapping left: tables are
   written through one scratch page that is moved away before hooking. */
#include "stub.h"

#include <xen/memory.h>

#define ENTRIES 512ul
#define L3_SHIFT 30
#define PTE_FRAME_MASK 0x000ffffffffff000ul
#define TABLE_FLAGS (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)
#define DATA_FLAGS (TABLE_FLAGS | _PAGE_DIRTY | _PAGE_NX)

wasm_rt_memory_t linear_memory;

static xen_pfn_t *p2m;              /* start_info->mfn_list: pfn -> mfn */
static xen_pfn_t first_linear_pfn;  /* linear page i is pfn first_linear_pfn + i */
static xen_pfn_t first_l1;          /* its entry is entry i % 512 of L1 first_l1 + i / 512 */
static xen_pfn_t max_mfn;           /* highest mfn the m2p table can look up */
static char scratch_page[PAGE_SIZE] __attribute__((aligned(4096)));

static xen_pfn_t pfn_of(const void *va) { return (uintptr_t)va >> PAGE_SHIFT; } /* VIRT_BASE 0 */

static void update_va_mapping(uint64_t va, uint64_t pte, const char *what) {
  if (HYPERCALL3(__HYPERVISOR_update_va_mapping, va, pte, UVMF_INVLPG)) crash(what);
}

void *map_scratch(xen_pfn_t mfn, bool writable) {
  uint64_t pte = (mfn << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_NX | (writable ? _PAGE_RW : 0);
  update_va_mapping((uintptr_t)scratch_page, pte, "morgana: cannot map the scratch page");
  return scratch_page;
}

void unmap_scratch(void) {
  map_scratch(p2m[pfn_of(scratch_page)], true);
}

/* The bootstrap L3 that maps L4 slot 0, where MEMORY_BASE lies; its guard entries must be empty. */
static xen_pfn_t bootstrap_l3(void) {
  const uint64_t *l4 = (const uint64_t *)start_info->pt_base;
  if (!(l4[0] & _PAGE_PRESENT)) crash("morgana: Xen's bootstrap tables have no L3 for L4 slot 0");
  xen_pfn_t mfn = (l4[0] & PTE_FRAME_MASK) >> PAGE_SHIFT;
  /* A page table's frame is inside the initial mapping (VIRT_BASE 0): readable at its pfn. */
  const uint64_t *l3 = (const uint64_t *)(((const xen_pfn_t *)MACH2PHYS_VIRT_START)[mfn] << PAGE_SHIFT);
  for (uint64_t i = MEMORY_BASE >> L3_SHIFT; i < (MEMORY_BASE + LINEAR_GUARD_SIZE) >> L3_SHIFT; i++)
    if (l3[i] & _PAGE_PRESENT) crash("morgana: Xen's initial mapping reaches MEMORY_BASE (1 GiB): is the domain's memory too large?");
  return mfn;
}

static uint64_t div_up(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

/* Entries of table i (of 512 each) that cover the first `total` entries. */
static uint64_t present(uint64_t total, uint64_t i) { return total > i * ENTRIES ? total - i * ENTRIES : 0; }

static xen_pfn_t frame_of(xen_pfn_t pfn) {
  xen_pfn_t mfn = p2m[pfn];
  if (mfn == ~(xen_pfn_t)0) crash("morgana: a frame of the domain is missing from the p2m");
  return mfn;
}

/* Fills the table at pfn with entries[i] = frame(first + i) | flags, i < count. */
static void write_table(xen_pfn_t pfn, xen_pfn_t first, uint64_t count, uint64_t flags) {
  /* Frames inside Xen's initial mapping (VIRT_BASE 0: va = pfn << 12) are
     mapped writable there; -EINVAL means no L1 covers that va: not mapped. */
  long rc = HYPERCALL3(__HYPERVISOR_update_va_mapping, pfn << PAGE_SHIFT, 0, UVMF_INVLPG);
  if (rc && rc != -XEN_EINVAL) crash("morgana: cannot unmap a page-table frame");
  uint64_t *entries = map_scratch(frame_of(pfn), true);
  for (uint64_t i = 0; i < ENTRIES; i++) entries[i] = i < count ? (frame_of(first + i) << PAGE_SHIFT) | flags : 0;
}

void linear_memory_init(uint32_t initial_pages, uint32_t maximum_pages) {
  p2m = (xen_pfn_t *)start_info->mfn_list;
  struct xen_machphys_mapping m2p;
  if (HYPERCALL2(__HYPERVISOR_memory_op, XENMEM_machphys_mapping, &m2p))
    crash("morgana: XENMEM_machphys_mapping failed");
  max_mfn = m2p.max_mfn;

  /* Free frames follow the bootstrap page tables (xen.h, start-of-day layout);
     the bootstrap stack after them is dead since _start. */
  xen_pfn_t first_free = pfn_of((void *)start_info->pt_base) + start_info->nr_pt_frames;
  uint64_t available = start_info->nr_pages - first_free;
  uint64_t l1s = div_up(available, ENTRIES), l2s = div_up(l1s, ENTRIES);
  uint64_t frames = (available - l1s - l2s) & ~(WASM_PAGE_SIZE / PAGE_SIZE - 1);
  uint64_t pages = frames / (WASM_PAGE_SIZE / PAGE_SIZE);
  /* wasm_rt_memory_t.size is a u32: 65535 pages at most. */
  if (maximum_pages > 65535) maximum_pages = 65535;
  if (pages > maximum_pages) pages = maximum_pages;
  if (pages < initial_pages) {
    console_print("morgana: the module needs ");
    console_dec(initial_pages * 64);
    console_print(" KiB of linear memory; the domain has ");
    console_dec(pages * 64);
    crash(" KiB free");
  }
  frames = pages * (WASM_PAGE_SIZE / PAGE_SIZE);
  l1s = div_up(frames, ENTRIES);
  l2s = div_up(l1s, ENTRIES);
  xen_pfn_t first_l2 = first_free;
  first_l1 = first_l2 + l2s;
  first_linear_pfn = first_l1 + l1s;

  uint64_t initial_frames = initial_pages * (WASM_PAGE_SIZE / PAGE_SIZE);
  for (uint64_t i = 0; i < l1s; i++)
    write_table(first_l1 + i, first_linear_pfn + i * ENTRIES, present(initial_frames, i), DATA_FLAGS);
  for (uint64_t i = 0; i < l2s; i++)
    write_table(first_l2 + i, first_l1 + i * ENTRIES, l1s - i * ENTRIES, TABLE_FLAGS);
  unmap_scratch();

  /* One update of the live L3 (an L2 maps 1 GiB: 4 at most): Xen validates the L2s and L1s. */
  xen_pfn_t l3 = bootstrap_l3();
  struct mmu_update hooks[4];
  for (uint64_t i = 0; i < l2s; i++) {
    hooks[i].ptr = ((l3 << PAGE_SHIFT) + 8 * ((MEMORY_BASE >> L3_SHIFT) + i)) | MMU_NORMAL_PT_UPDATE;
    hooks[i].val = (frame_of(first_l2 + i) << PAGE_SHIFT) | TABLE_FLAGS;
  }
  if (HYPERCALL4(__HYPERVISOR_mmu_update, hooks, l2s, NULL, DOMID_SELF))
    crash("morgana: Xen refused the linear memory page tables");

  linear_memory.data = (uint8_t *)MEMORY_BASE;
  linear_memory.max_pages = pages;
  linear_memory.pages = initial_pages;
  linear_memory.size = initial_pages * WASM_PAGE_SIZE;
  memset(linear_memory.data, 0, linear_memory.size); /* wasm memory starts zeroed */
}

bool linear_frame(xen_pfn_t mfn) {
  if (mfn > max_mfn) return false;
  xen_pfn_t pfn = ((const xen_pfn_t *)MACH2PHYS_VIRT_START)[mfn];
  return pfn - first_linear_pfn < linear_memory.size / PAGE_SIZE && p2m[pfn] == mfn;
}

void linear_memory_map(uint64_t from, uint64_t to) {
  struct mmu_update updates[64];
  uint64_t page = from / PAGE_SIZE, end = to / PAGE_SIZE;
  while (page < end) {
    unsigned int n = 0;
    for (; n < sizeof updates / sizeof *updates && page < end; n++, page++) {
      updates[n].ptr = ((frame_of(first_l1 + page / ENTRIES) << PAGE_SHIFT) + 8 * (page % ENTRIES)) | MMU_NORMAL_PT_UPDATE;
      updates[n].val = (frame_of(first_linear_pfn + page) << PAGE_SHIFT) | DATA_FLAGS;
    }
    if (HYPERCALL4(__HYPERVISOR_mmu_update, updates, n, NULL, DOMID_SELF))
      crash("morgana: Xen refused to map grown linear memory");
  }
}

xen_pfn_t linear_page_frame(uint64_t offset) {
  return p2m[first_linear_pfn + offset / PAGE_SIZE];
}

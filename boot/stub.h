/* What the stub's files share: the boot facts, console, memory and shutdown. */
#ifndef MORGANA_STUB_H
#define MORGANA_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <xen/errno.h>
#include <xen/xen.h>

#include <wasm-rt.h>

#include "abi.h"
#include "hypercall.h"
#include "memory-base.h"

#define PAGE_SIZE 4096ul
#define PAGE_SHIFT 12
#define WASM_PAGE_SIZE 65536ul
/* x86 page-table entry bits (Intel SDM vol. 3, 4.5). */
#define _PAGE_PRESENT 0x001ul
#define _PAGE_RW 0x002ul
#define _PAGE_USER 0x004ul
#define _PAGE_ACCESSED 0x020ul
#define _PAGE_DIRTY 0x040ul
#define _PAGE_NX (1ul << 63)

/* Set once at boot by main.c. */
extern start_info_t *start_info;
extern shared_info_t *shared_info; /* the stub's own mapping (vcpu cr2, time) */
extern domid_t own_domid;
extern bool qemu_exit; /* dom0 test runs: end QEMU through isa-debug-exit */

static inline bool is_dom0(void) { return start_info->flags & SIF_INITDOMAIN; }

/* console.c: console_io as dom0, the PV console ring as a domU. */
void console_init(void);
void console_write(const char *s, size_t n);
void console_print(const char *s);
void console_hex(uint64_t value);
void console_dec(int64_t value);
void console_drain(void);

/* time.c: Xen system time in nanoseconds, from vcpu_time_info. */
uint64_t system_time(void);

/* pagetable.c: linear memory, mapped at MEMORY_BASE by the stub's own tables. */
extern wasm_rt_memory_t linear_memory; /* the module's env.memory */
void linear_memory_init(uint32_t initial_pages, uint32_t maximum_pages);
void linear_memory_map(uint64_t from, uint64_t to); /* maps [from, to) of linear memory, frames reserved at init */
bool linear_frame(xen_pfn_t mfn); /* mfn backs a page of linear memory */
xen_pfn_t linear_page_frame(uint64_t offset);
void *map_scratch(xen_pfn_t mfn, bool writable); /* one stub page, remapped */
void unmap_scratch(void);

/* [va, va + len) lies inside linear memory. */
static inline bool in_linear(uint64_t va, uint64_t len) {
  uint64_t offset = va - MEMORY_BASE;
  return va >= MEMORY_BASE && offset <= linear_memory.size && len <= linear_memory.size - offset;
}

/* shutdown.c: every way the domain ends. */
__attribute__((noreturn)) void domain_exit(int32_t status);
__attribute__((noreturn)) void crash(const char *message);

/* random.c: the random source's seed and its RANDOM_SOURCE_*. */
void random_seed(uint8_t *seed, uint32_t *source);

/* traps.c */
void traps_init(void);

/* sandbox.c: the hypercall import's allow-list. */
void sandbox_init(void);
extern bool timer_virq_bound;

#endif

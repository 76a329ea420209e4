/* Runs the boot stub's own objects as a Linux process: app.o (the module as
   cli/xen-image.ts translates and compiles it), imports.o (the barriers and
   atomics) and wasm-rt.o (the stub's wasm2c runtime), linked unchanged with
   what this file provides in place of the PV-only parts of boot/: linear
   memory at the stub's MEMORY_BASE, the console, the endings, and a main that
   calls run() instead of start(). Same command line and JSON line as
   ring_bench.c. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "stub.h"
#include "app.h"

#ifndef HOST_MEMORY_INITIAL_PAGES /* bench/ring/wasm2c.ts: env.memory's declared limits */
#error "HOST_MEMORY_INITIAL_PAGES and HOST_MEMORY_MAXIMUM_PAGES must be defined"
#endif

wasm_rt_memory_t linear_memory;
bool timer_virq_bound;
/* imports.o reaches the hypercall page only from env.block, which the ring never calls. */
char hypercall_page[4096];

void console_print(const char *s) { fputs(s, stderr); }

void crash(const char *message) {
  fprintf(stderr, "ring_bench (wasm2c): %s\n", message);
  exit(1);
}

void domain_exit(int32_t status) {
  fprintf(stderr, "ring_bench (wasm2c): env.exit(%d)\n", status);
  exit(1);
}

xen_pfn_t linear_page_frame(uint64_t offset) { return offset / PAGE_SIZE; }

wasm_rt_memory_t *Z_envZ_memory(struct Z_env_instance_t *env) { return (void)env, &linear_memory; }

/* sandbox.c's hypercall import: no hypercalls in a Linux process. */
u64 Z_envZ_hypercall(struct Z_env_instance_t *env, u32 op, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
  (void)env, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
  fprintf(stderr, "ring_bench (wasm2c): unexpected hypercall %u\n", op);
  exit(1);
}

/* pagetable.c, hosted: linear memory at the same fixed address, the range up
   to the maximum reserved and only the first `size` bytes accessible (app.c
   has no bounds checks), zeroed pages. */
void linear_memory_map(uint64_t from, uint64_t to) {
  if (mprotect(linear_memory.data + from, to - from, PROT_READ | PROT_WRITE)) crash("cannot map grown linear memory");
}

static void linear_memory_reserve(uint32_t initial_pages, uint32_t maximum_pages) {
  size_t bytes = (size_t)maximum_pages * WASM_PAGE_SIZE;
  void *at = mmap((void *)MEMORY_BASE, bytes, PROT_NONE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
  if (at != (void *)MEMORY_BASE) crash("cannot map linear memory at the stub's MEMORY_BASE");
  linear_memory.data = at;
  linear_memory.max_pages = maximum_pages;
  linear_memory.pages = initial_pages;
  linear_memory.size = (uint64_t)initial_pages * WASM_PAGE_SIZE;
  linear_memory_map(0, linear_memory.size);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: ring_bench BATCH WINDOW TOTAL\n");
    return 2;
  }
  static Z_app_instance_t ring;
  linear_memory_reserve(HOST_MEMORY_INITIAL_PAGES, HOST_MEMORY_MAXIMUM_PAGES);
  wasm_rt_init();
  Z_app_init_module();
  Z_app_instantiate(&ring, NULL);
  u32 batch = strtoul(argv[1], NULL, 0), window = strtoul(argv[2], NULL, 0), total = strtoul(argv[3], NULL, 0);
  struct timespec t0, t1, c0, c1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  u64 h = Z_appZ_run(&ring, batch, window, total);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (Z_appZ_lastFailure(&ring)) {
    fprintf(stderr, "ring_bench (wasm2c): run failed (%u)\n", Z_appZ_lastFailure(&ring));
    return 1;
  }
  long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
  long long cpu = (c1.tv_sec - c0.tv_sec) * 1000000000LL + (c1.tv_nsec - c0.tv_nsec);
  printf("{\"ns\":%lld,\"cpuNs\":%lld,\"checksum\":\"%016llx\",\"notifications\":%llu}\n", ns, cpu, (unsigned long long)h,
         (unsigned long long)Z_appZ_lastNotifications(&ring));
  return 0;
}

/* The wasm2c runtime (the wasm-rt.h interface of wabt 1.0.32), replacing the
   stock wasm-rt-impl.c, which moves memory on grow, allocates on a heap and
   traps with longjmp: here memory sits at MEMORY_BASE and grows in place,
   tables come from a static pool sized by the image builder, and a trap
   prints its kind and ends the domain. */
#include <stdarg.h>

#include "stub.h"

#ifndef MORGANA_TABLE_SLOTS /* cli/xen-image.ts: the module's table sizes, summed */
#error "MORGANA_TABLE_SLOTS must be defined"
#endif
#define MAX_FUNC_TYPES 1024
#define MAX_FUNC_TYPE_ARITY 32

uint32_t wasm_rt_call_stack_depth;
static bool initialized;

void wasm_rt_init(void) { initialized = true; }
bool wasm_rt_is_initialized(void) { return initialized; }

static const char *const trap_names[] = {
    [WASM_RT_TRAP_NONE] = "none",
    [WASM_RT_TRAP_OOB] = "out-of-bounds",
    [WASM_RT_TRAP_INT_OVERFLOW] = "integer-overflow",
    [WASM_RT_TRAP_DIV_BY_ZERO] = "divide-by-zero",
    [WASM_RT_TRAP_INVALID_CONVERSION] = "invalid-conversion",
    [WASM_RT_TRAP_UNREACHABLE] = "unreachable",
    [WASM_RT_TRAP_CALL_INDIRECT] = "call-indirect",
    [WASM_RT_TRAP_UNCAUGHT_EXCEPTION] = "uncaught-exception",
    [WASM_RT_TRAP_EXHAUSTION] = "call-stack-exhausted",
};

void wasm_rt_trap(wasm_rt_trap_t trap) {
  console_print("morgana: trap ");
  crash(trap < sizeof trap_names / sizeof *trap_names ? trap_names[trap] : "unknown");
}

void morgana_assert_fail(const char *expr) {
  console_print("morgana: assertion failed: ");
  crash(expr);
}

void abort(void) { crash("morgana: abort"); }

/* Signatures are interned: call_indirect compares their indices. */
static struct {
  uint32_t params, results;
  wasm_rt_type_t types[MAX_FUNC_TYPE_ARITY];
} func_types[MAX_FUNC_TYPES];
static uint32_t nr_func_types;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  if (params + results > MAX_FUNC_TYPE_ARITY) crash("morgana: a function type has too many parameters");
  wasm_rt_type_t types[MAX_FUNC_TYPE_ARITY];
  va_list args;
  va_start(args, results);
  for (uint32_t i = 0; i < params + results; i++) types[i] = va_arg(args, wasm_rt_type_t);
  va_end(args);
  for (uint32_t i = 0; i < nr_func_types; i++)
    if (func_types[i].params == params && func_types[i].results == results &&
        !memcmp(func_types[i].types, types, (params + results) * sizeof *types))
      return i;
  if (nr_func_types == MAX_FUNC_TYPES) crash("morgana: too many function types");
  func_types[nr_func_types].params = params;
  func_types[nr_func_types].results = results;
  memcpy(func_types[nr_func_types].types, types, (params + results) * sizeof *types);
  return nr_func_types++;
}

/* Grows in place: the frames are reserved already (pagetable.c) and mapped
   now, so accesses past the old size fault until here; new pages read as zero. */
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *memory, uint32_t delta) {
  uint32_t old = memory->pages;
  if (delta > memory->max_pages - old) return UINT32_MAX;
  linear_memory_map(memory->size, memory->size + (uint64_t)delta * WASM_PAGE_SIZE);
  memset(memory->data + memory->size, 0, (uint64_t)delta * WASM_PAGE_SIZE);
  memory->pages = old + delta;
  memory->size = memory->pages * WASM_PAGE_SIZE;
  return old;
}

static wasm_rt_funcref_t table_pool[MORGANA_TABLE_SLOTS + 1];
static uint32_t table_pool_used;

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *table, uint32_t elements, uint32_t max_elements) {
  if (elements > MORGANA_TABLE_SLOTS - table_pool_used) crash("morgana: the table pool is too small");
  table->data = table_pool + table_pool_used;
  table->size = elements;
  table->max_size = elements; /* static: tables never grow */
  table_pool_used += elements;
  (void)max_elements;
}

uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t *table, uint32_t delta, wasm_rt_funcref_t init) {
  (void)init;
  return delta == 0 ? table->size : UINT32_MAX;
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *table) { (void)table; /* static */ }

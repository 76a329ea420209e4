/* Where linear offset 0 lives: 1 GiB, L3 entries 1 to 8 of L4 slot 0, above
   Xen's initial mapping of the image at 0 (ABI memoryBase). It never moves, so
   app.c's loads and stores use it as a constant (cli/xen-image.ts); below 2 GiB,
   base plus offset fits an instruction's 32-bit displacement. */
#ifndef MORGANA_MEMORY_BASE_H
#define MORGANA_MEMORY_BASE_H
#define MEMORY_BASE (1ul << 30)
/* A wasm32 address plus its offset stays below 8 GiB past MEMORY_BASE: all of
   it is ours, mapped up to linear_memory.size, and a fault past that is the
   module's out-of-bounds access (pagetable.c, traps.c). */
#define LINEAR_GUARD_SIZE (8ul << 30)
#endif

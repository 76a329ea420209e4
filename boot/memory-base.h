/* Where linear offset 0 lives: L4 slot 1, away from the image at 0 (ABI
   memoryBase). It never moves, so app.c's loads and stores use it as a
   constant (cli/xen-image.ts). */
#ifndef MORGANA_MEMORY_BASE_H
#define MORGANA_MEMORY_BASE_H
#define MEMORY_BASE (1ul << 39)
#endif

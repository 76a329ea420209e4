/* wasm-rt.h includes <stdlib.h>; the stub has no heap, so only abort exists. */
#ifndef MORGANA_STDLIB_H
#define MORGANA_STDLIB_H
#include <stddef.h>

__attribute__((noreturn)) void abort(void);

#endif

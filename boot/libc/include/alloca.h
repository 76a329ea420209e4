/* wasm2c includes <alloca.h>; gcc's builtin is all it needs. */
#ifndef MORGANA_ALLOCA_H
#define MORGANA_ALLOCA_H

#define alloca(n) __builtin_alloca(n)

#endif

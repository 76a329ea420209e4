/* wasm-rt.h names jmp_buf in declarations only: the stub's traps never return,
   so nothing here jumps (wasm exceptions are not enabled). */
#ifndef MORGANA_SETJMP_H
#define MORGANA_SETJMP_H

typedef unsigned long jmp_buf[8];

#endif

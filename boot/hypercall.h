/* Hypercalls through the page Xen fills in (XEN_ELFNOTE_HYPERCALL_PAGE):
   `call hypercall_page + op * 32`, arguments in rdi, rsi, rdx, r10, r8. */
#ifndef MORGANA_HYPERCALL_H
#define MORGANA_HYPERCALL_H

#include <stdint.h>

extern char hypercall_page[];

static inline long hypercall(unsigned op, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                             uint64_t a5) {
  long result;
  register uint64_t r10 __asm__("r10") = a4;
  register uint64_t r8 __asm__("r8") = a5;
  /* Xen may clobber every argument register it was given, and syscall rcx/r11. */
  __asm__ volatile("call *%[entry]"
                   : "=a"(result), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                   : [entry] "r"(hypercall_page + op * 32)
                   : "rcx", "r11", "memory");
  return result;
}

#define HYPERCALL1(op, a) hypercall(op, (uint64_t)(a), 0, 0, 0, 0)
#define HYPERCALL2(op, a, b) hypercall(op, (uint64_t)(a), (uint64_t)(b), 0, 0, 0)
#define HYPERCALL3(op, a, b, c) hypercall(op, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), 0, 0)
#define HYPERCALL4(op, a, b, c, d) \
  hypercall(op, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), (uint64_t)(d), 0)

#endif

/* The barrier imports (runtime/platform.ts mb, rmb, wmb). rmb and wmb are
   inline in app.c, which cli/xen-image.ts builds with -include of this file:
   a call costs more than a compiler barrier (ring batch 1: -5%). mb stays a
   call: inline, the ring's batch 32 took 10% longer (36 ms against 33 per 4 M
   requests), a locked add on a line of its own too. imports.c has mb and the
   out-of-line copies of the others. */
#ifndef MORGANA_BARRIERS_H
#define MORGANA_BARRIERS_H

/* x86 keeps loads in order and stores in order: a compiler barrier suffices. */
static inline __attribute__((always_inline)) void compiler_barrier(void) { __asm__ volatile("" ::: "memory"); }

#ifdef MORGANA_INLINE_BARRIERS
struct Z_env_instance_t;
/* gnu_inline extern inline: a definition for inlining only, never emitted here. */
#define INLINE_IMPORT extern inline __attribute__((gnu_inline, always_inline))
INLINE_IMPORT void Z_envZ_rmb(struct Z_env_instance_t *env) { (void)env, compiler_barrier(); }
INLINE_IMPORT void Z_envZ_wmb(struct Z_env_instance_t *env) { (void)env, compiler_barrier(); }
#undef INLINE_IMPORT
#endif

#endif

/* The platform ABI's imports other than `hypercall` (runtime/platform.ts). */
#include "stub.h"
#include "app.h"
#include "barriers.h"

#include <xen/sched.h>
#include <xen/vcpu.h>

/* The bounds checks wasm2c makes for its own loads: an atomic or `frame` on
   an address outside linear memory, or misaligned, traps. */
static void *linear_address(u32 addr, u32 size) {
  if (!in_linear(MEMORY_BASE + addr, size) || addr % size) wasm_rt_trap(WASM_RT_TRAP_OOB);
  return linear_memory.data + addr;
}

void Z_envZ_block(struct Z_env_instance_t *env, u64 deadline) {
  (void)env;
  if (!timer_virq_bound) crash("morgana: trap block without VIRQ_TIMER bound (it would never wake)");
  if (deadline == 0) return;
  struct vcpu_set_singleshot_timer timer = {.timeout_abs_ns = deadline};
  HYPERCALL3(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, &timer);
  /* Unmasks events and sleeps until one is pending; the upcall that wakes
     us returns with events masked again (entry.S). */
  HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_block, 0);
}

/* A locked add below the stack pointer is a full barrier for write-back memory,
   cheaper than mfence (which also waits for earlier loads): <xenctrl.h>'s xen_mb. */
void Z_envZ_mb(struct Z_env_instance_t *env) { (void)env; __asm__ volatile("lock addl $0,-32(%%rsp)" ::: "memory", "cc"); }
void Z_envZ_rmb(struct Z_env_instance_t *env) { (void)env, compiler_barrier(); }
void Z_envZ_wmb(struct Z_env_instance_t *env) { (void)env, compiler_barrier(); }

#define ATOMICS(bits, wasm)                                                                         \
  wasm Z_envZ_xchg##bits(struct Z_env_instance_t *env, u32 addr, wasm value) {                      \
    (void)env;                                                                                      \
    return __atomic_exchange_n((uint##bits##_t *)linear_address(addr, bits / 8), value,             \
                               __ATOMIC_SEQ_CST);                                                   \
  }                                                                                                 \
  wasm Z_envZ_cmpxchg##bits(struct Z_env_instance_t *env, u32 addr, wasm expected, wasm replacement) { \
    (void)env;                                                                                      \
    uint##bits##_t old = expected;                                                                  \
    __atomic_compare_exchange_n((uint##bits##_t *)linear_address(addr, bits / 8), &old, replacement, \
                                false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                         \
    return old;                                                                                     \
  }                                                                                                 \
  wasm Z_envZ_fetch_and##bits(struct Z_env_instance_t *env, u32 addr, wasm mask) {                  \
    (void)env;                                                                                      \
    return __atomic_fetch_and((uint##bits##_t *)linear_address(addr, bits / 8), mask,               \
                              __ATOMIC_SEQ_CST);                                                    \
  }                                                                                                 \
  wasm Z_envZ_fetch_or##bits(struct Z_env_instance_t *env, u32 addr, wasm mask) {                   \
    (void)env;                                                                                      \
    return __atomic_fetch_or((uint##bits##_t *)linear_address(addr, bits / 8), mask,                \
                             __ATOMIC_SEQ_CST);                                                     \
  }
ATOMICS(16, u32)
ATOMICS(32, u32)
ATOMICS(64, u64)

u64 Z_envZ_frame(struct Z_env_instance_t *env, u32 addr) {
  (void)env;
  linear_address(addr, 1);
  return linear_page_frame(addr);
}

u64 Z_envZ_rdtsc(struct Z_env_instance_t *env) { return (void)env, __builtin_ia32_rdtsc(); }

void Z_envZ_exit(struct Z_env_instance_t *env, u32 status) { (void)env, domain_exit((int32_t)status); }

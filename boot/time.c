/* Xen system time (ns since boot) from vcpu 0's vcpu_time_info, read under
   its version counter as xen.h describes. */
#include "stub.h"

uint64_t system_time(void) {
  volatile struct vcpu_time_info *t = &shared_info->vcpu_info[0].time;
  uint32_t version;
  uint64_t result;
  do {
    version = t->version;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    uint64_t tsc = __builtin_ia32_rdtsc() - t->tsc_timestamp;
    int8_t shift = t->tsc_shift;
    tsc = shift >= 0 ? tsc << shift : tsc >> -shift;
    result = t->system_time + (uint64_t)(((unsigned __int128)tsc * t->tsc_to_system_mul) >> 32);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
  } while ((version & 1) || version != t->version);
  return result;
}

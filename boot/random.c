/* The random source's seed (runtime/core/random.ts): RANDOM_SEED_SIZE bytes
   at RANDOM_SEED_OFFSET of linear memory before the module is instantiated,
   from RDRAND where CPUID says the CPU has it, else from TSC jitter. */
#include "stub.h"

#include <cpuid.h>

#define RDRAND_RETRIES 10 /* Intel's DRNG guide: a failure 10 times in a row means a broken unit */
#define JITTER_SAMPLES 4096

static bool has_rdrand(void) {
  unsigned int eax, ebx, ecx, edx;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_RDRND);
}

static bool rdrand64(uint64_t *out) {
  for (int i = 0; i < RDRAND_RETRIES; i++) {
    unsigned char ok;
    __asm__ volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok) : : "cc");
    if (ok) return true;
  }
  return false;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* The low bits of TSC deltas around a hypercall (Xen's scheduling, caches
   and interrupts move them), folded into the words with a multiply-rotate
   mix; the guest's ChaCha20 then spreads whatever entropy they hold. */
static void tsc_jitter(uint64_t *words, size_t n) {
  uint64_t last = __builtin_ia32_rdtsc();
  for (size_t i = 0; i < JITTER_SAMPLES; i++) {
    HYPERCALL2(__HYPERVISOR_xen_version, XENVER_version, 0);
    uint64_t now = __builtin_ia32_rdtsc();
    uint64_t *w = &words[i % n];
    *w = rotl((*w ^ (now - last)) * 0x9e3779b97f4a7c15ul, 29) ^ now;
    last = now;
  }
}

void random_seed(uint8_t *seed, uint32_t *source) {
  uint64_t words[RANDOM_SEED_SIZE / 8] = {0};
  bool rdrand = has_rdrand();
  for (size_t i = 0; rdrand && i < RANDOM_SEED_SIZE / 8; i++) rdrand = rdrand64(&words[i]);
  if (!rdrand) tsc_jitter(words, RANDOM_SEED_SIZE / 8);
  memcpy(seed, words, RANDOM_SEED_SIZE);
  *source = rdrand ? RANDOM_SOURCE_RDRAND : RANDOM_SOURCE_TSC_JITTER;
  memset(words, 0, sizeof words);
}

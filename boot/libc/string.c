/* String functions with x86 string instructions: short, and gcc cannot turn
   them back into calls to themselves. */
#include <stdint.h>
#include <string.h>

void *memcpy(void *dest, const void *src, size_t n) {
  void *d = dest;
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
  return dest;
}

void *memmove(void *dest, const void *src, size_t n) {
  if ((uintptr_t)dest - (uintptr_t)src >= n) return memcpy(dest, src, n);
  /* Overlapping with dest above src: copy backwards. */
  void *d = (char *)dest + n - 1;
  const void *s = (const char *)src + n - 1;
  __asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
  return dest;
}

void *memset(void *dest, int c, size_t n) {
  void *d = dest;
  __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
  return dest;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i]) return x[i] - y[i];
  return 0;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

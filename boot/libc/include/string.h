/* The string functions the stub and wasm2c's output use (boot/libc/string.c). */
#ifndef MORGANA_STRING_H
#define MORGANA_STRING_H
#include <stddef.h>

void *memcpy(void *dest, const void *src, size_t n);
void *memmove(void *dest, const void *src, size_t n);
void *memset(void *dest, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif

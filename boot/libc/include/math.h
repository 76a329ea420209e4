/* The libm subset wasm2c 1.0.32 emits for wasm's float instructions.
   Rounding functions are in boot/libc/math.c: the qemu64 CPU has no SSE4.1
   (roundsd), so gcc cannot inline them. */
#ifndef MORGANA_MATH_H
#define MORGANA_MATH_H

#define NAN __builtin_nanf("")
#define INFINITY __builtin_inff()
#define isnan(x) __builtin_isnan(x)
#define signbit(x) __builtin_signbit(x)

static inline double fabs(double x) { return __builtin_fabs(x); }
static inline float fabsf(float x) { return __builtin_fabsf(x); }
static inline double sqrt(double x) { return __builtin_sqrt(x); }
static inline float sqrtf(float x) { return __builtin_sqrtf(x); }
static inline double copysign(double x, double y) { return __builtin_copysign(x, y); }
static inline float copysignf(float x, float y) { return __builtin_copysignf(x, y); }

double trunc(double x);
double floor(double x);
double ceil(double x);
double nearbyint(double x);
float truncf(float x);
float floorf(float x);
float ceilf(float x);
float nearbyintf(float x);

#endif

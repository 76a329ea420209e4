/* Rounding for wasm's f32/f64 ceil, floor, trunc and nearest, in the default
   rounding mode (round to nearest even, set by the stub's MXCSR). */
#include <math.h>
#include <stdint.h>
#include <string.h>

double trunc(double x) {
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  int exponent = (int)((u >> 52) & 0x7ff) - 1023;
  if (exponent >= 52) return x; /* already integral, or inf or NaN */
  if (exponent < 0)
    u &= 1ull << 63; /* |x| < 1: a zero of x's sign */
  else
    u &= ~((1ull << (52 - exponent)) - 1);
  memcpy(&x, &u, sizeof u);
  return x;
}

double floor(double x) {
  double t = trunc(x);
  return t > x ? t - 1.0 : t;
}

double ceil(double x) {
  double t = trunc(x);
  return t < x ? t + 1.0 : t;
}

double nearbyint(double x) {
  const double two52 = 4503599627370496.0;
  double a = fabs(x);
  if (!(a < two52)) return x; /* integral already, or NaN */
  /* Adding 2^52 leaves no fraction bits: the FPU rounds to nearest even. */
  volatile double r = a + two52;
  return copysign(r - two52, x);
}

/* A float widens to double exactly and each result is a float again. */
float truncf(float x) { return (float)trunc(x); }
float floorf(float x) { return (float)floor(x); }
float ceilf(float x) { return (float)ceil(x); }
float nearbyintf(float x) { return (float)nearbyint(x); }

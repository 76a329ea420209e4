/* wasm2c's output asserts that the runtime is initialised: a failure is fatal. */
#ifndef MORGANA_ASSERT_H
#define MORGANA_ASSERT_H

__attribute__((noreturn)) void morgana_assert_fail(const char *expr);
#define assert(e) ((e) ? (void)0 : morgana_assert_fail(#e))

#endif

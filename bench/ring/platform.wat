;; The barrier and atomic imports of runtime/platform.ts as wasm functions, for
;; Morgana modules run in V8: a wasm-to-wasm import call costs about as much
;; as a direct call, a call into JavaScript far more than the work it does.
;; Barriers are empty: one thread runs both ends, and V8 keeps a module's
;; memory accesses in program order across calls. The atomics are the threads
;; proposal's read-modify-writes on the guest's (unshared) memory; each traps
;; on a misaligned or out-of-range address, as a locked x86 access faults.
(module
  (import "env" "memory" (memory 0))
  (func (export "mb"))
  (func (export "rmb"))
  (func (export "wmb"))
  (func (export "xchg16") (param i32 i32) (result i32)
    (i32.atomic.rmw16.xchg_u (local.get 0) (local.get 1)))
  (func (export "xchg32") (param i32 i32) (result i32)
    (i32.atomic.rmw.xchg (local.get 0) (local.get 1)))
  (func (export "xchg64") (param i32 i64) (result i64)
    (i64.atomic.rmw.xchg (local.get 0) (local.get 1)))
  (func (export "cmpxchg16") (param i32 i32 i32) (result i32)
    (i32.atomic.rmw16.cmpxchg_u (local.get 0) (local.get 1) (local.get 2)))
  (func (export "cmpxchg32") (param i32 i32 i32) (result i32)
    (i32.atomic.rmw.cmpxchg (local.get 0) (local.get 1) (local.get 2)))
  (func (export "cmpxchg64") (param i32 i64 i64) (result i64)
    (i64.atomic.rmw.cmpxchg (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fetch_and16") (param i32 i32) (result i32)
    (i32.atomic.rmw16.and_u (local.get 0) (local.get 1)))
  (func (export "fetch_and32") (param i32 i32) (result i32)
    (i32.atomic.rmw.and (local.get 0) (local.get 1)))
  (func (export "fetch_and64") (param i32 i64) (result i64)
    (i64.atomic.rmw.and (local.get 0) (local.get 1)))
  (func (export "fetch_or16") (param i32 i32) (result i32)
    (i32.atomic.rmw16.or_u (local.get 0) (local.get 1)))
  (func (export "fetch_or32") (param i32 i32) (result i32)
    (i32.atomic.rmw.or (local.get 0) (local.get 1)))
  (func (export "fetch_or64") (param i32 i64) (result i64)
    (i64.atomic.rmw.or (local.get 0) (local.get 1)))
)

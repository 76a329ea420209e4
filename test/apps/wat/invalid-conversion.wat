;; A trap AssemblyScript cannot produce (its float-to-int conversions
;; saturate): i32.trunc_f64_s of a NaN. The asyncify exports are there only
;; because the simulator requires them; nothing blocks before the trap.
(module
  (import "env" "memory" (memory 2 65536))
  (func (export "start") (param i32 i64)
    (drop (i32.trunc_f64_s (f64.load (i32.const 0x10000)))))
  (data (i32.const 0x10000) "\00\00\00\00\00\00\f8\7f") ;; a quiet NaN
  (func (export "asyncify_start_unwind") (param i32))
  (func (export "asyncify_stop_unwind"))
  (func (export "asyncify_start_rewind") (param i32))
  (func (export "asyncify_stop_rewind"))
  (func (export "asyncify_get_state") (result i32) (i32.const 0)))

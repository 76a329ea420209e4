// The barrier imports of runtime/platform.ts (mb, rmb, wmb) as one export of a
// tiny wasm module: a guest's call into another wasm instance costs about as
// much as a direct call, into JavaScript far more (bench/README.md: a batch-1
// ring request takes 84 ns with JavaScript barriers, 61 with these). They are
// empty: one thread runs every guest and backend, and V8 keeps a module's
// memory accesses in program order across calls.

/** (module (func (export "barrier"))), assembled by hand. */
const BARRIER_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: [] -> []
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x07, 0x0b, 0x01, 0x07, 0x62, 0x61, 0x72, 0x72, 0x69, 0x65, 0x72, 0x00, 0x00, // export "barrier" = function 0
  0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // code section: no locals, end
]);

let barrier: (() => void) | undefined;

export function barrierImports(): { mb: () => void; rmb: () => void; wmb: () => void } {
  barrier ??= new WebAssembly.Instance(new WebAssembly.Module(BARRIER_MODULE)).exports.barrier as () => void;
  return { mb: barrier, rmb: barrier, wmb: barrier };
}

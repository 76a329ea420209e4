// Stopping a guest that never blocks. Guests run on Node's thread and can be
// preempted only at `block`; a slice of the simulation therefore runs inside
// node:vm, whose watchdog ends it at the wall-clock deadline (`timeout`) or on
// SIGINT (`breakOnSigint`) even in the middle of wasm code. Only when the
// slice is stopped does it change anything, so a run that finishes is
// exactly as deterministic as before.
import { createContext, Script } from "node:vm";

export type SliceEnd = "finished" | "timeout" | "interrupt";

export class Preemptor {
  private slice: () => void = () => {};
  private readonly context = createContext({ run: () => this.slice() });
  private readonly script = new Script("run()");

  /** Runs `slice` to its end, or stops it after `timeoutMs` (Infinity: never) or on SIGINT. */
  run(slice: () => void, timeoutMs: number): SliceEnd {
    this.slice = slice;
    try {
      const timeout = Number.isFinite(timeoutMs) ? Math.max(1, Math.ceil(timeoutMs)) : undefined;
      this.script.runInContext(this.context, { breakOnSigint: true, ...(timeout ? { timeout } : {}) });
      return "finished";
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "ERR_SCRIPT_EXECUTION_TIMEOUT") return "timeout";
      if (code === "ERR_SCRIPT_EXECUTION_INTERRUPTED") return "interrupt";
      throw err;
    }
  }
}

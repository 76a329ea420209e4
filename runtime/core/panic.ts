// The last resort: say where, then end the domain with a failure status.
// Nothing here may block: every assertion and bounds check can lead here.
import { exit } from "../platform";
import { emergencyWrite } from "./console";

// The globals of the abort path are @lazy: asc compiles abort before these files' top levels.
/** The status a panic ends the domain with (apps' own statuses stay distinct). */
// @ts-ignore: decorator
@lazy export const PANIC_STATUS: i32 = 255;

// @ts-ignore: decorator
@lazy let panicking: bool = false;

export function panic(message: string): void {
  if (panicking) exit(PANIC_STATUS); // a panic while panicking: say nothing more
  panicking = true;
  // No draining through the scheduler here: a panic must never reach `block` (see emergencyWrite).
  emergencyWrite(`morgana: panic: ${message}\nmorgana: exit ${PANIC_STATUS}\n`);
  exit(PANIC_STATUS);
}

/** AssemblyScript's abort (asc --use abort=...): failed assertions and runtime errors. */
export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const what = message ? message : "abort";
  panic(fileName ? `${what} at ${fileName}:${line}:${column}` : what);
}

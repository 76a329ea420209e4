import { exit } from "../platform";

/** AssemblyScript's abort (asc --use abort=...): a failed assertion or a runtime error. */
export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  exit(1);
}

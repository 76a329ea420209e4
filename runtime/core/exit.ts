// Ending the domain: one status line every platform printBoundeds the same way, then
// the console drained (bounded), then the platform's exit.
import { exit } from "../platform";
import { drainConsole, printBounded } from "./console";

/** Prints `morgana: exit N` (the line hosts and tests read), drains, ends the domain. */
export function terminate(status: i32): void {
  printBounded(`morgana: exit ${status}\n`);
  drainConsole();
  exit(status);
}

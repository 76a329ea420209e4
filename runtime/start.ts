import { exit } from "./platform";
import "./core/panic";

export function boot(startInfo: usize, memoryBase: u64): void {}

export function finish(status: i32): void {
  exit(status);
}

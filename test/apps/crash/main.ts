// Ways for a unikernel to end badly, chosen by the command line.
import { cmdlineArg, panic, println } from "morgana/runtime";

export function main(): i32 {
  const how = cmdlineArg("crash");
  println(`crash=${how ? how : "none"}`);
  if (how == "oob") return load<i32>(0xfffffff0);
  if (how == "unreachable") unreachable();
  if (how == "assert") assert(how == "never", "a broken invariant");
  if (how == "panic") panic("the app gave up");
  if (how == "divide") return 1 / (how.length - 6);
  const status = cmdlineArg("status");
  return status ? I32.parseInt(status) : 0;
}

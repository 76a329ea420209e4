// Ways for a unikernel to end badly, chosen by the command line.
import { cmdlineArg, panic, println } from "morgana/runtime";

/** Never returns: each call needs a frame of its own (the addition keeps it from becoming a loop). */
function deeper(n: i32): i32 {
  return n < 0 ? n : deeper(n + 1) + 1;
}

/** Table entries of two types: a call of the wrong one is a mismatch the optimiser cannot rule out. */
function takesNothing(): void {}
function takesOne(x: i32): i32 {
  return x;
}
let nothingRef: () => void = takesNothing;
let oneRef: (x: i32) => i32 = takesOne;

export function main(): i32 {
  const how = cmdlineArg("crash");
  println(`crash=${how ? how : "none"}`);
  if (how == "oob") return load<i32>(0xfffffff0);
  if (how == "unreachable") unreachable();
  if (how == "assert") assert(how == "never", "a broken invariant");
  if (how == "panic") panic("the app gave up");
  if (how == "divide") return 1 / (how.length - 6);
  if (how == "overflow") return i32.MIN_VALUE / (how.length - 9); // -1: the quotient does not fit
  if (how == "indirect") {
    const wrong = how.length == 8 ? changetype<usize>(nothingRef) : changetype<usize>(oneRef);
    return call_indirect<i32>(load<u32>(wrong), 1); // a Function object's first field is its table index
  }
  if (how == "recurse") return deeper(how.length - 7);
  const status = cmdlineArg("status");
  return status ? I32.parseInt(status) : 0;
}

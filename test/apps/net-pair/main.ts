// Two network stacks in one unikernel, back to back on an in-memory cable.
import { println } from "morgana/runtime";
import { Scenario } from "./scenario";

export function main(): i32 {
  const scenario = new Scenario();
  const ok = scenario.run();
  for (let i = 0; i < scenario.log.length; i++) println(scenario.log[i]);
  println(ok ? "net-pair: all checks passed" : "net-pair: FAILED");
  return ok ? 0 : 1;
}

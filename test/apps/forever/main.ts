// Never ends: on virtual time it races ahead until the wall-clock --timeout.
import { sleep, NS_PER_SEC } from "morgana/runtime";

export function main(): i32 {
  while (true) sleep(NS_PER_SEC);
  return 0;
}

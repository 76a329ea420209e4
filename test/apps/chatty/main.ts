// Far more output than the 2 KiB console ring holds, as fast as it can go.
import { println } from "morgana/runtime";

export function main(): i32 {
  for (let i = 0; i < 5000; i++) println(`line ${i} ${"-".repeat(i % 70)}|`);
  return 0;
}

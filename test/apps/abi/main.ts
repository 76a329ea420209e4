// Reaches every import of the platform ABI (asc drops the unused ones), so
// that test/abi.test.ts can snapshot the whole contract.
import { cmdlineArg } from "morgana/runtime";
import * as platform from "morgana/runtime/platform";

export function main(): i32 {
  if (cmdlineArg("touch-every-import") == null) return 0;
  const a: usize = 0x20000;
  platform.hypercall(0, 0, 0, 0, 0, 0);
  platform.block(0);
  platform.mb();
  platform.rmb();
  platform.wmb();
  platform.xchg16(a, 0);
  platform.xchg32(a, 0);
  platform.xchg64(a, 0);
  platform.cmpxchg16(a, 0, 0);
  platform.cmpxchg32(a, 0, 0);
  platform.cmpxchg64(a, 0, 0);
  platform.fetch_and16(a, 0);
  platform.fetch_and32(a, 0);
  platform.fetch_and64(a, 0);
  platform.fetch_or16(a, 0);
  platform.fetch_or32(a, 0);
  platform.fetch_or64(a, 0);
  platform.frame(a);
  platform.rdtsc();
  platform.exit(0);
  return 0;
}

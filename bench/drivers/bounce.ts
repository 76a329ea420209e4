// What blkfront's bounce buffers cost (issue 12): against a blkback without
// persistent grants, reads go through driver-owned pages and are copied out
// (the default), or, with Blkfront.trusted, straight into the caller's pages
// granted writable. Both on the simulator; writes (zero-copy, read-only
// grants, in both) show the noise:
//   tsx bench/drivers/bounce.ts [ops]
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BLOCK_WORKLOADS, blockRun } from "./block.ts";

const ops = Number(process.argv[2] ?? 20_000);
const out = mkdtempSync(join(tmpdir(), "morgana-bounce-"));
const RUNS = 3;

/** Operations per second of each workload, the best of RUNS runs; the two variants alternate (same warm-up, same drift). */
async function rates(): Promise<Map<string, number>[]> {
  await blockRun(Math.max(32, ops >> 3), out, false, { persistent: false });
  const best = [new Map<string, number>(), new Map<string, number>()];
  for (let i = 0; i < RUNS; i++) {
    for (const trusted of [false, true]) {
      for (const s of (await blockRun(ops, out, false, { persistent: false, trusted })).spans) {
        const r = best[trusted ? 1 : 0];
        r.set(s.name, Math.max(r.get(s.name) ?? 0, s.ops / (s.wallNs / 1e9)));
      }
    }
  }
  return best;
}

const [bounced, direct] = await rates();
console.log(`blkfront reads, backend without persistent grants, ${ops} requests per workload, best of ${RUNS}`);
console.log("workload            zero-copy (trusted)   bounced (default)   bounced / zero-copy");
for (const [name] of BLOCK_WORKLOADS) {
  const z = direct.get(name)!;
  const b = bounced.get(name)!;
  console.log(`${name.padEnd(20)}${`${Math.round(z)} ops/s`.padStart(19)}${`${Math.round(b)} ops/s`.padStart(20)}${(b / z).toFixed(2).padStart(22)}`);
}

// The guest's console (runtime/core/console.ts) against a backend that stops
// reading at random times for random lengths: the guest must never hang, and
// what reached the backend plus what the guest counted as dropped must be
// exactly what it printed.
import { Simulator } from "../../sim/index.ts";
import { Prng } from "../../sim/prng.ts";
import { type SessionResult, type Target, guest, judge, runSim } from "../campaign.ts";

const APP = "fuzz/apps/console";
const MS = 1_000_000n;

export const consoleTarget: Target = {
  name: "console",
  what: "runtime/core/console.ts against a console backend that stalls",
  prepare: () => guest(APP),
  async session(seed, smoke) {
    const rng = new Prng(seed);
    const sim = new Simulator({ seed });
    const lines = smoke ? 200 : 3000;
    const d = sim.createDomain({ name: "console-fuzz", wasm: await guest(APP), cmdline: `fuzz seed=${seed} lines=${lines}` });
    const backend = sim.consoleBackend(d.domid)!;
    // Stalls (some past the guest's one-second bound) while it prints; all end by 2.5 s, the guest reports 3 s after printing.
    let stalls = 0;
    for (let t = BigInt(rng.int(50)) * MS; t < 600n * MS; t += BigInt(1 + rng.int(300)) * MS) {
      const end = t + BigInt(1 + rng.int(2000)) * MS;
      sim.at(t, () => (backend.stalled = true));
      sim.at(end < 2500n * MS ? end : 2500n * MS, () => backend.resume());
      stalls++;
    }
    const err = await runSim(sim, 60_000);
    const result: SessionResult = { counts: { responses: lines, hostile: stalls }, failures: [], extra: { stalls } };
    judge(d, err, result);
    const m = /printed: (\d+), dropped: (\d+)\n/.exec(d.console);
    if (!m) {
      if (!result.failures.length) result.failures.push({ kind: "hang", detail: "no report line" });
      return result;
    }
    const delivered = new TextEncoder().encode(d.console.slice(0, m.index)).length;
    const [printed, dropped] = [Number(m[1]), Number(m[2])];
    Object.assign(result.extra!, { printed, dropped, delivered });
    if (delivered + dropped !== printed || /[^0-9x \n]/.test(d.console.slice(0, m.index))) {
      result.counts.wrongData = 1;
      result.failures.push({ kind: "wrong data", detail: `printed ${printed}, delivered ${delivered}, dropped ${dropped}` });
    }
    return result;
  },
};

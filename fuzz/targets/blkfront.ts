// blkfront (drivers/blkfront) against a hostile blkback: the backend's own
// fault switches drawn at random (fuzz/adapters/backends.ts) and its responses
// rewritten at random in the ring (fuzz/adapters/ring-corrupt.ts), under
// test/apps/blk-harness's random reads, writes, flushes, discards and batches,
// checked against its model of the disk and, at the final flush, the image file.
import type { Simulator } from "../../sim/index.ts";
import { Prng } from "../../sim/prng.ts";
import { counter, differingChunks, makeImage, runDisk } from "../../test/blk-run.ts";
import { appWasm } from "../../test/helpers/apps.ts";
import { BLKIF_KINDS, BLKIF_RING, blkFaultResponses, chooser, drawBlkFaults, isUndetectable } from "../adapters/backends.ts";
import { RingCorrupter } from "../adapters/ring-corrupt.ts";
import { type SessionResult, type Target, chance } from "../campaign.ts";

const APP = "test/apps/blk-harness";

export const blkfront: Target = {
  name: "blkfront",
  what: "drivers/blkfront against blkback's fault switches and random response corruption",
  prepare: () => appWasm(APP),
  lanes: 4,
  async session(seed, smoke) {
    const rng = new Prng(seed);
    const lies = chance(rng, 0.25);
    const drawn = drawBlkFaults(rng, lies);
    const dup = drawn.undetectable;
    // Blkback reads its faults object as it goes: it starts empty, so the harness's set-up (its first read) goes through.
    const faults = {};
    // Most responses hostile; a change that stops the device (a bad id) only now and then: it ends the session.
    const p = 0.4 + rng.random() * 0.5;
    const choose = chooser(rng, new Map([[BLKIF_RING, BLKIF_KINDS]]), chance(rng, 0.3) ? 0.002 : 0, lies);
    let corrupter: RingCorrupter | undefined;
    const result: SessionResult = { counts: {}, failures: [], extra: {} };
    const extra = result.extra!;
    const path = makeImage(1 << 20, seed);
    let run;
    try {
      run = await runDisk({
        app: APP, path, seed, faults, cmdline: `seed=${seed} ops=${smoke ? 40 : 3000} maxkib=64`,
        before: (backend, xs) => {
          // runDisk keeps its Simulator to itself; the backend holds it (a port point for the lead).
          const sim = (backend as unknown as { sim: Simulator }).sim;
          corrupter = new RingCorrupter(sim, xs.store, backend.domain, backend.front, [BLKIF_RING], rng, p, choose);
          corrupter.armAfter = 8;
          corrupter.onArmed = () => Object.assign(faults, drawn.faults);
        },
      });
    } catch (err) {
      const message = (err as Error).message;
      const kind = /"kind":"trap"/.test(message) ? "trap" : /panic/.test(message) ? "panic" : /timed out|blocked forever/.test(message) ? "hang" : "host crash";
      result.failures.push({ kind, detail: message.split("\n").slice(0, 3).join(" | ") });
      result.counts[({ trap: "traps", panic: "panics", hang: "hangs", "host crash": "hostCrashes" } as const)[kind]] = 1;
      return result;
    } finally {
      if (corrupter) {
        result.counts.responses = corrupter.responses;
        result.counts.hostile = corrupter.hostile;
        for (const [k, v] of Object.entries(corrupter.kinds)) extra[k] = v;
      }
    }
    result.counts.hostile! += blkFaultResponses(faults, run.backend.stats.responses - 8);
    result.counts.memoryHighWater = run.domain.memory.buffer.byteLength;
    const mismatches = counter(run.console, "mismatches");
    // Acknowledged writes missing from the file when the final flush was acknowledged.
    const lost = run.atFlush ? differingChunks(run.console, run.atFlush).length : 0;
    Object.assign(extra, { failures: counter(run.console, "failures"), badIds: counter(run.console, "badIds"), lostChunks: lost, lostDevice: /\blost$/m.test(run.console) ? 1 : 0 });
    if (lies || dup) {
      result.counts.undetectable = Object.entries(corrupter?.kinds ?? {}).reduce((n, [k, v]) => n + (isUndetectable(k) ? v : 0), 0);
      result.counts.undetectableWrongData = mismatches + lost;
    } else if (mismatches + lost) {
      result.counts.wrongData = mismatches + lost;
      // issue 12, defect 9: after a refused flush, flush() succeeds without flushing.
      const refused = (corrupter?.kinds.refuse ?? 0) > 0 || drawn.faults.refuseFlushes ? " after a refused flush" : "";
      if (refused) extra.lostAfterRefusedFlush = lost;
      result.failures.push({ kind: "wrong data", detail: `${mismatches} sectors read wrong, ${lost} chunks lost at the final flush${refused}` });
    }
    return result;
  },
};

// The fuzz campaign in the test suite (issue 12): a few smoke sessions of every
// target, and the sessions that once found a defect, replayed, so each stays fixed.
import { describe, expect, it } from "vitest";
import { campaign, type CampaignOptions } from "../fuzz/campaign.ts";
import { TARGETS } from "../fuzz/targets/index.ts";

// A fixed number of sessions, not a time budget, so every machine runs the same ones.
const SMOKE: CampaignOptions = { seed: 7, seconds: 120, minHostile: 0, maxSeconds: 120, maxSessions: 12, smoke: true };

/** Sessions that found a defect: target, session seed, what it found. */
const REGRESSIONS: [string, number, string][] = [
  ["netfront", 2513301541, "tx responses with ids never sent leaked their requests' slots until the guest could not transmit"],
  ["blkfront", 3563354440, "flush() succeeded without flushing once a flush was refused"],
];

const target = (name: string) => TARGETS.find((t) => t.name === name)!;

describe("the fuzz campaign, smoke sessions", () => {
  for (const t of TARGETS) {
    it(`${t.name}: no trap, panic, hang, host crash or wrong data`, async () => {
      const s = await campaign(t, SMOKE);
      expect(s.counts.sessions).toBeGreaterThan(0);
      expect(s.counts.responses).toBeGreaterThan(0);
      expect(s.failures).toEqual([]);
    }, 180_000);
  }
});

describe("the fuzz campaign, sessions that once found a defect", () => {
  for (const [name, seed, what] of REGRESSIONS) {
    it(`${name} --session ${seed}: ${what}`, async () => {
      const s = await campaign(target(name), { ...SMOKE, smoke: false, only: seed });
      expect(s.counts.sessions).toBe(1);
      expect(s.counts.hostile).toBeGreaterThan(0);
      expect(s.failures).toEqual([]);
    }, 300_000);
  }
});

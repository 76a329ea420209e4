// The random source on the simulator (test/apps/random): ChaCha20 against
// RFC 8439's test vectors, seeded from the run's seed, per domain, erased
// from the host area once taken; Math.random on top of it.
import { describe, expect, it } from "vitest";
import { Simulator } from "../sim/index.ts";
import { RANDOM_SEED_OFFSET, RANDOM_SEED_SIZE } from "../sim/abi.ts";
import { appWasm, runApp } from "./helpers/apps.ts";

const APP = "test/apps/random";
const numbers = (console: string) => console.split("\n").filter((l) => /^u(64|32) /.test(l)).join(" | ");

describe("the random source on the simulator", () => {
  it("is ChaCha20: an all-zero seed gives RFC 8439 A.1's keystream after the 32-byte rekey", async () => {
    const sim = new Simulator();
    const d = sim.createDomain({ name: "random", wasm: await appWasm(APP) });
    d.mem.bytes.fill(0, RANDOM_SEED_OFFSET, RANDOM_SEED_OFFSET + RANDOM_SEED_SIZE);
    await sim.run({ timeoutMs: 20_000 });
    // Test vector #1 (key 0, counter 0), bytes 32..51, read little-endian.
    expect(numbers(d.console)).toBe("u64 8d4857517c5941da 374ad8b83fe02477 | u32 f4b8436a");
    expect(d.result).toEqual({ kind: "exit", status: 0 });
  });

  it("follows --seed: the same seed replays the numbers, another changes them", async () => {
    const a = await runApp(APP, { seed: 7 });
    const b = await runApp(APP, { seed: 7 });
    const c = await runApp(APP, { seed: 8 });
    expect(a.console).toContain("random source: simulator-seed\n");
    expect(numbers(a.console)).toMatch(/^u64 [0-9a-f]+ [0-9a-f]+ \| u32 [0-9a-f]+$/);
    expect(numbers(b.console)).toBe(numbers(a.console));
    expect(numbers(c.console)).not.toBe(numbers(a.console));
  });

  it("gives each domain its own stream and erases the seed from the host area once taken", async () => {
    const sim = new Simulator({ seed: 3 });
    const wasm = await appWasm(APP);
    const d1 = sim.createDomain({ name: "one", wasm });
    const d2 = sim.createDomain({ name: "two", wasm });
    expect(d1.mem.bytes.subarray(RANDOM_SEED_OFFSET, RANDOM_SEED_OFFSET + RANDOM_SEED_SIZE).some((b) => b !== 0)).toBe(true);
    await sim.run({ timeoutMs: 20_000 });
    expect(numbers(d1.console)).not.toBe(numbers(d2.console));
    for (const d of [d1, d2]) {
      expect([...d.mem.bytes.subarray(RANDOM_SEED_OFFSET, RANDOM_SEED_OFFSET + RANDOM_SEED_SIZE)]).toEqual(new Array(RANDOM_SEED_SIZE).fill(0));
    }
  });

  it("fills a buffer exactly, with bytes spread evenly, and Math.random works", async () => {
    const r = await runApp(APP, { seed: 11 });
    const fill = /fill 4094 bytes: edges untouched (\w+), most common byte (\d+) times/.exec(r.console);
    expect(fill?.[1]).toBe("true");
    // 4094 bytes over 256 values: 16 expected; above 40 is far beyond chance.
    expect(Number(fill?.[2])).toBeLessThan(40);
    expect(r.console).toMatch(/Math\.random 0\.\d+ in \[0, 1\): true\n/);
    expect(r.result).toEqual({ kind: "exit", status: 0 });
  });
});

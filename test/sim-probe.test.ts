// test/fixtures/abi-probe.wat on the simulator, as dom0 like on real Xen:
// every case must print what test/fixtures/abi-probe-cases.ts says, the
// table test/xen/dom0.test.ts asserts on Xen.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { asyncify, REPO } from "../cli/build.ts";
import { Simulator } from "../sim/index.ts";
import { PROBE_CASES } from "./fixtures/abi-probe-cases.ts";
import { watToWasm } from "./fixtures/wat.ts";

let wasm: Uint8Array;
beforeAll(async () => {
  // Asyncify, as cli/build.ts gives every unikernel: the simulator unwinds the probe at `block`.
  const file = "test/fixtures/abi-probe.wat";
  wasm = asyncify(await watToWasm(file, readFileSync(join(REPO, file), "utf8")));
});

describe("the ABI probe as dom0 on the simulator (test/fixtures/abi-probe.wat)", () => {
  for (const c of PROBE_CASES) {
    it(`case ${c.letter}: ${c.what}`, async () => {
      const sim = new Simulator();
      const d = sim.createDomain({ name: "probe", wasm, dom0: true, cmdline: `qemu-exit case=${c.letter}` });
      await sim.run({ timeoutMs: 20_000 });
      expect(d.console.split("\n").filter(Boolean)).toEqual(c.console);
      expect(d.result?.kind === "exit" ? d.result.status : null).toBe(c.status);
    });
  }
});

// blkfront against backends that hold on to what the guest gave them (issue
// 12): a backend writes only the bytes of a read's buffer, and only while the
// read is in flight; reconnecting with a multi-page ring takes no memory.
import { describe, expect, it } from "vitest";
import { makeImage, runDisk } from "./blk-run.ts";

const APP = "test/apps/blk-hostile";

describe("blkfront and a backend that holds its grants", () => {
  for (const persistent of [false, true]) {
    it(`never lets it write outside a read's bytes, nor after the read (persistent ${persistent})`, async () => {
      const run = await runDisk({
        app: APP, path: makeImage(1 << 20, 3), cmdline: "case=scribble",
        features: { persistent, maxIndirectSegments: 0 }, faults: { scribble: true, errorEvery: 2 },
      });
      expect(run.lines.slice(0, 2)).toEqual([
        "good read 0: 0 bytes changed around the buffer",
        "failed read -5: 0 bytes changed in its page",
      ]);
    });
  }

  it("reconnects a 16-page ring 60 times without taking more memory", async () => {
    const run = await runDisk({ app: APP, path: makeImage(1 << 20, 4), cmdline: "case=cycles cycles=60" });
    expect(run.domain.result).toEqual({ kind: "exit", status: 0 });
    expect(run.lines[0]).toBe("ring pages 16, connections 61");
    const [, two, all] = /^pages after 2 cycles (\d+), after 60 (\d+)$/.exec(run.lines[1])!;
    expect(all).toBe(two);
  });
});

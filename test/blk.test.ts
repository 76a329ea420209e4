// examples/block on the simulator against the simulated blkback, on image files
// with 512-byte and 4 KiB logical sectors and a read-only one: the SHA-256 it
// prints is the file's as Node reads it. attachDisk's one-line errors. No heap
// allocation is reachable from blkfront's request paths, and no Asyncify state
// from queuing and completing.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import binaryen from "binaryen";
import { describe, expect, it } from "vitest";
import { Simulator } from "../sim/index.ts";
import { attachDisk } from "../sim/backends/blkback.ts";
import { plugXenstore } from "../sim/xenstore/plug.ts";
import { makeImage, runDisk, sha256 } from "./blk-run.ts";
import { appWasm } from "./helpers/apps.ts";

const SIZE = 4 << 20;
const PATTERN = 256 * 1024;

function pattern(): Uint8Array {
  const p = new Uint8Array(PATTERN);
  for (let i = 0; i < PATTERN; i++) p[i] = ((i * 7) ^ (i >> 9)) & 0xff;
  return p;
}

describe("examples/block", () => {
  for (const sectorSize of [512, 4096]) {
    it(`writes, reads back, flushes and hashes a disk of ${sectorSize}-byte sectors`, async () => {
      const path = makeImage(SIZE, sectorSize);
      const run = await runDisk({ app: "examples/block", path, sectorSize, physicalSectorSize: 4096 });
      expect(run.domain.result).toEqual({ kind: "exit", status: 0 });
      expect(run.lines.slice(0, 4)).toEqual([
        `disk 51712: 8192 sectors, 4096 KiB, sector size ${sectorSize}, physical 4096, read-write`,
        "features: flush yes, discard yes (granularity 4096), persistent yes, segments 128, ring pages 16",
        "pattern: 256 KiB written and read back: OK",
        "flush: OK",
      ]);
      expect(run.file.subarray(0, PATTERN)).toEqual(pattern());
      expect(run.lines[4]).toBe(`sha256: ${sha256(run.file)}`);
      expect(run.backend.stats.fsyncs).toBe(1);
    });
  }

  it("hashes a read-only disk without writing to it", async () => {
    const path = makeImage(1 << 20, 9);
    const before = sha256(readFileSync(path));
    const run = await runDisk({ app: "examples/block", path, readOnly: true, removable: true, features: { persistent: false, maxIndirectSegments: 0, maxRingPageOrder: 0 } });
    expect(run.lines).toEqual([
      "disk 51712: 2048 sectors, 1024 KiB, sector size 512, physical 512, read-only, removable",
      "features: flush yes, discard no, persistent no, segments 11, ring pages 1",
      `sha256: ${before}`,
      "morgana: exit 0",
    ]);
    expect(sha256(run.file)).toBe(before);
    expect(run.backend.stats.writes).toBe(0);
  });
});

describe("attachDisk", () => {
  const dir = mkdtempSync(join(tmpdir(), "morgana-blk-attach-"));
  // A domain that never runs: attachDisk only needs its id.
  const attach = async (opts: Parameters<typeof attachDisk>[3]) => {
    const sim = new Simulator();
    const xs = plugXenstore(sim);
    const domain = sim.createDomain({ name: "d", wasm: await appWasm("examples/block") });
    return attachDisk(sim, xs, domain, opts);
  };
  const oneLine = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      const message = (err as Error).message;
      expect(message).not.toContain("\n");
      return message;
    }
    throw new Error("expected an error");
  };

  it("says in one line when the image is missing, a directory, badly sized or unreadable", async () => {
    const missing = join(dir, "missing.img");
    expect(await oneLine(() => attach({ path: missing }))).toBe(`disk ${missing}: no such file (give a size to create it)`);
    expect(existsSync(missing)).toBe(false);
    mkdirSync(join(dir, "adir"));
    expect(await oneLine(() => attach({ path: join(dir, "adir") }))).toBe(`disk ${join(dir, "adir")}: not a regular file`);
    const odd = join(dir, "odd.img");
    writeFileSync(odd, new Uint8Array(1000));
    expect(await oneLine(() => attach({ path: odd }))).toBe(`disk ${odd}: size 1000 is not a positive multiple of the 512-byte sector`);
    expect(await oneLine(() => attach({ path: join(dir, "new.img"), sizeBytes: 4000, sectorSize: 4096 })))
      .toBe(`disk ${join(dir, "new.img")}: size 4000 must be a positive multiple of the 4096-byte sector`);
    expect(await oneLine(() => attach({ path: odd, sectorSize: 1024 }))).toBe(`disk ${odd}: sector size must be 512 or 4096, not 1024`);
    // Write-only (0200) for everyone: procfs refuses to read it even to root, so this runs as any user.
    const locked = "/proc/sys/vm/drop_caches";
    expect(await oneLine(() => attach({ path: locked, readOnly: true }))).toBe(`disk ${locked}: permission denied`);
  });

  it("creates an absent image of the given size", async () => {
    const path = join(dir, "created.img");
    const backend = await attach({ path, sizeBytes: 1 << 20 });
    expect(statSync(path).size).toBe(1 << 20);
    expect(backend.stop()).toBe(0);
  });
});

describe("blkfront's hot paths", () => {
  it("reach no heap allocation, and submitting and completing carry no Asyncify state", async () => {
    const mod = binaryen.readBinary(await appWasm("examples/block"));
    const text = mod.emitText();
    mod.dispose();
    const bodies = new Map<string, string>();
    const calls = new Map<string, Set<string>>();
    for (const body of text.split("\n (func ").slice(1)) {
      const name = /^\$(\S+)/.exec(body)![1];
      bodies.set(name, body);
      calls.set(name, new Set([...body.matchAll(/\(call \$(\S+)/g)].map((m) => m[1])));
    }
    const stateFn = /\(export "asyncify_get_state" \(func \$(\S+)\)\)/.exec(text)![1];
    const stateGlobal = /global\.get (\S+)\)/.exec(bodies.get(stateFn)!)![1];
    // Direct calls from `roots`, a panic's path left out (its message may allocate), and the scheduler's
    // timer heap and task queue (Frontend#reset, after a timeout or a leak: they grow only to the most ever pending).
    const reach = (roots: string[]) => {
      const reached = new Map<string, string>();
      const todo = roots.map((r) => [r, r]);
      while (todo.length) {
        const [f, from] = todo.pop()!;
        if (reached.has(f)) continue;
        reached.set(f, from);
        for (const c of calls.get(f) ?? []) if (!/runtime\/core\/panic\/|\/core\/sched\/(armTimer|cancelTimer|defer)$|\/core\/frontend\/Frontend<.+>#reset$/.test(c)) todo.push([c, f]);
      }
      return reached;
    };
    const named = (re: RegExp) => [...calls.keys()].filter((n) => re.test(n));
    const all = reach(named(/blkfront\/Blkfront#(submit|processResponses|blocking|drain)$/));
    expect(all.size).toBeGreaterThan(4);
    const allocating = [...all].filter(([f]) => /^~lib\/rt\/(itcms\/__new|itcms\/__renew|tlsf\/)/.test(f));
    expect(allocating.map(([f, from]) => `${f} <- ${from}`)).toEqual([]);
    // Only waiting (blocking, drain) may unwind; queuing and completing never reach `block`.
    const nonBlocking = named(/blkfront\/Blkfront#(submit|processResponses)$/);
    expect(nonBlocking).toHaveLength(2);
    const instrumented = (roots: string[]) => [...reach(roots).keys()].filter((f) => bodies.get(f)?.includes(`global.get ${stateGlobal}`));
    expect(instrumented(nonBlocking)).toEqual([]);
    expect(instrumented(named(/blkfront\/Blkfront#blocking$/))).toContain(named(/blkfront\/Blkfront#blocking$/)[0]);
  });
});

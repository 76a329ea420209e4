// The `morgana` command as a user runs it: the bundled dist/morgana.mjs in a
// child process, its stdout, stderr and exit status.
import { beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const repo = join(import.meta.dirname, "..");
const exec = promisify(execFile);

async function morgana(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec("node", [join(repo, "dist", "morgana.mjs"), ...args], { cwd: repo, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** One line, starting with "morgana:", and nothing that looks like a stack trace. */
function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n").filter((l) => !l.startsWith("morgana: building"));
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

const tmp = mkdtempSync(join(tmpdir(), "morgana-cli-"));

beforeAll(async () => {
  await exec("node", [join(repo, "scripts", "bundle.js")]);
});

describe("morgana run", () => {
  it("runs hello on the simulator and exits with its status", async () => {
    const r = await morgana("run", "examples/hello");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "Hello from Morgana\ntick 1: system time 1.000000000 s\ntick 2: system time 2.000000000 s\ntick 3: system time 3.000000000 s\n",
    );
  });

  it("passes the command line and returns main's status", async () => {
    const r = await morgana("run", "test/apps/crash", "--cmdline", "status=7");
    expect(r.code).toBe(7);
    expect(r.stdout).toBe("crash=none\n");
  });

  it("reports a trap in one line and exits 255", async () => {
    const r = await morgana("run", "test/apps/crash", "--cmdline", "crash=oob");
    expect(r.code).toBe(255);
    expectOneLineError(r.stderr, /^morgana: trap: out-of-bounds \(memory access out of bounds\) in /);
    expect(r.stdout).toBe("crash=oob\nmorgana: trap out-of-bounds\n");
  });

  it("repeats a run from its --seed: the same console twice for --seed 7, another for --seed 8", async () => {
    // test/apps/seeded-disk prints when each read completed: blkback draws those latencies from the seed.
    const run = (seed: string, n: number) =>
      morgana("run", "test/apps/seeded-disk", "--disk", join(tmp, `seed-${n}.img`), "--disk-size", "1M", "--seed", seed);
    const [a, b, c] = [await run("7", 1), await run("7", 2), await run("8", 3)];
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^(read \d: done at \+\d+ ns\n){8}$/);
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).not.toBe(a.stdout);
  }, 180_000);

  it("stops a unikernel that never ends at the wall-clock timeout with 124", async () => {
    const r = await morgana("run", "test/apps/forever", "--timeout", "1");
    expect(r.code).toBe(124);
    expectOneLineError(r.stderr, /^morgana: timeout after 1 s/);
  });

  it("builds an app outside the repository that imports morgana/runtime", async () => {
    const app = join(tmp, "outside");
    mkdirSync(app);
    writeFileSync(join(app, "main.ts"), 'import { println } from "morgana/runtime";\nexport function main(): i32 { println("outside"); return 3; }\n');
    const r = await morgana("run", app);
    expect(r.stdout).toBe("outside\n");
    expect(r.code).toBe(3);
  });
});

describe("morgana errors", () => {
  it("rejects bad arguments with the usage and 2", async () => {
    for (const args of [[], ["fly"], ["run"], ["run", "examples/hello", "--seed", "x"], ["run", "examples/hello", "--bogus", "1"]]) {
      const r = await morgana(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^morgana: .+\nusage: morgana build/);
    }
  });

  it("names a missing app folder, and a folder without main.ts", async () => {
    expectOneLineError((await morgana("run", "no/such/app")).stderr, /^morgana: no\/such\/app: no such app folder$/);
    const empty = join(tmp, "empty");
    mkdirSync(empty);
    const r = await morgana("build", empty);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /no main\.ts in that folder$/);
  });

  it("gives a compile error as one line with its place", async () => {
    const app = join(tmp, "broken");
    mkdirSync(app);
    writeFileSync(join(app, "main.ts"), "export function main(): i32 {\n  return nothing;\n}\n");
    const r = await morgana("build", app);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /^morgana: ERROR TS\d+: Cannot find name 'nothing'\. \(.*broken\/main\.ts\(2,10\)\)$/);
  });
});

// A unikernel that never blocks (test/apps/spin) still ends on the
// simulator: the wall-clock --timeout with status 124, Ctrl-C with 130
// (README), through the bundled CLI a user runs.
import { beforeAll, describe, expect, it } from "vitest";
import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { Simulator } from "../sim/index.ts";
import { appWasm } from "./helpers/apps.ts";

const repo = join(import.meta.dirname, "..");
const exec = promisify(execFile);
const CLI = join(repo, "dist", "morgana.mjs");

beforeAll(async () => {
  await exec("node", [join(repo, "scripts", "bundle.js")]);
  await exec("node", [CLI, "build", "test/apps/spin"], { cwd: repo }); // the runs below then start at once
}, 120_000);

/** Runs the CLI; `onLine` may act on stdout lines. Resolves with the exit status and the output. */
function run(args: string[], onLine: (line: string, child: ReturnType<typeof spawn>) => void = () => {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) => {
    const started = Date.now();
    const child = spawn("node", [CLI, ...args], { cwd: repo });
    let stdout = "", stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      for (const line of String(chunk).split("\n")) onLine(line, child);
    });
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe("a guest that never blocks", () => {
  it("ends at the wall-clock --timeout with status 124", async () => {
    const r = await run(["run", "test/apps/spin", "--timeout", "2"]);
    expect(r.stdout).toBe("spinning\n");
    expect(r.code).toBe(124);
    expect(r.stderr).toMatch(/timed out/);
  }, 60_000);

  it("ends on Ctrl-C (SIGINT) with status 130", async () => {
    const r = await run(["run", "test/apps/spin"], (line, child) => {
      if (line === "spinning") setTimeout(() => child.kill("SIGINT"), 500);
    });
    expect(r.stdout).toBe("spinning\n");
    expect(r.code).toBe(130);
  }, 60_000);

  it("ends, with every domain it starves, at Simulator.run's timeout, which rejects", async () => {
    const sim = new Simulator();
    const spin = sim.createDomain({ name: "spin", wasm: await appWasm("test/apps/spin") });
    const hello = sim.createDomain({ name: "hello", wasm: await appWasm("examples/hello") });
    await expect(sim.run({ timeoutMs: 1_500 })).rejects.toThrow(/timed out after 1500 ms of wall-clock time; still running: spin \(running\), hello/);
    // Virtual time stands still while spin runs: hello, asleep, never wakes.
    for (const d of [spin, hello]) expect(d.result).toEqual({ kind: "error", message: "timed out after 1500 ms of wall-clock time" });
    expect(spin.console).toBe("spinning\n");
  }, 60_000);
});

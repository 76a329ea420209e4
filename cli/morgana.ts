// The `morgana` command: build a unikernel and run it on the simulator or on Xen.
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { buildApp, BuildError, REPO } from "./build.ts";
import { parseArgs, UsageError, USAGE, type Options } from "./args.ts";
import { runOnSim } from "./run-sim.ts";
import { CliError } from "./errors.ts";
import { buildImage, runImage } from "./target-xen.ts";

/** Where `run` keeps a build: beside the app, rebuilt when any source is newer. */
function defaultOut(appDir: string, ext: "wasm" | "xen"): string {
  return join(resolve(appDir), "build", `${basename(resolve(appDir))}.${ext}`);
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "build" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

async function ensureWasm(opts: Options, out: string, always: boolean): Promise<string> {
  if (!existsSync(opts.appDir) || !statSync(opts.appDir).isDirectory()) {
    throw new CliError(`${opts.appDir}: no such app folder`);
  }
  const sources = [opts.appDir, ...["runtime", "drivers", "net"].map((d) => join(REPO, d))].filter(existsSync);
  const stale = always || !existsSync(out) || Math.max(...sources.map(newestSource)) > statSync(out).mtimeMs;
  if (stale) {
    if (!always) process.stderr.write(`morgana: building ${out}\n`);
    mkdirSync(resolve(out, ".."), { recursive: true });
    await buildApp(opts.appDir, out);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const opts = parseArgs(argv);
  const build = opts.command === "build";
  if (opts.target === "sim") {
    const wasm = await ensureWasm(opts, opts.out ?? defaultOut(opts.appDir, "wasm"), build);
    if (!build) return runOnSim(wasm, opts);
    process.stderr.write(`morgana: built ${wasm}\n`);
    return 0;
  }
  const wasm = await ensureWasm(opts, defaultOut(opts.appDir, "wasm"), build);
  const image = opts.out ?? defaultOut(opts.appDir, "xen");
  const config = buildImage(wasm, image, opts);
  if (!build) return runImage(image, opts);
  process.stderr.write(`morgana: built ${image} and ${config}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`morgana: ${err.message}\n${USAGE}\n`);
      process.exit(2);
    }
    if (err instanceof CliError || err instanceof BuildError) {
      process.stderr.write(`morgana: ${err.message}\n`);
      process.exit(err instanceof CliError ? err.status : 1);
    }
    process.stderr.write(`morgana: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(70);
  },
);

// Compiles a unikernel: the app's main.ts with the Morgana runtime into one
// .wasm, then Asyncify restricted to env.block (sim/ unwinds guests there).
import asc from "assemblyscript/dist/asc.js";
import binaryen from "binaryen";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, lstatSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { HOST_AREA_END } from "../sim/abi.ts";

/** The repository root: the `morgana` package AssemblyScript code imports. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** 4 GiB: the host gives each domain less (its memory size). */
export const MAXIMUM_PAGES = 65536;

export class BuildError extends Error {}

export interface CompileOptions {
  /** AssemblyScript entry files (absolute paths). */
  entries: string[];
  /** Output .wasm path. */
  outFile: string;
  /** Keep a .wat beside the .wasm. */
  text?: boolean;
  /** More asc flags after the ABI's (e.g. --use ASC_RTRACE=1). */
  flags?: string[];
  /** false: the same optimisation without the Asyncify pass (benchmarks compare the two). */
  asyncify?: boolean;
}

/** Where `import ... from "morgana/..."` resolves: a folder holding a link to REPO. */
function packagePath(): string {
  const dir = join(REPO, "build", "asc-path");
  const link = join(dir, "morgana");
  mkdirSync(dir, { recursive: true });
  if (!existsSync(link) && !isLink(link)) symlinkSync(REPO, link, "dir");
  return dir;
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** asc flags that are part of the platform ABI (see runtime/platform.ts). */
export function abiFlags(): string[] {
  return [
    "--runtime", "incremental",
    "--importMemory",
    "--noExportMemory",
    "--maximumMemory", String(MAXIMUM_PAGES),
    "--memoryBase", String(HOST_AREA_END),
    "--use", "abort=~lib/morgana/runtime/core/panic/abort",
    "--path", packagePath(),
    "--baseDir", "/",
    "-O3",
    "--debug",
  ];
}

/** Compiles, asyncifies and optimizes; throws BuildError with asc's diagnostics. */
export async function compile(opts: CompileOptions): Promise<Uint8Array> {
  let diagnostics = "";
  const stderr = { write: (s: string | Uint8Array) => void (diagnostics += String(s)) };
  const out: Record<string, Uint8Array | string> = {};
  const { error } = await asc.main([...opts.entries, "--outFile", "module.wasm", "--noColors", ...abiFlags(), ...(opts.flags ?? [])], {
    stdout: stderr,
    stderr,
    writeFile: (name: string, contents: Uint8Array | string) => void (out[name] = contents),
  });
  if (error) throw new BuildError(firstDiagnostic(diagnostics) || error.message);
  const binary = asyncify(out["module.wasm"] as Uint8Array, opts.asyncify ?? true);
  mkdirSync(dirname(opts.outFile), { recursive: true });
  writeFileSync(opts.outFile, binary);
  if (opts.text) writeFileSync(opts.outFile.replace(/\.wasm$/, ".wat"), toText(binary));
  return binary;
}

/**
 * Asyncify before -O3, as DESIGN measured: only paths that reach env.block are
 * instrumented. With `pass` false, the same -O3 round alone.
 */
export function asyncify(binary: Uint8Array, pass = true): Uint8Array {
  const mod = binaryen.readBinary(binary);
  try {
    mod.setFeatures(binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.SignExt |
      binaryen.Features.NontrappingFPToInt | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt);
    binaryen.setPassArgument("asyncify-imports", "env.block");
    binaryen.setDebugInfo(true); // keep the name section: traps then name the function
    binaryen.setOptimizeLevel(3);
    binaryen.setShrinkLevel(0);
    if (pass) mod.runPasses(["asyncify"]);
    mod.optimize();
    if (!mod.validate()) throw new BuildError("asyncify produced an invalid module");
    return mod.emitBinary();
  } finally {
    binaryen.setPassArgument("asyncify-imports", null);
    binaryen.setDebugInfo(false);
    mod.dispose();
  }
}

function toText(binary: Uint8Array): string {
  const mod = binaryen.readBinary(binary);
  try {
    return mod.emitText();
  } finally {
    mod.dispose();
  }
}

/** asc prints a block per diagnostic; the first ERROR line with its place is enough. */
function firstDiagnostic(text: string): string {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.startsWith("ERROR"));
  if (at < 0) return text.trim().split("\n")[0] ?? "";
  const place = lines.slice(at).find((l) => /└─ in /.test(l));
  return `${lines[at].trim()}${place ? ` (${place.replace(/.*└─ in /, "").trim()})` : ""}`;
}

/**
 * Writes the entry that links an app folder's main.ts with the runtime's
 * start: `start` is the ABI's entry export, `main` the app's.
 */
export function writeAppEntry(appDir: string): string {
  const main = join(resolve(appDir), "main.ts");
  if (!existsSync(main)) throw new BuildError(`${appDir}: no main.ts in that folder`);
  const id = createHash("sha256").update(main).digest("hex").slice(0, 12);
  const entry = join(REPO, "build", "entries", `${id}.ts`);
  const mainImport = relative(dirname(entry), main).replace(/\.ts$/, "");
  const text =
    `// Generated by cli/build.ts for ${main}; do not edit.\n` +
    `import { boot, finish } from "morgana/runtime/start";\n` +
    `import { main } from "${mainImport.startsWith(".") ? mainImport : "./" + mainImport}";\n` +
    `export function start(startInfo: usize, memoryBase: u64): void {\n` +
    `  boot(startInfo, memoryBase);\n` +
    `  finish(main());\n` +
    `}\n`;
  mkdirSync(dirname(entry), { recursive: true });
  if (!existsSync(entry) || readFileSync(entry, "utf8") !== text) writeFileSync(entry, text);
  return entry;
}

/** Builds an app folder into `outFile`. */
export async function buildApp(appDir: string, outFile: string, text = false): Promise<Uint8Array> {
  // Math.random's seed from the runtime's random source (the entry imports it), not an env.seed import.
  return compile({ entries: [writeAppEntry(appDir)], outFile, text, flags: ["--use", "seed=~lib/morgana/runtime/core/random/mathSeed"] });
}

// Builds the test guests once per content: the ABI flags and Asyncify of
// cli/build.ts, with AssemblyScript's abort routed to test/guests/lib.ts so the
// guests do not depend on the Morgana core.
import asc from "assemblyscript/dist/asc.js";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, abiFlags, asyncify } from "../../cli/build.ts";

const GUESTS = join(REPO, "test", "guests");
const OUT = join(REPO, "build", "test-guests");

/** Compiles test/guests/<name>.ts (cached by the sources' hash) and returns the .wasm bytes. */
export async function buildGuest(name: string): Promise<Uint8Array> {
  const hash = createHash("sha256");
  for (const file of readdirSync(GUESTS).filter((f) => f.endsWith(".ts")).sort()) hash.update(file).update(readFileSync(join(GUESTS, file)));
  hash.update(readFileSync(join(REPO, "cli", "build.ts")));
  const outFile = join(OUT, `${name}-${hash.digest("hex").slice(0, 16)}.wasm`);
  if (existsSync(outFile)) return readFileSync(outFile);
  const flags = abiFlags().map((f) => (f.startsWith("abort=") ? "abort=~lib/morgana/test/guests/lib/abort" : f));
  let diagnostics = "";
  const sink = { write: (s: string | Uint8Array) => void (diagnostics += String(s)) };
  const out: Record<string, Uint8Array | string> = {};
  const { error } = await asc.main([join(GUESTS, `${name}.ts`), "--outFile", "guest.wasm", "--noColors", ...flags], {
    stdout: sink,
    stderr: sink,
    writeFile: (file: string, contents: Uint8Array | string) => void (out[file] = contents),
  });
  if (error) throw new Error(`test guest ${name}: ${diagnostics}`);
  const binary = asyncify(out["guest.wasm"] as Uint8Array);
  mkdirSync(OUT, { recursive: true });
  const tmp = `${outFile}.${process.pid}`;
  writeFileSync(tmp, binary);
  renameSync(tmp, outFile);
  return binary;
}

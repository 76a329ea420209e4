// The platform ABI as the built module shows it: imports with their
// signatures, exports, and the imported memory. A change here is a change to
// both hosts (sim/ and boot/) and must be made on purpose.
import { describe, expect, it, beforeAll } from "vitest";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import initWabt from "wabt";
import { buildApp, REPO } from "../cli/build.ts";
import { PLATFORM_FUNCTIONS, PLATFORM_IMPORTS } from "../sim/abi.ts";

let abiText = "";
let helloText = "";
let randomText = "";

async function moduleText(wasm: Uint8Array): Promise<string> {
  const wabt = await initWabt();
  const mod = wabt.readWasm(wasm, { readDebugNames: false });
  mod.generateNames();
  mod.applyNames();
  return mod.toText({});
}

/** Import, export and memory lines, with each function's signature written out, sorted. */
function declarations(text: string): string[] {
  const lines = text.split("\n").map((l) => l.trim().replace(/\(;\d+;\)\s*/g, ""));
  const types = new Map<string, string>();
  const funcs = new Map<string, string>();
  for (const l of lines) {
    const t = /^\(type (\$\w+) \(func(.*)\)\)$/.exec(l);
    if (t) types.set(t[1], t[2].trim());
    const f = /^\(func (\$\S+) \(type (\$\w+)\)/.exec(l);
    if (f) funcs.set(f[1], f[2]);
  }
  return lines
    .filter((l) => l.startsWith("(import") || l.startsWith("(export") || l.startsWith("(memory"))
    .map((l) => l.replace(/\(func (\$\S+)\)\)$/, (_, f: string) => `(func (type ${funcs.get(f)})))`))
    .map((l) => l.replace(/\(type (\$\w+)\)/, (_, t: string) => types.get(t) ?? t).replace(/\$[\w.]+ ?/g, ""))
    .sort();
}

describe("platform ABI", () => {
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "morgana-abi-"));
    abiText = await moduleText(await buildApp("test/apps/abi", join(dir, "abi.wasm")));
    helloText = await moduleText(await buildApp("examples/hello", join(dir, "hello.wasm")));
    randomText = await moduleText(await buildApp("test/apps/random", join(dir, "random.wasm")));
  });

  it("matches the snapshot: every import, the entry and Asyncify exports, the memory", () => {
    expect(declarations(abiText)).toMatchSnapshot();
  });

  it("puts no data below the host area (runtime/platform.ts HOST_AREA_END)", () => {
    const offsets = [...abiText.matchAll(/\(data [^(]*\(i32\.const (\d+)\)/g)].map((m) => Number(m[1]));
    expect(offsets.length).toBeGreaterThan(0);
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0x10000);
  });

  it("gives hello, and an app using Math.random (no env.seed), only imports of the ABI", () => {
    const abi = new Set(declarations(abiText).filter((l) => l.startsWith("(import")));
    for (const text of [helloText, randomText]) {
      for (const line of declarations(text).filter((l) => l.startsWith("(import"))) expect(abi.has(line), line).toBe(true);
    }
  });

  it("declares in runtime/platform.ts and implements in boot/ exactly the imports of scripts/abi-schema.js", () => {
    const platform = readFileSync(join(REPO, "runtime/platform.ts"), "utf8");
    const declared = [...platform.matchAll(/@external\("env", "(\w+)"\)/g)].map((m) => m[1]);
    expect(declared).toEqual([...PLATFORM_FUNCTIONS]);
    const boot = readdirSync(join(REPO, "boot")).filter((f) => f.endsWith(".c")).map((f) => readFileSync(join(REPO, "boot", f), "utf8")).join("\n");
    // The atomics come from one macro, ATOMICS(bits, type), instantiated per width.
    const widths = [...boot.matchAll(/^ATOMICS\((\d+),/gm)].map((m) => m[1]);
    const implemented = [...boot.matchAll(/\bZ_envZ_(\w+?)(##bits)?\(struct Z_env_instance_t/g)]
      .flatMap((m) => (m[2] ? widths.map((w) => m[1] + w) : [m[1]])).filter((n) => n !== "memory"); // env.memory: not a function
    expect(implemented.sort()).toEqual([...PLATFORM_FUNCTIONS].sort());
    // The snapshot's signatures are the schema's.
    for (const [name, { params, result }] of Object.entries(PLATFORM_IMPORTS)) {
      const parts = [params.length ? `(param ${params.join(" ")})` : "", result ? `(result ${result})` : ""].filter(Boolean);
      const sig = `(func ${parts.join(" ")})`; // wabt's spelling, as in the snapshot
      expect(declarations(abiText), name).toContain(`(import "env" "${name}" ${sig})`);
    }
  });
});

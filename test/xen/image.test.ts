// The image builder's checks (cli/xen-image.ts): a module the stub cannot run
// is refused with one line that says why, before wasm2c or gcc run.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import wabtInit from "wabt";
import { REPO } from "../../cli/build.ts";
import { buildXenImage } from "../../cli/xen-image.ts";

const DIR = join(REPO, "build", "xen-test", "refused");

async function build(name: string, wat: string): Promise<void> {
  const wabt = await wabtInit();
  const module = wabt.parseWat(`${name}.wat`, wat);
  mkdirSync(DIR, { recursive: true });
  const wasm = join(DIR, `${name}.wasm`);
  writeFileSync(wasm, module.toBinary({}).buffer);
  module.destroy();
  buildXenImage(wasm, join(DIR, `${name}.xen`));
}

const MEMORY = `(import "env" "memory" (memory 1 65536))`;
const START = `(func (export "start") (param i32 i64))`;

describe("modules the Xen stub refuses", () => {
  it("an import outside the platform ABI", async () => {
    await expect(build("extra", `(module ${MEMORY} (import "env" "puts" (func (param i32))) ${START})`)).rejects.toThrow(
      /import env\.puts is not part of the platform ABI \(runtime\/platform\.ts\)$/,
    );
  });

  it("an ABI import with the wrong type", async () => {
    await expect(build("type", `(module ${MEMORY} (import "env" "exit" (func (param i64))) ${START})`)).rejects.toThrow(
      /import env\.exit has type \(i64\) -> \(\); the ABI says \(i32\) -> \(\)$/,
    );
  });

  it("a memory of its own instead of env.memory", async () => {
    await expect(build("memory", `(module (memory 1) ${START})`)).rejects.toThrow(/linear memory must be the import env\.memory/);
  });

  it("no start export", async () => {
    await expect(build("start", `(module ${MEMORY} (func (export "main") (result i32) (i32.const 0)))`)).rejects.toThrow(
      /no export start\(startInfo: i32, memoryBase: i64\)/,
    );
  });

  it("SIMD, which Debian's wasm2c 1.0.32 cannot translate", async () => {
    const simd = `(module ${MEMORY} (func (export "start") (param i32 i64) (v128.store (i32.const 0x10000) (v128.load (i32.const 0x10010)))))`;
    await expect(build("simd", simd)).rejects.toThrow(/wasm2c \(wabt 1\.0\.32\) aborted: the module uses a feature it cannot translate \(SIMD v128/);
  });

  it("a file that is not WebAssembly", async () => {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(join(DIR, "junk.wasm"), "not wasm");
    expect(() => buildXenImage(join(DIR, "junk.wasm"), join(DIR, "junk.xen"))).toThrow(/junk\.wasm: not a WebAssembly 1\.0 module$/);
  });

  it("builds a minimal module into a PV image: an ELF with Xen's notes", async () => {
    await build("minimal", `(module ${MEMORY} ${START})`);
    const notes = execFileSync("readelf", ["--notes", "--wide", join(DIR, "minimal.xen")], { encoding: "utf8" });
    expect(notes).toMatch(/Displaying notes found in: \.note\.Xen/);
    expect(notes.match(/^\s+Xen\s/gm)?.length).toBe(8); // GUEST_OS ... HYPERCALL_PAGE
  });
});

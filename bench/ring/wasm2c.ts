// The wasm2c variant: Morgana's real Xen path as a native Linux process. The
// unikernel build of bench/ring/ring_bench.ts (with Asyncify, as it boots on
// Xen) goes through cli/xen-image.ts's buildXenImage, which translates it with
// Debian's wasm2c and compiles it with the boot stub's flags; the stub's own
// objects for the module (app.o), its imports (imports.o: `mb` and the
// atomics) and its wasm2c runtime (wasm-rt.o) are then linked, unchanged, with
// bench/ring/wasm2c_host.c, which stands in for the PV-only rest of boot/.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../../cli/build.ts";
import { buildXenImage, checkModule, readWasmInfo, WASM2C } from "../../cli/xen-image.ts";
import { C_FLAGS, OUT, type Variant } from "./variants.ts";

/** The stub's objects the process links; the rest of boot/ is PV-only. */
const STUB_OBJECTS = ["app.o", "imports.o", "wasm-rt.o"];

/** The variant, or why it cannot run (Debian's wabt or the Xen headers missing). */
export function wasm2cVariant(binary: Uint8Array): Variant | string {
  if (!existsSync(WASM2C)) return `not run: ${WASM2C} missing (install Debian's wabt)`;
  if (!existsSync("/usr/include/xen/xen.h")) return "not run: /usr/include/xen missing (install Debian's libxen-dev)";
  const dir = join(OUT, "wasm2c");
  mkdirSync(dir, { recursive: true });
  const wasm = join(dir, "ring_bench.wasm");
  writeFileSync(wasm, binary);
  const work = buildXenImage(wasm, join(dir, "ring_bench.xen"));
  const objects = STUB_OBJECTS.map((o) => join(work, o));
  const absent = objects.find((o) => !existsSync(o));
  if (absent) throw new Error(`${absent}: buildXenImage left no such object (has cli/xen-image.ts renamed it?)`);
  const { memory } = checkModule(wasm, readWasmInfo(readFileSync(wasm)));
  const exe = join(dir, "ring_bench");
  execFileSync("gcc", [
    ...C_FLAGS, "-Wall", "-Wextra", "-Werror",
    "-I", join(REPO, "boot"), "-I", join(REPO, "boot/include"), "-I", "/usr/src/wasm2c", "-I", work,
    "-D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__",
    `-DHOST_MEMORY_INITIAL_PAGES=${memory.initial}`, `-DHOST_MEMORY_MAXIMUM_PAGES=${memory.maximum ?? 65536}`,
    "-o", exe, join(REPO, "bench/ring/wasm2c_host.c"), ...objects,
  ], { stdio: "pipe" });
  return {
    name: "wasm2c",
    note: "the Asyncify build as cli/xen-image.ts compiles it for Xen (Debian's wasm2c 1.0.32, the boot stub's flags, runtime and barriers: mb a locked add, rmb and wmb inline compiler barriers, the memory base a constant 1 GiB, no bounds checks: a guard region), linked into a Linux process",
    run: (w) => JSON.parse(execFileSync(exe, [String(w.batch), String(w.window), String(w.total)], { encoding: "utf8" })),
  };
}

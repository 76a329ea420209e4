// Builds the images the real-Xen tests boot: apps through cli/build.ts (the
// same sources as on the simulator) and hand-written .wat fixtures, each once
// per run, then through cli/xen-image.ts. Also collects the figures the
// suite reports (image sizes, boot times, wall time per case).
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { watToWasm } from "../fixtures/wat.ts";
import { buildApp, REPO } from "../../cli/build.ts";
import { buildXenImage } from "../../cli/xen-image.ts";
import { XEN_READY, type SerialLine } from "../../cli/run-xen.ts";

const OUT = join(REPO, "build", "xen-test");
const built = new Map<string, string>();

/** An app folder (relative to the repo) as a PV image. */
export async function appImage(appDir: string): Promise<string> {
  const name = appDir.replace(/[^A-Za-z0-9]+/g, "-");
  if (!built.has(name)) {
    const wasm = join(OUT, `${name}.wasm`), image = join(OUT, `${name}.xen`);
    await buildApp(join(REPO, appDir), wasm);
    buildXenImage(wasm, image);
    built.set(name, image);
  }
  return built.get(name)!;
}

/** A .wat fixture (relative to the repo) as a PV image. */
export async function watImage(watFile: string): Promise<string> {
  const name = basename(watFile, ".wat");
  if (!built.has(name)) {
    const wasm = join(OUT, `${name}.wasm`), image = join(OUT, `${name}.xen`);
    mkdirSync(OUT, { recursive: true });
    writeFileSync(wasm, await watToWasm(watFile, readFileSync(join(REPO, watFile), "utf8")));
    buildXenImage(wasm, image);
    built.set(name, image);
  }
  return built.get(name)!;
}

export const imageBytes = (image: string) => statSync(image).size;

/** Milliseconds from Xen's `Freed ...kB init memory` to the first serial line that matches. */
export function bootMs(serial: SerialLine[], firstLine: RegExp): number {
  const ready = serial.find((l) => XEN_READY.test(l.text));
  const first = serial.find((l) => firstLine.test(l.text));
  if (!ready || !first) throw new Error("boot-time lines not found on the serial console");
  return first.at - ready.at;
}

/** Appends one figure to build/xen-test/figures.jsonl (reported, not asserted). */
export function figure(name: string, value: number, unit: string): void {
  mkdirSync(OUT, { recursive: true });
  appendFileSync(join(OUT, "figures.jsonl"), JSON.stringify({ name, value, unit }) + "\n");
  console.log(`figure: ${name} = ${value} ${unit}`);
}

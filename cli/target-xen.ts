// `--target xen`: the PV image (wasm2c + the boot stub) with its xl config,
// and a real boot on Xen 4.17 in QEMU as dom0 (the app needs no devices).
import { basename } from "node:path";
import { buildXenImage } from "./xen-image.ts";
import { runDom0, writeXlConfig } from "./run-xen.ts";
import { CliError } from "./errors.ts";
import { TIMEOUT_STATUS, CRASH_STATUS } from "./run-sim.ts";
import type { Options } from "./args.ts";

/** Writes `<image>` and `<image minus .xen>.cfg`; returns the config's path. */
export function buildImage(wasm: string, image: string, opts: Options): string {
  buildXenImage(wasm, image);
  const config = image.replace(/\.xen$/, "") + ".cfg";
  writeXlConfig(config, { name: basename(image).replace(/\.xen$/, ""), kernel: image, memoryMiB: opts.memoryMiB, cmdline: opts.cmdline });
  return config;
}

/** Boots the image as dom0 and returns the unikernel's status. */
export async function runImage(image: string, opts: Options): Promise<number> {
  const result = await runDom0(image, {
    cmdline: opts.cmdline,
    timeoutMs: (opts.timeoutSeconds ?? 120) * 1000,
    onConsole: (line) => {
      if (!/^morgana: exit -?\d+$/.test(line)) process.stdout.write(line + "\n");
    },
  });
  if (result.shutdown === "timeout") throw new CliError(`timeout after ${opts.timeoutSeconds ?? 120} s on Xen`, TIMEOUT_STATUS);
  if (result.status === null) throw new CliError(`the unikernel ended on Xen without a status (${result.shutdown})`, CRASH_STATUS);
  return result.status & 0xff;
}

// `--target xen`: the PV image (wasm2c + the boot stub) with its xl config,
// and a real boot on Xen 4.17 in QEMU: as dom0 when the app needs no devices,
// else as a domU of the test bed's Linux dom0 with a vif on its bridge and
// the disk image served by Linux's blkback.
import { basename } from "node:path";
import { buildXenImage } from "./xen-image.ts";
import { runOnXen, writeXlConfig } from "./run-xen.ts";
import { CliError } from "./errors.ts";
import { TIMEOUT_STATUS, CRASH_STATUS } from "./run-sim.ts";
import type { Options } from "./args.ts";

/** Writes `<image>` and `<image minus .xen>.cfg`; returns the config's path. */
export function buildImage(wasm: string, image: string, opts: Options): string {
  buildXenImage(wasm, image);
  const config = image.replace(/\.xen$/, "") + ".cfg";
  writeXlConfig(config, {
    name: basename(image).replace(/\.xen$/, ""), kernel: image, memoryMiB: opts.memoryMiB, cmdline: opts.cmdline,
    net: opts.net !== undefined, disk: opts.disk,
  });
  return config;
}

/** Boots the image (dom0, or a domU with devices) and returns the unikernel's status. */
export async function runImage(image: string, opts: Options): Promise<number> {
  const result = await runOnXen(image, {
    cmdline: opts.cmdline,
    memoryMiB: opts.memoryMiB,
    net: opts.net !== undefined,
    disk: opts.disk,
    timeoutMs: (opts.timeoutSeconds ?? 120) * 1000,
    onConsole: (line) => {
      if (!/^morgana: exit -?\d+$/.test(line)) process.stdout.write(line + "\n");
    },
  });
  if (result.shutdown === "timeout") throw new CliError(`timeout after ${opts.timeoutSeconds ?? 120} s on Xen`, TIMEOUT_STATUS);
  if (result.status === null) throw new CliError(`the unikernel ended on Xen without a status (${result.shutdown})`, CRASH_STATUS);
  return result.status & 0xff;
}

// `morgana run --target sim`: boot the unikernel on the simulated hypervisor
// with the devices asked for, stream its console, and exit with its status.
import { readFileSync } from "node:fs";
import { Simulator, type Domain } from "../sim/index.ts";
import { plugXenstore, XenstoreSocketServer, xenstoreSocketHelp, type PluggedXenstore } from "../sim/xenstore/index.ts";
import { attachDisk } from "../sim/backends/blkback.ts";
import { attachNetwork } from "../sim/backends/netback.ts";
import { NetBridge } from "../sim/backends/net-bridge.ts";
import { openTap } from "../sim/backends/net-tap.ts";
import { CliError } from "./errors.ts";
import { StatusLineFilter } from "./status-line.ts";
import type { Options } from "./args.ts";

/** Exit status of a run that timed out, as timeout(1) has it. */
export const TIMEOUT_STATUS = 124;
/** Exit status of a domain that trapped or crashed. */
export const CRASH_STATUS = 255;

/** What has to be closed when the run ends, however it ends. */
type Closer = () => void | Promise<void>;

export async function runOnSim(wasmPath: string, opts: Options): Promise<number> {
  // A real peer (xenstore-utils on the socket, a tap) needs real time; alone, a run is virtual and repeatable.
  const sim = new Simulator({ seed: opts.seed, realTime: opts.xenstoreSocket !== undefined || opts.net !== undefined });
  const xs = plugXenstore(sim);
  const closers: Closer[] = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  // Ctrl-C on a unikernel that serves forever: take the namespace and the socket down first.
  const interrupt = () => void closeAll().then(() => process.exit(130));
  process.once("SIGINT", interrupt);
  const console = new StatusLineFilter((text) => process.stdout.write(text));
  try {
    const domain = await boot(sim, xs, wasmPath, opts, closers);
    domain.onConsole((text) => console.feed(text));
    try {
      await sim.run(opts.timeoutSeconds ? { timeoutMs: opts.timeoutSeconds * 1000 } : {});
    } catch (err) {
      throw new CliError(`timeout after ${opts.timeoutSeconds} s (wall clock): ${(err as Error).message}`, TIMEOUT_STATUS);
    }
    const result = domain.result;
    if (!result) throw new CliError("the domain ended without a result", CRASH_STATUS);
    if (result.kind === "exit") return result.status & 0xff;
    throw new CliError(`${result.kind}: ${result.message}`, CRASH_STATUS);
  } finally {
    console.end();
    process.off("SIGINT", interrupt);
    await closeAll();
  }
}

/** Creates the domain with its disk, network and xenstore socket, each a one-line error if refused. */
async function boot(sim: Simulator, xs: PluggedXenstore, wasmPath: string, opts: Options, closers: Closer[]): Promise<Domain> {
  if (opts.xenstoreSocket) {
    const server = await XenstoreSocketServer.listen(xs.store, opts.xenstoreSocket).catch((err: Error) => {
      throw new CliError(`--xenstore-socket ${opts.xenstoreSocket}: ${err.message}`);
    });
    closers.push(() => server.close());
    process.stderr.write(xenstoreSocketHelp(opts.xenstoreSocket));
  }
  let domain: Domain;
  try {
    // The bytes, not a compiled module: the simulator reads the memory's initial size from them.
    domain = sim.createDomain({ name: "app", wasm: readFileSync(wasmPath), memoryMiB: opts.memoryMiB, cmdline: opts.cmdline });
    if (opts.disk) attachDisk(sim, xs, domain, { path: opts.disk, readOnly: opts.diskRo, sizeBytes: opts.diskSize });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (opts.net) {
    const bridge = new NetBridge();
    attachNetwork(sim, xs, domain, { bridge });
    const tap = await openTap(sim, opts.net, bridge).catch((err: Error) => {
      throw new CliError(`--net ${opts.net}: ${err.message}`);
    });
    closers.push(() => tap.close());
    const ip = /(?:^| )ip=([\d.]+)/.exec(opts.cmdline)?.[1];
    process.stderr.write(`net: tap ${tap.device} (${tap.address}) in namespace ${tap.namespace}; ${tap.help(ip)}\n`);
  }
  return domain;
}

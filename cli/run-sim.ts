// `morgana run --target sim`: boot the unikernel on the simulated hypervisor,
// stream its console, and exit with its status.
import { readFileSync } from "node:fs";
import { Simulator } from "../sim/index.ts";
import { plugXenstore, XenstoreSocketServer, xenstoreSocketHelp } from "../sim/xenstore/index.ts";
import { CliError } from "./errors.ts";
import { StatusLineFilter } from "./status-line.ts";
import type { Options } from "./args.ts";

/** Exit status of a run that timed out, as timeout(1) has it. */
export const TIMEOUT_STATUS = 124;
/** Exit status of a domain that trapped or crashed. */
export const CRASH_STATUS = 255;

export async function runOnSim(wasmPath: string, opts: Options): Promise<number> {
  // A real peer (xenstore-utils on the socket) needs real time; alone, a run is virtual and repeatable.
  const sim = new Simulator({ seed: opts.seed, realTime: opts.xenstoreSocket !== undefined });
  const { store } = plugXenstore(sim);
  let server: XenstoreSocketServer | undefined;
  if (opts.xenstoreSocket) {
    try {
      server = await XenstoreSocketServer.listen(store, opts.xenstoreSocket);
    } catch (err) {
      throw new CliError(`--xenstore-socket ${opts.xenstoreSocket}: ${(err as Error).message}`);
    }
    process.stderr.write(xenstoreSocketHelp(opts.xenstoreSocket));
  }
  let domain;
  try {
    // The bytes, not a compiled module: the simulator reads the memory's initial size from them.
    domain = sim.createDomain({ name: "app", wasm: readFileSync(wasmPath), memoryMiB: opts.memoryMiB, cmdline: opts.cmdline });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const console = new StatusLineFilter((text) => process.stdout.write(text));
  domain.onConsole((text) => console.feed(text));
  try {
    await sim.run(opts.timeoutSeconds ? { timeoutMs: opts.timeoutSeconds * 1000 } : {});
  } catch (err) {
    console.end();
    await server?.close();
    throw new CliError(`timeout after ${opts.timeoutSeconds} s (wall clock): ${(err as Error).message}`, TIMEOUT_STATUS);
  }
  console.end();
  await server?.close();
  const result = domain.result;
  if (!result) throw new CliError("the domain ended without a result", CRASH_STATUS);
  if (result.kind === "exit") return result.status & 0xff;
  throw new CliError(`${result.kind}: ${result.message}`, CRASH_STATUS);
}

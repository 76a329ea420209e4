// netfront's packets per second on the simulator (issue 7, part 2): the guest
// bench/drivers/net/ sends raw frames of 64 and 1,514 bytes (a full 1,500-byte
// payload) either to a second unikernel across the simulated bridge, or to the
// simulated netback alone (a vif on no bridge: the backend takes each frame off
// the tx ring and drops it). Host wall and CPU time, as for the block figures.
import { join } from "node:path";
import { buildApp, REPO } from "../../cli/build.ts";
import { compileGuest, Simulator, type Domain } from "../../sim/index.ts";
import { NetBridge } from "../../sim/backends/net-bridge.ts";
import { attachNetwork, type Netback } from "../../sim/backends/netback.ts";
import { plugXenstore } from "../../sim/xenstore/plug.ts";
import { profile, type ProfileSummary } from "./profile.ts";
import { watchSpans, type Span } from "./spans.ts";

export const FRAME_SIZES = [64, 1514] as const;
export type NetPath = "bridge" | "backend";

export interface NetRun {
  path: NetPath;
  size: number;
  span: Span;
  /** Frames that arrived intact and in order at the receiver, or that netback alone took. */
  checked: number;
  backend: Netback["stats"];
  profile?: ProfileSummary;
}

/** The receiver's count of intact frames; throws unless all `count` arrived intact and in order. */
function receiverCount(name: string, lines: string[], count: number): number {
  const m = lines.map((l) => /^\S+: (\d+) intact and in order, (\d+) not$/.exec(l)).find((x) => x);
  if (!m) throw new Error(`net-bench ${name}: the receiver did not count`);
  const [intact, bad] = [Number(m[1]), Number(m[2])];
  if (intact !== count) throw new Error(`net-bench ${name}: ${count} frames sent, ${intact} arrived intact and in order, ${bad} not, ${count - intact - bad} never`);
  return intact;
}

/** Compiled once: every run's domains share the module and V8's optimised code for it. */
let wasm: Promise<WebAssembly.Module> | undefined;

/** `count` frames of `size` bytes from one guest, to a second across the bridge or to the backend alone. */
export async function netRun(path: NetPath, size: number, count: number, outDir: string, profiled = false): Promise<NetRun> {
  wasm ??= buildApp(join(REPO, "bench/drivers/net"), join(outDir, "net-bench.wasm")).then(compileGuest);
  const name = `${path}-${size}`;
  const sim = new Simulator({ seed: 1 });
  const xs = plugXenstore(sim);
  const bridge = path === "bridge" ? new NetBridge() : undefined;
  const peer = bridge ? "00:16:3e:00:00:02" : "ff:ff:ff:ff:ff:ff";
  const sender = sim.createDomain({
    name: "net-send", wasm: await wasm, memoryMiB: 16, cmdline: `role=send name=${name} count=${count} size=${size} peer=${peer}`,
  });
  const guests: Domain[] = [sender];
  const backend = attachNetwork(sim, xs, sender, { bridge, mac: "00:16:3e:00:00:01" });
  if (bridge) {
    const receiver = sim.createDomain({ name: "net-recv", wasm: await wasm, memoryMiB: 16, cmdline: `role=recv name=${name} count=${count} size=${size}` });
    attachNetwork(sim, xs, receiver, { bridge, mac: peer });
    guests.push(receiver);
  }
  const spans = watchSpans(guests);
  const run = () => sim.run({ timeoutMs: 600_000 });
  const summary = profiled ? (await profile(run)).summary : (await run(), undefined);
  for (const d of guests) {
    if (d.result?.kind !== "exit" || d.result.status !== 0) {
      throw new Error(`net-bench ${d.name}: ${d.result?.kind === "exit" ? `exit ${d.result.status}` : d.result?.message}: ${spans.lines(d).slice(-3).join(" / ")}`);
    }
  }
  const span = spans.spans.find((s) => s.name === name);
  if (!span) throw new Error(`net-bench: no timing for ${name}`);
  const checked = bridge ? receiverCount(name, spans.lines(guests[1]), count) : backend.stats.txFrames;
  if (checked !== count) throw new Error(`net-bench ${name}: ${count} frames sent, netback took ${checked}`);
  return { path, size, span, checked, backend: { ...backend.stats }, profile: summary };
}

// Where a driver benchmark's time goes: a sampling CPU profile of the main
// thread (V8's, through node:inspector, as `node --cpu-prof` takes it) folded
// into the parts issue 7 asks about: the unikernel (its wasm, split by the
// name section into the driver, Morgana's core, AssemblyScript's own library
// and the benchmark's guest code), the simulator, the simulated backend, the
// copies between them, and the rest.
import { Session } from "node:inspector/promises";

export type Part =
  | "driver (wasm)" | "core (wasm)" | "AssemblyScript library (wasm)" | "benchmark guest (wasm)"
  | "simulator" | "backend" | "copies" | "xenstore" | "GC" | "idle" | "other";

export interface ProfileSummary {
  /** Share of the samples in each part, 0-1. */
  parts: Partial<Record<Part, number>>;
  /** The heaviest functions by self time: name, where, share. */
  top: { name: string; where: string; share: number }[];
  samples: number;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/** A copy of bytes: typed-array builtins, and the simulator's grant and memory copies. */
const COPY = /^(set|slice|subarray|copyWithin|fill|copy\w*|read\w*Bytes|write\w*Bytes)$/;

function partOf(frame: ProfileNode["callFrame"]): Part {
  const { functionName: name, url } = frame;
  if (url.startsWith("wasm://")) {
    if (name.includes("morgana/drivers/")) return "driver (wasm)";
    if (name.includes("morgana/runtime/") || name.startsWith("env.") || name.startsWith("asyncify")) return "core (wasm)";
    if (name.includes("~lib/")) return "AssemblyScript library (wasm)";
    return "benchmark guest (wasm)";
  }
  if (name === "(garbage collector)") return "GC";
  if (name === "(idle)") return "idle";
  if (COPY.test(name)) return "copies";
  if (url.includes("/sim/backends/")) return "backend";
  if (url.includes("/sim/xenstore/")) return "xenstore";
  if (url.includes("/sim/")) return "simulator";
  return "other";
}

/** Runs `work` under the profiler. */
export async function profile<T>(work: () => Promise<T>): Promise<{ result: T; summary: ProfileSummary }> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 200 });
    await session.post("Profiler.start");
    const result = await work();
    const { profile: p } = await session.post("Profiler.stop");
    const nodes = new Map<number, ProfileNode>((p.nodes as ProfileNode[]).map((n) => [n.id, n]));
    const selfSamples = new Map<number, number>();
    for (const id of p.samples ?? []) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
    const total = (p.samples ?? []).length || 1;
    const parts: Partial<Record<Part, number>> = {};
    const byFunction = new Map<string, { name: string; where: string; samples: number }>();
    for (const [id, samples] of selfSamples) {
      const frame = nodes.get(id)!.callFrame;
      const part = partOf(frame);
      parts[part] = (parts[part] ?? 0) + samples / total;
      const where = frame.url.replace(/^.*\/(sim|bench|cli|node_modules)\//, "$1/") || part;
      const key = `${frame.functionName}@${where}`;
      const f = byFunction.get(key) ?? { name: frame.functionName || "(anonymous)", where, samples: 0 };
      f.samples += samples;
      byFunction.set(key, f);
    }
    const top = [...byFunction.values()].sort((a, b) => b.samples - a.samples).slice(0, 12)
      .map(({ name, where, samples }) => ({ name, where, share: samples / total }));
    return { result, summary: { parts, top, samples: total } };
  } finally {
    session.disconnect();
  }
}

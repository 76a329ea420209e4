// Builds test/ring/ring_module.ts with cli/build.ts and runs it in Node with
// the platform imports the ring needs: barriers (no-ops: one thread shares the
// page, and V8 keeps wasm memory accesses in program order), exit as a throw.
import { join } from "node:path";
import { compile, REPO } from "../../cli/build.ts";

export interface RingModule {
  memory: WebAssembly.Memory;
  entrySize(kind: number): number;
  header(i: number): number;
  setup(kind: number, order: number, start: number, reqSize: number, rspSize: number): number;
  state(i: number): number;
  peerStore(offset: number, value: number): void;
  slotOffset(idx: number): number;
  copySlotOf(bytes: number): number;
  drainResponses(): number;
  drainRequests(): number;
  [op: string]: unknown;
}

/** ring_module.ts's KIND_* and ring_diff.c's TYPE argument, in the same order. */
export const KINDS = ["blkif", "netif_tx", "netif_rx"] as const;

export async function loadRingModule(): Promise<RingModule> {
  const binary = await compile({
    entries: [join(REPO, "test/ring/ring_module.ts")],
    outFile: join(REPO, "build/test/ring_module.wasm"),
  });
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 1024 });
  const nothing = () => {};
  const env: Record<string, unknown> = { memory, mb: nothing, rmb: nothing, wmb: nothing };
  const module = new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>);
  for (const { name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== "function" || name in env) continue;
    env[name] = name === "exit"
      ? (status: number) => { throw new Error(`ring module: exit ${status}`); }
      : () => { throw new Error(`ring module: unexpected call to env.${name}`); };
  }
  const { exports } = new WebAssembly.Instance(module, { env: env as WebAssembly.ModuleImports });
  return { ...(exports as unknown as RingModule), memory };
}

// One fuzz campaign: sessions of a target, each from its own seed, until the
// time budget is spent and (for the full run) enough hostile responses were
// sent; counts summed, every failure kept with the seed that reproduces it.
import { appWasm } from "../test/helpers/apps.ts";
import { compileGuest } from "../sim/wasm_module.ts";
import type { Domain } from "../sim/index.ts";
import type { Prng } from "../sim/prng.ts";

/** What every session counts; a failure is any of traps..wrongData above zero. */
export interface Counts {
  sessions: number;
  /** Messages, ring responses or frames the peer sent the code under test. */
  responses: number;
  /** Those the fuzzer made hostile. */
  hostile: number;
  traps: number;
  panics: number;
  hangs: number;
  hostCrashes: number;
  /** Data the code under test got wrong where the protocol could have told. */
  wrongData: number;
  /** Hostile changes no protocol can detect (values edited in well-formed replies, lengths that lie short, ...). */
  undetectable: number;
  /** Wrong data that followed only such changes: reported, not a failure. */
  undetectableWrongData: number;
  /** Largest guest linear memory at the end of a session, bytes. */
  memoryHighWater: number;
}

export type FailureKind = "trap" | "panic" | "hang" | "host crash" | "wrong data";

export interface Failure {
  kind: FailureKind;
  seed: number;
  detail: string;
}

export interface SessionResult {
  counts: Partial<Counts>;
  failures: Omit<Failure, "seed">[];
  /** Target-specific figures, summed over sessions. */
  extra?: Record<string, number>;
}

export interface Target {
  name: string;
  /** What it fuzzes, for the summary. */
  what: string;
  /** Builds what the sessions need (a guest's .wasm) once; a failure stops the campaign. */
  prepare?(): Promise<unknown>;
  /** Sessions run side by side (default 1). */
  lanes?: number;
  /** One session from `seed`; `smoke` sessions are a fraction of a second of work. */
  session(seed: number, smoke: boolean): Promise<SessionResult>;
}

export interface Summary {
  target: string;
  what: string;
  seed: number;
  seconds: number;
  counts: Counts;
  extra: Record<string, number>;
  failures: Failure[];
}

export function zeroCounts(): Counts {
  return {
    sessions: 0, responses: 0, hostile: 0, traps: 0, panics: 0, hangs: 0, hostCrashes: 0, wrongData: 0,
    undetectable: 0, undetectableWrongData: 0, memoryHighWater: 0,
  };
}

/** The seed of session `i` of a campaign seeded `seed` (splitmix32-like: distinct, spread out). */
export function sessionSeed(seed: number, i: number): number {
  let x = (seed * 0x9e3779b1 + i * 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return ((x ^ (x >>> 16)) >>> 0) || 1;
}

export interface CampaignOptions {
  seed: number;
  /** Wall-clock budget, seconds: no session starts after it. */
  seconds: number;
  /** Keep going past `seconds` until this many hostile responses (0: no minimum). */
  minHostile: number;
  /** No session starts after this many seconds, whatever minHostile says. */
  maxSeconds: number;
  smoke: boolean;
  /** Runs only this session seed (a reproduction). */
  only?: number;
  /** No session starts after this many (the test suite's smoke runs: the same sessions on any machine). */
  maxSessions?: number;
  progress?: (s: Summary) => void;
}

export async function campaign(target: Target, opts: CampaignOptions): Promise<Summary> {
  const counts = zeroCounts();
  const extra: Record<string, number> = {};
  const failures: Failure[] = [];
  await target.prepare?.();
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  const summary = (): Summary => ({ target: target.name, what: target.what, seed: opts.seed, seconds: Math.round(elapsed()), counts, extra, failures });
  let next = 0;
  const more = () => {
    const t = elapsed();
    if (opts.only !== undefined) return next === 0;
    if (opts.maxSessions !== undefined && next >= opts.maxSessions) return false;
    return t < opts.maxSeconds && (t < opts.seconds || counts.hostile < opts.minHostile);
  };
  const lane = async () => {
    while (more()) {
      const i = next++;
      const seed = opts.only ?? sessionSeed(opts.seed, i);
      let result: SessionResult;
      try {
        result = await target.session(seed, opts.smoke);
      } catch (err) {
        result = { counts: { hostCrashes: 1 }, failures: [{ kind: "host crash", detail: (err as Error).stack?.split("\n").slice(0, 4).join(" | ") ?? String(err) }] };
      }
      counts.sessions++;
      for (const [k, v] of Object.entries(result.counts) as [keyof Counts, number][]) {
        counts[k] = k === "memoryHighWater" ? Math.max(counts[k], v) : counts[k] + v;
      }
      for (const [k, v] of Object.entries(result.extra ?? {})) extra[k] = (extra[k] ?? 0) + v;
      for (const f of result.failures) {
        // The first few of each kind are enough to reproduce it.
        if (failures.filter((x) => x.kind === f.kind).length < 20) failures.push({ ...f, seed });
      }
      if (counts.sessions % 20 === 0) opts.progress?.(summary());
    }
  };
  // Sessions that wait on real I/O (blkback's image file) overlap when run side by side.
  await Promise.all(Array.from({ length: opts.only !== undefined || opts.smoke ? 1 : target.lanes ?? 1 }, lane));
  return summary();
}

/** How a guest's session ended, as a failure of the campaign's kinds (undefined: it exited cleanly). */
export function outcome(d: Domain, runError?: unknown): Omit<Failure, "seed"> | undefined {
  const r = d.result;
  if (runError !== undefined && !/timed out/.test(String(runError))) return { kind: "host crash", detail: String(runError).split("\n")[0] };
  if (/^(morgana: )?panic: /m.test(d.console)) return { kind: "panic", detail: /^(morgana: )?panic: .*$/m.exec(d.console)![0] };
  if (!r) return { kind: "hang", detail: "never ended" };
  if (r.kind === "exit") return r.status === 0 ? undefined : { kind: "panic", detail: `exit ${r.status}: ${d.console.trim().split("\n").slice(-2).join(" | ")}` };
  if (r.kind === "trap") return { kind: "trap", detail: r.message };
  if (/timed out|blocked forever/.test(r.message)) return { kind: "hang", detail: r.message };
  return { kind: "host crash", detail: r.message };
}

/** Adds a guest session's outcome to `result` and its memory to the high-water mark. */
export function judge(d: Domain, runError: unknown, result: SessionResult): SessionResult {
  const o = outcome(d, runError);
  const key = { trap: "traps", panic: "panics", hang: "hangs", "host crash": "hostCrashes", "wrong data": "wrongData" } as const;
  if (o) {
    result.failures.push(o);
    result.counts[key[o.kind]] = (result.counts[key[o.kind]] ?? 0) + 1;
  }
  result.counts.memoryHighWater = Math.max(result.counts.memoryHighWater ?? 0, d.memory.buffer.byteLength);
  return result;
}

/** Runs the simulation, returning what it threw (a wall-clock timeout is a hang, anything else a host crash). */
export async function runSim(sim: { run(o: { timeoutMs: number }): Promise<void> }, timeoutMs: number): Promise<unknown> {
  try {
    await sim.run({ timeoutMs });
    return undefined;
  } catch (err) {
    return err;
  }
}

/** True with probability `p`, from the session's seeded generator. */
export function chance(rng: Prng, p: number): boolean {
  return rng.random() < p;
}

export function pick<T>(rng: Prng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** The app folder's module, built and compiled once per process. */
export function guest(appDir: string): Promise<WebAssembly.Module> {
  let m = compiled.get(appDir);
  if (!m) {
    m = appWasm(appDir).then(compileGuest);
    compiled.set(appDir, m);
  }
  return m;
}

/** Set by --verbose (a reproduction): targets print what they did. */
export const verbose = { on: false };

// netfront's hot paths allocate nothing: in examples/ping as built (after
// Asyncify and -O3), no call path from transmit (inlined into the stack's
// Link#transmit) or any other method of Netfront reaches the GC allocator,
// except through abort/panic (the domain ends), the device reset after a
// broken ring (Netfront#ringBroken queues it), and the scheduler's timer heap
// and task queue (which grow only to the most ever pending at once). Nor do
// those paths carry Asyncify instrumentation.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { buildApp } from "../cli/build.ts";

it("transmit and receive reach no allocator and no Asyncify state", async () => {
  const out = join(mkdtempSync(join(tmpdir(), "morgana-nf-alloc-")), "ping.wasm");
  await buildApp("examples/ping", out, true);
  const wat = readFileSync(out.replace(/\.wasm$/, ".wat"), "utf8");
  const funcs = new Map(wat.split("\n (func ").slice(1).map((f) => [f.slice(0, f.search(/[\s(]/)), f] as const));
  const state = /\(export "asyncify_get_state" \(func (\S+)\)\)/.exec(wat)?.[1];
  const stateGlobal = /global\.get (\S+)\)/.exec(funcs.get(state!)!)?.[1];
  expect(stateGlobal).toBeDefined();
  // -O3 inlines Netfront#write into the stack's one caller, Link#transmit, and the event handler into poll.
  const roots = [...funcs.keys()].filter((n) => /netfront\/Netfront#[^:]+$|net\/link\/Link#transmit$/.test(n));
  expect(roots.some((n) => n.endsWith("Link#transmit"))).toBe(true);
  expect(roots.some((n) => n.endsWith("Netfront#poll"))).toBe(true);
  expect(funcs.get(roots.find((n) => n.endsWith("Link#transmit"))!)).toMatch(/grant_table|txFailed|evtchn|hypercall/);
  const allocating: string[] = [];
  const instrumented: string[] = [];
  const seen = new Set<string>();
  const todo = [...roots];
  while (todo.length) {
    const name = todo.pop()!;
    if (seen.has(name) || /\/(abort|panic)$|Netfront#ringBroken$|\/core\/sched\/(armTimer|cancelTimer|defer)$/.test(name)) continue;
    seen.add(name);
    const body = funcs.get(name);
    if (!body) continue;
    if (body.includes(`global.get ${stateGlobal}`)) instrumented.push(name);
    for (const [, callee] of body.matchAll(/\bcall (\$[^\s)]+)/g)) {
      if (/__new|__renew/.test(callee)) allocating.push(name);
      todo.push(callee);
    }
  }
  expect(seen.size).toBeGreaterThan(roots.length);
  expect(allocating).toEqual([]);
  expect(instrumented).toEqual([]);
}, 120_000);

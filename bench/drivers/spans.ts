// The driver benchmarks' clock: a guest prints "begin NAME" and "end NAME OPS"
// around each workload (or one guest begins and another ends it), and the host
// takes its own wall and CPU time as each line arrives (the simulator's time is
// virtual; the host's is what it costs).
import type { Domain } from "../../sim/index.ts";

export interface Span {
  name: string;
  ops: number;
  wallNs: number;
  /** CPU time of the whole process, every thread (the simulated backend's I/O worker too). */
  cpuNs: number;
}

const now = () => ({ wall: process.hrtime.bigint(), cpu: process.cpuUsage() });

/** Collects the spans of `domains` as their consoles arrive; `lines(d)` is every line of `d` so far. */
export function watchSpans(domains: Domain[]): { spans: Span[]; lines: (d: Domain) => string[] } {
  const spans: Span[] = [];
  const open = new Map<string, ReturnType<typeof now>>();
  const lines = new Map<Domain, string[]>();
  for (const domain of domains) {
    const own: string[] = [];
    lines.set(domain, own);
    let partial = "";
    domain.onConsole((text) => {
      const at = now();
      const parts = (partial + text).split("\n");
      partial = parts.pop()!;
      for (const line of parts) {
        own.push(line);
        const begin = /^begin (\S+)$/.exec(line);
        if (begin) open.set(begin[1], at);
        const end = /^end (\S+) (\d+)$/.exec(line);
        const start = end && open.get(end[1]);
        if (!end || !start) continue;
        const cpu = process.cpuUsage(start.cpu);
        spans.push({ name: end[1], ops: Number(end[2]), wallNs: Number(at.wall - start.wall), cpuNs: (cpu.user + cpu.system) * 1000 });
      }
    });
  }
  return { spans, lines: (d) => lines.get(d) ?? [] };
}

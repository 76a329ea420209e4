// npm run fuzz [-- --seconds N --seed N --min-hostile N --max-seconds N --smoke --session SEED --verbose target...]:
// runs each campaign, prints its counts, writes fuzz/results/<target>.json and
// fuzz/results/summary.json; a failure prints the command that reproduces it.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Summary, type Target, campaign, verbose } from "./campaign.ts";
import { TARGETS } from "./targets/index.ts";

const RESULTS = join(import.meta.dirname, "results");

function usage(message: string): never {
  console.error(`fuzz: ${message}\nusage: npm run fuzz -- [--seconds N] [--seed N] [--min-hostile N] [--max-seconds N] [--smoke] [--session SEED [--verbose]] [target...]\ntargets: ${TARGETS.map((t) => t.name).join(", ")}`);
  process.exit(2);
}

function parse(argv: string[]) {
  const opts = { seconds: 60, seed: 1, minHostile: 0, maxSeconds: 0, smoke: false, only: undefined as number | undefined, names: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = argv[++i];
      if (v === undefined || !/^\d+$/.test(v)) usage(`${a} needs a whole number`);
      return Number(v);
    };
    if (a === "--seconds") opts.seconds = num();
    else if (a === "--seed") opts.seed = num();
    else if (a === "--min-hostile") opts.minHostile = num();
    else if (a === "--max-seconds") opts.maxSeconds = num();
    else if (a === "--session") opts.only = num();
    else if (a === "--smoke") opts.smoke = true;
    else if (a === "--verbose") verbose.on = true;
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else opts.names.push(a);
  }
  if (!opts.maxSeconds) opts.maxSeconds = Math.max(opts.seconds, 1) * 10;
  return opts;
}

function line(s: Summary): string {
  const c = s.counts;
  return `${s.target}: ${c.sessions} sessions in ${s.seconds} s, responses ${c.responses}, hostile ${c.hostile}, traps ${c.traps}, panics ${c.panics}, hangs ${c.hangs}, host crashes ${c.hostCrashes}, wrong data ${c.wrongData}, undetectable ${c.undetectable} (wrong data after them ${c.undetectableWrongData}), memory high-water ${(c.memoryHighWater / 2 ** 20).toFixed(1)} MiB`;
}

async function main(): Promise<void> {
  const opts = parse(process.argv.slice(2));
  for (const n of opts.names) if (!TARGETS.some((t) => t.name === n)) usage(`no target ${n}`);
  const chosen: Target[] = opts.names.length ? TARGETS.filter((t) => opts.names.includes(t.name)) : TARGETS;
  mkdirSync(RESULTS, { recursive: true });
  const all: Summary[] = [];
  let failed = false;
  for (const target of chosen) {
    const s = await campaign(target, { ...opts, progress: (p) => process.stderr.write(`  ${line(p)}\n`) });
    all.push(s);
    console.log(line(s));
    console.log(`  ${Object.entries(s.extra).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    for (const f of s.failures) {
      failed = true;
      console.log(`  FAIL ${f.kind}: ${f.detail}\n    reproduce: npm run fuzz -- --session ${f.seed} ${target.name}`);
    }
    if (opts.only === undefined && !opts.smoke) writeFileSync(join(RESULTS, `${target.name}.json`), JSON.stringify({ ...s, date: new Date().toISOString() }, null, 2) + "\n");
  }
  process.exitCode = failed ? 1 : 0;
}

await main();

// The command line both benchmarks share: --rounds N, --quick (a sliver of the
// work, for smoke runs), --out DIR; one line on error.
import { join } from "node:path";
import { REPO } from "../cli/build.ts";

export interface BenchArgs {
  rounds: number;
  /** 1, or the fraction --quick runs. */
  scale: number;
  outDir: string;
  log: (line: string) => void;
}

/** Parses the arguments, runs `bench`, prints its summary; exits 2 on bad arguments, 1 on failure. */
export function benchMain<R>(
  name: string, defaultRounds: number, quickScale: number,
  bench: (args: BenchArgs) => Promise<R>, summary: (result: R) => string,
): void {
  const args = process.argv.slice(2);
  const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const quick = args.includes("--quick");
  const rounds = Number(value("--rounds") ?? (quick ? 1 : defaultRounds));
  if (!Number.isInteger(rounds) || rounds < 1) {
    console.error(`${name}: --rounds takes a positive integer`);
    process.exit(2);
  }
  const outDir = value("--out") ?? join(REPO, "bench/results");
  bench({ rounds, scale: quick ? quickScale : 1, outDir, log: (l) => console.log(l) })
    .then((r) => console.log("\n" + summary(r)))
    .catch((err) => {
      console.error(`${name}: ${err instanceof Error ? err.message : err}`);
      process.exit(1);
    });
}

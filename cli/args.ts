// Command-line parsing for `morgana`: known options only, each error one line.

export class UsageError extends Error {}

export const USAGE = `usage: morgana build <app-dir> [--target sim|xen] [-o FILE]
       morgana run <app-dir> [--target sim|xen] [--seed N] [--timeout SECONDS] [--cmdline "..."] [--memory MiB]
                   [--disk FILE [--disk-size SIZE] [--disk-ro]] [--net tap:ADDR/LEN] [--xenstore-socket PATH]`;

export interface Options {
  command: "build" | "run";
  appDir: string;
  target: "sim" | "xen";
  out?: string;
  seed: number;
  timeoutSeconds?: number;
  cmdline: string;
  memoryMiB: number;
  xenstoreSocket?: string;
  disk?: string;
  /** Bytes; creates the image when the file is absent. */
  diskSize?: number;
  diskRo: boolean;
  /** tap:ADDR/LEN: a real Linux tap in a namespace of its own, bridged to the unikernel. */
  net?: string;
}

type Kind = "string" | "int" | "number" | "size" | "flag";
const OPTIONS: Record<string, { key: keyof Options; kind: Kind; commands: string[] }> = {
  "--target": { key: "target", kind: "string", commands: ["build", "run"] },
  "-o": { key: "out", kind: "string", commands: ["build", "run"] },
  "--seed": { key: "seed", kind: "int", commands: ["run"] },
  "--timeout": { key: "timeoutSeconds", kind: "number", commands: ["run"] },
  "--cmdline": { key: "cmdline", kind: "string", commands: ["run"] },
  "--memory": { key: "memoryMiB", kind: "int", commands: ["run"] },
  "--xenstore-socket": { key: "xenstoreSocket", kind: "string", commands: ["run"] },
  "--disk": { key: "disk", kind: "string", commands: ["build", "run"] },
  "--disk-size": { key: "diskSize", kind: "size", commands: ["run"] },
  "--disk-ro": { key: "diskRo", kind: "flag", commands: ["build", "run"] },
  "--net": { key: "net", kind: "string", commands: ["build", "run"] },
};

export function parseArgs(argv: string[]): Options {
  const [command, ...rest] = argv;
  if (command !== "build" && command !== "run") {
    throw new UsageError(command ? `unknown command '${command}'` : "no command given");
  }
  const opts: Options = { command, appDir: "", target: "sim", seed: 1, cmdline: "", memoryMiB: 32, diskRo: false };
  const values = opts as unknown as Record<string, unknown>;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const spec = OPTIONS[arg];
    if (!arg.startsWith("-")) {
      if (opts.appDir) throw new UsageError(`unexpected argument '${arg}'`);
      opts.appDir = arg;
      continue;
    }
    if (!spec || !spec.commands.includes(command)) throw new UsageError(`unknown option '${arg}' for ${command}`);
    if (spec.kind === "flag") {
      values[spec.key] = true;
      continue;
    }
    const value = rest[++i];
    if (value === undefined) throw new UsageError(`${arg} needs a value`);
    values[spec.key] = convert(arg, value, spec.kind);
  }
  if (!opts.appDir) throw new UsageError(`${command} needs an app folder`);
  if (opts.target !== "sim" && opts.target !== "xen") throw new UsageError(`--target must be sim or xen, not '${opts.target}'`);
  if (opts.timeoutSeconds !== undefined && !(opts.timeoutSeconds > 0)) throw new UsageError("--timeout must be positive");
  if (!(opts.memoryMiB >= 1)) throw new UsageError("--memory must be at least 1 MiB");
  if ((opts.diskSize !== undefined || opts.diskRo) && !opts.disk) throw new UsageError("--disk-size and --disk-ro go with --disk FILE");
  if (opts.net !== undefined && !/^tap:/.test(opts.net)) throw new UsageError(`--net takes tap:ADDR/LEN (e.g. tap:10.77.0.1/24), not '${opts.net}'`);
  return opts;
}

const UNITS: Record<string, number> = { "": 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 };

function convert(flag: string, value: string, kind: Kind): string | number {
  if (kind === "string") return value;
  if (kind === "size") {
    const m = /^(\d+)([KMG]?)$/i.exec(value);
    if (!m) throw new UsageError(`${flag} takes a size like 64M or 1G, not '${value}'`);
    return Number(m[1]) * UNITS[m[2].toUpperCase()];
  }
  const n = Number(value);
  if (!Number.isFinite(n) || (kind === "int" && !Number.isInteger(n))) {
    throw new UsageError(`${flag} takes a ${kind === "int" ? "whole number" : "number"}, not '${value}'`);
  }
  return n;
}

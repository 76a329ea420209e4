// Boots unikernels on real Xen 4.17 in QEMU (TCG): as dom0 when they need no
// devices, otherwise as domUs of the test bed's Linux dom0
// (scripts/xen-testbed). Serial lines are time-stamped on the host as they
// arrive (QEMU's own serial output has no timestamps).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import * as testbed from "../scripts/xen-testbed/testbed.ts";
import type { TestbedGuest } from "../scripts/xen-testbed/testbed.ts";
import { CliError } from "./errors.ts";

const QEMU = "qemu-system-x86_64";
const XEN_ARGS = "console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all noreboot";
/** Xen's last boot line before it starts dom0: the zero of boot-time figures. */
export const XEN_READY = /Freed \d+kB init memory/;
const STATUS = /^morgana: exit (-?\d+)$/;
const TRAP = /^morgana: (trap|fault) /;

export interface SerialLine {
  /** Milliseconds since QEMU was started, measured on the host. */
  at: number;
  text: string;
}

export interface XenResult {
  /** N of the unikernel's last `morgana: exit N` line; null if it printed none. */
  status: number | null;
  shutdown: "poweroff" | "crash" | "reboot" | "timeout" | string;
  /** The unikernel's console lines (without Xen's or dom0's). */
  console: SerialLine[];
  /** Every serial line, Xen's included. */
  serial: SerialLine[];
  /** domUs: the whole console log as xenconsoled wrote it, summarised by dom0. */
  log?: { lines: number; md5: string };
  /** domUs: SHA-256 of each disk image as dom0 sees it after the guest ended. */
  files?: Map<string, string>;
  /** domUs: what the guest's check script printed in dom0. */
  check?: string[];
  /** QEMU's exit status (dom0 runs: (code << 1) | 1 from isa-debug-exit), null if killed. */
  qemuStatus: number | null;
  wallMs: number;
}

export interface RunOptions {
  /** Wall-clock limit for the whole QEMU run. */
  timeoutMs?: number;
  /** The domain's memory (default 64 MiB as dom0, 32 MiB as a domU). */
  memoryMiB?: number;
  /** Extra words for the unikernel's command line. */
  cmdline?: string;
  /** Called with each console line of the unikernel as it arrives. */
  onConsole?: (line: string) => void;
  /** More CPU features for QEMU's qemu64 model (dom0 runs), e.g. "+rdrand". */
  cpuFeatures?: string;
}

/** The test bed's own errors (a missing package, apt failing) as one-line CLI errors. */
function fromTestbed<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof testbed.TestbedError) throw new CliError(err.message);
    throw err;
  }
}

function requireQemu(): void {
  if (spawnSync(QEMU, ["--version"], { stdio: "ignore" }).error) {
    throw new CliError(`${QEMU} not found: install Debian's qemu-system-x86 (apt-get install qemu-system-x86)`);
  }
}

/** Lines after which nothing more can happen: QEMU is stopped at once. */
const DEAD_END = /^\(XEN\) Hardware Dom0 (crashed|halted)|Kernel panic - not syncing/;

/** Runs QEMU with Xen and two multiboot modules, streaming serial lines. */
function qemu(
  xenArgs: string, memoryMiB: number, modules: string, timeoutMs: number, onLine: (line: SerialLine) => void, cpuFeatures = "",
): Promise<{ serial: SerialLine[]; qemuStatus: number | null; timedOut: boolean; wallMs: number }> {
  requireQemu();
  const args = [
    "-accel", "tcg", "-cpu", `qemu64,+svm${cpuFeatures ? `,${cpuFeatures}` : ""}`, "-m", String(memoryMiB), "-smp", "1", "-display", "none",
    "-no-reboot", "-monitor", "none", "-nic", "none", "-chardev", "stdio,id=com1,signal=off", "-serial", "chardev:com1",
    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
    "-kernel", fromTestbed(testbed.xenBinary), "-append", `${XEN_ARGS} ${xenArgs}`, "-initrd", modules,
  ];
  const started = Date.now();
  const child = spawn(QEMU, args, { stdio: ["ignore", "pipe", "pipe"] });
  const serial: SerialLine[] = [];
  let partial = "", stderr = "", timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    const at = Date.now() - started;
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const raw of lines) {
      const line = { at, text: raw.replace(/\r+$/, "") };
      serial.push(line);
      onLine(line);
      if (DEAD_END.test(line.text)) child.kill("SIGKILL");
    }
  });
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolvePromise, reject) => {
    child.on("error", (err) => reject(new CliError(`${QEMU}: ${err.message}`)));
    child.on("close", (code) => {
      clearTimeout(timer);
      if (partial) serial.push({ at: Date.now() - started, text: partial });
      if (code !== null && serial.length === 0 && stderr) {
        return reject(new CliError(`${QEMU}: ${stderr.trim().split("\n")[0]}`));
      }
      resolvePromise({ serial, qemuStatus: code, timedOut, wallMs: Date.now() - started });
    });
  });
}

function statusOf(console: SerialLine[]): number | null {
  for (let i = console.length - 1; i >= 0; i--) {
    const m = STATUS.exec(console[i].text);
    if (m) return Number(m[1]);
  }
  return null;
}

/**
 * Boots `image` as dom0 (no devices, about a second of QEMU): its console is
 * Xen's serial line, and `qemu-exit` on its command line makes the stub end
 * QEMU through isa-debug-exit when the unikernel exits or crashes.
 */
export async function runDom0(image: string, opts: RunOptions = {}): Promise<XenResult> {
  const console: SerialLine[] = [];
  let xenReady = false;
  const memoryMiB = opts.memoryMiB ?? 64;
  const run = await qemu(`dom0_mem=${memoryMiB}M`, Math.max(512, memoryMiB + 256), `${image} qemu-exit ${opts.cmdline ?? ""}`.trim(), opts.timeoutMs ?? 60_000, (line) => {
    if (!xenReady) {
      xenReady = XEN_READY.test(line.text);
      return;
    }
    if (line.text.startsWith("(XEN)")) return;
    console.push(line);
    opts.onConsole?.(line.text);
  }, opts.cpuFeatures);
  const status = statusOf(console);
  const crashed = console.some((l) => TRAP.test(l.text)) || (status ?? 1) !== 0;
  return {
    status,
    shutdown: run.timedOut ? "timeout" : crashed ? "crash" : "poweroff",
    console,
    serial: run.serial,
    qemuStatus: run.qemuStatus,
    wallMs: run.wallMs,
  };
}

export interface XlConfig {
  name: string;
  kernel: string;
  memoryMiB: number;
  cmdline?: string;
  /** Adds a vif on the test bed's bridge xenbr0. */
  net?: boolean;
  /** A disk image for blkfront (xvda), served by blkback from a loop device. */
  disk?: string;
}

/** Writes an xl domain configuration (xl.cfg(5)) for a PV guest. */
export function writeXlConfig(path: string, cfg: XlConfig): void {
  const quote = (s: string) => `"${s.replace(/["\\]/g, "\\$&")}"`;
  const lines = [
    `# Generated by morgana (cli/run-xen.ts): a Morgana unikernel as a PV guest.`,
    `name = ${quote(cfg.name)}`,
    `type = "pv"`,
    `kernel = ${quote(cfg.kernel)}`,
    `memory = ${cfg.memoryMiB}`,
    `vcpus = 1`,
    `on_poweroff = "destroy"`,
    `on_reboot = "destroy"`,
    `on_crash = "destroy"`,
  ];
  if (cfg.cmdline) lines.push(`cmdline = ${quote(cfg.cmdline)}`);
  if (cfg.net) lines.push(`vif = [ "bridge=xenbr0,script=vif-morgana" ]`);
  // target= must be the last key of a disk spec.
  if (cfg.disk) lines.push(`disk = [ "format=raw,vdev=xvda,access=rw,script=block-morgana,target=${cfg.disk}" ]`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, lines.join("\n") + "\n");
}

export interface DomUGuest extends Omit<TestbedGuest, "config"> {
  xl: Omit<XlConfig, "name" | "kernel">;
  onConsole?: (line: string) => void;
}

/**
 * Boots the test bed's Linux dom0 once and runs each guest in turn as a domU
 * (about 50 s for the dom0, then seconds per guest). A guest's console comes
 * from xenconsoled's log; its shutdown reason from `xl create -F`.
 */
export async function runDomUs(guests: DomUGuest[], opts: { timeoutMs?: number } = {}): Promise<Map<string, XenResult>> {
  const { kernel } = fromTestbed(testbed.dom0);
  const tested: TestbedGuest[] = guests.map((g) => {
    const config = `${g.kernel}.${g.name}.cfg`;
    writeXlConfig(config, { ...g.xl, name: g.name, kernel: `/guests/${g.name}/kernel` });
    return { name: g.name, kernel: g.kernel, config, timeoutSeconds: g.timeoutSeconds, stream: g.stream, files: g.files, check: g.check };
  });
  const initramfs = fromTestbed(() => testbed.runInitramfs(tested));
  const results = new Map<string, XenResult>();
  const consoles = new Map<string, SerialLine[]>(guests.map((g) => [g.name, []]));
  const reasons = new Map<string, string>();
  const logs = new Map<string, { lines: number; md5: string }>();
  const files = new Map<string, Map<string, string>>(guests.map((g) => [g.name, new Map()]));
  const checks = new Map<string, string[]>(guests.map((g) => [g.name, []]));
  const byName = new Map(guests.map((g) => [g.name, g]));
  const limit = opts.timeoutMs ?? 120_000 + guests.reduce((t, g) => t + g.timeoutSeconds * 1000, 0);
  const run = await qemu(
    "dom0_mem=512M,max:512M dom0_max_vcpus=1", 2048,
    `${kernel} console=hvc0 earlyprintk=xen loglevel=3 rdinit=/init,${initramfs}`, limit,
    (line) => {
      const m = /^TESTBED (\S+)(?: shutdown (\S+)| log (\d+) ([0-9a-f]{32})| file (\S+) ([0-9a-f]{64})| check: (.*)|: (.*))$/.exec(line.text);
      if (!m || !byName.has(m[1])) return;
      if (m[2] !== undefined) return void reasons.set(m[1], m[2]);
      if (m[3] !== undefined) return void logs.set(m[1], { lines: Number(m[3]), md5: m[4] });
      if (m[5] !== undefined) return void files.get(m[1])!.set(m[5], m[6]);
      if (m[7] !== undefined) return void checks.get(m[1])!.push(m[7]);
      consoles.get(m[1])!.push({ at: line.at, text: m[8] });
      byName.get(m[1])!.onConsole?.(m[8]);
    },
  );
  for (const g of guests) {
    const console = consoles.get(g.name)!;
    results.set(g.name, {
      status: statusOf(console),
      shutdown: reasons.get(g.name) ?? "timeout",
      console,
      log: logs.get(g.name),
      files: files.get(g.name),
      check: checks.get(g.name),
      serial: run.serial,
      qemuStatus: run.qemuStatus,
      wallMs: run.wallMs,
    });
  }
  return results;
}

/**
 * Boots `image` the quickest way its devices allow: as dom0 when it needs
 * none, else as a domU of the test bed with a vif on xenbr0 and/or a disk.
 */
export async function runOnXen(
  image: string, opts: RunOptions & { net?: boolean; disk?: string; name?: string } = {},
): Promise<XenResult> {
  if (!opts.net && !opts.disk) return runDom0(image, opts);
  const name = opts.name ?? "morgana";
  const timeoutSeconds = Math.ceil((opts.timeoutMs ?? 60_000) / 1000);
  const results = await runDomUs([{
    name, kernel: image, timeoutSeconds, onConsole: opts.onConsole,
    files: opts.disk ? [opts.disk] : [],
    xl: { memoryMiB: opts.memoryMiB ?? 32, cmdline: opts.cmdline, net: opts.net, disk: opts.disk ? `/guests/${name}/${basename(opts.disk)}` : undefined },
  }]);
  return results.get(name)!;
}

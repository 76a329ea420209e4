// The real-Xen test bed (XEN-TESTBED.md), built from Debian's packages only
// and cached under .cache/xen-testbed: Xen's multiboot image, and a Linux
// dom0 (kernel + initramfs with busybox, the Xen toolstack, the backend
// modules and init.sh) that `xl create`s the guests it is given.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const CACHE = join(HERE, "..", "..", ".cache", "xen-testbed");
const XEN_GZ = "/boot/xen-4.17-amd64.gz";
const XEN_BIN = "/usr/lib/xen-4.17/bin";
const DOM0_PROGRAMS = ["xl", "xenstored", "xenconsoled", "xen-init-dom0", "libxl-save-helper"];
/** Tools from other packages, for hotplug scripts and guests' check scripts. */
const TOOLS = ["usr/bin/xenstore-read", "usr/bin/xenstore-write", "usr/bin/xenstore-ls", "usr/bin/xenstore-rm", "usr/bin/socat"];
const MODULES = [
  "net/llc/llc", "net/802/stp", "net/bridge/bridge", "drivers/block/loop", "drivers/xen/xen-evtchn",
  "drivers/xen/xen-privcmd", "drivers/xen/xenfs/xenfs", "drivers/xen/xen-gntdev", "drivers/xen/xen-gntalloc",
  "drivers/net/xen-netback/xen-netback", "drivers/block/xen-blkback/xen-blkback",
];

export class TestbedError extends Error {}

function sh(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new TestbedError(`${cmd} ${args.join(" ")}: ${(e.stderr || e.message).trim().split("\n").pop()}`);
  }
}

function needTool(path: string, pkg: string): void {
  if (!existsSync(path)) throw new TestbedError(`${path} not found: install Debian's ${pkg} (apt-get install ${pkg})`);
}

/** Xen's multiboot image for QEMU's -kernel (gunzipped from Debian's xen-hypervisor-4.17-amd64). */
export function xenBinary(): string {
  needTool(XEN_GZ, "xen-hypervisor-4.17-amd64");
  const out = join(CACHE, "xen");
  if (!existsSync(out)) {
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(`${out}.tmp`, execFileSync("zcat", [XEN_GZ], { maxBuffer: 1 << 26 }));
    renameSync(`${out}.tmp`, out);
  }
  return out;
}

/** Writes a newc cpio of `dir` (the format Linux unpacks as an initramfs). */
function cpio(dir: string, out: string): void {
  needTool("/usr/bin/cpio", "cpio");
  sh("sh", ["-c", `find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc > '${out}.tmp'`], dir);
  renameSync(`${out}.tmp`, out);
}

/** Every shared library `ldd` lists for the programs, plus the loader. */
function libraries(programs: string[]): string[] {
  const libs = new Set<string>(["/lib/x86_64-linux-gnu/libgcc_s.so.1"]); // xl aborts without it
  for (const program of programs) {
    for (const line of sh("ldd", [program]).split("\n")) {
      const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
      if (m) libs.add(m[1]);
      if (/not found/.test(line)) throw new TestbedError(`${program}: ${line.trim()} (install Debian's libxen-dev)`);
    }
  }
  return [...libs];
}

function copyInto(root: string, path: string, as = path): void {
  mkdirSync(join(root, dirname(as)), { recursive: true });
  copyFileSync(path, join(root, as));
}

function sourcesHash(): string {
  const h = createHash("sha256");
  for (const f of ["init.sh", "vif.sh", "block.sh", "testbed.ts"]) h.update(readFileSync(join(HERE, f)));
  return h.digest("hex").slice(0, 16);
}

/** The dom0 kernel and its base initramfs, built once and cached. */
export function dom0(): { kernel: string; initramfs: string } {
  const kernel = join(CACHE, "vmlinuz"), initramfs = join(CACHE, "dom0.cpio"), stamp = join(CACHE, "dom0.stamp");
  const hash = sourcesHash();
  if (existsSync(kernel) && existsSync(initramfs) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) {
    return { kernel, initramfs };
  }
  needTool("/usr/bin/apt-get", "apt");
  const work = join(CACHE, "work");
  rmSync(work, { recursive: true, force: true, maxRetries: 5 });
  const debs = join(work, "debs"), pkg = join(work, "pkg"), root = join(work, "root");
  mkdirSync(debs, { recursive: true });
  const abi = /Depends:\s*(linux-image-\S+-amd64)/.exec(sh("apt-cache", ["depends", "linux-image-amd64"]))?.[1];
  if (!abi) throw new TestbedError("apt-cache depends linux-image-amd64 names no kernel: run apt-get update");
  sh("apt-get", ["download", "-q", abi, "xen-utils-4.17", "xenstore-utils", "busybox-static", "socat"], debs);
  for (const deb of readdirSync(debs)) sh("dpkg-deb", ["-x", join(debs, deb), pkg]);

  const vmlinuz = readdirSync(join(pkg, "boot")).find((f) => f.startsWith("vmlinuz-"));
  if (!vmlinuz) throw new TestbedError(`${abi} holds no vmlinuz`);
  const release = vmlinuz.slice("vmlinuz-".length);
  for (const d of ["bin", "dev", "proc", "sys", "run", "tmp", "modules", "guests", "etc/xen/scripts"]) {
    mkdirSync(join(root, d), { recursive: true });
  }
  copyInto(root, join(pkg, "bin", "busybox"), "/bin/busybox");
  const programs = DOM0_PROGRAMS.map((p) => join(pkg, XEN_BIN, p));
  programs.forEach((p, i) => copyInto(root, p, join(XEN_BIN, DOM0_PROGRAMS[i])));
  const tools = TOOLS.map((t) => join(pkg, t));
  for (const t of tools) copyInto(root, t, join("/bin", basename(t)));
  for (const lib of libraries([...programs, ...tools])) copyInto(root, lib);
  for (const m of MODULES) {
    copyInto(root, join(pkg, "lib", "modules", release, "kernel", `${m}.ko`), join("/modules", `${basename(m)}.ko`));
  }
  writeFileSync(join(root, "etc", "xen", "xl.conf"), "# xl's defaults\n");
  copyInto(root, join(HERE, "init.sh"), "/init");
  copyInto(root, join(HERE, "vif.sh"), "/etc/xen/scripts/vif-morgana");
  copyInto(root, join(HERE, "block.sh"), "/etc/xen/scripts/block-morgana");
  for (const f of ["/init", "/etc/xen/scripts/vif-morgana", "/etc/xen/scripts/block-morgana"]) chmodSync(join(root, f), 0o755);

  copyFileSync(join(pkg, "boot", vmlinuz), kernel);
  cpio(root, initramfs);
  writeFileSync(stamp, hash);
  rmSync(work, { recursive: true, force: true, maxRetries: 5 });
  return { kernel, initramfs };
}

/** A guest for one test-bed run: its image and xl config (written by cli/run-xen.ts). */
export interface TestbedGuest {
  name: string;
  kernel: string;
  config: string;
  /** Wall-clock seconds before dom0 destroys it. */
  timeoutSeconds: number;
  /** Stream the console line by line (default), or only report its line count and md5 (floods). */
  stream?: boolean;
  /** Disk images to place beside the guest (blkfront); dom0 reports each *.img's SHA-256 afterwards. */
  files?: string[];
  /** A busybox sh script dom0 runs beside the guest: $1 its name, $2 its console log. */
  check?: string;
}

/** The base initramfs with the guests appended (Linux unpacks concatenated cpio archives). */
export function runInitramfs(guests: TestbedGuest[]): string {
  const { initramfs } = dom0();
  const run = join(CACHE, "run");
  rmSync(run, { recursive: true, force: true });
  for (const g of guests) {
    if (!/^[A-Za-z0-9_-]+$/.test(g.name)) throw new TestbedError(`guest name ${JSON.stringify(g.name)}: use letters, digits, - and _`);
    const dir = join(run, "guests", g.name);
    mkdirSync(dir, { recursive: true });
    copyFileSync(g.kernel, join(dir, "kernel"));
    copyFileSync(g.config, join(dir, "cfg"));
    for (const f of g.files ?? []) copyFileSync(f, join(dir, basename(f)));
    if (g.check) copyFileSync(g.check, join(dir, "check.sh"));
  }
  writeFileSync(join(run, "guests", "list"), guests.map((g) => `${g.name} ${g.timeoutSeconds} ${g.stream === false ? "summary" : "stream"}\n`).join(""));
  const extra = join(CACHE, "run.cpio"), out = join(CACHE, "run-initramfs.cpio");
  cpio(run, extra);
  writeFileSync(out, Buffer.concat([readFileSync(initramfs), readFileSync(extra)]));
  return out;
}

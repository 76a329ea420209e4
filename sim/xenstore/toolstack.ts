// The xenstore layout `xl` (libxl) writes for a domain and its devices, so that
// frontends find on the simulator what they find on real Xen: the domain's home
// (libxl__domain_make, libxl__build_post), and each device's frontend under
// /local/domain/<domid>/device/<kind>/<devid>, its backend under
// /local/domain/<backend>/backend/<kind>/<domid>/<devid> and libxl's own record
// under /libxl/<domid>/device/<kind>/<devid> (libxl__device_generic_add).
import { XenbusStateInitialising } from "../xen/io/xenbus.ts";
import { PERM_NONE, PERM_READ, type Perm, type Store, implicitPath, parentPath } from "./store.ts";
import { Transaction } from "./transaction.ts";
import { XsError, bytes, utf8 } from "./wire.ts";

// libxl runs in dom0 with full rights.
const TOOLSTACK = { domid: 0, privileged: true };

export interface DomainConfig {
  domid: number;
  name: string;
  uuid: string;
  /** Maximum memory in KiB (memory/static-max). */
  maxMemKiB: number;
  vcpus: number;
  storeMfn: bigint;
  storePort: number;
  console?: { mfn: bigint; port: number; backendDomid?: number };
}

export interface VbdConfig {
  /** Guest device name: "xvda", "xvdb1", or a number. */
  vdev: string;
  /** The backing file or device (backend "params"). */
  target: string;
  readonly?: boolean;
  cdrom?: boolean;
  backendDomid?: number;
}

export interface VifConfig {
  devid: number;
  /** "00:16:3e:xx:xx:xx" */
  mac: string;
  bridge?: string;
  mtu?: number;
  backendDomid?: number;
}

/** libxl__device_disk_dev_number for xvd names and plain numbers. */
export function vbdDevid(vdev: string): number {
  if (/^\d+$/.test(vdev)) return Number(vdev);
  const match = /^xvd([a-z]+)([1-9]\d*)?$/.exec(vdev);
  if (!match) throw new Error(`toolstack: unsupported virtual disk name "${vdev}"`);
  const disk = [...match[1]].reduce((n, c) => (n + 1) * 26 + c.charCodeAt(0) - 97, -1);
  const partition = match[2] ? Number(match[2]) : 0;
  if (disk > (1 << 20) - 1 || partition > 255) throw new Error(`toolstack: virtual disk "${vdev}" out of range`);
  return disk <= 15 && partition <= 15 ? (202 << 8) | (disk << 4) | partition : (1 << 28) | (disk << 8) | partition;
}

function perms(owner: number, reader?: number): Perm[] {
  return reader === undefined ? [{ id: owner, perms: PERM_NONE }] : [{ id: owner, perms: PERM_NONE }, { id: reader, perms: PERM_READ }];
}

/** One xenstore transaction of the toolstack, like libxl's retry loops (the simulator never conflicts). */
class Edit {
  private readonly tx: Transaction;

  constructor(private readonly store: Store) {
    this.tx = new Transaction(store, 0);
  }

  write(path: string, value: string, p?: Perm[]): void {
    this.store.write(this.tx, TOOLSTACK, path, bytes(value));
    if (p) this.store.setPerms(this.tx, TOOLSTACK, path, p);
  }

  writeAll(dir: string, entries: Record<string, string>, p?: Perm[]): void {
    for (const [key, value] of Object.entries(entries)) this.write(`${dir}/${key}`, value, p);
  }

  mknod(path: string, p: Perm[]): void {
    this.write(path, "", p);
  }

  /** Removes `path` if it exists (libxl ignores xs_rm failures). */
  rm(path: string): void {
    try {
      this.store.rm(this.tx, TOOLSTACK, path);
    } catch (err) {
      if (!(err instanceof XsError && err.errno === "ENOENT")) throw err;
    }
  }

  /** Removes `path`, then each parent left empty (libxl__xs_path_cleanup). */
  rmWithEmptyParents(path: string): void {
    this.rm(path);
    for (let p = parentPath(path); p !== "/"; p = parentPath(p)) {
      const node = this.tx.read(p);
      if (!node || node.children.length > 0 || node.value.length > 0) break;
      this.rm(p);
    }
  }

  commit(): void {
    this.tx.commit(() => {});
  }
}

export class Toolstack {
  constructor(private readonly store: Store) {}

  /** What xen-init-dom0 writes for the control domain. */
  initDom0(): void {
    const edit = new Edit(this.store);
    edit.writeAll(implicitPath(0), { name: "Domain-0", domid: "0" });
    edit.commit();
  }

  /** libxl__domain_make then libxl__build_post for a PV domain (before XS_INTRODUCE). */
  createDomain(cfg: DomainConfig): void {
    const { domid } = cfg;
    const dom = implicitPath(domid);
    const vm = `/vm/${cfg.uuid}`;
    const libxl = `/libxl/${domid}`;
    const ro = perms(0, domid);
    const rw = perms(domid);
    const edit = new Edit(this.store);
    for (const [path, p] of [[dom, ro], [vm, ro], [libxl, perms(0)]] as const) {
      edit.rm(path);
      edit.mknod(path, p);
    }
    edit.mknod(`${libxl}/device`, perms(0));
    edit.write(`${dom}/vm`, vm);
    edit.write(`${dom}/name`, cfg.name);
    edit.write(`${vm}/name`, cfg.name);
    edit.write(`${vm}/uuid`, cfg.uuid);
    for (const node of ["cpu", "memory", "device", "control"]) edit.mknod(`${dom}/${node}`, ro);
    for (const node of [
      "device/suspend/event-channel", "control/shutdown", "control/feature-poweroff", "control/feature-reboot",
      "control/feature-suspend", "control/sysrq", "data", "drivers", "feature", "attr", "error",
    ]) {
      edit.mknod(`${dom}/${node}`, rw);
    }
    edit.writeAll(dom, {
      "control/platform-feature-multiprocessor-suspend": "1",
      "control/platform-feature-xs_reset_watches": "1",
    });
    edit.write(`${libxl}/type`, "pv");
    edit.writeAll(dom, {
      "memory/static-max": String(cfg.maxMemKiB),
      "memory/target": String(cfg.maxMemKiB),
      "memory/videoram": "0",
      domid: String(domid),
      "store/port": String(cfg.storePort),
      "store/ring-ref": String(cfg.storeMfn),
    });
    for (let i = 0; i < cfg.vcpus; i++) edit.write(`${dom}/cpu/${i}/availability`, "online");
    if (cfg.console) this.addConsole(edit, domid, cfg.console.mfn, cfg.console.port, cfg.console.backendDomid ?? 0);
    edit.commit();
  }

  /** Console 0: its frontend is <dom>/console, read-only to the guest. */
  private addConsole(edit: Edit, domid: number, mfn: bigint, port: number, backendDomid: number): void {
    const front = `${implicitPath(domid)}/console`;
    const back = `${implicitPath(backendDomid)}/backend/console/${domid}/0`;
    const ro = perms(backendDomid, domid);
    this.deviceRecord(edit, domid, "console", 0, front, back);
    edit.rm(front);
    edit.mknod(front, ro);
    edit.writeAll(front, {
      backend: back, "backend-id": String(backendDomid), state: String(XenbusStateInitialising),
      limit: "1048576", type: "xenconsoled", output: "pty", tty: "", port: String(port), "ring-ref": String(mfn),
    }, ro);
    this.backend(edit, back, front, perms(backendDomid, domid), domid, { protocol: "vt100" });
  }

  /** A disk as `xl` adds it (phy backend, "block" hotplug script). */
  addVbd(domid: number, cfg: VbdConfig): number {
    const devid = vbdDevid(cfg.vdev);
    const backendDomid = cfg.backendDomid ?? 0;
    const deviceType = cfg.cdrom ? "cdrom" : "disk";
    this.addDevice(domid, "vbd", devid, backendDomid, {
      params: cfg.target, script: "/etc/xen/scripts/block", removable: "0", bootable: "1", dev: cfg.vdev,
      type: "phy", mode: cfg.readonly ? "r" : "w", "device-type": deviceType, "discard-enable": "1",
    }, {
      "virtual-device": String(devid), "device-type": deviceType, protocol: "x86_64-abi",
    });
    return devid;
  }

  /** A network interface as `xl` adds it (vif-bridge hotplug script). */
  addVif(domid: number, cfg: VifConfig): number {
    const backendDomid = cfg.backendDomid ?? 0;
    this.addDevice(domid, "vif", cfg.devid, backendDomid, {
      script: "/etc/xen/scripts/vif-bridge", mac: cfg.mac, bridge: cfg.bridge ?? "xenbr0",
      handle: String(cfg.devid), type: "vif", "hotplug-status": "",
      ...(cfg.mtu !== undefined ? { mtu: String(cfg.mtu) } : {}),
    }, {
      handle: String(cfg.devid), mac: cfg.mac, trusted: "1",
    }, { mtu: String(cfg.mtu ?? 1500) });
    return cfg.devid;
  }

  private addDevice(
    domid: number, kind: string, devid: number, backendDomid: number,
    backEntries: Record<string, string>, frontEntries: Record<string, string>, roFrontEntries: Record<string, string> = {},
  ): void {
    const front = `${implicitPath(domid)}/device/${kind}/${devid}`;
    const back = `${implicitPath(backendDomid)}/backend/${kind}/${domid}/${devid}`;
    const frontPerms = perms(domid, backendDomid);
    const edit = new Edit(this.store);
    this.deviceRecord(edit, domid, kind, devid, front, back);
    edit.rm(front);
    edit.mknod(front, frontPerms);
    edit.write(`${front}/backend`, back);
    edit.writeAll(front, { "backend-id": String(backendDomid), state: String(XenbusStateInitialising), ...frontEntries }, frontPerms);
    edit.writeAll(front, roFrontEntries, perms(backendDomid, domid));
    this.backend(edit, back, front, perms(backendDomid, domid), domid, backEntries);
    edit.commit();
  }

  private deviceRecord(edit: Edit, domid: number, kind: string, devid: number, front: string, back: string): void {
    const record = `/libxl/${domid}/device/${kind}/${devid}`;
    edit.rm(record);
    edit.writeAll(record, { frontend: front, backend: back });
  }

  private backend(edit: Edit, back: string, front: string, p: Perm[], domid: number, entries: Record<string, string>): void {
    edit.rm(back);
    edit.mknod(back, p);
    edit.write(`${back}/frontend`, front);
    edit.writeAll(back, {
      "frontend-id": String(domid), online: "1", state: String(XenbusStateInitialising), ...entries,
    });
  }

  /** What libxl removes when a domain is destroyed: its devices' backends, its home, its records. */
  destroyDomain(domid: number, uuid: string): void {
    const edit = new Edit(this.store);
    const devices = this.store.nodes.get(`/libxl/${domid}/device`)?.children ?? [];
    for (const kind of devices) {
      for (const devid of this.store.nodes.get(`/libxl/${domid}/device/${kind}`)?.children ?? []) {
        const back = this.store.nodes.get(`/libxl/${domid}/device/${kind}/${devid}/backend`);
        if (back) edit.rmWithEmptyParents(utf8(back.value));
      }
    }
    for (const path of [implicitPath(domid), `/vm/${uuid}`, `/libxl/${domid}`]) edit.rm(path);
    edit.commit();
  }
}

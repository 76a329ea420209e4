// The xenstore tree with xenstored's semantics (Xen's C daemon, tools/xenstored):
// per-domain permissions, per-domain quotas, watches, and the domains known to it.
import { XENSTORE_REL_PATH_MAX } from "../xen/io/xs_wire.ts";
import { type Access, GlobalAccess } from "./transaction.ts";
import { XsError } from "./wire.ts";

export const PERM_NONE = 0;
export const PERM_READ = 1;
export const PERM_WRITE = 2;
export const PERM_OWNER = 4;

/** One entry of a node's permission list: the first names the owner and what everyone else gets. */
export interface Perm {
  id: number;
  perms: number;
}

export interface XsNode {
  value: Uint8Array;
  perms: Perm[];
  children: string[];
  generation: number;
}

/** Who performs an operation: a domain's ring, or a privileged tool on the socket (domid 0). */
export interface Caller {
  readonly domid: number;
  readonly privileged: boolean;
  /** The domain this one may act for (XS_SET_TARGET, for device-model stub domains). */
  target?: number;
}

export interface Watch {
  path: string;
  token: string;
  /** Characters to strip from event paths: a relative watch gets relative paths. */
  prefixLength: number;
}

/** A connection as the store sees it: who it is, its watches, where its events go. */
export interface Watcher {
  readonly caller: Caller;
  readonly watches: Watch[];
  deliver(path: string, token: string): void;
  /** The domain went away: drop watches and transactions and stop serving. */
  shutdown(): void;
}

/** cxenstored's defaults (xenstored -e -S -W -t -A -M). */
export interface Quotas {
  entries: number;
  entrySize: number;
  watches: number;
  transactions: number;
  permsPerNode: number;
  pathLength: number;
}

export const DEFAULT_QUOTAS: Quotas = {
  entries: 1000,
  entrySize: 2048,
  watches: 128,
  transactions: 10,
  permsPerNode: 5,
  pathLength: XENSTORE_REL_PATH_MAX,
};

export const SPECIAL_INTRODUCE = "@introduceDomain";
export const SPECIAL_RELEASE = "@releaseDomain";

// Accounting size of a node as cxenstored stores it: a 24-byte record header
// (u64 generation, three u32 counts, padded), 8 bytes per permission, data, child names.
const NODE_HEADER_SIZE = 24;
const PERM_SIZE = 8;
const VALID_CHARS = /^[A-Za-z0-9\-/_@]*$/;
const PERM_LETTERS: Record<string, number> = { n: PERM_NONE, r: PERM_READ, w: PERM_WRITE, b: PERM_READ | PERM_WRITE };

export function implicitPath(domid: number): string {
  return `/local/domain/${domid}`;
}

export function parentPath(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

export function childPath(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Is `child` the node `parent` or below it (xenstored's is_child: "/" contains everything)? */
function isChild(child: string, parent: string): boolean {
  if (parent === "/") return true;
  return child === parent || child.startsWith(parent + "/");
}

export function permToString(p: Perm): string {
  const letter = Object.keys(PERM_LETTERS).find((k) => PERM_LETTERS[k] === (p.perms & (PERM_READ | PERM_WRITE)));
  return `${letter}${p.id}`;
}

/** Parses "r5", "w0", "b3", "n0"; throws EINVAL on anything else. */
export function parsePerm(text: string): Perm {
  const match = /^([nrwb])(\d{1,5})$/.exec(text);
  if (!match || Number(match[2]) > 0xffff) throw new XsError("EINVAL", `bad permission "${text}"`);
  return { id: Number(match[2]), perms: PERM_LETTERS[match[1]] };
}

function nodeSize(node: XsNode): number {
  const childLength = node.children.reduce((n, c) => n + c.length + 1, 0);
  return NODE_HEADER_SIZE + node.perms.length * PERM_SIZE + node.value.length + childLength;
}

function emptyNode(perms: Perm[]): XsNode {
  return { value: new Uint8Array(0), perms, children: [], generation: 0 };
}

interface DomainEntry {
  watcher?: Watcher;
  target?: number;
}

export class Store {
  readonly nodes = new Map<string, XsNode>();
  readonly watchers = new Set<Watcher>();
  readonly domains = new Map<number, DomainEntry>();
  readonly quotas: Quotas;
  private generation = 0;
  private readonly owned = new Map<number, number>();
  readonly global: Access = new GlobalAccess(this);

  constructor(quotas: Partial<Quotas> = {}) {
    this.quotas = { ...DEFAULT_QUOTAS, ...quotas };
    // cxenstored's initial nodes, all owned by dom0 with no access for others.
    const dom0Only = (): Perm[] => [{ id: 0, perms: PERM_NONE }];
    this.putNode("/", { ...emptyNode(dom0Only()), children: ["tool"] });
    this.putNode("/tool", { ...emptyNode(dom0Only()), children: ["xenstored"] });
    this.putNode("/tool/xenstored", emptyNode(dom0Only()));
    this.putNode(SPECIAL_INTRODUCE, emptyNode(dom0Only()));
    this.putNode(SPECIAL_RELEASE, emptyNode(dom0Only()));
  }

  // --- the tree, as transactions and GlobalAccess change it ---

  putNode(path: string, node: XsNode): void {
    const before = this.nodes.get(path);
    if (before) this.countOwned(before.perms[0].id, -1);
    this.countOwned(node.perms[0].id, 1);
    this.nodes.set(path, { ...node, generation: ++this.generation });
  }

  deleteNode(path: string): void {
    const before = this.nodes.get(path);
    if (!before) return;
    this.countOwned(before.perms[0].id, -1);
    this.nodes.delete(path);
  }

  private countOwned(domid: number, delta: number): void {
    this.owned.set(domid, (this.owned.get(domid) ?? 0) + delta);
  }

  /** Nodes owned by `domid` (the entry quota counts these). */
  entryCount(domid: number): number {
    return this.owned.get(domid) ?? 0;
  }

  // --- permissions ---

  /** xenstored's perm_for_conn: owners and privileged callers get everything. */
  permFor(caller: Caller, perms: Perm[]): number {
    const own = (id: number) => id === caller.domid || (caller.target !== undefined && id === caller.target);
    if (caller.privileged || own(perms[0].id)) return PERM_READ | PERM_WRITE | PERM_OWNER;
    for (const p of perms.slice(1)) if (own(p.id)) return p.perms;
    return perms[0].perms;
  }

  /** Absolute, validated form of a path a caller gave; throws EINVAL. */
  canonicalize(caller: Caller, path: string, allowSpecial = false): string {
    if (!VALID_CHARS.test(path) || (path.startsWith("@") && !allowSpecial)) {
      throw new XsError("EINVAL", `invalid path "${path}"`);
    }
    const name = path.startsWith("/") || path.startsWith("@") ? path : `${implicitPath(caller.domid)}/${path}`;
    const local = /^\/local\/domain\/\d{1,5}\//.exec(name);
    const relativeLength = name.length - (local ? local[0].length : 0);
    if ((name.endsWith("/") && name !== "/") || name.includes("//") ||
        (!caller.privileged && relativeLength > this.quotas.pathLength)) {
      throw new XsError("EINVAL", `invalid path "${path}"`);
    }
    return name;
  }

  /**
   * The node at `name` if the caller has `perm` on it. Otherwise ENOENT or EACCES, and
   * ENOENT only when the nearest existing ancestor grants `perm` (xenstored's
   * errno_from_parents: the error must not reveal what the caller may not see).
   */
  getNode(access: Access, caller: Caller, name: string, perm: number): XsNode {
    const node = access.read(name);
    if (node && (this.permFor(caller, node.perms) & perm) === perm) return node;
    let parent: XsNode | undefined;
    for (let p = name; !parent && p !== "/"; ) {
      p = parentPath(p);
      parent = access.read(p);
    }
    const parentPerm = parent ? this.permFor(caller, parent.perms) : PERM_NONE;
    throw new XsError(!node && parentPerm & perm ? "ENOENT" : "EACCES", name);
  }

  private checkSize(caller: Caller, node: XsNode): void {
    if (!caller.privileged && nodeSize(node) >= this.quotas.entrySize) {
      throw new XsError("ENOSPC", `node of ${nodeSize(node)} bytes reaches the entry size quota ${this.quotas.entrySize}`);
    }
  }

  // --- operations (paths already canonical) ---

  read(access: Access, caller: Caller, name: string): Uint8Array {
    return this.getNode(access, caller, name, PERM_READ).value;
  }

  directory(access: Access, caller: Caller, name: string): XsNode {
    return this.getNode(access, caller, name, PERM_READ);
  }

  getPerms(access: Access, caller: Caller, name: string): Perm[] {
    return this.getNode(access, caller, name, PERM_READ).perms;
  }

  write(access: Access, caller: Caller, name: string, value: Uint8Array): void {
    const node = this.lookupForWrite(access, caller, name);
    if (node) {
      const changed = { ...node, value };
      this.checkSize(caller, changed);
      access.write(name, changed);
    } else {
      this.create(access, caller, name, value);
    }
    access.fireWatches(name, access.read(name), false);
  }

  mkdir(access: Access, caller: Caller, name: string): void {
    if (this.lookupForWrite(access, caller, name)) return;
    this.create(access, caller, name, new Uint8Array(0));
    access.fireWatches(name, access.read(name), false);
  }

  /** The node if writable, undefined if absent but creatable; throws otherwise. */
  private lookupForWrite(access: Access, caller: Caller, name: string): XsNode | undefined {
    try {
      return this.getNode(access, caller, name, PERM_WRITE);
    } catch (err) {
      if (err instanceof XsError && err.errno === "ENOENT") return undefined;
      throw err;
    }
  }

  /** Creates `name` and any missing ancestors, each inheriting its parent's permissions. */
  private create(access: Access, caller: Caller, name: string, value: Uint8Array): void {
    const missing: string[] = [];
    let parentName = name;
    let found: XsNode | undefined;
    while (!found) {
      missing.unshift(parentName);
      parentName = parentPath(parentName);
      found = access.read(parentName);
      if (!found && parentName === "/") throw new XsError("EIO", "no root node");
    }
    let parent: XsNode = found;
    if (!caller.privileged && access.entries(caller.domid) + missing.length > this.quotas.entries) {
      throw new XsError("ENOSPC", `domain ${caller.domid} would exceed its quota of ${this.quotas.entries} entries`);
    }
    // Build every change first so that a quota failure leaves the tree untouched.
    const writes: [string, XsNode][] = [];
    for (const path of missing) {
      const perms: Perm[] = parent.perms.map((p) => ({ ...p }));
      // Unprivileged domains own what they create.
      if (!caller.privileged) perms[0].id = caller.domid;
      const grown: XsNode = { ...parent, children: [...parent.children, baseName(path)] };
      const node: XsNode = { ...emptyNode(perms), value: path === name ? value : new Uint8Array(0) };
      this.checkSize(caller, grown);
      this.checkSize(caller, node);
      writes.push([parentName, grown], [path, node]);
      parent = node;
      parentName = path;
    }
    for (const [path, node] of writes) access.write(path, node);
  }

  rm(access: Access, caller: Caller, name: string): void {
    let node: XsNode;
    try {
      node = this.getNode(access, caller, name, PERM_WRITE);
    } catch (err) {
      // Removing what is already gone is fine if its parent exists.
      if (err instanceof XsError && err.errno === "ENOENT" && access.read(parentPath(name))) return;
      throw err;
    }
    if (name === "/") throw new XsError("EINVAL", "cannot remove /");
    const parentName = parentPath(name);
    const parent = access.read(parentName);
    if (!parent) throw new XsError("EIO", `${name} has no parent`);
    this.removeTree(access, name, node, name);
    access.write(parentName, { ...parent, children: parent.children.filter((c) => c !== baseName(name)) });
  }

  /** Children first; watches on removed descendants fire for their own path. */
  private removeTree(access: Access, path: string, node: XsNode, root: string): void {
    for (const child of node.children) {
      const childName = childPath(path, child);
      const childNode = access.read(childName);
      if (childNode) this.removeTree(access, childName, childNode, root);
    }
    access.remove(path);
    access.fireWatches(path, node, path !== root);
  }

  setPerms(access: Access, caller: Caller, name: string, perms: Perm[]): void {
    if (!caller.privileged && perms.length > this.quotas.permsPerNode) {
      throw new XsError("ENOSPC", `${perms.length} permissions exceed the quota of ${this.quotas.permsPerNode}`);
    }
    const node = this.getNode(access, caller, name, PERM_WRITE | PERM_OWNER);
    if (!caller.privileged && perms[0].id !== node.perms[0].id) {
      throw new XsError("EPERM", "an unprivileged domain may not change a node's owner");
    }
    const changed = { ...node, perms };
    this.checkSize(caller, changed);
    access.write(name, changed);
    access.fireWatches(name, changed, false, node.perms);
  }

  // --- watches ---

  /** Sends the event to every watch on `name` (exact) or on it or an ancestor, if its connection may see it. */
  fireWatches(name: string, node: XsNode | undefined, exact: boolean, oldPerms?: Perm[]): void {
    for (const watcher of this.watchers) {
      if (!this.watchPermitted(watcher.caller, name, node, oldPerms)) continue;
      for (const watch of watcher.watches) {
        const special = name.startsWith("@") || watch.path.startsWith("@");
        const hit = exact || special ? watch.path === name : isChild(name, watch.path);
        if (hit) watcher.deliver(name.slice(watch.prefixLength), watch.token);
      }
    }
  }

  /** The watcher may read the node (now or before a permission change) or its parent. */
  private watchPermitted(caller: Caller, name: string, node: XsNode | undefined, oldPerms?: Perm[]): boolean {
    const readable = (perms?: Perm[]) => perms !== undefined && (this.permFor(caller, perms) & PERM_READ) !== 0;
    if (readable(oldPerms)) return true;
    const current = node ?? this.nodes.get(name);
    if (!current) return false;
    return readable(current.perms) || (!name.startsWith("@") && readable(this.nodes.get(parentPath(name))?.perms));
  }

  // --- domains ---

  isIntroduced(domid: number): boolean {
    return this.domains.has(domid);
  }

  /** Registers a domain (its ring connection, if any); fires @introduceDomain for a new one. */
  introduceDomain(domid: number, watcher?: Watcher): void {
    const existing = this.domains.get(domid);
    if (existing) {
      existing.watcher?.shutdown();
      existing.watcher = watcher;
      return;
    }
    this.domains.set(domid, { watcher });
    if (domid !== 0) this.fireWatches(SPECIAL_INTRODUCE, undefined, true);
  }

  /** Forgets a domain: closes its connection, gives its nodes to dom0, fires @releaseDomain. */
  releaseDomain(domid: number): void {
    if (domid === 0) throw new XsError("EINVAL", "dom0 cannot be released");
    const entry = this.domains.get(domid);
    if (!entry) throw new XsError("ENOENT", `domain ${domid} is not introduced`);
    entry.watcher?.shutdown();
    this.domains.delete(domid);
    // A later domain with the same id must not inherit this one's rights.
    for (const [path, node] of this.nodes) {
      if (!node.perms.some((p) => p.id === domid)) continue;
      const owner = node.perms[0].id === domid ? { ...node.perms[0], id: 0 } : node.perms[0];
      const others = node.perms.slice(1).filter((p) => p.id !== domid);
      this.putNode(path, { ...node, perms: [owner, ...others] });
    }
    this.fireWatches(SPECIAL_RELEASE, undefined, true);
  }

  /** XS_SET_TARGET: `domid` may act on `target`'s nodes as if it were `target`. */
  setTarget(domid: number, target: number): void {
    const entry = this.domains.get(domid);
    if (!entry || !this.domains.has(target)) throw new XsError("ENOENT", `domain ${entry ? target : domid} is not introduced`);
    entry.target = target;
    if (entry.watcher) entry.watcher.caller.target = target;
  }
}

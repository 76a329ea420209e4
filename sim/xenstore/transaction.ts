// How an operation reaches the tree: directly, or through a transaction that
// keeps its changes aside and commits them only if nothing it read has changed
// since (xenstored's generation counts: a conflict ends the transaction with EAGAIN).
import type { XsNode, Perm, Store } from "./store.ts";
import { XsError } from "./wire.ts";

// The generation of a node that does not exist (xenstored's NO_GENERATION).
const NO_GENERATION = -1;

/** Reads and writes nodes for one operation; watch events go out now or at commit. */
export interface Access {
  read(path: string): XsNode | undefined;
  write(path: string, node: XsNode): void;
  remove(path: string): void;
  /** Nodes owned by `domid` as this access sees them (for the entry quota). */
  entries(domid: number): number;
  fireWatches(path: string, node: XsNode | undefined, exact: boolean, oldPerms?: Perm[]): void;
}

export class GlobalAccess implements Access {
  constructor(private readonly store: Store) {}

  read(path: string): XsNode | undefined {
    return this.store.nodes.get(path);
  }

  write(path: string, node: XsNode): void {
    this.store.putNode(path, node);
  }

  remove(path: string): void {
    this.store.deleteNode(path);
  }

  entries(domid: number): number {
    return this.store.entryCount(domid);
  }

  fireWatches(path: string, node: XsNode | undefined, exact: boolean, oldPerms?: Perm[]): void {
    this.store.fireWatches(path, node, exact, oldPerms);
  }
}

export class Transaction implements Access {
  // Generation of each node at its first access in this transaction.
  private readonly seen = new Map<string, number>();
  // This transaction's version of each node it changed (undefined: removed).
  private readonly changed = new Map<string, XsNode | undefined>();
  // Watch events to fire at commit: path -> exact (a non-exact event replaces an exact one).
  private readonly events = new Map<string, boolean>();
  private readonly entryDelta = new Map<number, number>();
  createdNodes = false;

  constructor(private readonly store: Store, readonly id: number) {}

  private touch(path: string): void {
    if (!this.seen.has(path)) this.seen.set(path, this.store.nodes.get(path)?.generation ?? NO_GENERATION);
  }

  read(path: string): XsNode | undefined {
    this.touch(path);
    return this.changed.has(path) ? this.changed.get(path) : this.store.nodes.get(path);
  }

  private replace(path: string, node: XsNode | undefined): void {
    const before = this.read(path);
    if (before) this.addEntries(before.perms[0].id, -1);
    if (node) this.addEntries(node.perms[0].id, 1);
    if (!before && node) this.createdNodes = true;
    this.changed.set(path, node);
  }

  write(path: string, node: XsNode): void {
    this.replace(path, node);
  }

  remove(path: string): void {
    this.replace(path, undefined);
  }

  private addEntries(domid: number, delta: number): void {
    this.entryDelta.set(domid, (this.entryDelta.get(domid) ?? 0) + delta);
  }

  entries(domid: number): number {
    return this.store.entryCount(domid) + (this.entryDelta.get(domid) ?? 0);
  }

  fireWatches(path: string, _node: XsNode | undefined, exact: boolean): void {
    this.events.set(path, (this.events.get(path) ?? true) && exact);
  }

  /** Applies the changes if every node read is unchanged since; throws EAGAIN otherwise. */
  commit(checkEntries: (entries: (domid: number) => number) => void): void {
    for (const [path, generation] of this.seen) {
      if ((this.store.nodes.get(path)?.generation ?? NO_GENERATION) !== generation) {
        throw new XsError("EAGAIN", `${path} changed during transaction ${this.id}`);
      }
    }
    checkEntries((domid) => this.entries(domid));
    const oldPerms = new Map<string, Perm[] | undefined>();
    for (const [path, node] of this.changed) {
      oldPerms.set(path, this.store.nodes.get(path)?.perms);
      if (node) this.store.putNode(path, node);
      else this.store.deleteNode(path);
    }
    for (const [path, exact] of this.events) {
      this.store.fireWatches(path, this.store.nodes.get(path), exact, oldPerms.get(path));
    }
  }
}

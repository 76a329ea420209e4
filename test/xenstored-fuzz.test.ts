// Random operation sequences from several domains, transactions included, must
// keep the tree consistent: parents list exactly their existing children and the
// per-domain entry counts match the owners.
import fc from "fast-check";
import { describe, it } from "vitest";
import { Store, childPath, parentPath } from "../sim/xenstore/store.ts";
import { XsError } from "../sim/xenstore/wire.ts";
import { TestClient } from "./xenstored-client.ts";

const PATHS = ["/a", "/a/b", "/a/b/c", "/a/d", "/e", "/e/f", "data/x", "data/x/y", "data/z"];

const op = fc.record({
  who: fc.integer({ min: 0, max: 2 }),
  kind: fc.constantFrom("write", "mkdir", "rm", "read", "dir", "perms", "start", "commit", "abort"),
  path: fc.constantFrom(...PATHS),
  value: fc.string({ maxLength: 8 }),
  grant: fc.constantFrom("n", "r", "b"),
});

/** Throws on the first inconsistency (plain checks: this runs after every operation). */
function checkInvariants(store: Store): void {
  const fail = (what: string) => {
    throw new Error(`inconsistent store: ${what}`);
  };
  const owned = new Map<number, number>();
  for (const [path, node] of store.nodes) {
    owned.set(node.perms[0].id, (owned.get(node.perms[0].id) ?? 0) + 1);
    if (new Set(node.children).size !== node.children.length) fail(`duplicate children of ${path}`);
    for (const child of node.children) if (!store.nodes.has(childPath(path, child))) fail(`missing child ${child} of ${path}`);
    if (path === "/" || path.startsWith("@")) continue;
    if (!store.nodes.get(parentPath(path))?.children.includes(path.slice(path.lastIndexOf("/") + 1))) fail(`${path} not listed by its parent`);
  }
  for (const [domid, count] of owned) if (store.entryCount(domid) !== count) fail(`entries of domain ${domid}`);
}

describe("xenstored under random operations", () => {
  it("keeps the tree and its accounting consistent", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 80 }), (ops) => {
        const store = new Store({ entries: 6 });
        const dom0 = new TestClient(store, 0);
        for (const id of [1, 2]) {
          dom0.mkdir(`/local/domain/${id}/data`);
          dom0.setPerms(`/local/domain/${id}`, ["n0", `r${id}`]);
          dom0.setPerms(`/local/domain/${id}/data`, [`n${id}`, "b1", "b2"]);
        }
        dom0.setPerms("/", ["n0", "b1", "b2"]);
        const clients = [dom0, new TestClient(store, 1), new TestClient(store, 2)];
        const tx = [0, 0, 0];
        for (const o of ops) {
          const c = clients[o.who];
          const t = tx[o.who];
          try {
            if (o.kind === "write") c.write(o.path, o.value, t);
            if (o.kind === "mkdir") c.mkdir(o.path, t);
            if (o.kind === "rm") c.rm(o.path, t);
            if (o.kind === "read") c.read(o.path, t);
            if (o.kind === "dir") c.directory(o.path, t);
            if (o.kind === "perms") c.setPerms(o.path, [`${o.grant}${c.domid}`, "b1", "b2"], t);
            if (o.kind === "start" && !t) tx[o.who] = c.start();
            if ((o.kind === "commit" || o.kind === "abort") && t) {
              tx[o.who] = 0;
              c.end(t, o.kind === "commit");
            }
          } catch (err) {
            if (!(err instanceof XsError)) throw err;
          }
          checkInvariants(store);
        }
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});

// Random operation sequences from several domains, transactions included, must
// keep the tree consistent: parents list exactly their existing children and the
// per-domain entry counts match the owners. dom0's own subtree (its relative
// paths, which no other domain can reach) is kept in a model as well: every
// operation dom0 makes there must succeed or fail exactly as the model says,
// and every read return what the model holds. Elsewhere only the errors a
// caller may get are allowed.
import fc from "fast-check";
import { describe, it } from "vitest";
import { Store, childPath, parentPath } from "../sim/xenstore/store.ts";
import { XsError } from "../sim/xenstore/wire.ts";
import { TestClient } from "./xenstored-client.ts";

const PATHS = ["/a", "/a/b", "/a/b/c", "/a/d", "/e", "/e/f", "data", "data/x", "data/x/y", "data/x/y/v", "data/z", "data/z/w"];

const op = fc.record({
  who: fc.integer({ min: 0, max: 2 }),
  kind: fc.constantFrom("write", "mkdir", "rm", "read", "dir", "perms", "start", "commit", "abort"),
  path: fc.constantFrom(...PATHS),
  value: fc.string({ maxLength: 8 }),
  grant: fc.constantFrom("n", "r", "b"),
});

/** dom0's relative paths: the only writer of /local/domain/0/data is dom0. */
const own = (path: string) => !path.startsWith("/");

/** What dom0's data subtree should hold: relative path -> value. */
type Model = Map<string, string>;
type Op = { kind: string; path: string; value: string };

const parentOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf("/")));
const within = (path: string, top: string) => path === top || path.startsWith(`${top}/`);

/** Applies `o` to `model`; returns the result the store must give: a value, a child list, "OK" or an errno. */
function apply(model: Model, o: Op): string {
  const has = model.has(o.path);
  const create = () => {
    for (let p = o.path; p && !model.has(p); p = parentOf(p)) model.set(p, "");
  };
  switch (o.kind) {
    case "write":
      create();
      model.set(o.path, o.value);
      return "OK";
    case "mkdir":
      create();
      return "OK";
    case "rm":
      // xenstored: removing a missing node is fine when its parent exists (/local/domain/0 always does).
      if (!has) return parentOf(o.path) === "" || model.has(parentOf(o.path)) ? "OK" : "ENOENT";
      for (const p of [...model.keys()]) if (within(p, o.path)) model.delete(p);
      return "OK";
    case "read":
      return has ? `value ${model.get(o.path)}` : "ENOENT";
    case "dir":
      return has ? `children ${[...model.keys()].filter((p) => parentOf(p) === o.path).map((p) => p.slice(o.path.length + 1)).sort().join(",")}` : "ENOENT";
    case "perms":
      return has ? "OK" : "ENOENT";
  }
  throw new Error(`no model for ${o.kind}`);
}

/** The errors each kind of caller may get outside dom0's own subtree. */
const ALLOWED = { dom0: new Set(["ENOENT"]), domU: new Set(["ENOENT", "EACCES", "ENOSPC"]) };

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
        dom0.mkdir("/local/domain/0");
        const clients = [dom0, new TestClient(store, 1), new TestClient(store, 2)];
        const tx = [0, 0, 0];
        let model: Model = new Map();
        // dom0's open transaction: its view of the model, and its operations to replay at commit.
        let view: Model = model;
        let log: Op[] = [];
        for (const o of ops) {
          const c = clients[o.who];
          const t = tx[o.who];
          let got: string;
          try {
            got = "OK";
            if (o.kind === "write") c.write(o.path, o.value, t);
            if (o.kind === "mkdir") c.mkdir(o.path, t);
            if (o.kind === "rm") c.rm(o.path, t);
            if (o.kind === "read") got = `value ${c.read(o.path, t)}`;
            if (o.kind === "dir") got = `children ${c.directory(o.path, t).sort().join(",")}`;
            if (o.kind === "perms") c.setPerms(o.path, [`${o.grant}${c.domid}`, "b1", "b2"], t);
            if (o.kind === "start" && !t) tx[o.who] = c.start();
            if ((o.kind === "commit" || o.kind === "abort") && t) {
              tx[o.who] = 0;
              c.end(t, o.kind === "commit");
            }
          } catch (err) {
            if (!(err instanceof XsError)) throw err;
            got = err.errno;
          }
          if (o.who === 0 && own(o.path) && !["start", "commit", "abort"].includes(o.kind)) {
            const want = apply(t ? view : model, o);
            if (t) log.push(o);
            if (got !== want) throw new Error(`dom0 ${o.kind} ${o.path}${t ? " in a transaction" : ""}: got ${got}, the model says ${want}`);
          } else if (o.who === 0 && (o.kind === "start" || o.kind === "commit" || o.kind === "abort")) {
            if (got !== "OK" && !(o.kind === "commit" && got === "EAGAIN")) throw new Error(`dom0 ${o.kind}: ${got}`);
            if (o.kind === "start" && !t) [view, log] = [new Map(model), []];
            // A commit that succeeded found nothing it touched changed: its operations replay onto the tree as it is now.
            if (o.kind === "commit" && t && got === "OK") for (const l of log) apply(model, l);
            if (o.kind !== "start" && t) view = model;
          } else if (got !== "OK" && !got.startsWith("value ") && !got.startsWith("children ")) {
            const allowed = o.who === 0 ? ALLOWED.dom0 : ALLOWED.domU;
            if (!allowed.has(got) && !(o.kind === "commit" && got === "EAGAIN")) throw new Error(`domain ${o.who} ${o.kind} ${o.path}: ${got}`);
          }
          checkInvariants(store);
        }
        for (const [path, value] of model) if (dom0.read(path) !== value) throw new Error(`dom0 ${path} lost its value`);
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});

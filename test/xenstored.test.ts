// The simulated xenstored's semantics, through its wire protocol: every operation,
// permissions across domains, quotas, transactions, watches and malformed requests.
import { describe, expect, it } from "vitest";
import * as X from "../sim/xen/io/xs_wire.ts";
import { Store } from "../sim/xenstore/store.ts";
import { splitStrings, strings, utf8 } from "../sim/xenstore/wire.ts";
import { TestClient } from "./xenstored-client.ts";

/** A store with dom0 and domains 1 and 2 laid out the way libxl does (home readable, data writable). */
function setup(quotas = {}) {
  const store = new Store(quotas);
  const dom0 = new TestClient(store, 0);
  for (const id of [1, 2]) {
    dom0.mkdir(`/local/domain/${id}`);
    dom0.setPerms(`/local/domain/${id}`, ["n0", `r${id}`]);
    dom0.mkdir(`/local/domain/${id}/data`);
    dom0.setPerms(`/local/domain/${id}/data`, [`n${id}`]);
  }
  const [d1, d2] = [1, 2].map((id) => new TestClient(store, id));
  for (const d of [d1, d2]) store.introduceDomain(d.domid, d.connection);
  return { store, dom0, d1, d2 };
}

describe("xenstored operations", () => {
  it("writes, reads, lists and removes nodes", () => {
    const { dom0 } = setup();
    dom0.write("/a/b/c", "hello");
    expect(dom0.read("/a/b/c")).toBe("hello");
    expect(dom0.read("/a/b")).toBe("");
    expect(dom0.directory("/a")).toEqual(["b"]);
    dom0.write("/a/b/d", "");
    dom0.mkdir("/a/b/e");
    dom0.mkdir("/a/b/e");
    expect(dom0.directory("/a/b")).toEqual(["c", "d", "e"]);
    expect(dom0.directory("/a/b/e")).toEqual([]);
    dom0.rm("/a/b/d");
    expect(dom0.directory("/a/b")).toEqual(["c", "e"]);
    expect(dom0.error(() => dom0.read("/a/b/d"))).toBe("ENOENT");
    dom0.rm("/a/b/d");
    expect(dom0.error(() => dom0.rm("/a/x/y"))).toBe("ENOENT");
    dom0.rm("/a");
    expect(dom0.error(() => dom0.read("/a/b/c"))).toBe("ENOENT");
    expect(dom0.error(() => dom0.rm("/"))).toBe("EINVAL");
    expect(dom0.directory("/")).toEqual(["tool", "local"]);
  });

  it("keeps values as bytes, NULs included", () => {
    const { dom0 } = setup();
    const value = new Uint8Array([1, 0, 2, 0, 255]);
    const reply = dom0.request(X.XS_WRITE, new Uint8Array([...strings("/bin"), ...value]));
    expect(utf8(reply)).toBe("OK\0");
    expect([...dom0.request(X.XS_READ, strings("/bin"))]).toEqual([...value]);
  });

  it("resolves relative paths against the caller's home", () => {
    const { dom0, d1 } = setup();
    d1.write("data/x", "1");
    expect(dom0.read("/local/domain/1/data/x")).toBe("1");
    expect(d1.read("data/x")).toBe("1");
    expect(utf8(d1.request(X.XS_GET_DOMAIN_PATH, strings("7")))).toBe("/local/domain/7\0");
  });

  it("reports and changes permissions", () => {
    const { dom0 } = setup();
    dom0.write("/p", "v");
    expect(dom0.getPerms("/p")).toEqual(["n0"]);
    dom0.setPerms("/p", ["r3", "w4", "b5", "n6"]);
    expect(dom0.getPerms("/p")).toEqual(["r3", "w4", "b5", "n6"]);
    dom0.write("/p/child", "");
    expect(dom0.getPerms("/p/child")).toEqual(["r3", "w4", "b5", "n6"]);
    expect(dom0.getPerms("@releaseDomain")).toEqual(["n0"]);
  });

  it("lists a directory in parts with its generation", () => {
    const { dom0 } = setup();
    for (let i = 0; i < 5; i++) dom0.mkdir(`/big/entry${i}`);
    const all = splitStrings(dom0.request(X.XS_DIRECTORY_PART, strings("/big", "0"))).items;
    expect(all.slice(1)).toEqual(["entry0", "entry1", "entry2", "entry3", "entry4", ""]);
    expect(Number(all[0])).toBeGreaterThan(0);
    const tail = splitStrings(dom0.request(X.XS_DIRECTORY_PART, strings("/big", "14"))).items;
    expect(tail.slice(1)).toEqual(["entry2", "entry3", "entry4", ""]);
    expect(splitStrings(dom0.request(X.XS_DIRECTORY_PART, strings("/big", "99"))).items).toEqual([all[0], ""]);
  });

  it("answers domain questions for privileged callers only", () => {
    const { dom0, d1 } = setup();
    expect(utf8(dom0.request(X.XS_IS_DOMAIN_INTRODUCED, strings("1")))).toBe("T\0");
    expect(utf8(dom0.request(X.XS_IS_DOMAIN_INTRODUCED, strings("9")))).toBe("F\0");
    expect(utf8(dom0.request(X.XS_RESUME, strings("1")))).toBe("OK\0");
    expect(dom0.error(() => dom0.request(X.XS_RESUME, strings("9")))).toBe("ENOENT");
    expect(d1.error(() => d1.request(X.XS_IS_DOMAIN_INTRODUCED, strings("1")))).toBe("EACCES");
    expect(d1.error(() => d1.request(X.XS_INTRODUCE, strings("5", "123", "4")))).toBe("EACCES");
    expect(d1.error(() => d1.request(X.XS_RELEASE, strings("2")))).toBe("EACCES");
  });
});

describe("xenstored permissions across domains", () => {
  it("lets a domain read its home but write only where it was given write", () => {
    const { dom0, d1 } = setup();
    dom0.write("/local/domain/1/name", "one");
    expect(d1.read("name")).toBe("one");
    expect(d1.error(() => d1.write("name", "evil"))).toBe("EACCES");
    expect(d1.error(() => d1.write("newkey", "x"))).toBe("EACCES");
    d1.write("data/mine/deep", "x");
    // A domain owns what it creates.
    expect(d1.getPerms("data/mine/deep")).toEqual(["n1"]);
    expect(d1.getPerms("data/mine")).toEqual(["n1"]);
  });

  it("hides one domain's nodes from another, with EACCES rather than ENOENT", () => {
    const { dom0, d1, d2 } = setup();
    dom0.write("/local/domain/1/name", "one");
    expect(d2.error(() => d2.read("/local/domain/1/name"))).toBe("EACCES");
    // A missing node under an unreadable parent must not be told apart from a hidden one.
    expect(d2.error(() => d2.read("/local/domain/1/nothing"))).toBe("EACCES");
    expect(d1.error(() => d1.read("/local/domain/1/nothing"))).toBe("ENOENT");
    expect(d2.error(() => d2.directory("/local/domain/1"))).toBe("EACCES");
    expect(d2.error(() => d2.write("/local/domain/1/data/x", "1"))).toBe("EACCES");
    expect(d2.error(() => d2.rm("/local/domain/1/data"))).toBe("EACCES");
    expect(d2.error(() => d2.getPerms("/local/domain/1"))).toBe("EACCES");
  });

  it("grants per-domain read and write through the permission list", () => {
    const { d1, d2 } = setup();
    d1.write("data/shared", "s");
    expect(d2.error(() => d2.read("/local/domain/1/data/shared"))).toBe("EACCES");
    d1.setPerms("data/shared", ["n1", "r2"]);
    expect(d2.read("/local/domain/1/data/shared")).toBe("s");
    expect(d2.error(() => d2.write("/local/domain/1/data/shared", "x"))).toBe("EACCES");
    d1.setPerms("data/shared", ["n1", "b2"]);
    d2.write("/local/domain/1/data/shared", "from 2");
    expect(d1.read("data/shared")).toBe("from 2");
    // Default for others: the owner entry's letter.
    d1.setPerms("data/shared", ["r1"]);
    expect(d2.read("/local/domain/1/data/shared")).toBe("from 2");
  });

  it("lets only the owner change permissions, and never the owner itself", () => {
    const { d1, d2 } = setup();
    d1.write("data/k", "v");
    d1.setPerms("data/k", ["n1", "b2"]);
    expect(d2.error(() => d2.setPerms("/local/domain/1/data/k", ["n1", "b2", "r3"]))).toBe("EACCES");
    expect(d1.error(() => d1.setPerms("data/k", ["n2"]))).toBe("EPERM");
  });
});

describe("xenstored quotas", () => {
  it("refuses entries beyond the domain's quota with ENOSPC", () => {
    // Domain 1 owns data/ already (setup gives it), so three more fill a quota of 4.
    const { d1, dom0 } = setup({ entries: 4 });
    d1.write("data/a", "");
    d1.write("data/b", "");
    d1.write("data/c", "");
    expect(d1.error(() => d1.write("data/d", ""))).toBe("ENOSPC");
    // Two new nodes at once would pass the quota: nothing is created.
    d1.rm("data/c");
    expect(d1.error(() => d1.write("data/e/f", ""))).toBe("ENOSPC");
    expect(d1.error(() => d1.read("data/e"))).toBe("ENOENT");
    dom0.write("/local/domain/1/data/byzero", "");
  });

  it("refuses a node whose size reaches the entry size quota", () => {
    const { d1, dom0 } = setup({ entrySize: 100 });
    d1.write("data/v", "x".repeat(100 - 24 - 8 - 1));
    expect(d1.error(() => d1.write("data/v", "x".repeat(100 - 24 - 8)))).toBe("ENOSPC");
    dom0.write("/local/domain/1/data/v", "x".repeat(1000));
  });

  it("limits watches (E2BIG), transactions and permissions (ENOSPC), path length (EINVAL)", () => {
    const { d1 } = setup({ watches: 2, transactions: 1, permsPerNode: 2, pathLength: 20 });
    for (let i = 0; i < 3; i++) d1.watch(`data/w${i}`, "t");
    expect(d1.error(() => d1.watch("data/w9", "t"))).toBe("E2BIG");
    d1.start();
    d1.start();
    expect(d1.error(() => d1.start())).toBe("ENOSPC");
    d1.write("data/p", "");
    expect(d1.error(() => d1.setPerms("data/p", ["n1", "r2", "r3"]))).toBe("ENOSPC");
    expect(d1.error(() => d1.write("data/" + "x".repeat(20), ""))).toBe("EINVAL");
  });
});

describe("xenstored transactions", () => {
  it("keeps changes private until a commit, and drops them on abort", () => {
    const { dom0 } = setup();
    const tx = dom0.start();
    dom0.write("/t/x", "1", tx);
    expect(dom0.read("/t/x", tx)).toBe("1");
    expect(dom0.error(() => dom0.read("/t/x"))).toBe("ENOENT");
    dom0.end(tx);
    expect(dom0.read("/t/x")).toBe("1");
    const aborted = dom0.start();
    dom0.rm("/t", aborted);
    dom0.end(aborted, false);
    expect(dom0.read("/t/x")).toBe("1");
  });

  it("fails with EAGAIN when another domain changed what it read, and a retry succeeds", () => {
    const { d1, d2 } = setup();
    d1.write("data/counter", "1");
    d1.setPerms("data/counter", ["n1", "b2"]);
    const tx = d1.start();
    const value = Number(d1.read("data/counter", tx));
    d2.write("/local/domain/1/data/counter", "5");
    d1.write("data/counter", String(value + 1), tx);
    expect(d1.error(() => d1.end(tx))).toBe("EAGAIN");
    expect(d1.read("data/counter")).toBe("5");
    const retry = d1.start();
    d1.write("data/counter", String(Number(d1.read("data/counter", retry)) + 1), retry);
    d1.end(retry);
    expect(d1.read("data/counter")).toBe("6");
  });

  it("conflicts when a node it created gets a sibling meanwhile (the parent changed)", () => {
    const { d1, dom0 } = setup();
    const tx = d1.start();
    d1.write("data/new", "x", tx);
    dom0.write("/local/domain/1/data/other", "y");
    expect(d1.error(() => d1.end(tx))).toBe("EAGAIN");
  });

  it("commits two transactions on unrelated nodes", () => {
    const { d1, d2 } = setup();
    const t1 = d1.start();
    const t2 = d2.start();
    d1.write("data/a", "1", t1);
    d2.write("data/b", "2", t2);
    d1.end(t1);
    d2.end(t2);
    expect(d1.read("data/a")).toBe("1");
    expect(d2.read("data/b")).toBe("2");
  });

  it("refuses unknown ids, nested starts and bad end arguments", () => {
    const { dom0 } = setup();
    expect(dom0.error(() => dom0.read("/tool", 42))).toBe("ENOENT");
    const tx = dom0.start();
    expect(dom0.error(() => dom0.request(X.XS_TRANSACTION_START, strings(""), tx))).toBe("EBUSY");
    expect(dom0.error(() => dom0.request(X.XS_TRANSACTION_END, strings("X"), tx))).toBe("EINVAL");
    expect(dom0.error(() => dom0.request(X.XS_TRANSACTION_END, strings("T")))).toBe("ENOENT");
    dom0.end(tx);
    expect(dom0.error(() => dom0.end(tx))).toBe("ENOENT");
  });

  it("fires watches at commit, not before, and not at all on abort", () => {
    const { dom0, d1 } = setup();
    d1.watch("data", "tok");
    d1.takeEvents();
    const tx = dom0.start();
    dom0.write("/local/domain/1/data/x", "1", tx);
    expect(d1.takeEvents()).toEqual([]);
    dom0.end(tx);
    expect(d1.takeEvents()).toEqual([["data/x", "tok"]]);
    const aborted = dom0.start();
    dom0.write("/local/domain/1/data/y", "1", aborted);
    dom0.end(aborted, false);
    expect(d1.takeEvents()).toEqual([]);
  });
});

describe("xenstored watches", () => {
  it("fires once on registration, then on each change at or below the path", () => {
    const { dom0 } = setup();
    dom0.watch("/w", "tok");
    expect(dom0.takeEvents()).toEqual([["/w", "tok"]]);
    dom0.write("/w", "1");
    dom0.write("/w/child/grandchild", "2");
    dom0.write("/wx", "not below /w");
    expect(dom0.takeEvents()).toEqual([["/w", "tok"], ["/w/child/grandchild", "tok"]]);
  });

  it("reports relative paths to relative watches", () => {
    const { d1 } = setup();
    d1.watch("data/rel", "r");
    expect(d1.takeEvents()).toEqual([["data/rel", "r"]]);
    d1.write("data/rel/x", "1");
    expect(d1.takeEvents()).toEqual([["data/rel/x", "r"]]);
  });

  it("fires on removal for the removed node and for watches below it", () => {
    const { dom0 } = setup();
    dom0.write("/r/a/b", "1");
    dom0.watch("/r", "top");
    dom0.watch("/r/a/b", "leaf");
    dom0.takeEvents();
    dom0.rm("/r/a");
    expect(dom0.takeEvents()).toEqual([["/r/a/b", "leaf"], ["/r/a", "top"]]);
  });

  it("fires on permission changes and mkdir, stops after unwatch", () => {
    const { dom0 } = setup();
    dom0.watch("/m", "t");
    dom0.mkdir("/m/d");
    dom0.setPerms("/m/d", ["n0", "r1"]);
    expect(dom0.takeEvents()).toEqual([["/m", "t"], ["/m/d", "t"], ["/m/d", "t"]]);
    dom0.unwatch("/m", "t");
    dom0.write("/m/d", "x");
    expect(dom0.takeEvents()).toEqual([]);
    expect(dom0.error(() => dom0.unwatch("/m", "t"))).toBe("ENOENT");
  });

  it("refuses a duplicate watch but allows the same path with another token", () => {
    const { dom0 } = setup();
    dom0.watch("/d", "a");
    expect(dom0.error(() => dom0.watch("/d", "a"))).toBe("EEXIST");
    dom0.watch("/d", "b");
    dom0.takeEvents();
    dom0.write("/d", "1");
    expect(dom0.takeEvents()).toEqual([["/d", "a"], ["/d", "b"]]);
  });

  it("sends an event only to watchers that may read the node or its parent", () => {
    const { d1, d2 } = setup();
    d2.watch("/local/domain/1", "spy");
    d2.takeEvents();
    d1.write("data/secret", "x");
    expect(d2.takeEvents()).toEqual([]);
    d1.setPerms("data/secret", ["n1", "r2"]);
    expect(d2.takeEvents()).toEqual([["/local/domain/1/data/secret", "spy"]]);
  });

  it("fires @introduceDomain and @releaseDomain for those allowed to see them", () => {
    const { store, dom0, d1 } = setup();
    dom0.watch("@introduceDomain", "intro");
    dom0.watch("@releaseDomain", "release");
    d1.watch("@releaseDomain", "d1");
    dom0.takeEvents();
    d1.takeEvents();
    store.introduceDomain(7);
    expect(dom0.takeEvents()).toEqual([["@introduceDomain", "intro"]]);
    // A watch on "/" never sees the special paths.
    dom0.watch("/", "root");
    dom0.takeEvents();
    store.releaseDomain(7);
    expect(dom0.takeEvents()).toEqual([["@releaseDomain", "release"]]);
    expect(d1.takeEvents()).toEqual([]);
    // Changing a node's permissions fires its watches, for those who may now read it too.
    dom0.setPerms("@releaseDomain", ["n0", "r1"]);
    expect(d1.takeEvents()).toEqual([["@releaseDomain", "d1"]]);
    store.introduceDomain(8);
    dom0.takeEvents();
    store.releaseDomain(8);
    expect(d1.takeEvents()).toEqual([["@releaseDomain", "d1"]]);
  });

  it("introduces and releases domains over the protocol, giving a released domain's nodes to dom0", () => {
    const { dom0, d2, store } = setup();
    d2.write("data/x", "1");
    d2.setPerms("data/x", ["n2", "r1"]);
    dom0.watch("@releaseDomain", "rel");
    dom0.takeEvents();
    expect(utf8(dom0.request(X.XS_RELEASE, strings("2")))).toBe("OK\0");
    expect(dom0.takeEvents()).toEqual([["@releaseDomain", "rel"]]);
    expect(dom0.getPerms("/local/domain/2/data/x")).toEqual(["n0", "r1"]);
    expect(dom0.error(() => dom0.request(X.XS_RELEASE, strings("2")))).toBe("ENOENT");
    expect(dom0.error(() => dom0.request(X.XS_RELEASE, strings("0")))).toBe("EINVAL");
    // The released domain's connection is closed: it gets no more replies.
    expect(store.watchers.has(d2.connection)).toBe(false);
    expect(() => d2.read("data/x")).toThrow("expected exactly one reply");
    expect(utf8(dom0.request(X.XS_INTRODUCE, strings("2", "4660", "3")))).toBe("OK\0");
    expect(store.isIntroduced(2)).toBe(true);
  });
});

describe("xenstored malformed requests", () => {
  const cases: [string, number, Uint8Array, string][] = [
    ["unknown type", 999, strings("/"), "ENOSYS"],
    ["XS_WATCH_EVENT from a client", X.XS_WATCH_EVENT, strings("/", "t"), "ENOSYS"],
    ["read without NUL", X.XS_READ, new TextEncoder().encode("/tool"), "EINVAL"],
    ["read with two arguments", X.XS_READ, strings("/tool", "x"), "EINVAL"],
    ["empty read", X.XS_READ, new Uint8Array(0), "EINVAL"],
    ["invalid character", X.XS_READ, strings("/a b"), "EINVAL"],
    ["trailing slash", X.XS_WRITE, strings("/a/"), "EINVAL"],
    ["double slash", X.XS_MKDIR, strings("/a//b"), "EINVAL"],
    ["special path outside watches", X.XS_WRITE, strings("@introduceDomain"), "EINVAL"],
    ["write without path", X.XS_WRITE, new TextEncoder().encode("/x"), "EINVAL"],
    ["watch without token", X.XS_WATCH, strings("/x"), "EINVAL"],
    ["bad permission", X.XS_SET_PERMS, strings("/tool", "x1"), "EINVAL"],
    ["permission domid too large", X.XS_SET_PERMS, strings("/tool", "r70000"), "EINVAL"],
    ["set_perms without permission", X.XS_SET_PERMS, strings("/tool"), "EINVAL"],
    ["domain path of a non-number", X.XS_GET_DOMAIN_PATH, strings("abc"), "EINVAL"],
    ["introduce without port", X.XS_INTRODUCE, strings("3", "1"), "EINVAL"],
    ["introduce with port 0", X.XS_INTRODUCE, strings("3", "1", "0"), "EINVAL"],
    ["directory part without offset", X.XS_DIRECTORY_PART, strings("/"), "EINVAL"],
  ];
  it.each(cases)("%s gets %s... and the next request still works", (_name, type, payload, errno) => {
    const { dom0 } = setup();
    const reply = dom0.raw(type, payload);
    expect(reply.type).toBe(X.XS_ERROR);
    expect(utf8(reply.payload)).toBe(`${errno}\0`);
    expect(dom0.read("/local/domain/1")).toBe("");
  });

  it("refuses a reply over XENSTORE_PAYLOAD_MAX with E2BIG", () => {
    const { dom0 } = setup();
    for (let i = 0; i < 300; i++) dom0.mkdir(`/many/child-with-a-long-name-${i}`);
    expect(dom0.error(() => dom0.directory("/many"))).toBe("E2BIG");
  });
});

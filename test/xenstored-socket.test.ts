// Debian's xenstore-utils (the real libxenstore client) against the simulated
// xenstored's Unix socket, and a domain on its ring seeing what they write.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "../cli/build.ts";
import { Simulator } from "../sim/index.ts";
import * as X from "../sim/xen/io/xs_wire.ts";
import { attachXenstore } from "../sim/xenstore/attach.ts";
import { XenstoreSocketServer, xenstoreSocketHelp } from "../sim/xenstore/socket.ts";
import { plugXenstore } from "../sim/xenstore/plug.ts";
import { Store } from "../sim/xenstore/store.ts";
import { Toolstack } from "../sim/xenstore/toolstack.ts";
import { MessageReader, type XsMessage, encodeMessage, splitStrings, strings, utf8 } from "../sim/xenstore/wire.ts";

const run = promisify(execFile);
const TOOLS = ["xenstore-ls", "xenstore-read", "xenstore-write", "xenstore-rm", "xenstore-chmod", "xenstore-watch", "xenstore-list", "xenstore-exists"];
const missing = TOOLS.filter((t) => !existsSync(`/usr/bin/${t}`));

let dir: string;
let path: string;
let store: Store;
let server: XenstoreSocketServer;

/** Runs a xenstore tool against the simulation (asynchronously: the server lives in this process). */
async function tool(name: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(`/usr/bin/${name}`, args, { env: { XENSTORED_PATH: path }, timeout: 10_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

beforeEach(async () => {
  if (missing.length) throw new Error(`install Debian's xenstore-utils (missing: ${missing.join(", ")})`);
  dir = mkdtempSync(join(tmpdir(), "morgana-xs-"));
  path = join(dir, "socket");
  store = new Store();
  new Toolstack(store).initDom0();
  server = await XenstoreSocketServer.listen(store, path);
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("xenstore-utils against the simulated xenstored", () => {
  it("writes and reads back through xenstore-write and xenstore-read", async () => {
    expect((await tool("xenstore-write", "/test/a", "hello", "/test/b", "world")).code).toBe(0);
    expect(utf8(store.nodes.get("/test/a")!.value)).toBe("hello");
    const read = await tool("xenstore-read", "/test/a", "/test/b");
    expect(read).toMatchObject({ code: 0, stdout: "hello\nworld\n" });
    const absent = await tool("xenstore-read", "/test/none");
    expect(absent.code).not.toBe(0);
    expect(absent.stderr).toContain("couldn't read path /test/none");
  });

  it("lists the tree with permissions through xenstore-ls and xenstore-list", async () => {
    await tool("xenstore-write", "/local/domain/0/data/k", "v");
    const ls = await tool("xenstore-ls", "-p", "/local/domain/0");
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^name = "Domain-0" .*\(n0\)$/m);
    expect(ls.stdout).toMatch(/^ k = "v" .*\(n0\)$/m);
    expect((await tool("xenstore-list", "/local/domain/0")).stdout).toBe("name\ndomid\ndata\n");
  });

  it("changes permissions with xenstore-chmod and removes with xenstore-rm", async () => {
    await tool("xenstore-write", "/perm/x", "1");
    expect((await tool("xenstore-chmod", "/perm/x", "n5", "r6")).code).toBe(0);
    expect(store.nodes.get("/perm/x")!.perms).toEqual([{ id: 5, perms: 0 }, { id: 6, perms: 1 }]);
    expect((await tool("xenstore-exists", "/perm/x")).code).toBe(0);
    expect((await tool("xenstore-rm", "/perm")).code).toBe(0);
    expect((await tool("xenstore-exists", "/perm/x")).code).not.toBe(0);
    expect(store.nodes.has("/perm")).toBe(false);
  });

  it("reports watch events to xenstore-watch: once at registration, then on change", async () => {
    const child = spawn("/usr/bin/xenstore-watch", ["-n", "3", "/watched"], { env: { XENSTORED_PATH: path } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    await until(() => [...store.watchers].some((w) => w.watches.some((x) => x.path === "/watched")));
    await tool("xenstore-write", "/watched/child", "1");
    await tool("xenstore-write", "/elsewhere", "1");
    await tool("xenstore-rm", "/watched");
    expect(await exited).toBe(0);
    expect(out.trim().split("\n")).toEqual(["/watched", "/watched/child", "/watched"]);
  });

  it("lets a domain on its ring see, through its watch, what xenstore-write wrote", async () => {
    const toolstack = new Toolstack(store);
    toolstack.createDomain({ domid: 3, name: "guest", uuid: "00000000-0000-0000-0000-000000000003", maxMemKiB: 65536, vcpus: 1, storeMfn: 1234n, storePort: 1 });
    const page = new Uint8Array(4096);
    const rsp = new MessageReader();
    const domain = attachXenstore(store, 3, () => page, () => {});
    const view = new DataView(page.buffer);
    const xs = X.xenstore_domain_interface;
    const request = encodeMessage(X.XS_WATCH, 1, 0, strings("data/config", "cfg"));
    page.set(request, xs.req.offset);
    view.setUint32(xs.req_prod.offset, request.length, true);
    domain.onEvent();
    expect((await tool("xenstore-write", "/local/domain/3/data/config", "on")).code).toBe(0);
    const prod = view.getUint32(xs.rsp_prod.offset, true);
    rsp.push(page.slice(xs.rsp.offset, xs.rsp.offset + prod));
    const messages: XsMessage[] = [];
    for (let m = rsp.next(); m; m = rsp.next()) messages.push(m);
    expect(messages.map((m) => [m.type, ...splitStrings(m.payload).items])).toEqual([
      [X.XS_WATCH, "OK"], [X.XS_WATCH_EVENT, "data/config", "cfg"], [X.XS_WATCH_EVENT, "data/config", "cfg"],
    ]);
    expect((await tool("xenstore-ls", "/local/domain/3")).stdout).toContain('name = "guest"');
  });
});

describe("the xenstored socket with a raw client", () => {
  it("answers a malformed request with an error and drops a client that sends an oversize length", async () => {
    const socket = connect(path);
    const reader = new MessageReader();
    const replies: XsMessage[] = [];
    socket.on("data", (d) => {
      reader.push(d);
      for (let m = reader.next(); m; m = reader.next()) replies.push(m);
    });
    await new Promise((r) => socket.once("connect", r));
    socket.write(encodeMessage(X.XS_READ, 7, 0, new TextEncoder().encode("/no-nul")));
    await until(() => replies.length === 1);
    expect([replies[0].type, replies[0].req_id, utf8(replies[0].payload)]).toEqual([X.XS_ERROR, 7, "EINVAL\0"]);
    const oversize = encodeMessage(X.XS_READ, 8, 0, new Uint8Array(0));
    new DataView(oversize.buffer).setUint32(X.xsd_sockmsg.len.offset, X.XENSTORE_PAYLOAD_MAX + 1, true);
    const closed = new Promise((r) => socket.once("close", r));
    socket.write(oversize);
    await closed;
    await until(() => server.clients === 0);
  });
});

describe("xenstore-utils and a unikernel on the same simulated xenstored", () => {
  it("shows the unikernel's nodes to xenstore-ls and xenstore-read, and its watch sees xenstore-write", async () => {
    const wasm = await buildApp("test/apps/xenstore-watch", join(dir, "watch.wasm"));
    // A real peer is attached: the simulation runs in real time.
    const sim = new Simulator({ realTime: true });
    await server.close();
    const plugged = plugXenstore(sim);
    server = await XenstoreSocketServer.listen(plugged.store, path);
    const d = sim.createDomain({ name: "watcher", wasm });
    const running = sim.run({ timeoutMs: 30_000 });
    const home = `/local/domain/${d.domid}`;
    await until(() => [...plugged.store.watchers].some((w) => w.watches.some((x) => x.path === `${home}/data/config`)));
    expect(xenstoreSocketHelp(path)).toContain(`XENSTORED_PATH=${path} xenstore-ls`);
    const ls = await tool("xenstore-ls", home);
    expect(ls.stdout).toMatch(/^name = "watcher"$/m);
    expect(ls.stdout).toMatch(/^ ready = "1"$/m);
    expect((await tool("xenstore-read", `${home}/domid`)).stdout).toBe(`${d.domid}\n`);
    expect((await tool("xenstore-write", `${home}/data/config`, "hello")).code).toBe(0);
    await until(() => d.console.includes("config: hello"));
    expect((await tool("xenstore-write", `${home}/data/config`, "stop")).code).toBe(0);
    await running;
    expect(d.result).toEqual({ kind: "exit", status: 0 });
    expect(d.console).toContain("config: hello\nconfig: stop\n");
  });
});

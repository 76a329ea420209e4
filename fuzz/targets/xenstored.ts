// The simulated xenstored (sim/xenstore) under hostile requests from a domain's
// ring: random and malformed types, ids, transaction ids, paths, permissions and
// payloads, lengths over XENSTORE_PAYLOAD_MAX, producer indices past the ring,
// reconnections. Every well-framed request must get exactly one reply, in
// order, echoing its header, of its own type or XS_ERROR; nothing may throw;
// the tree must stay consistent and within the domain's quota.
import { Prng } from "../../sim/prng.ts";
import * as X from "../../sim/xen/io/xs_wire.ts";
import { xenstore_domain_interface as xs } from "../../sim/xen/io/xs_wire.ts";
import { attachXenstore } from "../../sim/xenstore/attach.ts";
import { Store, childPath, parentPath } from "../../sim/xenstore/store.ts";
import { MessageReader, type XsMessage, encodeMessage, strings } from "../../sim/xenstore/wire.ts";
import { TestClient } from "../../test/xenstored-client.ts";
import { type SessionResult, type Target, chance, pick } from "../campaign.ts";

const RING = X.XENSTORE_RING_SIZE;
const DOMID = 5;
const ENTRIES = 40;
const TYPES = [
  X.XS_DIRECTORY, X.XS_READ, X.XS_GET_PERMS, X.XS_WATCH, X.XS_UNWATCH, X.XS_TRANSACTION_START, X.XS_TRANSACTION_END,
  X.XS_GET_DOMAIN_PATH, X.XS_WRITE, X.XS_MKDIR, X.XS_RM, X.XS_SET_PERMS, X.XS_DIRECTORY_PART, X.XS_RESET_WATCHES,
  X.XS_INTRODUCE, X.XS_RELEASE, X.XS_IS_DOMAIN_INTRODUCED, X.XS_RESUME, X.XS_SET_TARGET, X.XS_CONTROL, X.XS_WATCH_EVENT, X.XS_ERROR,
];
const NAMES = ["data", "data/a", "data/a/b", "data/c", "/local/domain/5/data/x", "/local/domain/0", "/tool", "@introduceDomain", "@releaseDomain", "name"];

/** A path a hostile guest might send: one of NAMES, edited or not. */
function path(rng: Prng): string {
  let p = pick(rng, NAMES);
  const edit = rng.int(10);
  if (edit === 0) p += "/";
  if (edit === 1) p = p.replace("/", "//");
  if (edit === 2) p += "/" + "x".repeat(1 + rng.int(3100));
  if (edit === 3) p += String.fromCharCode(1 + rng.int(255));
  if (edit === 4) p = "";
  if (edit === 5) p += `/n${rng.int(60)}`;
  return p;
}

function payload(rng: Prng, type: number): { bytes: Uint8Array; hostile: boolean } {
  const r = rng.int(20);
  if (r === 0) return { bytes: Uint8Array.from({ length: rng.int(64) }, () => rng.int(256)), hostile: true };
  if (r === 1) return { bytes: new TextEncoder().encode(path(rng)), hostile: true }; // no NUL
  const p = path(rng);
  switch (type) {
    case X.XS_WRITE: return { bytes: new Uint8Array([...strings(p), ...new Uint8Array(rng.int(2100)).map(() => rng.int(256))]), hostile: r < 4 };
    case X.XS_WATCH: case X.XS_UNWATCH: return { bytes: strings(p, `t${rng.int(4)}`), hostile: r < 4 };
    case X.XS_SET_PERMS: return { bytes: strings(p, ...Array.from({ length: rng.int(8) }, () => `${pick(rng, ["n", "r", "w", "b", "x", ""])}${rng.int(8)}`)), hostile: r < 4 };
    case X.XS_TRANSACTION_END: return { bytes: strings(pick(rng, ["T", "F", "X", ""])), hostile: r < 4 };
    case X.XS_GET_DOMAIN_PATH: case X.XS_IS_DOMAIN_INTRODUCED: return { bytes: strings(String(rng.int(10))), hostile: r < 4 };
    case X.XS_DIRECTORY_PART: return { bytes: strings(p, String(rng.int(100))), hostile: r < 4 };
    default: return { bytes: strings(p), hostile: r < 4 };
  }
}

/** The tree's links agree both ways; the domain stays within its quota. Returns what is wrong, or "". */
function inconsistency(store: Store): string {
  for (const [p, node] of store.nodes) {
    for (const c of node.children) if (!store.nodes.has(childPath(p, c))) return `${p} lists missing child ${c}`;
    if (p === "/" || p.startsWith("@")) continue;
    const parent = store.nodes.get(parentPath(p));
    if (!parent?.children.includes(p.slice(p.lastIndexOf("/") + 1))) return `${p} not listed by its parent`;
  }
  return store.entryCount(DOMID) > ENTRIES ? `domain ${DOMID} owns ${store.entryCount(DOMID)} entries, quota ${ENTRIES}` : "";
}

export const xenstored: Target = {
  name: "xenstored",
  what: "sim/xenstore (ring, wire, connection, store, transactions) under hostile requests from a domain",
  async session(seed, smoke) {
    const rng = new Prng(seed);
    const store = new Store({ entries: ENTRIES });
    const dom0 = new TestClient(store, 0);
    dom0.mkdir(`/local/domain/${DOMID}/data`);
    dom0.setPerms(`/local/domain/${DOMID}`, ["n0", `r${DOMID}`]);
    dom0.setPerms(`/local/domain/${DOMID}/data`, [`n${DOMID}`]);
    const page = new Uint8Array(4096);
    const view = new DataView(page.buffer);
    const get = (f: { offset: number }) => view.getUint32(f.offset, true);
    const set = (f: { offset: number }, v: number) => view.setUint32(f.offset, v >>> 0, true);
    const ring = attachXenstore(store, DOMID, () => page, () => {});
    let reader = new MessageReader();
    const expected: { reqId: number; type: number; tx: number }[] = [];
    const counts = { responses: 0, hostile: 0 };
    const result: SessionResult = { counts, failures: [], extra: { requests: 0, replies: 0, events: 0, ringErrors: 0, reconnects: 0 } };
    const extra = result.extra!;
    const wrong = (detail: string) => {
      if (result.failures.length < 3) result.failures.push({ kind: "wrong data", detail });
      result.counts.wrongData = (result.counts.wrongData ?? 0) + 1;
    };
    const take = () => {
      const cons = get(xs.rsp_cons);
      const n = (get(xs.rsp_prod) - cons) >>> 0;
      if (n > RING) return wrong(`rsp_prod ${get(xs.rsp_prod)} is ${n} bytes past rsp_cons`);
      const chunk = new Uint8Array(n);
      for (let i = 0; i < n; i++) chunk[i] = page[xs.rsp.offset + ((cons + i) & (RING - 1))];
      set(xs.rsp_cons, cons + n);
      reader.push(chunk);
      for (let m: XsMessage | null = reader.next(); m; m = reader.next()) {
        if (m.type === X.XS_WATCH_EVENT) {
          extra.events++;
          continue;
        }
        extra.replies++;
        const want = expected.shift();
        if (!want) wrong(`a reply (type ${m.type}, req ${m.req_id}) to no request`);
        else if (m.req_id !== want.reqId || m.tx_id !== want.tx || (m.type !== want.type && m.type !== X.XS_ERROR)) {
          wrong(`reply type ${m.type} req ${m.req_id} tx ${m.tx_id} to request type ${want.type} req ${want.reqId} tx ${want.tx}`);
        }
      }
    };
    /** Streams `bytes` into the request ring, letting the daemon consume as it goes. */
    const send = (bytes: Uint8Array) => {
      for (let done = 0; done < bytes.length && !get(xs.error); ) {
        const prod = get(xs.req_prod);
        const n = Math.min(bytes.length - done, RING - ((prod - get(xs.req_cons)) >>> 0));
        for (let i = 0; i < n; i++) page[xs.req.offset + ((prod + i) & (RING - 1))] = bytes[done + i];
        set(xs.req_prod, prod + n);
        done += n;
        ring.onEvent();
        take();
      }
    };
    const txs: number[] = [];
    const requests = smoke ? 300 : 5000;
    for (let i = 0; i < requests && !result.failures.length; i++) {
      counts.responses++;
      extra.requests++;
      if (get(xs.error) || chance(rng, 0.01)) {
        // A guest that broke the ring (or wants a fresh one) reconnects.
        if (get(xs.error)) extra.ringErrors++;
        set(xs.connection, X.XENSTORE_RECONNECT);
        ring.onEvent();
        if (get(xs.connection) !== X.XENSTORE_CONNECTED || get(xs.error)) wrong("reconnection did not reset the ring");
        extra.reconnects++;
        reader = new MessageReader();
        expected.length = 0;
        txs.length = 0;
        counts.hostile++;
        continue;
      }
      if (chance(rng, 0.003)) {
        set(xs.req_prod, get(xs.req_cons) + RING + 1 + rng.int(1 << 30));
        ring.onEvent();
        counts.hostile++;
        continue;
      }
      const type = chance(rng, 0.1) ? rng.int(1 << 16) : pick(rng, TYPES);
      const { bytes, hostile } = payload(rng, type);
      const tx = txs.length && chance(rng, 0.3) ? pick(rng, txs) : chance(rng, 0.05) ? rng.int(1000) : 0;
      const reqId = rng.int(2 ** 32);
      const message = encodeMessage(type, reqId, tx, bytes);
      const oversize = chance(rng, 0.005);
      if (oversize) new DataView(message.buffer).setUint32(X.xsd_sockmsg.len.offset, X.XENSTORE_PAYLOAD_MAX + 1 + rng.int(1 << 20), true);
      if (hostile || oversize || type >= X.XS_TYPE_COUNT || !TYPES.slice(0, 12).includes(type) || tx > 0) counts.hostile++;
      if (!oversize) expected.push({ reqId, type, tx });
      try {
        send(message);
      } catch (err) {
        result.counts.hostCrashes = 1;
        result.failures.push({ kind: "host crash", detail: `request type ${type}: ${(err as Error).message}` });
        break;
      }
      // Transaction ids the daemon handed out, for later requests to use.
      if (type === X.XS_TRANSACTION_START) for (const id of ring.connection.transactions.keys()) if (!txs.includes(id)) txs.push(id);
      if (get(xs.error) && !oversize && !(bytes.length > X.XENSTORE_PAYLOAD_MAX)) wrong(`ring error ${get(xs.error)} after a well-framed request`);
      if (get(xs.error)) expected.length = 0;
    }
    const bad = inconsistency(store);
    if (bad) wrong(bad);
    extra.nodes = store.nodes.size;
    result.counts.memoryHighWater = ring.ring.backlog;
    return result;
  },
};

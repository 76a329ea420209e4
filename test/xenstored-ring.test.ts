// The simulated xenstored over a domain's xenstore_domain_interface page: a
// guest-side writer in the test plays the domain, byte by byte where it matters.
import { describe, expect, it } from "vitest";
import * as X from "../sim/xen/io/xs_wire.ts";
import { xenstore_domain_interface as xs } from "../sim/xen/io/xs_wire.ts";
import { type XenstoreAttachment, attachXenstore } from "../sim/xenstore/attach.ts";
import { Store } from "../sim/xenstore/store.ts";
import { MessageReader, type XsMessage, encodeMessage, splitStrings, strings, utf8 } from "../sim/xenstore/wire.ts";
import { TestClient } from "./xenstored-client.ts";

const RING = X.XENSTORE_RING_SIZE;

class Guest {
  readonly page = new Uint8Array(4096);
  readonly view = new DataView(this.page.buffer);
  readonly reader = new MessageReader();
  notifications = 0;
  readonly events: string[][] = [];
  readonly xs: XenstoreAttachment;

  constructor(store: Store, domid: number, startIndex = 0) {
    for (const f of [xs.req_cons, xs.req_prod, xs.rsp_cons, xs.rsp_prod]) this.view.setUint32(f.offset, startIndex, true);
    this.xs = attachXenstore(store, domid, () => this.page, () => this.notifications++);
  }

  get(field: { offset: number }): number {
    return this.view.getUint32(field.offset, true);
  }

  set(field: { offset: number }, value: number): void {
    this.view.setUint32(field.offset, value >>> 0, true);
  }

  /** Writes bytes into `req` as a guest would (they must fit) without signalling. */
  put(bytes: Uint8Array): void {
    const prod = this.get(xs.req_prod);
    if (((prod - this.get(xs.req_cons)) >>> 0) + bytes.length > RING) throw new Error("request ring full");
    bytes.forEach((b, i) => (this.page[xs.req.offset + ((prod + i) & (RING - 1))] = b));
    this.set(xs.req_prod, prod + bytes.length);
  }

  /** Takes everything in `rsp` and returns the whole messages received so far. */
  take(): XsMessage[] {
    const cons = this.get(xs.rsp_cons);
    const prod = this.get(xs.rsp_prod);
    const n = (prod - cons) >>> 0;
    const chunk = new Uint8Array(n);
    for (let i = 0; i < n; i++) chunk[i] = this.page[xs.rsp.offset + ((cons + i) & (RING - 1))];
    this.set(xs.rsp_cons, prod);
    this.reader.push(chunk);
    const out: XsMessage[] = [];
    for (let m = this.reader.next(); m; m = this.reader.next()) out.push(m);
    return out;
  }

  /** One request, signalled, and its reply; watch events that came with it go to `events`. */
  call(type: number, payload: Uint8Array, reqId = 1): XsMessage {
    this.put(encodeMessage(type, reqId, 0, payload));
    this.xs.onEvent();
    const messages = this.take();
    const replies = messages.filter((m) => m.type !== X.XS_WATCH_EVENT);
    this.events.push(...messages.filter((m) => m.type === X.XS_WATCH_EVENT).map((m) => splitStrings(m.payload).items));
    expect(replies).toHaveLength(1);
    return replies[0];
  }
}

function setup(startIndex = 0) {
  const store = new Store();
  const dom0 = new TestClient(store, 0);
  dom0.mkdir("/local/domain/5/data");
  dom0.setPerms("/local/domain/5", ["n0", "r5"]);
  dom0.setPerms("/local/domain/5/data", ["n5"]);
  return { store, dom0, guest: new Guest(store, 5, startIndex) };
}

describe("xenstored ring transport", () => {
  it("advertises its features and answers a request with the header echoed", () => {
    const { guest } = setup();
    expect(guest.get(xs.server_features)).toBe(X.XENSTORE_SERVER_FEATURE_RECONNECTION | X.XENSTORE_SERVER_FEATURE_ERROR);
    const reply = guest.call(X.XS_WRITE, new Uint8Array([...strings("data/x"), ...new TextEncoder().encode("42")]), 77);
    expect([reply.type, reply.req_id, utf8(reply.payload)]).toEqual([X.XS_WRITE, 77, "OK\0"]);
    expect(utf8(guest.call(X.XS_READ, strings("data/x")).payload)).toBe("42");
    expect(guest.notifications).toBeGreaterThan(0);
  });

  it("reassembles a request that arrives in pieces across several signals", () => {
    const { guest } = setup();
    const msg = encodeMessage(X.XS_READ, 9, 0, strings("/local/domain/5"));
    guest.put(msg.subarray(0, 5));
    guest.xs.onEvent();
    guest.put(msg.subarray(5, 20));
    guest.xs.onEvent();
    expect(guest.take()).toEqual([]);
    expect(guest.get(xs.req_cons)).toBe(20);
    guest.put(msg.subarray(20));
    guest.xs.onEvent();
    const [reply] = guest.take();
    expect([reply.type, reply.req_id]).toEqual([X.XS_READ, 9]);
  });

  it("wraps requests and replies around the end of the ring and of the 32-bit index", () => {
    const { guest } = setup(0xffffffff - 30);
    for (let i = 0; i < 40; i++) {
      const reply = guest.call(X.XS_WRITE, strings(`data/key-number-${i}`), i + 1);
      expect([reply.type, reply.req_id]).toEqual([X.XS_WRITE, i + 1]);
    }
    expect(guest.get(xs.req_prod)).toBeLessThan(0x10000);
    expect(splitStrings(guest.call(X.XS_DIRECTORY, strings("data")).payload).items).toHaveLength(40);
  });

  it("delivers a reply larger than the ring as the guest makes room", () => {
    const { guest, dom0 } = setup();
    dom0.write("/local/domain/5/data/big", "z".repeat(3000));
    guest.put(encodeMessage(X.XS_READ, 3, 0, strings("data/big")));
    guest.xs.onEvent();
    const got: XsMessage[] = [];
    for (let round = 0; round < 10 && got.length === 0; round++) {
      got.push(...guest.take());
      guest.xs.onEvent();
    }
    expect(utf8(got[0].payload)).toBe("z".repeat(3000));
    expect(guest.xs.ring.backlog).toBe(0);
  });

  it("sends watch events caused by other domains at once, with a notification", () => {
    const { guest, dom0 } = setup();
    guest.call(X.XS_WATCH, strings("data", "tok"));
    expect(guest.events).toEqual([["data", "tok"]]);
    const before = guest.notifications;
    dom0.write("/local/domain/5/data/from0", "hi");
    const [event] = guest.take();
    expect(event.type).toBe(X.XS_WATCH_EVENT);
    expect(splitStrings(event.payload).items).toEqual(["data/from0", "tok"]);
    expect(guest.notifications).toBe(before + 1);
  });

  it("stops serving a guest that announces a payload over XENSTORE_PAYLOAD_MAX", () => {
    const { guest } = setup();
    const header = encodeMessage(X.XS_READ, 1, 0, new Uint8Array(0));
    new DataView(header.buffer).setUint32(X.xsd_sockmsg.len.offset, X.XENSTORE_PAYLOAD_MAX + 1, true);
    guest.put(header);
    guest.xs.onEvent();
    expect(guest.get(xs.error)).toBe(X.XENSTORE_ERROR_PROTO);
    guest.put(encodeMessage(X.XS_READ, 2, 0, strings("data")));
    guest.xs.onEvent();
    expect(guest.take()).toEqual([]);
  });

  it("stops serving a guest whose producer index runs past the ring", () => {
    const { guest } = setup();
    guest.set(xs.req_prod, RING + 1);
    guest.xs.onEvent();
    expect(guest.get(xs.error)).toBe(X.XENSTORE_ERROR_RINGIDX);
    expect(guest.get(xs.req_cons)).toBe(0);
  });

  it("reconnects on XENSTORE_RECONNECT: indices zeroed, watches dropped, guest notified", () => {
    const { guest, dom0 } = setup(500);
    guest.call(X.XS_WATCH, strings("data", "tok"));
    guest.set(xs.connection, X.XENSTORE_RECONNECT);
    const before = guest.notifications;
    guest.xs.onEvent();
    expect([xs.req_cons, xs.req_prod, xs.rsp_cons, xs.rsp_prod].map((f) => guest.get(f))).toEqual([0, 0, 0, 0]);
    expect(guest.get(xs.connection)).toBe(X.XENSTORE_CONNECTED);
    expect(guest.notifications).toBe(before + 1);
    dom0.write("/local/domain/5/data/after", "1");
    expect(guest.take()).toEqual([]);
    expect(utf8(guest.call(X.XS_READ, strings("data/after")).payload)).toBe("1");
  });

  it("serves a ring stopped for an error again after XENSTORE_RECONNECT, the error cleared", () => {
    const { guest } = setup();
    guest.set(xs.req_prod, RING + 1);
    guest.xs.onEvent();
    expect(guest.get(xs.error)).toBe(X.XENSTORE_ERROR_RINGIDX);
    guest.set(xs.connection, X.XENSTORE_RECONNECT);
    guest.xs.onEvent();
    expect([xs.connection, xs.error, xs.req_cons, xs.req_prod].map((f) => guest.get(f))).toEqual([X.XENSTORE_CONNECTED, X.XENSTORE_ERROR_NONE, 0, 0]);
    expect(guest.call(X.XS_READ, strings("data")).type).toBe(X.XS_READ);
  });

  it("answers a malformed request with an error and then serves the next one", () => {
    const { guest } = setup();
    const bad = guest.call(X.XS_READ, new TextEncoder().encode("no-nul"), 4);
    expect([bad.type, bad.req_id, utf8(bad.payload)]).toEqual([X.XS_ERROR, 4, "EINVAL\0"]);
    expect(guest.call(X.XS_READ, strings("data"), 5).type).toBe(X.XS_READ);
  });

  it("releases the domain: @releaseDomain fires and its ring is no longer served", () => {
    const { guest, dom0 } = setup();
    dom0.watch("@releaseDomain", "r");
    dom0.takeEvents();
    guest.xs.release();
    expect(dom0.takeEvents()).toEqual([["@releaseDomain", "r"]]);
    guest.put(encodeMessage(X.XS_READ, 1, 0, strings("data")));
    guest.xs.onEvent();
    expect(guest.take()).toEqual([]);
  });
});

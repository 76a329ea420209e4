// A synchronous xenstore client for tests: speaks xsd_sockmsg to a Connection of
// the simulated xenstored and decodes replies, errors and watch events.
import { Connection } from "../sim/xenstore/connection.ts";
import type { Store } from "../sim/xenstore/store.ts";
import { MessageReader, type XsMessage, XsError, type XsErrno, splitStrings, strings, utf8 } from "../sim/xenstore/wire.ts";
import * as X from "../sim/xen/io/xs_wire.ts";

export class TestClient {
  readonly events: [string, string][] = [];
  readonly connection: Connection;
  private readonly replies: XsMessage[] = [];
  private readonly reader = new MessageReader();
  private reqId = 100;

  constructor(store: Store, readonly domid: number, privileged = domid === 0) {
    this.connection = new Connection(store, { domid, privileged }, (bytes) => this.receive(bytes));
  }

  private receive(bytes: Uint8Array): void {
    this.reader.push(bytes);
    for (let msg = this.reader.next(); msg; msg = this.reader.next()) {
      if (msg.type === X.XS_WATCH_EVENT) {
        const { items } = splitStrings(msg.payload);
        this.events.push([items[0], items[1]]);
      } else {
        this.replies.push(msg);
      }
    }
  }

  /** Sends one raw request; returns its reply message. */
  raw(type: number, payload: Uint8Array, tx = 0, reqId = ++this.reqId): XsMessage {
    this.connection.handle({ type, req_id: reqId, tx_id: tx, payload });
    const reply = this.replies.shift();
    if (!reply || this.replies.length) throw new Error("expected exactly one reply");
    if (reply.req_id !== reqId || reply.tx_id !== tx) throw new Error("reply header does not echo the request");
    return reply;
  }

  /** The reply payload, or an XsError carrying the wire error string. */
  request(type: number, payload: Uint8Array, tx = 0): Uint8Array {
    const reply = this.raw(type, payload, tx);
    if (reply.type === X.XS_ERROR) throw new XsError(splitStrings(reply.payload).items[0] as XsErrno);
    if (reply.type !== type) throw new Error(`reply type ${reply.type} for request ${type}`);
    return reply.payload;
  }

  read(path: string, tx = 0): string {
    return utf8(this.request(X.XS_READ, strings(path), tx));
  }

  write(path: string, value: string, tx = 0): void {
    this.ok(X.XS_WRITE, new Uint8Array([...strings(path), ...new TextEncoder().encode(value)]), tx);
  }

  mkdir(path: string, tx = 0): void {
    this.ok(X.XS_MKDIR, strings(path), tx);
  }

  rm(path: string, tx = 0): void {
    this.ok(X.XS_RM, strings(path), tx);
  }

  directory(path: string, tx = 0): string[] {
    return splitStrings(this.request(X.XS_DIRECTORY, strings(path), tx)).items;
  }

  getPerms(path: string, tx = 0): string[] {
    return splitStrings(this.request(X.XS_GET_PERMS, strings(path), tx)).items;
  }

  setPerms(path: string, perms: string[], tx = 0): void {
    this.ok(X.XS_SET_PERMS, strings(path, ...perms), tx);
  }

  watch(path: string, token: string): void {
    this.ok(X.XS_WATCH, strings(path, token));
  }

  unwatch(path: string, token: string): void {
    this.ok(X.XS_UNWATCH, strings(path, token));
  }

  start(): number {
    return Number(splitStrings(this.request(X.XS_TRANSACTION_START, strings(""))).items[0]);
  }

  end(tx: number, commit = true): void {
    this.ok(X.XS_TRANSACTION_END, strings(commit ? "T" : "F"), tx);
  }

  private ok(type: number, payload: Uint8Array, tx = 0): void {
    const reply = utf8(this.request(type, payload, tx));
    if (reply !== "OK\0") throw new Error(`expected OK, got ${JSON.stringify(reply)}`);
  }

  /** The error string a request gets (fails if it succeeds). */
  error(fn: () => unknown): string {
    try {
      fn();
    } catch (err) {
      if (err instanceof XsError) return err.errno;
      throw err;
    }
    throw new Error("request succeeded");
  }

  takeEvents(): [string, string][] {
    return this.events.splice(0);
  }
}

// xenstored's side of one domain's xenstore_domain_interface page (io/xs_wire.h):
// the guest produces requests in `req` (req_prod) and consumes replies from `rsp`
// (rsp_cons); we advance req_cons and rsp_prod. Every index the guest wrote is
// checked before use, and a broken ring is reported in the page's `error` field.
import {
  XENSTORE_CONNECTED, XENSTORE_ERROR_PROTO, XENSTORE_ERROR_RINGIDX, XENSTORE_RECONNECT, XENSTORE_RING_SIZE,
  XENSTORE_SERVER_FEATURE_ERROR, XENSTORE_SERVER_FEATURE_RECONNECTION, xenstore_domain_interface as xs,
} from "../xen/io/xs_wire.ts";
import { MessageReader, type XsMessage, XsProtocolError } from "./wire.ts";

/** Returns the 4 KiB page as it is now (a fresh view: guest memory may have grown and moved). */
export type PageAccess = () => Uint8Array;

export interface RingHandlers {
  message(msg: XsMessage): void;
  /** The guest asked to reconnect (XENSTORE_RECONNECT): forget its watches and transactions. */
  reset(): void;
}

const MASK = XENSTORE_RING_SIZE - 1;

export class RingServer {
  private reader = new MessageReader();
  private readonly output: Uint8Array[] = [];
  private failed = false;
  private inEvent = false;

  constructor(
    private readonly page: PageAccess,
    private readonly notify: () => void,
    private readonly handlers: RingHandlers,
  ) {
    this.view().setUint32(xs.server_features.offset, XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR, true);
  }

  private view(): DataView {
    const p = this.page();
    return new DataView(p.buffer, p.byteOffset, xs.SIZE);
  }

  /** Why the ring stopped being served (an XENSTORE_ERROR_* value), or 0. */
  get error(): number {
    return this.view().getUint32(xs.error.offset, true);
  }

  private fail(error: number): void {
    this.failed = true;
    this.output.length = 0;
    this.view().setUint32(xs.error.offset, error, true);
  }

  /** The domain signalled its event channel: take its requests, answer them, send what is queued. */
  onEvent(): void {
    if (this.inEvent) return;
    this.inEvent = true;
    try {
      const v = this.view();
      // A ring stopped for an error is served again after the guest asks to reconnect (xenstore-ring.txt).
      if (v.getUint32(xs.connection.offset, true) === XENSTORE_RECONNECT) return this.reconnect();
      if (this.failed) return;
      const consumed = this.readRequests();
      for (let msg = this.nextMessage(); msg; msg = this.nextMessage()) this.handlers.message(msg);
      // Replies were written as they came; a request consumed frees space the guest may wait for.
      if (!this.flush() && consumed) this.notify();
    } finally {
      this.inEvent = false;
    }
  }

  private nextMessage(): XsMessage | null {
    if (this.failed) return null;
    try {
      return this.reader.next();
    } catch (err) {
      if (!(err instanceof XsProtocolError)) throw err;
      this.fail(XENSTORE_ERROR_PROTO);
      return null;
    }
  }

  private reconnect(): void {
    this.reader = new MessageReader();
    this.output.length = 0;
    this.failed = false;
    this.handlers.reset();
    const v = this.view();
    for (const f of [xs.req_cons, xs.req_prod, xs.rsp_cons, xs.rsp_prod, xs.error]) v.setUint32(f.offset, 0, true);
    v.setUint32(xs.connection.offset, XENSTORE_CONNECTED, true);
    this.notify();
  }

  /** Copies every complete byte the guest produced; false if there were none. */
  private readRequests(): boolean {
    const v = this.view();
    const cons = v.getUint32(xs.req_cons.offset, true);
    const prod = v.getUint32(xs.req_prod.offset, true);
    const available = (prod - cons) >>> 0;
    if (available > XENSTORE_RING_SIZE) {
      this.fail(XENSTORE_ERROR_RINGIDX);
      return false;
    }
    if (available === 0) return false;
    const page = this.page();
    const chunk = new Uint8Array(available);
    for (let i = 0; i < available; i++) chunk[i] = page[xs.req.offset + ((cons + i) & MASK)];
    this.reader.push(chunk);
    v.setUint32(xs.req_cons.offset, (cons + available) >>> 0, true);
    return true;
  }

  /** Queues a reply or watch event and writes what fits now. */
  send(message: Uint8Array): void {
    if (this.failed) return;
    this.output.push(message);
    if (!this.inEvent) this.flush();
  }

  /** Writes queued output into the free part of `rsp`; notifies and returns true if it wrote any. */
  private flush(): boolean {
    if (this.failed || this.output.length === 0) return false;
    const v = this.view();
    const cons = v.getUint32(xs.rsp_cons.offset, true);
    let prod = v.getUint32(xs.rsp_prod.offset, true);
    const used = (prod - cons) >>> 0;
    if (used > XENSTORE_RING_SIZE) {
      this.fail(XENSTORE_ERROR_RINGIDX);
      return false;
    }
    let space = XENSTORE_RING_SIZE - used;
    const page = this.page();
    let wrote = false;
    while (space > 0 && this.output.length > 0) {
      const head = this.output[0];
      const n = Math.min(space, head.length);
      for (let i = 0; i < n; i++) page[xs.rsp.offset + ((prod + i) & MASK)] = head[i];
      prod = (prod + n) >>> 0;
      space -= n;
      wrote = true;
      if (n === head.length) this.output.shift();
      else this.output[0] = head.subarray(n);
    }
    // The data is in place before the guest can see the new producer index.
    v.setUint32(xs.rsp_prod.offset, prod, true);
    if (wrote) this.notify();
    return wrote;
  }

  /** Bytes waiting for the guest to make room in `rsp`. */
  get backlog(): number {
    return this.output.reduce((n, m) => n + m.length, 0);
  }
}

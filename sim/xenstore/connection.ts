// One client of the simulated xenstored (a domain's ring or a socket): decodes
// each xsd_sockmsg request, runs it against the store and sends the reply, the
// way xenstored's process_message does (same checks, same order, same errors).
import { DOMID_SELF } from "../xen/xen.ts";
import {
  XENSTORE_PAYLOAD_MAX, XS_DIRECTORY, XS_DIRECTORY_PART, XS_GET_DOMAIN_PATH, XS_GET_PERMS,
  XS_INTRODUCE, XS_IS_DOMAIN_INTRODUCED, XS_MKDIR, XS_READ, XS_RELEASE, XS_RESET_WATCHES, XS_RESUME,
  XS_RM, XS_SET_PERMS, XS_SET_TARGET, XS_TRANSACTION_END, XS_TRANSACTION_START, XS_UNWATCH,
  XS_WATCH, XS_WATCH_EVENT, XS_WRITE,
} from "../xen/io/xs_wire.ts";
import { type Caller, type Store, type Watch, type Watcher, implicitPath, parsePerm, permToString } from "./store.ts";
import { type Access, Transaction } from "./transaction.ts";
import { type XsMessage, XsError, bytes, encodeError, encodeMessage, splitStrings, strings } from "./wire.ts";

/** Called for XS_INTRODUCE so the host can attach the domain's ring page (mfn) and event channel. */
export type IntroduceHook = (domid: number, mfn: bigint, port: number) => void;

interface Handler {
  run(this: Connection, msg: XsMessage, access: Access, tx: Transaction | undefined): Uint8Array;
  privileged?: boolean;
  // The request's tx_id is ignored (xenstored's XS_FLAG_NOTID).
  noTransaction?: boolean;
}

const OK = strings("OK");

/** The payload must be exactly one NUL-terminated string (xenstored's onearg). */
function oneArg(msg: XsMessage): string {
  const { items, rest } = splitStrings(msg.payload);
  if (items.length !== 1 || rest.length !== 0) throw new XsError("EINVAL", "expected one NUL-terminated argument");
  return items[0];
}

function exactArgs(msg: XsMessage, count: number): string[] {
  const { items } = splitStrings(msg.payload);
  if (items.length !== count) throw new XsError("EINVAL", `expected ${count} NUL-terminated arguments`);
  return items;
}

function number(text: string, max: bigint): bigint {
  if (!/^\d{1,20}$/.test(text) || BigInt(text) > max) throw new XsError("EINVAL", `bad number "${text}"`);
  return BigInt(text);
}

function domid(text: string): number {
  return Number(number(text, 0xffffn));
}

const HANDLERS: Record<number, Handler> = {
  [XS_DIRECTORY]: {
    run(msg, access) {
      const node = this.store.directory(access, this.caller, this.store.canonicalize(this.caller, oneArg(msg)));
      return strings(...node.children);
    },
  },
  [XS_DIRECTORY_PART]: {
    // Children from a byte offset into the NUL-separated list, after the node's generation.
    run(msg, access) {
      const [path, offsetText] = exactArgs(msg, 2);
      const node = this.store.directory(access, this.caller, this.store.canonicalize(this.caller, path));
      const offset = Number(number(offsetText, 0xffffffffn));
      const gen = strings(String(node.generation));
      const all = strings(...node.children);
      if (offset >= all.length) return new Uint8Array([...gen, 0]);
      let end = offset;
      while (end < all.length) {
        const next = all.indexOf(0, end) + 1;
        if (gen.length + next - offset + 1 > XENSTORE_PAYLOAD_MAX) break;
        end = next;
      }
      const done = end === all.length;
      return new Uint8Array([...gen, ...all.subarray(offset, end), ...(done ? [0] : [])]);
    },
  },
  [XS_READ]: {
    run(msg, access) {
      return this.store.read(access, this.caller, this.store.canonicalize(this.caller, oneArg(msg)));
    },
  },
  [XS_GET_PERMS]: {
    run(msg, access) {
      const perms = this.store.getPerms(access, this.caller, this.store.canonicalize(this.caller, oneArg(msg), true));
      return strings(...perms.map(permToString));
    },
  },
  [XS_WATCH]: {
    noTransaction: true,
    run(msg) {
      const [path, token] = exactArgs(msg, 2);
      const name = this.store.canonicalize(this.caller, path, true);
      if (this.watches.some((w) => w.path === name && w.token === token)) throw new XsError("EEXIST", `watch ${path} ${token}`);
      // xenstored refuses only once the count is already over the quota.
      if (!this.caller.privileged && this.watches.length > this.store.quotas.watches) {
        throw new XsError("E2BIG", `more than ${this.store.quotas.watches} watches`);
      }
      const relative = !path.startsWith("/") && !path.startsWith("@");
      const watch: Watch = { path: name, token, prefixLength: relative ? implicitPath(this.caller.domid).length + 1 : 0 };
      this.watches.push(watch);
      // A new watch fires once at once, after the reply.
      this.afterReply = () => this.deliver(path, token);
      return OK;
    },
  },
  [XS_UNWATCH]: {
    noTransaction: true,
    run(msg) {
      const [path, token] = exactArgs(msg, 2);
      const name = this.store.canonicalize(this.caller, path, true);
      const index = this.watches.findIndex((w) => w.path === name && w.token === token);
      if (index < 0) throw new XsError("ENOENT", `no watch ${path} ${token}`);
      this.watches.splice(index, 1);
      return OK;
    },
  },
  [XS_TRANSACTION_START]: {
    run(_msg, _access, tx) {
      if (tx) throw new XsError("EBUSY", "transactions do not nest");
      if (!this.caller.privileged && this.transactions.size > this.store.quotas.transactions) {
        throw new XsError("ENOSPC", `more than ${this.store.quotas.transactions} transactions`);
      }
      while (this.nextTransactionId === 0 || this.transactions.has(this.nextTransactionId)) {
        this.nextTransactionId = (this.nextTransactionId + 1) >>> 0;
      }
      const id = this.nextTransactionId;
      this.nextTransactionId = (id + 1) >>> 0;
      this.transactions.set(id, new Transaction(this.store, id));
      return strings(String(id));
    },
  },
  [XS_TRANSACTION_END]: {
    run(msg, _access, tx) {
      const arg = oneArg(msg);
      if (arg !== "T" && arg !== "F") throw new XsError("EINVAL", `transaction end wants "T" or "F", not "${arg}"`);
      if (!tx) throw new XsError("ENOENT", "no transaction");
      this.transactions.delete(tx.id);
      if (arg === "T") {
        tx.commit((entries) => {
          if (tx.createdNodes && !this.caller.privileged && entries(this.caller.domid) > this.store.quotas.entries) {
            throw new XsError("ENOSPC", `domain ${this.caller.domid} would exceed its quota of ${this.store.quotas.entries} entries`);
          }
        });
      }
      return OK;
    },
  },
  [XS_INTRODUCE]: {
    privileged: true,
    run(msg) {
      const { items } = splitStrings(msg.payload);
      if (items.length < 3) throw new XsError("EINVAL", "introduce wants domid, mfn and event channel");
      const port = Number(number(items[2], 0xffffffffn));
      if (port <= 0) throw new XsError("EINVAL", "introduce wants an event channel port");
      const id = domid(items[0]);
      const mfn = number(items[1], 0xffffffffffffffffn);
      if (this.onIntroduce) this.onIntroduce(id, mfn, port);
      else this.store.introduceDomain(id);
      return OK;
    },
  },
  [XS_RELEASE]: {
    privileged: true,
    run(msg) {
      this.store.releaseDomain(domid(oneArg(msg)));
      return OK;
    },
  },
  [XS_GET_DOMAIN_PATH]: {
    run(msg) {
      return strings(implicitPath(domid(oneArg(msg))));
    },
  },
  [XS_WRITE]: {
    run(msg, access) {
      const { items } = splitStrings(msg.payload);
      if (items.length < 1) throw new XsError("EINVAL", "write wants a NUL-terminated path");
      const path = items[0];
      const value = msg.payload.slice(bytes(path).length + 1);
      this.store.write(access, this.caller, this.store.canonicalize(this.caller, path), value);
      return OK;
    },
  },
  [XS_MKDIR]: {
    run(msg, access) {
      this.store.mkdir(access, this.caller, this.store.canonicalize(this.caller, oneArg(msg)));
      return OK;
    },
  },
  [XS_RM]: {
    run(msg, access) {
      this.store.rm(access, this.caller, this.store.canonicalize(this.caller, oneArg(msg)));
      return OK;
    },
  },
  [XS_SET_PERMS]: {
    run(msg, access) {
      const { items } = splitStrings(msg.payload);
      if (items.length < 2) throw new XsError("EINVAL", "set_perms wants a path and at least one permission");
      const [path, ...permTexts] = items;
      const perms = permTexts.map(parsePerm);
      this.store.setPerms(access, this.caller, this.store.canonicalize(this.caller, path, true), perms);
      return OK;
    },
  },
  [XS_IS_DOMAIN_INTRODUCED]: {
    privileged: true,
    run(msg) {
      const id = domid(oneArg(msg));
      return strings(id === DOMID_SELF || this.store.isIntroduced(id) ? "T" : "F");
    },
  },
  [XS_RESUME]: {
    privileged: true,
    run(msg) {
      const id = domid(oneArg(msg));
      if (id === 0) throw new XsError("EINVAL", "dom0 cannot be resumed");
      if (!this.store.isIntroduced(id)) throw new XsError("ENOENT", `domain ${id} is not introduced`);
      return OK;
    },
  },
  [XS_SET_TARGET]: {
    privileged: true,
    run(msg) {
      const { items } = splitStrings(msg.payload);
      if (items.length < 2) throw new XsError("EINVAL", "set_target wants two domids");
      this.store.setTarget(domid(items[0]), domid(items[1]));
      return OK;
    },
  },
  [XS_RESET_WATCHES]: {
    run() {
      this.watches.length = 0;
      this.transactions.clear();
      return OK;
    },
  },
};

export class Connection implements Watcher {
  readonly watches: Watch[] = [];
  readonly transactions = new Map<number, Transaction>();
  nextTransactionId = 1;
  afterReply: (() => void) | undefined;
  private closed = false;

  constructor(
    readonly store: Store,
    readonly caller: Caller,
    private readonly send: (message: Uint8Array) => void,
    readonly onIntroduce?: IntroduceHook,
  ) {
    store.watchers.add(this);
  }

  /** Runs one request and sends its reply (an XS_ERROR with xenstore's error string on failure). */
  handle(msg: XsMessage): void {
    if (this.closed) return;
    const handler = HANDLERS[msg.type];
    try {
      if (!handler) throw new XsError("ENOSYS", `unknown message type ${msg.type}`);
      if (handler.privileged && !this.caller.privileged) throw new XsError("EACCES", "privileged operation");
      const tx = handler.noTransaction || msg.tx_id === 0 ? undefined : this.transactions.get(msg.tx_id);
      if (!handler.noTransaction && msg.tx_id !== 0 && !tx) throw new XsError("ENOENT", `no transaction ${msg.tx_id}`);
      const reply = handler.run.call(this, msg, tx ?? this.store.global, tx);
      if (reply.length > XENSTORE_PAYLOAD_MAX) throw new XsError("E2BIG", `reply of ${reply.length} bytes`);
      this.send(encodeMessage(msg.type, msg.req_id, msg.tx_id, reply));
    } catch (err) {
      this.afterReply = undefined;
      if (!(err instanceof XsError)) throw err;
      this.send(encodeError(msg.req_id, msg.tx_id, err.errno));
    }
    const after = this.afterReply;
    this.afterReply = undefined;
    after?.();
  }

  deliver(path: string, token: string): void {
    const payload = strings(path, token);
    // xenstored drops an event too long to send rather than break the stream.
    if (!this.closed && payload.length <= XENSTORE_PAYLOAD_MAX) this.send(encodeMessage(XS_WATCH_EVENT, 0, 0, payload));
  }

  shutdown(): void {
    this.closed = true;
    this.watches.length = 0;
    this.transactions.clear();
    this.store.watchers.delete(this);
  }
}

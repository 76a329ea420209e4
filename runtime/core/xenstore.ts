// The xenstore client: xsd_sockmsg requests over the xenstore_domain_interface
// page that start_info names (io/xs_wire.h), replies matched to requests by
// req_id, watch events queued and dispatched to handlers from the scheduler
// loop at a bounded rate, and transactions retried on EAGAIN. Nothing the
// daemon writes is trusted: ring indices, lengths, ids and reply types are
// checked; a well-framed bad reply fails only the request it answers, and a
// stream out of step (a length or type no message can have, a corrupt index)
// is reset with the ring's XENSTORE_RECONNECT (docs/misc/xenstore-ring.txt).
// Results are statuses: 0 or a negative Xen errno (xen/errno.h), named by xsErrorName.
import { start_info, SIF_INITDOMAIN } from "../xen/xen";
import {
  XENSTORE_CONNECTED, XENSTORE_PAYLOAD_MAX, XENSTORE_RECONNECT, XENSTORE_RING_SIZE,
  XENSTORE_SERVER_FEATURE_RECONNECTION, XS_DIRECTORY, XS_ERROR, XS_GET_DOMAIN_PATH, XS_GET_PERMS, XS_MKDIR,
  XS_READ, XS_RM, XS_SET_PERMS, XS_TRANSACTION_END, XS_TRANSACTION_START, XS_TYPE_COUNT, XS_UNWATCH,
  XS_WATCH, XS_WATCH_EVENT, XS_WRITE, xenstore_domain_interface, xsd_sockmsg,
} from "../xen/io/xs_wire";
import {
  XEN_E2BIG, XEN_EACCES, XEN_EAGAIN, XEN_EBADMSG, XEN_EBUSY, XEN_EEXIST, XEN_EINVAL, XEN_EIO, XEN_EISCONN,
  XEN_EISDIR, XEN_ENOENT, XEN_ENOMEM, XEN_ENOSPC, XEN_ENOSYS, XEN_ENOTEMPTY, XEN_EPERM, XEN_EROFS, XEN_ETIMEDOUT,
} from "../xen/errno";
import { byteRingRead, byteRingWrite } from "../ring/bytering";
import { bindHandler, EventHandler, evtchnSend } from "./events";
import { mapFrame } from "./frames";
import { armTimer, schedule, Timer } from "./sched";
import { monotonicNs, NS_PER_SEC } from "./time";
import { mb, START_INFO_OFFSET } from "../platform";

// xs_wire.h's xsd_errors and the Xen errno each stands for; oxenstored's EQUOTA is ENOSPC.
const ERROR_NAMES: StaticArray<string> = [
  "EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC", "EIO", "ENOTEMPTY",
  "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN", "E2BIG", "EPERM", "EQUOTA",
];
const ERROR_CODES: StaticArray<i32> = [
  -XEN_EINVAL, -XEN_EACCES, -XEN_EEXIST, -XEN_EISDIR, -XEN_ENOENT, -XEN_ENOMEM, -XEN_ENOSPC, -XEN_EIO,
  -XEN_ENOTEMPTY, -XEN_ENOSYS, -XEN_EROFS, -XEN_EBUSY, -XEN_EAGAIN, -XEN_EISCONN, -XEN_E2BIG, -XEN_EPERM,
  -XEN_ENOSPC,
];

/** The daemon broke the protocol (bad length, type or payload); the request it answered fails. */
export const XS_EBADMSG: i32 = -XEN_EBADMSG;
/** No reply within the timeout (xsSetTimeout). */
export const XS_ETIMEDOUT: i32 = -XEN_ETIMEDOUT;

/** The name of a status this module returned: "ENOENT", "EBADMSG", ... */
export function xsErrorName(status: i32): string {
  if (status == XS_EBADMSG) return "EBADMSG";
  if (status == XS_ETIMEDOUT) return "ETIMEDOUT";
  for (let i = 0; i < ERROR_CODES.length - 1; i++) if (ERROR_CODES[i] == status) return ERROR_NAMES[i];
  return status == 0 ? "OK" : `error ${status}`;
}

/** A request's outcome: `status` 0 or negative; `value` (read) or `list` (directory, perms). */
export class XsResult {
  status: i32 = 0;
  value: string = "";
  list: Array<string> = new Array<string>();
  get ok(): bool {
    return this.status == 0;
  }
}

/** Receives the events of one watch (AssemblyScript has no closures). */
export abstract class XsWatchHandler {
  /** `path` changed (or the watch was just set: xenstored fires once at once). */
  abstract onWatch(path: string): void;
}

/** The body of a transaction: 0 to commit, a negative status to abort with it. Runs again after EAGAIN. */
export abstract class XsTransactionBody {
  abstract run(tx: u32): i32;
}

class Pending {
  done: bool = false;
  status: i32 = 0;
  data: ArrayBuffer = new ArrayBuffer(0);
  // Sent again once already, after a reset of the connection: a second reset fails it.
  resent: bool = false;
  // No caller waits for it (a watch registered again after a reset).
  orphan: bool = false;
  reqId: u32 = 0;
  constructor(public type: u32, public tx: u32, public msg: ArrayBuffer) {}
}

class Watch {
  // Its XS_WATCH is in flight: a reset sends that request again rather than registering anew.
  registering: bool = false;
  // An event was dropped from a full queue: the handler gets one for the watched path instead.
  overflowed: bool = false;
  constructor(public path: string, public handler: XsWatchHandler) {}
}

class WatchEvent {
  constructor(public path: string, public token: string) {}
}

const HEADER: u32 = <u32>xsd_sockmsg.SIZE;
const RING_SIZE: u32 = XENSTORE_RING_SIZE;
/** Events waiting for their handlers; more are coalesced into one per watch. */
const WATCH_QUEUE_MAX: i32 = 128;
/** Handler calls per WATCH_WINDOW_NS: a daemon that answers each read with an event cannot hold the loop. */
const WATCH_BURST: u32 = 64;
const WATCH_WINDOW_NS: u64 = 1_000_000;
/** Resets in a row with no good reply between them before the daemon is given up (EIO). */
const MAX_RESETS_IN_A_ROW: u32 = 8;

let ring: usize = 0;
let port: u32 = 0;
let initialised: bool = false;
// No xenstore (dom0 without a daemon yet), or a daemon given up on.
let unavailable: i32 = 0;
let timeoutNs: u64 = 30 * NS_PER_SEC;
let nextReqId: u32 = 1;
let nextToken: u32 = 1;
let strays: u32 = 0;
let resets: u32 = 0;
let resetsInARow: u32 = 0;
let resetting: bool = false;
let resetDeadline: u64 = 0;
let eventsCoalesced: u32 = 0;
let dispatching: bool = false;
let windowStart: u64 = 0;
let windowCalls: u32 = 0;
let overflowPending: bool = false;

const pending = new Map<u32, Pending>();
const watches = new Map<string, Watch>();
const events = new Array<WatchEvent>();
const outgoing = new Array<ArrayBuffer>();
let outgoingSent: u32 = 0; // bytes of outgoing[0] already in the ring
// Transactions open on the connection, and those the last reset discarded (their requests get EAGAIN).
const openTx = new Set<u32>();
let lostTx = new Set<u32>();

// The message being received: header, then payload.
const rxHeader: usize = memory.data(<i32>xsd_sockmsg.SIZE, 4);
const rxPayload: usize = memory.data(XENSTORE_PAYLOAD_MAX);
let rxHave: u32 = 0;
let rxGot: u32 = 0;

class XenstoreEvent extends EventHandler {
  onEvent(port: u32): void {
    pump();
  }
}

// Handlers wait on xenstore themselves, so they run from a timer (the loop's timer
// queue lets a callback wait), never inside one another: events that arrive while
// a handler runs wait for the next firing, at most WATCH_BURST per window.
class WatchDispatch extends Timer {
  fire(now: u64): void {
    openWindow(now);
    dispatching = true;
    while (windowCalls < WATCH_BURST && (events.length || overflowPending)) {
      windowCalls++;
      if (events.length) {
        const e = events.shift();
        if (watches.has(e.token)) watches.get(e.token).handler.onWatch(e.path);
      } else {
        deliverOverflowed();
      }
    }
    dispatching = false;
    armDispatch();
  }
}
const dispatch = new WatchDispatch();

function openWindow(now: u64): void {
  if (now - windowStart < WATCH_WINDOW_NS) return;
  windowStart = now;
  windowCalls = 0;
}

/** One event for the first watch whose events overflowed the queue. */
function deliverOverflowed(): void {
  overflowPending = false;
  const tokens = watches.keys();
  for (let i = 0; i < tokens.length; i++) {
    const w = watches.get(tokens[i]);
    if (!w.overflowed) continue;
    if (overflowPending) return; // another one waits: the next call
    w.overflowed = false;
    overflowPending = true;
    w.handler.onWatch(w.path);
  }
  overflowPending = false;
  for (let i = 0; i < tokens.length; i++) if (watches.has(tokens[i]) && watches.get(tokens[i]).overflowed) overflowPending = true;
}

function armDispatch(): void {
  if (dispatching || dispatch.slot >= 0 || !(events.length || overflowPending)) return;
  openWindow(monotonicNs());
  armTimer(dispatch, windowCalls < WATCH_BURST ? 0 : windowStart + WATCH_WINDOW_NS);
}

/** Maps the store page and binds store_evtchn; a domain without them gets ENOSYS from every call. */
export function initXenstore(si: usize): void {
  initialised = true;
  const mfn = start_info.store_mfn(si);
  if (mfn == 0 || (start_info.flags(si) & SIF_INITDOMAIN) != 0) {
    unavailable = -XEN_ENOSYS;
    return;
  }
  ring = mapFrame(mfn, "the xenstore page");
  port = start_info.store_evtchn(si);
  bindHandler(port, new XenstoreEvent());
}

function ensureInit(): i32 {
  if (!initialised) initXenstore(START_INFO_OFFSET);
  return unavailable;
}

/** How long a request waits for its reply (default 30 s). */
export function xsSetTimeout(ns: u64): void {
  timeoutNs = ns;
}

/** Replies that matched no request in flight (dropped), since boot. */
export function xsStrayReplies(): u32 {
  return strays;
}

/** Times the connection was reset (XENSTORE_RECONNECT) because the daemon's stream was out of step. */
export function xsResets(): u32 {
  return resets;
}

/** Watch events merged into one already queued or, past WATCH_QUEUE_MAX, into one for the watched path. */
export function xsWatchEventsCoalesced(): u32 {
  return eventsCoalesced;
}

function fail(status: i32): void {
  unavailable = status;
  resetting = false;
  outgoing.length = 0;
  const ids = pending.keys();
  for (let i = 0; i < ids.length; i++) complete(pending.get(ids[i]), status);
  pending.clear();
}

function complete(p: Pending, status: i32): void {
  p.status = status;
  p.done = true;
}

function field(offset: usize): usize {
  return ring + offset;
}

/** Asks the daemon to empty the ring and forget this connection's watches and transactions. */
function startReset(): void {
  if (resetting || unavailable) return;
  const features = load<u32>(field(xenstore_domain_interface.OFFSET_server_features));
  if ((features & XENSTORE_SERVER_FEATURE_RECONNECTION) == 0 || ++resetsInARow > MAX_RESETS_IN_A_ROW) {
    fail(-XEN_EIO);
    return;
  }
  resetting = true;
  resetDeadline = monotonicNs() + timeoutNs;
  mb(); // everything read from the ring before the request to reset it
  store<u32>(field(xenstore_domain_interface.OFFSET_connection), XENSTORE_RECONNECT);
  evtchnSend(port);
}

/** True once the daemon has reset the ring; then every request in flight is sent again or failed. */
function resetDone(): bool {
  if (load<u32>(field(xenstore_domain_interface.OFFSET_connection)) != XENSTORE_CONNECTED) {
    if (monotonicNs() >= resetDeadline) fail(-XEN_EIO);
    return false;
  }
  mb(); // the zeroed indices only after the state that says they are
  resetting = false;
  resets++;
  rxHave = 0;
  rxGot = 0;
  // A message partly written is in flight like those written whole.
  const unsent = outgoing.slice(outgoingSent > 0 ? 1 : 0);
  outgoing.length = 0;
  outgoingSent = 0;
  lostTx = new Set<u32>();
  const open = openTx.values();
  for (let i = 0; i < open.length; i++) lostTx.add(open[i]);
  openTx.clear();
  const again = new Array<ArrayBuffer>();
  const ids = pending.keys();
  for (let i = 0; i < ids.length; i++) {
    const p = pending.get(ids[i]);
    const sent = !contains(unsent, p.msg);
    if (p.orphan || (p.tx != 0 && !sent)) {
      // Watches are registered again below; a transaction's request not yet sent belongs to a lost one.
      pending.delete(ids[i]);
      if (!p.orphan) complete(p, -XEN_EAGAIN);
      removeFrom(unsent, p.msg);
      continue;
    }
    if (!sent) continue;
    if (p.type == XS_UNWATCH) complete(p, 0); // the reset removed the watch
    else if (p.type == XS_TRANSACTION_END) complete(p, XS_EBADMSG); // committed or not: nobody can tell
    else if (p.tx != 0) complete(p, -XEN_EAGAIN); // its transaction is gone, uncommitted
    else if (p.resent) complete(p, XS_EBADMSG);
    else {
      // Every other request a domU sends has the same effect applied twice.
      p.resent = true;
      again.push(p.msg);
      continue;
    }
    pending.delete(ids[i]);
  }
  // Watches first: xenstored fires each once at registration, so no change made meanwhile goes unseen.
  const tokens = watches.keys();
  for (let i = 0; i < tokens.length; i++) {
    const w = watches.get(tokens[i]);
    if (!w.registering) submit(XS_WATCH, 0, encode([w.path, tokens[i]], null)).orphan = true;
  }
  for (let i = 0; i < again.length; i++) outgoing.push(again[i]);
  for (let i = 0; i < unsent.length; i++) outgoing.push(unsent[i]);
  return true;
}

function contains(list: Array<ArrayBuffer>, msg: ArrayBuffer): bool {
  for (let i = 0; i < list.length; i++) if (list[i] === msg) return true;
  return false;
}

function removeFrom(list: Array<ArrayBuffer>, msg: ArrayBuffer): void {
  for (let i = 0; i < list.length; i++) {
    if (list[i] === msg) {
      list.splice(i, 1);
      return;
    }
  }
}

/** Moves bytes both ways: queued requests out, replies and events in. */
function pump(): void {
  if (unavailable) return;
  if (resetting && !resetDone()) return;
  let moved = false;
  while (outgoing.length) {
    const msg = outgoing[0];
    const n = byteRingWrite(
      field(xenstore_domain_interface.OFFSET_req), RING_SIZE,
      field(xenstore_domain_interface.OFFSET_req_prod), field(xenstore_domain_interface.OFFSET_req_cons),
      changetype<usize>(msg) + outgoingSent, <u32>msg.byteLength - outgoingSent,
    );
    if (n < 0) {
      startReset();
      return;
    }
    if (n == 0) break;
    moved = true;
    outgoingSent += <u32>n;
    if (outgoingSent == <u32>msg.byteLength) {
      outgoing.shift();
      outgoingSent = 0;
    }
  }
  while (true) {
    const inHeader = rxHave < HEADER;
    const want = inHeader ? HEADER - rxHave : payloadLength() - rxGot;
    const n = byteRingRead(
      field(xenstore_domain_interface.OFFSET_rsp), RING_SIZE,
      field(xenstore_domain_interface.OFFSET_rsp_prod), field(xenstore_domain_interface.OFFSET_rsp_cons),
      inHeader ? rxHeader + rxHave : rxPayload + rxGot, want,
    );
    if (n < 0) {
      startReset();
      return;
    }
    moved = moved || n > 0;
    if (inHeader) rxHave += <u32>n;
    else rxGot += <u32>n;
    // No message has such a header: the stream is out of step (a length that lied), so reset it.
    if (rxHave == HEADER && (payloadLength() > XENSTORE_PAYLOAD_MAX || load<u32>(rxHeader, xsd_sockmsg.OFFSET_type) >= XS_TYPE_COUNT)) {
      startReset();
      return;
    }
    if (rxHave == HEADER && rxGot == payloadLength()) {
      received();
      rxHave = 0;
      rxGot = 0;
    } else if (n == 0) {
      break;
    }
  }
  // The daemon may wait for room to reply, or for requests.
  if (moved) evtchnSend(port);
}

function payloadLength(): u32 {
  return load<u32>(rxHeader, xsd_sockmsg.OFFSET_len);
}

/** The NUL-terminated strings of the payload; what follows the last NUL is ignored. */
function payloadStrings(len: u32): Array<string> {
  const out = new Array<string>();
  let start: u32 = 0;
  for (let i: u32 = 0; i < len; i++) {
    if (load<u8>(rxPayload + i) == 0) {
      out.push(String.UTF8.decodeUnsafe(rxPayload + start, i - start));
      start = i + 1;
    }
  }
  return out;
}

/** One whole message arrived: complete its request or queue its watch event. */
function received(): void {
  const type = load<u32>(rxHeader, xsd_sockmsg.OFFSET_type);
  const reqId = load<u32>(rxHeader, xsd_sockmsg.OFFSET_req_id);
  const len = payloadLength();
  if (type == XS_WATCH_EVENT) {
    const parts = payloadStrings(len);
    if (parts.length >= 2) queueEvent(parts[0], parts[1]);
    return;
  }
  if (!pending.has(reqId)) {
    strays++;
    return;
  }
  const p = pending.get(reqId);
  pending.delete(reqId);
  resetsInARow = 0;
  if (p.orphan) return;
  if (type == XS_ERROR) {
    const parts = payloadStrings(len);
    complete(p, parts.length ? errorStatus(parts[0]) : XS_EBADMSG);
  } else if (type != p.type) {
    complete(p, XS_EBADMSG);
  } else {
    const data = new ArrayBuffer(<i32>len);
    memory.copy(changetype<usize>(data), rxPayload, len);
    p.data = data;
    complete(p, 0);
  }
}

/** Queues an event of a watch this client holds; a duplicate of one queued, or one over the bound, is coalesced. */
function queueEvent(path: string, token: string): void {
  if (!watches.has(token)) return;
  for (let i = 0; i < events.length; i++) {
    if (events[i].token == token && events[i].path == path) {
      eventsCoalesced++;
      return;
    }
  }
  if (events.length >= WATCH_QUEUE_MAX) {
    eventsCoalesced++;
    watches.get(token).overflowed = true;
    overflowPending = true;
  } else {
    events.push(new WatchEvent(path, token));
  }
  armDispatch();
}

function errorStatus(name: string): i32 {
  for (let i = 0; i < ERROR_NAMES.length; i++) if (ERROR_NAMES[i] == name) return ERROR_CODES[i];
  return -XEN_EIO;
}

/** `strings` each NUL-terminated, then `tail` unterminated (a written value). */
function encode(strings: Array<string>, tail: string | null): ArrayBuffer {
  let len: i32 = 0;
  const parts = new Array<ArrayBuffer>();
  for (let i = 0; i < strings.length; i++) {
    const b = String.UTF8.encode(strings[i], true);
    parts.push(b);
    len += b.byteLength;
  }
  if (tail !== null) {
    const b = String.UTF8.encode(tail, false);
    parts.push(b);
    len += b.byteLength;
  }
  const out = new ArrayBuffer(len);
  let at: i32 = 0;
  for (let i = 0; i < parts.length; i++) {
    memory.copy(changetype<usize>(out) + at, changetype<usize>(parts[i]), parts[i].byteLength);
    at += parts[i].byteLength;
  }
  return out;
}

/** Queues one request; its reply completes the Pending. */
function submit(type: u32, tx: u32, payload: ArrayBuffer): Pending {
  while (nextReqId == 0 || pending.has(nextReqId)) nextReqId++;
  const reqId = nextReqId++;
  const msg = new ArrayBuffer(<i32>HEADER + payload.byteLength);
  const m = changetype<usize>(msg);
  store<u32>(m, type, xsd_sockmsg.OFFSET_type);
  store<u32>(m, reqId, xsd_sockmsg.OFFSET_req_id);
  store<u32>(m, tx, xsd_sockmsg.OFFSET_tx_id);
  store<u32>(m, <u32>payload.byteLength, xsd_sockmsg.OFFSET_len);
  memory.copy(m + HEADER, changetype<usize>(payload), payload.byteLength);
  const p = new Pending(type, tx, msg);
  p.reqId = reqId;
  pending.set(reqId, p);
  outgoing.push(msg);
  return p;
}

/** Sends one request and waits for its reply. */
function request(type: u32, tx: u32, payload: ArrayBuffer): Pending {
  const down = ensureInit();
  if (down || <u32>payload.byteLength > XENSTORE_PAYLOAD_MAX || (tx != 0 && lostTx.has(tx))) {
    const p = new Pending(type, tx, payload);
    // A transaction the last reset discarded is run again by xsTransact.
    complete(p, down ? down : tx != 0 && lostTx.has(tx) ? -XEN_EAGAIN : -XEN_E2BIG);
    return p;
  }
  const p = submit(type, tx, payload);
  pump();
  const deadline = monotonicNs() + timeoutNs;
  while (!p.done) {
    if (monotonicNs() >= deadline) {
      // A late reply will find no request and be dropped.
      pending.delete(p.reqId);
      // Half a message held this long: a length that lied, or a daemon that stopped serving the ring.
      if (rxHave > 0 || load<u32>(field(xenstore_domain_interface.OFFSET_error)) != 0) startReset();
      complete(p, XS_ETIMEDOUT);
      break;
    }
    schedule(deadline);
    pump();
  }
  return p;
}

function simple(type: u32, tx: u32, payload: ArrayBuffer): i32 {
  return request(type, tx, payload).status;
}

function strings1(a: string): ArrayBuffer {
  return encode([a], null);
}

function text(p: Pending): string {
  return String.UTF8.decodeUnsafe(changetype<usize>(p.data), <usize>p.data.byteLength);
}

/** The NUL-terminated strings of a reply. */
function list(p: Pending): Array<string> {
  const out = new Array<string>();
  const base = changetype<usize>(p.data);
  let start = 0;
  for (let i = 0; i < p.data.byteLength; i++) {
    if (load<u8>(base + i) == 0) {
      out.push(String.UTF8.decodeUnsafe(base + start, i - start));
      start = i + 1;
    }
  }
  return out;
}

function result(p: Pending, asList: bool): XsResult {
  const r = new XsResult();
  r.status = p.status;
  if (p.status == 0) {
    if (asList) r.list = list(p);
    else r.value = text(p);
  }
  return r;
}

export function xsRead(path: string, tx: u32 = 0): XsResult {
  return result(request(XS_READ, tx, strings1(path)), false);
}

export function xsWrite(path: string, value: string, tx: u32 = 0): i32 {
  return simple(XS_WRITE, tx, encode([path], value));
}

export function xsMkdir(path: string, tx: u32 = 0): i32 {
  return simple(XS_MKDIR, tx, strings1(path));
}

/** Removes `path` and everything below it; removing what is already gone succeeds. */
export function xsRm(path: string, tx: u32 = 0): i32 {
  return simple(XS_RM, tx, strings1(path));
}

/** The names of the children of `path`, in `list`. */
export function xsDirectory(path: string, tx: u32 = 0): XsResult {
  return result(request(XS_DIRECTORY, tx, strings1(path)), true);
}

/** The permissions of `path` ("n0", "r5", "w3", "b7": owner first), in `list`. */
export function xsGetPerms(path: string, tx: u32 = 0): XsResult {
  return result(request(XS_GET_PERMS, tx, strings1(path)), true);
}

export function xsSetPerms(path: string, perms: Array<string>, tx: u32 = 0): i32 {
  const all = new Array<string>();
  all.push(path);
  for (let i = 0; i < perms.length; i++) all.push(perms[i]);
  return simple(XS_SET_PERMS, tx, encode(all, null));
}

/** The home of domain `domid` ("/local/domain/<domid>"), in `value`. */
export function xsGetDomainPath(domid: u32): XsResult {
  const r = result(request(XS_GET_DOMAIN_PATH, 0, strings1(domid.toString())), false);
  // The reply is NUL-terminated.
  if (r.ok && r.value.endsWith("\0")) r.value = r.value.slice(0, r.value.length - 1);
  return r;
}

/** Calls `handler` on changes at or below `path` (and once now). */
export function xsWatch(path: string, handler: XsWatchHandler): i32 {
  const token = `morgana-${nextToken++}`;
  const w = new Watch(path, handler);
  watches.set(token, w);
  w.registering = true;
  const status = simple(XS_WATCH, 0, encode([path, token], null));
  w.registering = false;
  if (status) watches.delete(token);
  return status;
}

/** Ends the watch that `handler` has on `path`. */
export function xsUnwatch(path: string, handler: XsWatchHandler): i32 {
  const tokens = watches.keys();
  for (let i = 0; i < tokens.length; i++) {
    const w = watches.get(tokens[i]);
    if (w.path == path && w.handler === handler) {
      watches.delete(tokens[i]);
      return simple(XS_UNWATCH, 0, encode([path, tokens[i]], null));
    }
  }
  return -XEN_ENOENT;
}

/** A new transaction's id (positive), or a negative status. */
export function xsTransactionStart(): i64 {
  const p = request(XS_TRANSACTION_START, 0, strings1(""));
  if (p.status) return p.status;
  const id = parseDecimal(text(p));
  if (id <= 0) return XS_EBADMSG;
  openTx.add(<u32>id);
  return id;
}

/** Commits (EAGAIN if what it read changed meanwhile, or a reset of the connection lost it) or aborts transaction `tx`. */
export function xsTransactionEnd(tx: u32, commit: bool): i32 {
  const status = simple(XS_TRANSACTION_END, tx, strings1(commit ? "T" : "F"));
  openTx.delete(tx);
  lostTx.delete(tx);
  return status;
}

/** Runs `body` in a transaction, again while it fails with EAGAIN (up to `attempts` times). */
export function xsTransact(body: XsTransactionBody, attempts: i32 = 32): i32 {
  let status: i32 = -XEN_EAGAIN;
  for (let i = 0; i < attempts && status == -XEN_EAGAIN; i++) {
    const tx = xsTransactionStart();
    if (tx < 0) {
      status = <i32>tx;
      continue;
    }
    status = body.run(<u32>tx);
    if (status) {
      xsTransactionEnd(<u32>tx, false);
      continue;
    }
    status = xsTransactionEnd(<u32>tx, true);
  }
  return status;
}

/**
 * A decimal number of at most 10 digits up to u32's maximum (a NUL-terminated reply
 * allowed), or -1: values read from xenstore are checked, never trusted.
 */
export function parseDecimal(s: string): i64 {
  let n: i64 = 0;
  let len = s.length;
  if (len > 0 && s.charCodeAt(len - 1) == 0) len--;
  if (len == 0 || len > 10) return -1;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n > <i64>U32.MAX_VALUE ? -1 : n;
}

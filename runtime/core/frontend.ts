// What every xenbus frontend repeats, owned once: the XenbusDevice and its
// handshake hooks, the event adapter, the ports (allocated unbound for the
// backend, bound, closed at teardown), the shared ring pages (granted, revoked
// at teardown), the leak rule (a page the backend still maps when it is
// revoked is never reused, and a backend that makes the guest keep too many
// is given up on), `up`/`broken`/`reason`, the reset after a broken ring, and
// connect(deadline)/close(deadline). A driver keeps only its protocol: it owns
// a Frontend<Self> and implements, by name (AssemblyScript generics are
// resolved at compile time, and there are no interfaces to declare them):
//   setup(dev): i32             rings, buffers and ports for one connection
//   publish(dev, tx): i32       its keys, and XenbusStateInitialised or Connected
//   connected(dev): i32         the backend's features, checked
//   teardown(): void            fails what is in flight and revokes its own pages
//   onEvent(port): void         a notification on one of its ports
import { XEN_EIO, XEN_ENOSPC } from "../xen/errno";
import { XenbusStateClosing } from "../xen/io/xenbus";
import { bindHandler, EventHandler, evtchnAllocUnbound, evtchnClose } from "./events";
import { endAccess, GRANT_INVALID_REF, grantPage } from "./grants";
import { allocPages, freePage, PAGE_SIZE } from "./pages";
import { panic } from "./panic";
import { defer, Task } from "./sched";
import { monotonicNs } from "./time";
import { XenbusDevice, xenbusDevices, XenbusDriver } from "./xenbus";
import { parseDecimal } from "./xenstore";

/** Pages (or grant references) a backend may make a device keep, mapped when revoked, over its life; past it the frontend stops reconnecting. */
export const MAX_LEAKED_PAGES: u32 = 1024;
/** Event channels per device at most (netfront's split tx and rx). */
const MAX_PORTS: i32 = 2;
/** Shared ring pages per device at most (blkfront's 16-page ring, netfront's two rings). */
const MAX_RING_PAGES: i32 = 17;

class FrontendEvents<T> extends EventHandler {
  constructor(private driver: T) {
    super();
  }
  onEvent(port: u32): void {
    this.driver.onEvent(port);
  }
}

/** Starts the device over after the backend broke a ring: Closing, and xenbus reconnects once the backend follows. */
class FrontendReset<T> extends Task {
  constructor(private front: Frontend<T>) {
    super();
  }
  run(): void {
    const front = this.front;
    if (front.broken && front.up) front.dev.switchState(XenbusStateClosing);
  }
}

export class Frontend<T> extends XenbusDriver {
  readonly dev!: XenbusDevice;
  /** Connected and the rings sane. */
  up: bool = false;
  /** The backend broke the protocol: nothing flows until the device is reset, or for good. */
  broken: bool = false;
  /** Why connecting failed or the device gave up, for a one-line message. */
  reason: string = "";
  /** Pages kept because the backend still mapped them when they were revoked, over the device's life. */
  leakedPages: u32 = 0;
  private readonly events!: FrontendEvents<T>;
  private readonly resetTask!: FrontendReset<T>;
  private readonly ports: StaticArray<i64> = new StaticArray<i64>(MAX_PORTS);
  private nports: i32 = 0;
  private readonly ringPages: StaticArray<usize> = new StaticArray<usize>(MAX_RING_PAGES);
  private readonly ringRefs: StaticArray<u32> = new StaticArray<u32>(MAX_RING_PAGES);
  private nrings: i32 = 0;

  /** The frontend of device/<type>/<id>, driving `driver`'s protocol. */
  constructor(type: string, id: string, readonly driver: T) {
    super();
    this.dev = new XenbusDevice(type, id, this);
    this.events = new FrontendEvents<T>(driver);
    this.resetTask = new FrontendReset<T>(this);
  }

  /** Opens the device and waits for the backend until `deadline`: 0, or a negative status with `reason`. */
  connect(deadline: u64): i32 {
    let rc = this.dev.open();
    if (rc) return this.refuse(rc, `cannot open ${this.dev.nodename} (status ${rc})`);
    rc = this.dev.waitConnected(deadline);
    if (rc) return this.refuse(rc, this.reason.length ? this.reason : `the backend did not connect (status ${rc})`);
    return 0;
  }

  /** Closes cleanly (Closing, then Closed once the backend followed): 0, or XS_ETIMEDOUT. */
  close(deadline: u64): i32 {
    return this.dev.close(deadline);
  }

  /** Records why, and returns `status`. */
  refuse(status: i32, why: string): i32 {
    this.reason = why;
    return status;
  }

  /** A decimal key of the backend: `fallback` if absent; if malformed, -1 with the reason naming the key and value. */
  backendNumber(key: string, fallback: i64): i64 {
    const r = this.dev.readBackend(key);
    if (!r.ok) return fallback;
    const n = parseDecimal(r.value);
    if (n < 0) this.badValue(key, r.value, "a decimal number");
    return n;
  }

  /** Sets the reason for a value a peer wrote that is not `what` (a one-line quote of it). */
  badValue(key: string, value: string, what: string): void {
    this.reason = `the backend's ${key} ${quote(value)} is not ${what}`;
  }

  /** The backend broke a ring: nothing flows, and the device is closed and reconnected from the loop. */
  reset(): void {
    if (this.broken) return;
    this.broken = true;
    defer(this.resetTask); // xenstore I/O waits: not from inside a ring loop
  }

  /** A port the backend may bind, its events going to the driver's onEvent: the port, or a negative errno. */
  openPort(): i64 {
    assert(this.nports < MAX_PORTS, "Frontend.openPort: too many ports");
    const port = evtchnAllocUnbound(<u16>this.dev.backendId);
    if (port < 0) return this.refuse(<i32>port, "cannot allocate an event channel");
    unchecked((this.ports[this.nports++] = port));
    bindHandler(<u32>port, this.events);
    return port;
  }

  /** `count` contiguous zeroed pages granted writable to the backend, or 0 (reason set) when grants ran out. */
  grantRing(count: u32): usize {
    assert(this.nrings + <i32>count <= MAX_RING_PAGES, "Frontend.grantRing: too many ring pages");
    const base = allocPages(count);
    for (let i: u32 = 0; i < count; i++) {
      const page = base + <usize>i * PAGE_SIZE;
      const ref = grantPage(<u16>this.dev.backendId, page, false);
      if (ref == GRANT_INVALID_REF) {
        for (let j = i; j < count; j++) freePage(base + <usize>j * PAGE_SIZE);
        this.refuse(-XEN_ENOSPC, "out of grant references");
        return 0;
      }
      unchecked((this.ringPages[this.nrings] = page));
      unchecked((this.ringRefs[this.nrings++] = ref));
    }
    return base;
  }

  /** The grant of the `i`th ring page granted this connection. */
  ringRef(i: i32): u32 {
    return i < this.nrings ? unchecked(this.ringRefs[i]) : GRANT_INVALID_REF;
  }

  /**
   * Ends `ref` (none if GRANT_INVALID_REF) and frees its page; if the backend still maps it, the page is
   * kept out of use for ever (it is the backend's to write) and counted, and a
   * backend past MAX_LEAKED_PAGES breaks the device. True when freed.
   */
  revoke(ref: u32, page: usize): bool {
    if (ref == GRANT_INVALID_REF || endAccess(ref)) {
      freePage(page);
      return true;
    }
    this.leaked(1);
    return false;
  }

  /** Counts `pages` kept for the backend (revoke's rule, for grants a driver ended itself). */
  leaked(pages: u32): void {
    this.leakedPages += pages;
    if (this.leakedPages > MAX_LEAKED_PAGES && this.up) this.reset();
  }

  // --- XenbusDriver: the device's hooks, around the driver's ---

  setup(dev: XenbusDevice): i32 {
    this.broken = false;
    return this.driver.setup(dev);
  }

  publish(dev: XenbusDevice, tx: u32): i32 {
    return this.driver.publish(dev, tx);
  }

  connected(dev: XenbusDevice): i32 {
    const rc = this.driver.connected(dev);
    this.up = rc == 0;
    return rc;
  }

  teardown(dev: XenbusDevice): void {
    this.up = false;
    this.driver.teardown();
    for (let i = 0; i < this.nports; i++) evtchnClose(<u32>unchecked(this.ports[i]));
    this.nports = 0;
    for (let i = 0; i < this.nrings; i++) this.revoke(unchecked(this.ringRefs[i]), unchecked(this.ringPages[i]));
    this.nrings = 0;
    if (this.leakedPages > MAX_LEAKED_PAGES && !dev.status) {
      this.reason = `the backend kept ${this.leakedPages} pages mapped after they were revoked: not reconnecting`;
      dev.giveUp(-XEN_EIO);
    }
  }
}

/** A peer's value for a one-line message: printable ASCII, at most 40 characters, in quotes. */
export function quote(value: string): string {
  let out = "\"";
  const n = min(value.length, 40);
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    out += c >= 0x20 && c < 0x7f && c != 0x22 ? String.fromCharCode(c) : "?";
  }
  return out + (value.length > n ? "...\"" : "\"");
}

/** `id`, or the first device of `type` the toolstack gave this domain; panics with `none` if it gave none. */
export function frontendId(type: string, id: string | null, none: string): string {
  if (id != null) return id;
  const all = xenbusDevices(type);
  if (all.length == 0) panic(none);
  return all[0];
}

/** Connects `driver` (its connect(deadline) and reason) within `timeoutNs`, or panics with `label` and the reason: what connect<Kind>() does. */
export function connectOrPanic<D>(driver: D, label: string, timeoutNs: u64): D {
  if (driver.connect(monotonicNs() + timeoutNs) != 0) panic(`${label}: ${driver.reason}`);
  return driver;
}

// Xenbus for frontends: find a device under device/<type>/<id>, follow its
// backend's XenbusState through a watch, and walk the frontend's own state
// (io/xenbus.h) the way Linux's frontends do: on InitWait set up and publish the
// rings in a transaction, on Connected read the backend's features, on Closing
// or Closed tear down and go Closed. Once both ends are Closed the frontend
// starts over (Initialising), which is what Linux's backends wait for before
// offering InitWait again; a backend that keeps breaking the handshake off makes
// the device fail. Every value the backend or toolstack wrote is checked.
import {
  XenbusStateClosed, XenbusStateClosing, XenbusStateConnected, XenbusStateInitialised, XenbusStateInitialising,
  XenbusStateInitWait, XenbusStateReconfigured, XenbusStateUnknown,
} from "../xen/io/xenbus";
import { DOMID_FIRST_RESERVED } from "../xen/xen";
import { XEN_EINVAL, XEN_EIO } from "../xen/errno";
import { schedule } from "./sched";
import { monotonicNs } from "./time";
import {
  parseDecimal, XS_ETIMEDOUT, xsDirectory, XsResult, xsRead, xsTransact, XsTransactionBody, xsUnwatch,
  xsWatch, XsWatchHandler, xsWrite,
} from "./xenstore";

/** Handshakes in a row a backend may break off before the frontend gives up. */
export const MAX_ABORTED_HANDSHAKES: i32 = 3;

/** What a frontend driver does at each step of the handshake. */
export abstract class XenbusDriver {
  /** Allocates rings, grants and event channels: once per connection. 0 or a negative status. */
  abstract setup(dev: XenbusDevice): i32;
  /**
   * Writes what the backend needs (ring-ref, event-channel, ...) under dev.nodename
   * within `tx`; runs again if the transaction is retried. Returns the state to
   * publish with it (XenbusStateInitialised or XenbusStateConnected), or a negative status.
   */
  abstract publish(dev: XenbusDevice, tx: u32): i32;
  /** The backend is Connected: read its features. 0, or a negative status to give up. */
  abstract connected(dev: XenbusDevice): i32;
  /** Frees what setup allocated: the backend went away or the frontend closes. */
  abstract teardown(dev: XenbusDevice): void;
}

/** The devices of one type the toolstack gave this domain ("vif" -> ["0", "1"]). */
export function xenbusDevices(type: string): Array<string> {
  const r = xsDirectory(`device/${type}`);
  return r.ok ? r.list : new Array<string>();
}

/** A XenbusState as written in xenstore (a decimal 0..8), or -1. */
function parseState(text: string): i32 {
  const n = parseDecimal(text);
  return n < 0 || n > <i64>XenbusStateReconfigured ? -1 : <i32>n;
}

class Publish extends XsTransactionBody {
  state: i32 = 0;
  constructor(public dev: XenbusDevice) {
    super();
  }
  run(tx: u32): i32 {
    const st = this.dev.driver.publish(this.dev, tx);
    if (st < 0) return st;
    if (st != <i32>XenbusStateInitialised && st != <i32>XenbusStateConnected) return -XEN_EINVAL;
    this.state = st;
    return xsWrite(`${this.dev.nodename}/state`, st.toString(), tx);
  }
}

export class XenbusDevice extends XsWatchHandler {
  /** This frontend's directory, relative to the domain's home: "device/<type>/<id>". */
  readonly nodename: string;
  /** The backend's directory and domain, as the toolstack wrote them. */
  backend: string = "";
  backendId: u32 = 0;
  /** The frontend's state as last written, and the backend's as last read. */
  state: u32 = XenbusStateUnknown;
  backendState: u32 = XenbusStateUnknown;
  /** The failure that stopped the device, or 0. */
  status: i32 = 0;
  /** Completed connections (1 after the first, 2 after a reconnection...). */
  connections: u32 = 0;
  /** Every state this frontend wrote, in order. */
  readonly history: Array<u32> = new Array<u32>();
  private ready: bool = false; // the driver's setup is in place
  private up: bool = false; // connected with the backend
  private closing: bool = false;
  private watching: bool = false;
  // The state machine blocks on xenstore: a watch event meanwhile is handled after it, not inside it.
  private busy: bool = false;
  private again: bool = false;
  // Handshakes the backend broke off in a row: after MAX_ABORTED_HANDSHAKES the device fails with EIO.
  private aborted: i32 = 0;

  constructor(type: string, id: string, public driver: XenbusDriver) {
    super();
    this.nodename = `device/${type}/${id}`;
  }

  /** Reads the backend's place, checks it, and starts following its state. 0 or a negative status. */
  open(): i32 {
    const be = xsRead(`${this.nodename}/backend`);
    if (!be.ok) return be.status;
    const id = xsRead(`${this.nodename}/backend-id`);
    if (!id.ok) return id.status;
    const domid = parseDecimal(id.value);
    if (domid < 0 || domid >= <i64>DOMID_FIRST_RESERVED) return -XEN_EINVAL;
    if (!be.value.startsWith("/") || be.value.length < 2) return -XEN_EINVAL;
    this.backend = be.value;
    this.backendId = <u32>domid;
    const own = xsRead(`${this.nodename}/state`);
    const st = own.ok ? parseState(own.value) : -1;
    // A frontend left in another state by an earlier run starts over.
    if (st != <i32>XenbusStateInitialising) {
      const rc = this.switchState(XenbusStateInitialising);
      if (rc) return rc;
    } else {
      this.state = XenbusStateInitialising;
    }
    this.closing = false;
    this.status = 0;
    const rc = xsWatch(`${this.backend}/state`, this);
    this.watching = rc == 0;
    return rc;
  }

  /** The backend's state node changed (or the watch was just set). */
  onWatch(path: string): void {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    do {
      this.again = false;
      this.readBackendState();
      if (this.closing || this.status) break;
      // A step can make the next one possible (connected right after publishing).
      for (let i = 0; i < 4 && this.advance(); i++) {}
    } while (this.again);
    this.busy = false;
  }

  /** Updates backendState; false if the backend is gone or wrote nonsense. */
  private readBackendState(): bool {
    const r = xsRead(`${this.backend}/state`);
    const st = r.ok ? parseState(r.value) : -1;
    this.backendState = st < 0 ? XenbusStateUnknown : <u32>st;
    return st > 0;
  }

  /** One step of the frontend's state machine; true if it changed something. */
  private advance(): bool {
    const b = this.backendState;
    if (b == XenbusStateInitWait || b == XenbusStateInitialised || b == XenbusStateConnected) {
      // The backend is back after a close: start over.
      if (this.state == XenbusStateClosed && b == XenbusStateInitWait) {
        if (this.switchState(XenbusStateInitialising)) return false;
      }
      if (this.state == XenbusStateInitialising) return this.connect();
      if (b == XenbusStateConnected && !this.up &&
          (this.state == XenbusStateInitialised || this.state == XenbusStateConnected)) {
        const rc = this.driver.connected(this);
        if (rc) {
          this.fail(rc);
          return false;
        }
        this.up = true;
        this.aborted = 0;
        this.connections++;
        if (this.state != XenbusStateConnected) this.switchState(XenbusStateConnected);
        return true;
      }
      return false;
    }
    if (this.state == XenbusStateClosed) {
      // Linux's backends wait in Closed for their frontend to start over, then go InitWait.
      if (b != XenbusStateClosed || this.status) return false;
      if (this.aborted >= MAX_ABORTED_HANDSHAKES) {
        this.fail(-XEN_EIO);
        return false;
      }
      return this.switchState(XenbusStateInitialising) == 0;
    }
    // Closing, Closed, or a backend that vanished or reads as Unknown.
    if (!this.ready && this.state == XenbusStateInitialising) return false;
    if (!this.up) this.aborted++;
    this.disconnect();
    this.switchState(XenbusStateClosed);
    return true;
  }

  /** Sets up the driver and publishes its rings with the new state, in one transaction. */
  private connect(): bool {
    if (!this.ready) {
      const rc = this.driver.setup(this);
      if (rc) {
        this.fail(rc);
        return false;
      }
      this.ready = true;
    }
    const body = new Publish(this);
    const rc = xsTransact(body);
    if (rc) {
      this.fail(rc);
      return false;
    }
    this.state = <u32>body.state;
    this.history.push(this.state);
    return true;
  }

  private disconnect(): void {
    if (this.ready) this.driver.teardown(this);
    this.ready = false;
    this.up = false;
  }

  /** The driver gives up on its backend (it made the guest keep too much): the device fails with `status` and never reconnects. */
  giveUp(status: i32): void {
    this.status = status;
  }

  /** Gives up on the device: tears down, records why, and goes Closed. */
  private fail(status: i32): void {
    this.status = status;
    this.disconnect();
    if (this.state != XenbusStateClosed) this.switchState(XenbusStateClosed);
  }

  /** Writes this frontend's state; 0 or a negative status. */
  switchState(state: u32): i32 {
    const rc = xsWrite(`${this.nodename}/state`, state.toString());
    if (rc == 0) {
      this.state = state;
      this.history.push(state);
    }
    return rc;
  }

  /** Waits until connected; 0, the status that stopped the device, or XS_ETIMEDOUT. */
  waitConnected(deadline: u64): i32 {
    while (!this.up && !this.status && monotonicNs() < deadline) schedule(deadline);
    return this.up ? 0 : this.status ? this.status : XS_ETIMEDOUT;
  }

  /**
   * Closes cleanly: Closing, wait for the backend to follow, tear down, Closed,
   * wait for the backend to close too, stop watching. 0 or XS_ETIMEDOUT.
   */
  close(deadline: u64): i32 {
    this.closing = true;
    let timedOut = false;
    if (this.state == XenbusStateInitialised || this.state == XenbusStateConnected) {
      this.switchState(XenbusStateClosing);
      timedOut = !this.waitBackend(true, deadline);
    }
    this.disconnect();
    if (this.state != XenbusStateClosed) this.switchState(XenbusStateClosed);
    if (!this.waitBackend(false, deadline)) timedOut = true;
    if (this.watching) xsUnwatch(`${this.backend}/state`, this);
    this.watching = false;
    return timedOut ? XS_ETIMEDOUT : 0;
  }

  /** Waits until the backend is Closed (or Closing, if `closingWill`), or gone. */
  private waitBackend(closingWill: bool, deadline: u64): bool {
    while (monotonicNs() < deadline) {
      if (!this.readBackendState()) return true;
      const b = this.backendState;
      if (b == XenbusStateClosed || (closingWill && b == XenbusStateClosing)) return true;
      schedule(deadline);
    }
    return false;
  }

  /** A key the backend wrote ("feature-rx-copy", "sectors"...). */
  readBackend(key: string): XsResult {
    return xsRead(`${this.backend}/${key}`);
  }

  /** A decimal key of the backend, `fallback` if absent, -1 if malformed. */
  readBackendNumber(key: string, fallback: i64): i64 {
    const r = this.readBackend(key);
    return r.ok ? parseDecimal(r.value) : fallback;
  }

  /** Writes a key of this frontend, within transaction `tx` (0: none). */
  writeFront(key: string, value: string, tx: u32 = 0): i32 {
    return xsWrite(`${this.nodename}/${key}`, value, tx);
  }
}

// The backend half of the xenbus handshake (io/xenbus.h), as Linux's backends
// walk it: features and InitWait; on the frontend's Initialised or Connected,
// connect and go Connected; follow it through Closing and Closed; when it
// starts over (Initialising) after a close, InitWait again.
import type { Simulator } from "../simulator.ts";
import type { Caller, Store, Watch, Watcher } from "../xenstore/store.ts";
import { bytes, utf8 } from "../xenstore/wire.ts";
import {
  XenbusStateClosed, XenbusStateClosing, XenbusStateConnected, XenbusStateInitialised, XenbusStateInitialising,
  XenbusStateInitWait,
} from "../xen/io/xenbus.ts";

export interface XenbusBackendHooks {
  /** Keys the backend offers before InitWait ("feature-sg": "1", ...). */
  features(): Record<string, string>;
  /** The frontend published its rings: connect, or say in one line why not. */
  connect(): string | undefined;
  /** Drop the connection (idempotent). */
  disconnect(): void;
}

export class XenbusBackend implements Watcher {
  readonly caller: Caller = { domid: 0, privileged: true };
  readonly watches: Watch[];
  connected = false;
  /** Why the last connection attempt failed (also written to the backend's `error` node). */
  error?: string;
  private stopped = false;

  constructor(
    private readonly sim: Simulator, private readonly store: Store, readonly frontend: string, readonly backend: string,
    private readonly hooks: XenbusBackendHooks,
  ) {
    this.watches = [{ path: `${frontend}/state`, token: "netback", prefixLength: 0 }];
  }

  /** Offers the features and waits for the frontend (the hotplug script has run). */
  start(): void {
    this.store.watchers.add(this);
    this.offer();
  }

  /** Stops following the frontend and disconnects. */
  stop(): void {
    this.stopped = true;
    this.store.watchers.delete(this);
    this.drop();
  }

  /** The backend goes away (as on `xl network-detach` or a netback restart): Closing; the frontend may start over. */
  close(): void {
    this.drop();
    this.write("state", String(XenbusStateClosing));
  }

  read(key: string): string | undefined {
    const node = this.store.nodes.get(`${this.frontend}/${key}`);
    return node && utf8(node.value);
  }

  write(key: string, value: string): void {
    if (this.store.nodes.has(this.backend)) this.store.write(this.store.global, this.caller, `${this.backend}/${key}`, bytes(value));
  }

  private state(): number {
    const node = this.store.nodes.get(`${this.backend}/state`);
    return node ? Number(utf8(node.value)) : XenbusStateClosed;
  }

  private offer(): void {
    for (const [key, value] of Object.entries(this.hooks.features())) this.write(key, value);
    this.write("state", String(XenbusStateInitWait));
  }

  private drop(): void {
    if (this.connected) this.hooks.disconnect();
    this.connected = false;
  }

  // Watch events arrive inside the store's write: act on them from the event queue.
  deliver(): void {
    this.sim.after(0n, () => this.changed());
  }

  shutdown(): void {}

  private changed(): void {
    if (this.stopped) return;
    const text = this.read("state");
    const front = text === undefined ? undefined : Number(text);
    if (front === undefined) return this.drop();
    if ((front === XenbusStateInitialised || front === XenbusStateConnected) && !this.connected) {
      if (this.state() !== XenbusStateInitWait) return;
      const error = this.hooks.connect();
      if (error) {
        this.error = error;
        this.write("error", error);
        this.write("state", String(XenbusStateClosing));
        return;
      }
      this.connected = true;
      this.write("state", String(XenbusStateConnected));
    } else if (front === XenbusStateClosing || front === XenbusStateClosed) {
      this.drop();
      this.write("state", String(front));
    } else if (front === XenbusStateInitialising && this.state() === XenbusStateClosed) {
      this.offer();
    }
  }
}

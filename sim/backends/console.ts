// The console backend (xenconsoled's role): reads a domU's xencons_interface
// out ring, advances out_cons and notifies; writes typed input into the in
// ring as space allows. Output is never dropped: a final drain runs when the
// domain ends.
import type { Domain } from "../domain.ts";
import type { Dom0Events } from "../dom0.ts";
import { get, put, viewOf } from "../layout.ts";
import { xencons_interface as cons } from "../xen/io/console.ts";

export class ConsoleBackend {
  private readonly port: number;
  private readonly input: number[] = [];
  private closed = false;
  /** A backend that stopped reading the guest's output (a hostile or hung xenconsoled), until resume(). */
  stalled = false;

  constructor(private readonly events: Dom0Events, private readonly domain: Domain) {
    if (!domain.consolePage) throw new Error(`${domain.name}: a dom0 guest has no console ring`);
    this.port = events.bindInterdomain(domain.domid, domain.consolePort);
    events.onEvent(this.port, () => this.service());
  }

  /** Queues console input for the guest. */
  write(bytes: Uint8Array): void {
    for (const b of bytes) this.input.push(b);
    this.service();
  }

  /** Reads output again after a stall. */
  resume(): void {
    this.stalled = false;
    this.drain();
  }

  /** Reads what the guest wrote: on each notification, and once more when the domain ends. */
  drain(): void {
    if (this.closed || this.stalled) return;
    const page = this.domain.pageBytes(this.domain.consolePage!);
    const view = viewOf(page);
    const size = cons.out.length;
    const consIdx = get(view, 0, cons.out_cons);
    const prod = get(view, 0, cons.out_prod);
    const used = (prod - consIdx) >>> 0;
    if (used > size) return this.fault(`out_prod ${prod} is ${used} bytes ahead of out_cons ${consIdx}, the ring holds ${size}`);
    if (used === 0) return;
    const bytes = new Uint8Array(used);
    for (let i = 0; i < used; i++) bytes[i] = page[cons.out.offset + ((consIdx + i) & (size - 1))];
    put(view, 0, cons.out_cons, prod);
    this.domain.emitConsole(bytes);
    if (this.domain.state !== "ended") this.events.notify(this.port);
  }

  private service(): void {
    this.drain();
    this.feed();
  }

  private feed(): void {
    if (this.closed || this.input.length === 0 || this.domain.state === "ended") return;
    const page = this.domain.pageBytes(this.domain.consolePage!);
    const view = viewOf(page);
    const size = cons.in.length;
    const consIdx = get(view, 0, cons.in_cons);
    const prod = get(view, 0, cons.in_prod);
    const used = (prod - consIdx) >>> 0;
    if (used > size) return this.fault(`in_cons ${consIdx} is behind in_prod ${prod} by ${used} bytes, the ring holds ${size}`);
    const n = Math.min(size - used, this.input.length);
    if (n === 0) return;
    const bytes = this.input.splice(0, n);
    for (let i = 0; i < n; i++) page[cons.in.offset + ((prod + i) & (size - 1))] = bytes[i];
    put(view, 0, cons.in_prod, (prod + n) >>> 0);
    this.events.notify(this.port);
  }

  /** A guest that corrupts its ring indexes ends with an error, as the backend cannot trust it. */
  private fault(message: string): void {
    this.closed = true;
    this.domain.end({ kind: "error", message: `console ring: ${message}` });
  }
}

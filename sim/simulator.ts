// The simulated hypervisor: domains on one clock and one seeded event queue,
// the simulator's own domain 0 (event channels, grants, console backend,
// xenstore attachment point), and the loop that runs it all.
import { ConsoleBackend } from "./backends/console.ts";
import { Clock, EventQueue, type Timer } from "./clock.ts";
import { Dom0Events } from "./dom0.ts";
import { Domain, type DomainHost } from "./domain.ts";
import { DEFAULT_MAX_EVTCHNS, EVTCHN_2L_NR_CHANNELS, EventChannelHub, type EvtchnOwner } from "./event_channel.ts";
import { DEFAULT_MAX_GRANT_FRAMES, Dom0Grants } from "./grant_table.ts";
import { MAX_MEMORY_PAGES, PAGE_SIZE } from "./guest_memory.ts";
import { Preemptor } from "./preempt.ts";
import { RANDOM_SEED_SIZE } from "./abi.ts";
import { domainRandomSeed, Prng } from "./prng.ts";
import { VIRTUAL_EPOCH_NS } from "./time.ts";
import { compileGuest, isCompiledGuest } from "./wasm_module.ts";

export interface SimulatorOptions {
  /** Seeds every random choice, the guests' random sources too (default 1): the same seed replays the same run. */
  seed?: number;
  /** Xen system time follows the host's clock instead of virtual time. */
  realTime?: boolean;
  /** Delay of each notification to domain 0's backends, drawn uniformly from [min, max] ns (default [0, 0]). */
  eventLatencyNs?: [number, number];
}

export interface CreateDomainOptions {
  name: string;
  /** The module's bytes, or compileGuest(bytes) to compile once for many domains. */
  wasm: Uint8Array | WebAssembly.Module;
  /** Default 32. */
  memoryMiB?: number;
  cmdline?: string;
  /** A privileged initial domain: console_io allowed, no console ring or store page. */
  dom0?: boolean;
  /** Event channel ports (default 1024, at most 4096: the 2-level ABI). */
  maxEvtchns?: number;
  /** Grant table frames (default 64, Xen 4.17's gnttab_max_frames). */
  maxGrantFrames?: number;
}

/** What a xenstored gets for each domU: its store page and event channel. */
export interface StorePageHost {
  domid: number;
  name: string;
  /** The store page as it is now (the guest's mapped page once it mapped it). */
  page(): Uint8Array;
  /** Signals the domain's store_evtchn. */
  notify(): void;
}

export interface StoreAttachment {
  /** The domain notified its store_evtchn. */
  onEvent(): void;
  /** The domain ended. */
  release(): void;
}

/** Frames are (domid << 20) | index and grant_entry_v1.frame has 32 bits. */
const MAX_DOMID = 4095;
/** In virtual mode, hand the thread back to Node this often (wall clock) so I/O and timeouts run. */
const YIELD_EVERY_MS = 20;
/** In real time, peers' I/O arrives through Node: hand the thread back at least this often. */
const REAL_TIME_YIELD_MS = 1;

export class Simulator {
  readonly realTime: boolean;
  readonly seed: number;
  /** Event channels of the simulator's domain 0, for backends. */
  readonly events: Dom0Events;
  /** Grant operations on behalf of domain 0, for backends. */
  readonly grants: Dom0Grants;
  private readonly evtchn: EventChannelHub;
  private readonly clock: Clock;
  private readonly queue = new EventQueue();
  private readonly prng: Prng;
  private readonly domains = new Map<number, Domain>();
  private readonly consoles = new Map<number, ConsoleBackend>();
  private readonly stores = new Map<number, StoreAttachment>();
  private readonly endListeners: ((d: Domain) => void)[] = [];
  private readonly ready: Domain[] = [];
  private readonly host: DomainHost;
  private storeAttach?: (host: StorePageHost) => StoreAttachment;
  private nextDomid = 1;
  private looping = false;
  /** Domains created and not yet ended. */
  private running = 0;
  private inFlight = 0;
  private poke?: () => void;
  private readonly preemptor = new Preemptor();
  /** The domain in `step`, if any: the one a stopped slice stopped. */
  private stepping?: Domain;

  constructor(options: SimulatorOptions = {}) {
    this.realTime = options.realTime ?? false;
    this.seed = options.seed ?? 1;
    this.clock = new Clock(this.realTime);
    this.prng = new Prng(this.seed);
    this.evtchn = new EventChannelHub((domid) => this.owner(domid));
    const [min, max] = options.eventLatencyNs ?? [0, 0];
    if (!(Number.isInteger(min) && Number.isInteger(max) && 0 <= min && min <= max)) {
      throw new Error("Simulator: eventLatencyNs must be whole nanoseconds [min, max] with 0 <= min <= max");
    }
    this.events = new Dom0Events(this.evtchn, this.queue, () => this.now(), () => BigInt(min + this.prng.int(max - min + 1)));
    this.grants = new Dom0Grants((domid) => this.live(domid));
    const wallclockEpochNs = this.realTime ? BigInt(Date.now()) * 1_000_000n - this.clock.now() : VIRTUAL_EPOCH_NS;
    this.host = {
      now: () => this.now(),
      evtchn: this.evtchn,
      wallclockEpochNs,
      at: (time, run) => this.at(time, run),
      wake: (d) => this.wake(d),
      ended: (d) => this.ended(d),
      grantDomain: (domid) => this.live(domid),
    };
  }

  /** Xen system time, ns. */
  now(): bigint {
    return this.clock.now();
  }

  /** A seeded random float in [0, 1): backends draw latencies and faults from here. */
  random(): number {
    return this.prng.random();
  }

  /** Runs `run` at system time `time` (now if past). */
  at(time: bigint, run: () => void): Timer {
    const timer = this.queue.push(time, run);
    this.poke?.();
    return timer;
  }

  /** Runs `run` `delayNs` from now. */
  after(delayNs: bigint, run: () => void): Timer {
    return this.at(this.now() + delayNs, run);
  }

  /** Backends doing real asynchronous work register it, so a virtual run waits for it instead of declaring a deadlock. */
  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight++;
    const done = () => {
      this.inFlight--;
      this.poke?.();
    };
    work.then(done, done);
    return work;
  }

  /** A domain by id (ended ones included). */
  domain(domid: number): Domain | undefined {
    return this.domains.get(domid);
  }

  /** Plugs a xenstored: called for every domU, present and future, with its store page and channel. */
  onStorePage(attach: (host: StorePageHost) => StoreAttachment): void {
    this.storeAttach = attach;
    for (const d of this.domains.values()) if (d.state !== "ended") this.attachStore(d);
  }

  /** Called after a domain ended and its console was drained. */
  onDomainEnd(listener: (d: Domain) => void): void {
    this.endListeners.push(listener);
  }

  createDomain(options: CreateDomainOptions): Domain {
    const name = options.name;
    if (typeof name !== "string" || name === "") throw new Error("createDomain: a domain needs a name");
    const memoryMiB = options.memoryMiB ?? 32;
    if (!Number.isInteger(memoryMiB) || memoryMiB < 1 || memoryMiB * (1 << 20) / PAGE_SIZE > MAX_MEMORY_PAGES) {
      throw new Error(`${name}: memoryMiB must be a whole number from 1 to ${MAX_MEMORY_PAGES * PAGE_SIZE / (1 << 20)}`);
    }
    const maxEvtchns = options.maxEvtchns ?? DEFAULT_MAX_EVTCHNS;
    if (!Number.isInteger(maxEvtchns) || maxEvtchns < 2 || maxEvtchns > EVTCHN_2L_NR_CHANNELS) {
      throw new Error(`${name}: maxEvtchns must be from 2 to ${EVTCHN_2L_NR_CHANNELS} (2-level ABI)`);
    }
    const maxGrantFrames = options.maxGrantFrames ?? DEFAULT_MAX_GRANT_FRAMES;
    if (!Number.isInteger(maxGrantFrames) || maxGrantFrames < 1) throw new Error(`${name}: maxGrantFrames must be at least 1`);
    if (this.nextDomid > MAX_DOMID) throw new Error(`${name}: no domain id left (at most ${MAX_DOMID} domains)`);
    let module: WebAssembly.Module;
    if (options.wasm instanceof WebAssembly.Module) {
      // The core's page allocator grows memory: it must start at the declared size, which only the bytes tell.
      if (!isCompiledGuest(options.wasm)) throw new Error(`${name}: a WebAssembly.Module from elsewhere: pass the bytes, or compileGuest(bytes)`);
      module = options.wasm;
    } else {
      try {
        module = compileGuest(options.wasm);
      } catch (err) {
        throw new Error(`${name}: not a valid WebAssembly module: ${(err as Error).message}`);
      }
    }
    const d = new Domain(this.host, {
      domid: this.nextDomid, name, module, memoryMiB, maxEvtchns, maxGrantFrames,
      cmdline: options.cmdline ?? "", dom0: options.dom0 ?? false,
      randomSeed: domainRandomSeed(this.seed, this.nextDomid, RANDOM_SEED_SIZE),
    });
    this.nextDomid++;
    this.domains.set(d.domid, d);
    this.running++;
    if (d.consolePage) this.consoles.set(d.domid, new ConsoleBackend(this.events, d));
    if (this.storeAttach) this.attachStore(d);
    this.wake(d);
    return d;
  }

  /** A domU's console backend (tests make it hostile). */
  consoleBackend(domid: number): ConsoleBackend | undefined {
    return this.consoles.get(domid);
  }

  /** Console input for a domain: its ring for a domU, CONSOLEIO_read for dom0. */
  consoleInput(domid: number, text: string): void {
    const d = this.live(domid);
    if (!d) throw new Error(`console input: no running domain ${domid}`);
    const bytes = new TextEncoder().encode(text);
    const backend = this.consoles.get(domid);
    if (backend) backend.write(bytes);
    else for (const b of bytes) d.consoleInput.push(b);
  }

  private attachStore(d: Domain): void {
    if (!d.storePage || this.stores.has(d.domid) || !this.storeAttach) return;
    const port = this.events.bindInterdomain(d.domid, d.storePort);
    const page = d.storePage;
    const attachment = this.storeAttach({
      domid: d.domid,
      name: d.name,
      page: () => d.pageBytes(page),
      notify: () => {
        if (d.state !== "ended") this.events.notify(port);
      },
    });
    this.stores.set(d.domid, attachment);
    this.events.onEvent(port, () => attachment.onEvent());
  }

  private alive(): Domain[] {
    return [...this.domains.values()].filter((d) => d.state !== "ended");
  }

  private owner(domid: number): EvtchnOwner | undefined {
    return domid === 0 ? this.events : this.live(domid);
  }

  private live(domid: number): Domain | undefined {
    const d = this.domains.get(domid);
    return d && d.state !== "ended" ? d : undefined;
  }

  private wake(d: Domain): void {
    if (d.state !== "blocked" && d.state !== "ready") return;
    if (d.state === "blocked") d.state = "ready";
    if (!this.ready.includes(d)) this.ready.push(d);
    this.poke?.();
  }

  private ended(d: Domain): void {
    this.running--;
    const i = this.ready.indexOf(d);
    if (i >= 0) this.ready.splice(i, 1);
    this.consoles.get(d.domid)?.drain();
    d.flushConsole();
    // The same last line as the boot stub's on Xen, so a console reads the same on both platforms.
    if (d.trapLine) d.emitConsole(new TextEncoder().encode(d.trapLine));
    this.evtchn.closeAll(d);
    this.stores.get(d.domid)?.release();
    this.stores.delete(d.domid);
    for (const listener of this.endListeners) listener(d);
    this.poke?.();
  }

  /**
   * Runs until every domain has ended. `timeoutMs` is wall-clock time: when it
   * passes, the domains still running end with an error and the promise
   * rejects, even if a guest never blocks. So does SIGINT inside a guest that
   * never blocks: that domain ends and the signal is raised again for the
   * process's own handlers.
   */
  async run(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.looping) throw new Error("Simulator.run: already running");
    this.looping = true;
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    try {
      for (;;) {
        if (this.running === 0) return;
        if (Date.now() >= deadline) this.timedOut(options.timeoutMs!);
        let waitMs = 0;
        const end = this.preemptor.run(() => (waitMs = this.slice(deadline)), deadline - Date.now());
        if (end === "timeout") this.timedOut(options.timeoutMs!);
        if (end === "interrupt") {
          this.stepping?.end({ kind: "error", message: "interrupted (SIGINT) while running" });
          this.stepping = undefined;
          process.kill(process.pid, "SIGINT");
        }
        if (waitMs > 0) await this.waitForWork(Math.min(waitMs, deadline - Date.now()));
        else await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.looping = false;
    }
  }

  private timedOut(timeoutMs: number): never {
    const alive = this.alive();
    const names = alive.map((d) => `${d.name} (${d.state})`).join(", ");
    for (const d of alive) d.end({ kind: "error", message: `timed out after ${timeoutMs} ms of wall-clock time` });
    this.stepping = undefined;
    throw new Error(`simulation timed out after ${timeoutMs} ms of wall-clock time; still running: ${names}`);
  }

  /**
   * Runs domains and events until Node must get the thread back: returns how
   * long to wait for work (ms; Infinity until a peer pokes), or 0 to yield now.
   */
  private slice(deadline: number): number {
    const started = Date.now();
    const budget = this.realTime ? REAL_TIME_YIELD_MS : YIELD_EVERY_MS;
    for (;;) {
      if (this.running === 0 || Date.now() >= deadline || Date.now() - started >= budget) return 0;
      if (this.runDueEvents()) continue;
      const next = this.ready.shift();
      if (next) {
        this.stepping = next;
        next.step();
        this.stepping = undefined;
        continue;
      }
      const event = this.queue.peek();
      if (event && !this.realTime) {
        this.clock.advanceTo(event.time);
        continue;
      }
      if (!event && !this.realTime && this.inFlight === 0) {
        for (const d of this.alive()) d.end({ kind: "error", message: `blocked forever: ${d.whyStuck()}` });
        continue;
      }
      return event ? Math.max(Number(event.time - this.now()) / 1e6, 0.001) : Infinity;
    }
  }

  /** Runs every queued event due by now; returns whether any ran. */
  private runDueEvents(): boolean {
    let ran = false;
    for (let event = this.queue.peek(); event && event.time <= this.now(); event = this.queue.peek()) {
      this.queue.pop()!.run();
      ran = true;
    }
    return ran;
  }

  private waitForWork(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.poke = () => {
        this.poke = undefined;
        done();
      };
    });
  }
}

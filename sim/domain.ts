// One simulated domain: a wasm instance on its own linear memory, its special
// frames, event channels, grant table, timers and console, and the Asyncify
// suspension that lets it wait in `block` while everything else runs.
import {
  ASYNCIFY_DATA_OFFSET, ASYNCIFY_UNWINDING, type GuestExports, HOST_AREA_END, PLATFORM_FUNCTIONS,
  RANDOM_SEED_OFFSET, RANDOM_SOURCE_OFFSET, RANDOM_SOURCE_SIM_SEED, REQUIRED_EXPORTS, START_INFO_OFFSET,
} from "./abi.ts";
import { atomicImports } from "./atomics.ts";
import { barrierImports } from "./barriers.ts";
import type { Timer } from "./clock.ts";
import { DomainEnd, type DomainResult, trap, trapLine } from "./errors.ts";
import { EventChannels, type EventChannelHub, type EvtchnOwner } from "./event_channel.ts";
import { GuestGrantMaps } from "./grant_map.ts";
import { GrantTable } from "./grant_table.ts";
import { GuestMemory, MEMORY_BASE, PAGE_SHIFT, PAGE_SIZE, type SpecialFrame } from "./guest_memory.ts";
import { hypercall } from "./hypercalls.ts";
import { put, put64 } from "./layout.ts";
import { updateVcpuTime, updateWallclock } from "./time.ts";
import { declaredMemoryMinimum, functionNames } from "./wasm_module.ts";
import { MAX_GUEST_CMDLINE, SIF_INITDOMAIN, SIF_PRIVILEGED, VIRQ_TIMER, shared_info, start_info, vcpu_info } from "./xen/xen.ts";

const U64_MAX = 0xffff_ffff_ffff_ffffn;
/** A PV vCPU starts with a 100 Hz periodic timer (VCPUOP_stop_periodic_timer stops it). */
const DEFAULT_PERIOD_NS = 10_000_000n;
const WASM_PAGE = 65536;
const PENDING_SEL = shared_info.vcpu_info.offset + vcpu_info.evtchn_pending_sel.offset;
const UPCALL_PENDING = shared_info.vcpu_info.offset + vcpu_info.evtchn_upcall_pending.offset;

/** What a domain needs from the simulator. */
export interface DomainHost {
  now(): bigint;
  readonly evtchn: EventChannelHub;
  /** Wall clock at system time 0, in ns since the Unix epoch. */
  readonly wallclockEpochNs: bigint;
  at(time: bigint, run: () => void): Timer;
  /** The domain became runnable. */
  wake(d: Domain): void;
  /** The domain ended: release what the simulator holds for it. */
  ended(d: Domain): void;
  grantDomain(domid: number): Domain | undefined;
}

export interface DomainConfig {
  domid: number;
  name: string;
  /** From compileGuest: its memory's declared minimum is known. */
  module: WebAssembly.Module;
  memoryMiB: number;
  cmdline: string;
  dom0: boolean;
  maxEvtchns: number;
  maxGrantFrames: number;
  /** RANDOM_SEED_SIZE bytes for the guest's random source (from the run's seed). */
  randomSeed: Uint8Array;
}

export type DomainState = "ready" | "running" | "blocked" | "ended";

export class Domain implements EvtchnOwner {
  readonly domid: number;
  readonly name: string;
  readonly privileged: boolean;
  readonly memory: WebAssembly.Memory;
  readonly mem: GuestMemory;
  readonly evtchn: EventChannels;
  readonly grants: GrantTable;
  /** Other domains' grants this one mapped (GNTTABOP_map_grant_ref). */
  readonly maps: GuestGrantMaps;
  readonly sharedInfo: SpecialFrame;
  /** domU only: the console ring page and the store page, each with the guest's port. */
  readonly consolePage?: SpecialFrame;
  readonly storePage?: SpecialFrame;
  readonly consolePort: number = 0;
  readonly storePort: number = 0;
  /** Pages of 4 KiB the domain was given (start_info.nr_pages). */
  readonly nrPages: number;
  state: DomainState = "ready";
  result?: DomainResult;
  console = "";
  /** What boot/wasm-rt.c prints on Xen after a wasm trap; printed once the ring is drained. */
  trapLine = "";
  readonly stats = { unwinds: 0, rewinds: 0, hypercalls: 0 };
  /** Bytes typed at a dom0 guest's console, read with CONSOLEIO_read. */
  consoleInput: number[] = [];

  private readonly exports: GuestExports;
  private readonly names: Map<number, string>;
  private readonly consoleListeners: ((text: string) => void)[] = [];
  private readonly decoder = new TextDecoder();
  private suspended = false;
  private rewinding = false;
  private unwinding = false;
  private singleshot?: Timer;
  private periodNs: bigint | null = DEFAULT_PERIOD_NS;
  private periodic?: Timer;

  constructor(readonly host: DomainHost, config: DomainConfig) {
    this.domid = config.domid;
    this.name = config.name;
    this.privileged = config.dom0;
    this.nrPages = config.memoryMiB * (1 << 20) / PAGE_SIZE;
    const maximum = config.memoryMiB * (1 << 20) / WASM_PAGE;
    const minimum = declaredMemoryMinimum(config.module);
    if (minimum === undefined) throw new Error(`${this.name}: the module does not import env.memory (build it with cli/build.ts)`);
    if (minimum > maximum) {
      throw new Error(`${this.name}: the module needs ${minimum * 64} KiB of memory at start, the domain has ${config.memoryMiB} MiB`);
    }
    this.memory = new WebAssembly.Memory({ initial: minimum, maximum });
    this.mem = new GuestMemory(this.memory, this.domid);
    this.evtchn = new EventChannels(config.maxEvtchns);
    this.sharedInfo = this.mem.special();
    this.grants = new GrantTable(this.mem, config.maxGrantFrames);
    this.maps = new GuestGrantMaps(this);
    if (!this.privileged) {
      this.storePage = this.mem.special();
      this.consolePage = this.mem.special();
      // The toolstack's reserved grants: console and xenstore pages, to domain 0.
      this.grants.seed(0, 0, this.consolePage.mfn);
      this.grants.seed(1, 0, this.storePage.mfn);
      this.storePort = this.host.evtchn.allocUnbound(this, this.domid, 0);
      this.consolePort = this.host.evtchn.allocUnbound(this, this.domid, 0);
    }
    updateWallclock(this.sharedView(), host.wallclockEpochNs);
    updateVcpuTime(this.sharedView(), host.now());
    this.names = functionNames(config.module);
    this.writeStartInfo(config.cmdline);
    this.mem.bytes.set(config.randomSeed, RANDOM_SEED_OFFSET);
    this.mem.view.setUint32(RANDOM_SOURCE_OFFSET, RANDOM_SOURCE_SIM_SEED, true);
    this.exports = this.instantiate(config.module);
  }

  private instantiate(module: WebAssembly.Module): GuestExports {
    for (const imp of WebAssembly.Module.imports(module)) {
      const known = imp.module === "env" &&
        (imp.name === "memory" ? imp.kind === "memory" : (PLATFORM_FUNCTIONS as readonly string[]).includes(imp.name) && imp.kind === "function");
      if (!known) throw new Error(`${this.name}: the module imports ${imp.module}.${imp.name}, which runtime/platform.ts does not provide`);
    }
    const env = {
      memory: this.memory,
      // No hypercall the simulator implements takes a fourth or fifth argument.
      hypercall: (op: number, a1: bigint, a2: bigint, a3: bigint): bigint => {
        this.stats.hypercalls++;
        return BigInt(hypercall(this, op >>> 0, BigInt.asUintN(64, a1), BigInt.asUintN(64, a2), BigInt.asUintN(64, a3)));
      },
      block: (deadline: bigint) => this.block(BigInt.asUintN(64, deadline)),
      ...barrierImports(),
      ...atomicImports(this.mem),
      frame: (addr: number): bigint => {
        const at = addr >>> 0;
        if (at >= this.mem.size) throw trap(`frame: address 0x${at.toString(16)} outside linear memory`);
        return BigInt(this.mem.ramMfn(at >>> PAGE_SHIFT));
      },
      rdtsc: (): bigint => this.host.now(),
      exit: (status: number) => {
        throw new DomainEnd({ kind: "exit", status });
      },
    };
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(module, { env });
    } catch (err) {
      // The module's start section (top-level code) runs here: a trap or exit in it is an error of createDomain.
      const result = err instanceof DomainEnd || err instanceof WebAssembly.RuntimeError ? this.describe(err) : undefined;
      const why = !result ? (err as Error).message : result.kind === "exit" ? `exit(${result.status})` : result.message;
      throw new Error(`${this.name}: cannot instantiate the module: ${why}`);
    }
    for (const name of REQUIRED_EXPORTS) {
      if (typeof instance.exports[name] !== "function") {
        throw new Error(`${this.name}: the module does not export ${name} (build it with cli/build.ts)`);
      }
    }
    return instance.exports as unknown as GuestExports;
  }

  private writeStartInfo(cmdline: string): void {
    const view = this.mem.view;
    const bytes = this.mem.bytes;
    const base = START_INFO_OFFSET;
    bytes.fill(0, base, base + PAGE_SIZE);
    bytes.set(new TextEncoder().encode("xen-3.0-x86_64"), base + start_info.magic.offset);
    put64(view, base, start_info.nr_pages, BigInt(this.nrPages));
    put64(view, base, start_info.shared_info, BigInt(this.sharedInfo.mfn) << BigInt(PAGE_SHIFT));
    put(view, base, start_info.flags, this.privileged ? SIF_INITDOMAIN | SIF_PRIVILEGED : 0);
    if (this.storePage && this.consolePage) {
      put64(view, base, start_info.store_mfn, BigInt(this.storePage.mfn));
      put(view, base, start_info.store_evtchn, this.storePort);
      put64(view, base, start_info.console_domU_mfn, BigInt(this.consolePage.mfn));
      put(view, base, start_info.console_domU_evtchn, this.consolePort);
    }
    const line = new TextEncoder().encode(cmdline);
    if (line.length > MAX_GUEST_CMDLINE - 1 || line.includes(0)) {
      throw new Error(`${this.name}: the command line must be at most ${MAX_GUEST_CMDLINE - 1} bytes without NUL`);
    }
    bytes.set(line, base + start_info.cmd_line.offset);
  }

  /** shared_info where it lives now (its backing until the guest maps it). */
  sharedView(): DataView {
    return this.mem.specialView(this.sharedInfo);
  }

  /** Bytes of a special page of this domain, as they are now. */
  pageBytes(frame: SpecialFrame): Uint8Array {
    return this.mem.specialBytes(frame);
  }

  // --- Event channels: the 2-level ABI in shared_info -------------------------------------------

  private bit(offset: number, n: number): { bytes: Uint8Array; at: number; mask: number } {
    return { bytes: this.mem.specialBytes(this.sharedInfo), at: offset + (n >> 3), mask: 1 << (n & 7) };
  }

  private testAndSet(offset: number, n: number): boolean {
    const { bytes, at, mask } = this.bit(offset, n);
    const was = (bytes[at] & mask) !== 0;
    bytes[at] |= mask;
    return was;
  }

  private test(offset: number, n: number): boolean {
    const { bytes, at, mask } = this.bit(offset, n);
    return (bytes[at] & mask) !== 0;
  }

  /** evtchn_2l_set_pending: pending bit, then (if unmasked) the selector bit and upcall. */
  setPending(port: number): void {
    if (this.state === "ended") return;
    if (this.testAndSet(shared_info.evtchn_pending.offset, port)) return;
    if (!this.test(shared_info.evtchn_mask.offset, port)) this.markPending(port);
  }

  clearPending(port: number): void {
    const { bytes, at, mask } = this.bit(shared_info.evtchn_pending.offset, port);
    bytes[at] &= ~mask;
  }

  /** evtchn_2l_unmask: an event that arrived while masked is raised now. */
  unmask(port: number): void {
    const { bytes, at, mask } = this.bit(shared_info.evtchn_mask.offset, port);
    const wasMasked = (bytes[at] & mask) !== 0;
    bytes[at] &= ~mask;
    if (wasMasked && this.test(shared_info.evtchn_pending.offset, port)) this.markPending(port);
  }

  private markPending(port: number): void {
    if (this.testAndSet(PENDING_SEL, port >> 6)) return;
    const bytes = this.mem.specialBytes(this.sharedInfo);
    if (bytes[UPCALL_PENDING] !== 0) return;
    bytes[UPCALL_PENDING] = 1;
    if (this.state === "blocked") this.host.wake(this);
  }

  /** Why a blocked domain cannot wake, for the deadlock message. */
  whyStuck(): string {
    const timer = this.host.evtchn.timerPort(this);
    if (timer !== undefined && this.test(shared_info.evtchn_mask.offset, timer)) {
      return `VIRQ_TIMER (port ${timer}) is masked, so its timer cannot wake it`;
    }
    return "no timer is set and no event can arrive";
  }

  upcallPending(): boolean {
    return this.mem.specialBytes(this.sharedInfo)[UPCALL_PENDING] !== 0;
  }

  // --- Timers -----------------------------------------------------------------------------------

  /** VCPUOP_set_singleshot_timer (and `block`'s deadline): VIRQ_TIMER at `time`. */
  setSingleshot(time: bigint): void {
    this.singleshot?.cancel();
    const now = this.host.now();
    this.singleshot = this.host.at(time > now ? time : now, () => {
      this.singleshot = undefined;
      this.host.evtchn.raiseVirq(this, VIRQ_TIMER);
    });
  }

  stopSingleshot(): void {
    this.singleshot?.cancel();
    this.singleshot = undefined;
  }

  stopPeriodic(): void {
    this.periodNs = null;
    this.periodic?.cancel();
    this.periodic = undefined;
  }

  /** Ticks are only queued while VIRQ_TIMER is bound: unbound, they would change nothing. */
  armPeriodic(): void {
    if (this.periodNs === null || this.periodic || this.host.evtchn.timerPort(this) === undefined) return;
    const period = this.periodNs;
    this.periodic = this.host.at(this.host.now() + period, () => {
      this.periodic = undefined;
      if (this.host.evtchn.raiseVirq(this, VIRQ_TIMER)) this.armPeriodic();
    });
  }

  // --- Running ----------------------------------------------------------------------------------

  /** Runs the guest until it blocks or ends (first call boots it, later ones rewind it). */
  step(): void {
    this.state = "running";
    updateVcpuTime(this.sharedView(), this.host.now());
    if (this.suspended) {
      this.suspended = false;
      this.rewinding = true;
      this.stats.rewinds++;
      this.exports.asyncify_start_rewind(ASYNCIFY_DATA_OFFSET);
    }
    this.maps.copyIn();
    try {
      this.exports.start(START_INFO_OFFSET, MEMORY_BASE);
    } catch (err) {
      this.maps.copyOut();
      this.end(this.describe(err));
      return;
    }
    this.maps.copyOut();
    if (!this.unwinding) {
      if (!this.rewinding) this.trapLine = "morgana: start returned without calling exit\n"; // boot/main.c's crash line
      this.end({ kind: "error", message: this.rewinding ? "the rewind never reached block" : "start returned without calling exit" });
      return;
    }
    this.unwinding = false;
    const state = this.exports.asyncify_get_state();
    if (state !== ASYNCIFY_UNWINDING) {
      this.end({ kind: "error", message: `the guest did not unwind from block (asyncify state ${state}): is env.block instrumented?` });
      return;
    }
    this.exports.asyncify_stop_unwind();
    this.stats.unwinds++;
    this.suspended = true;
    this.state = "blocked";
    if (this.upcallPending()) this.host.wake(this);
  }

  /** The `block` import: unwinds to `step` unless an event is pending or the deadline passed. */
  private block(deadline: bigint): void {
    if (this.rewinding) {
      this.exports.asyncify_stop_rewind();
      this.rewinding = false;
      return;
    }
    if (this.upcallPending() || deadline <= this.host.now()) return;
    if (deadline !== U64_MAX) {
      if (this.host.evtchn.timerPort(this) === undefined) {
        throw trap("block while VIRQ_TIMER is unbound: a real guest would never wake", trapLine("block without VIRQ_TIMER bound (it would never wake)"));
      }
      this.setSingleshot(deadline);
    }
    const view = this.mem.view;
    view.setUint32(ASYNCIFY_DATA_OFFSET, ASYNCIFY_DATA_OFFSET + 8, true);
    view.setUint32(ASYNCIFY_DATA_OFFSET + 4, HOST_AREA_END, true);
    this.exports.asyncify_start_unwind(ASYNCIFY_DATA_OFFSET);
    this.unwinding = true;
  }

  private describe(err: unknown): DomainResult {
    if (err instanceof DomainEnd) {
      this.trapLine = err.line;
      return err.result;
    }
    if (err instanceof WebAssembly.RuntimeError || (err instanceof RangeError && /call stack/i.test(err.message))) {
      const index = /wasm-function\[(\d+)\]/.exec(err.stack ?? "")?.[1];
      const where = index === undefined ? "" : ` in ${this.names.get(Number(index)) ?? `wasm-function[${index}]`}`;
      const kind = trapKind(err.message);
      this.trapLine = trapLine(kind);
      return { kind: "trap", message: `${kind} (${err.message})${where}` };
    }
    return { kind: "error", message: `simulator error: ${err instanceof Error ? err.message : String(err)}` };
  }

  /** Ends the domain (exit, trap, shutdown, or a fault the simulator found). */
  end(result: DomainResult): void {
    if (this.state === "ended") return;
    this.state = "ended";
    this.result = result;
    this.maps.releaseAll();
    this.stopSingleshot();
    this.stopPeriodic();
    this.host.ended(this);
  }

  // --- Console ----------------------------------------------------------------------------------

  onConsole(listener: (text: string) => void): void {
    this.consoleListeners.push(listener);
  }

  /** Output of the domain (console ring or console_io), decoded as UTF-8 across chunks. */
  emitConsole(bytes: Uint8Array): void {
    this.deliver(this.decoder.decode(bytes, { stream: true }));
  }

  /** The last partial UTF-8 sequence, once the console backend drained the ring. */
  flushConsole(): void {
    this.deliver(this.decoder.decode());
  }

  private deliver(text: string): void {
    if (!text) return;
    this.console += text;
    for (const listener of this.consoleListeners) listener(text);
  }
}

/** V8's trap messages in the words of the boot stub's wasm2c runtime (boot/wasm-rt.c). */
const TRAP_KINDS: [RegExp, string][] = [
  [/out of bounds/, "out-of-bounds"],
  [/unreachable/, "unreachable"],
  [/divide by zero|remainder by zero/, "divide-by-zero"],
  [/divide result unrepresentable|integer overflow/, "integer-overflow"],
  [/float unrepresentable/, "invalid-conversion"],
  [/function signature mismatch|null function|table index/, "call-indirect"],
  [/call stack/i, "call-stack-exhausted"],
];

function trapKind(message: string): string {
  return TRAP_KINDS.find(([pattern]) => pattern.test(message))?.[1] ?? "unknown";
}

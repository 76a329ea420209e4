// The PV console: a domU's output goes through the io/console.h ring to the
// console backend; dom0 (and a domU before its ring is up) uses console_io.
// Output is never dropped while the backend consumes: a full ring waits. A
// backend that consumes nothing for STALL_NS has its output dropped and counted,
// and is not waited for again until it reads.
import { CONSOLEIO_write, start_info, SIF_INITDOMAIN } from "../xen/xen";
import { xencons_interface } from "../xen/io/console";
import { byteRingPending, byteRingWrite } from "../ring/bytering";
import { HYPERVISOR_console_io } from "./hypercall";
import { bindHandler, EventHandler, evtchnSend } from "./events";
import { mapFrame } from "./frames";
import { schedule } from "./sched";
import { monotonicNs, NS_PER_SEC } from "./time";

// @lazy: the panic path reaches these before asc has compiled this file's top level.
// @ts-ignore: decorator
@lazy let ring: usize = 0; // the mapped xencons_interface of a domU
// @ts-ignore: decorator
@lazy let port: u32 = 0;
// @ts-ignore: decorator
@lazy let broken: bool = false; // the backend's out_cons made no sense: stop using the ring
// @ts-ignore: decorator
@lazy let stalled: bool = false; // the backend read nothing for STALL_NS: writes do not wait
// @ts-ignore: decorator
@lazy let dropped: u64 = 0;
/** How long a write waits for a backend that consumes nothing. */
// @ts-ignore: decorator
@lazy const STALL_NS: u64 = NS_PER_SEC;

/** Wakes the writer when the backend has consumed output; the loop does the rest. */
class ConsoleEvent extends EventHandler {
  onEvent(port: u32): void {}
}

/** Brings up the ring of a domU; dom0 keeps console_io. Needs events and timers. */
export function initConsole(startInfo: usize): void {
  if (start_info.flags(startInfo) & SIF_INITDOMAIN) return;
  ring = mapFrame(start_info.console_domU_mfn(startInfo), "the console page");
  port = start_info.console_domU_evtchn(startInfo);
  bindHandler(port, new ConsoleEvent());
}

/** Puts what fits of `len` bytes into the ring and notifies; the count, or RING_CORRUPT. */
function ringWrite(src: usize, len: u32): i32 {
  const n = byteRingWrite(
    ring + xencons_interface.OFFSET_out, xencons_interface.LENGTH_out,
    ring + xencons_interface.OFFSET_out_prod, ring + xencons_interface.OFFSET_out_cons, src, len,
  );
  if (n < 0) broken = true;
  if (n > 0) evtchnSend(port);
  return n;
}

/**
 * Writes `len` bytes at `src`, waiting for room until `deadline` while the
 * backend consumes; false if cut short (what was not written is counted as dropped).
 */
export function consoleWrite(src: usize, len: u32, deadline: u64 = U64.MAX_VALUE): bool {
  if (!ring || broken) return HYPERVISOR_console_io(CONSOLEIO_write, len, src) >= 0;
  let done: u32 = 0;
  let progress = monotonicNs();
  while (done < len) {
    const n = ringWrite(src + done, len - done);
    if (n < 0) break;
    done += <u32>n;
    if (done == len) break;
    const now = monotonicNs();
    if (n > 0) {
      progress = now;
      stalled = false;
    }
    if (now >= deadline) break;
    if (stalled || now - progress >= STALL_NS) {
      stalled = true;
      break;
    }
    schedule(min(deadline, progress + STALL_NS));
  }
  if (done == len) {
    stalled = false;
    return true;
  }
  dropped += len - done;
  return false;
}

/** Bytes of output dropped since boot: the backend stopped reading, or broke its ring. */
export function consoleDropped(): u64 {
  return dropped;
}

/** Prints `text` as UTF-8. */
export function print(text: string): void {
  const bytes = String.UTF8.encode(text);
  consoleWrite(changetype<usize>(bytes), <u32>bytes.byteLength);
}

export function println(text: string): void {
  print(text + "\n");
}

/** For exit: like print, but gives up after a second without room. */
export function printBounded(text: string): void {
  const bytes = String.UTF8.encode(text);
  consoleWrite(changetype<usize>(bytes), <u32>bytes.byteLength, monotonicNs() + NS_PER_SEC);
}

/** Spins a panic makes at most while the ring stays full (the clock may not move: simulator). */
// @ts-ignore: decorator
@lazy const EMERGENCY_SPINS: u32 = 1_000_000;

/**
 * For panics: never reaches `block` (so that the many paths that can abort
 * stay out of Asyncify) and gives up after a second, or EMERGENCY_SPINS
 * without progress, of a full ring. The host drains what is left at exit.
 */
export function emergencyWrite(text: string): void {
  const bytes = String.UTF8.encode(text);
  const src = changetype<usize>(bytes);
  const len = <u32>bytes.byteLength;
  if (!ring || broken) {
    HYPERVISOR_console_io(CONSOLEIO_write, len, src);
    return;
  }
  const deadline = monotonicNs() + NS_PER_SEC;
  let done: u32 = 0;
  let spins: u32 = 0;
  while (done < len && spins < EMERGENCY_SPINS && monotonicNs() < deadline) {
    const n = ringWrite(src + done, len - done);
    if (n < 0) return;
    done += <u32>n;
    spins = n > 0 ? 0 : spins + 1;
  }
}

/** Waits, at most a second, until the backend has consumed every byte. */
export function drainConsole(): void {
  if (!ring || broken) return;
  const prodAt = ring + xencons_interface.OFFSET_out_prod;
  const consAt = ring + xencons_interface.OFFSET_out_cons;
  const deadline = monotonicNs() + NS_PER_SEC;
  while (byteRingPending(xencons_interface.LENGTH_out, prodAt, consAt) > 0 && monotonicNs() < deadline) {
    schedule(deadline);
  }
}

// Boot: what runs between the host's call of `start` and the app's main.
import { start_info, VIRQ_TIMER } from "./xen/xen";
import { VCPUOP_stop_periodic_timer } from "./xen/vcpu";
import { HYPERVISOR_vcpu_op, setMemoryBase } from "./core/hypercall";
import { bindHandler, evtchnBindVirq, EventHandler, initEvents } from "./core/events";
import { mapFrame } from "./core/frames";
import { initConsole } from "./core/console";
import { initGrants } from "./core/grants";
import { initCmdline } from "./core/cmdline";
import { initRandom } from "./core/random";
import { panic } from "./core/panic";
import { terminate } from "./core/exit";

/** The timer's port only needs to exist: `block` returns on it and the loop checks timers. */
class TimerEvent extends EventHandler {
  onEvent(port: u32): void {}
}

let startInfoPage: usize = 0;

/** The host's copy of start_info, for drivers that need the store page or flags. */
export function startInfo(): usize {
  return startInfoPage;
}

export function boot(startInfo: usize, memoryBase: u64): void {
  startInfoPage = startInfo;
  setMemoryBase(memoryBase);
  initEvents(mapFrame(start_info.shared_info(startInfo) >> 12, "shared_info"));
  // A PV vCPU starts with a 100 Hz periodic timer; Morgana only uses single-shot deadlines.
  const rc = HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, 0);
  if (rc < 0) panic(`boot: VCPUOP_stop_periodic_timer failed: ${rc}`);
  const timerPort = evtchnBindVirq(VIRQ_TIMER);
  if (timerPort < 0) panic(`boot: EVTCHNOP_bind_virq(VIRQ_TIMER) failed: ${timerPort}`);
  bindHandler(<u32>timerPort, new TimerEvent());
  initConsole(startInfo);
  initGrants();
  initCmdline(startInfo);
  initRandom();
}

/** Ends the domain with main's status. */
export function finish(status: i32): void {
  terminate(status);
}

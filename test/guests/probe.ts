// The simulator tests' guest: the first word of the command line picks a scenario.
import { block, exit, hypercall } from "morgana/runtime/platform";
import { EVTCHNOP_bind_virq, evtchn_bind_virq } from "morgana/runtime/xen/event_channel";
import {
  CONSOLEIO_write, VIRQ_TIMER, __HYPERVISOR_console_io, __HYPERVISOR_xen_version, shared_info, start_info, vcpu_info,
  vcpu_time_info,
} from "morgana/runtime/xen/xen";
import { ARG, FOREVER, args, bindTimer, evtchnOp, init, now, print, shared, va, vcpu0, waitFor } from "morgana/test/guests/lib";

export function start(startInfo: usize, memoryBase: u64): void {
  init(startInfo, memoryBase);
  const a = args();
  const scenario = a[0];
  if (scenario == "hello") {
    print("hello from " + a[1] + "\n");
    exit(7);
  } else if (scenario == "console_io") {
    const rc = hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 3, va(ARG), 0, 0);
    print("console_io " + rc.toString() + "\n");
    exit(0);
  } else if (scenario == "chatty") {
    const lines = I32.parseInt(a[1]);
    for (let i = 0; i < lines; i++) print("line " + i.toString() + " of the chatty guest\n");
    exit(0);
  } else if (scenario == "sleep") {
    const timer = <u32>bindTimer();
    for (let i = 1; i <= 3; i++) {
      const deadline = now() + 1_000_000_000;
      waitFor(timer, deadline);
      print("woke at " + now().toString() + " (deadline " + deadline.toString() + ")\n");
    }
    exit(0);
  } else if (scenario == "time") {
    const t = vcpu_info.time(vcpu0());
    print("time version " + vcpu_time_info.version(t).toString() + " mul " + vcpu_time_info.tsc_to_system_mul(t).toString() +
      " shift " + vcpu_time_info.tsc_shift(t).toString() + " system " + vcpu_time_info.system_time(t).toString() +
      " tsc " + vcpu_time_info.tsc_timestamp(t).toString() + "\n");
    print("wc version " + shared_info.wc_version(shared).toString() + " sec " + shared_info.wc_sec(shared).toString() +
      " nsec " + shared_info.wc_nsec(shared).toString() + " hi " + shared_info.wc_sec_hi(shared).toString() + "\n");
    const timer = <u32>bindTimer();
    waitFor(timer, 1_234_567);
    print("now " + now().toString() + "\n");
    exit(0);
  } else if (scenario == "periodic") {
    // No VCPUOP_stop_periodic_timer: the boot-time 100 Hz timer ticks.
    evtchn_bind_virq.set_virq(ARG, VIRQ_TIMER);
    evtchn_bind_virq.set_vcpu(ARG, 0);
    evtchnOp(EVTCHNOP_bind_virq);
    const timer = evtchn_bind_virq.port(ARG);
    for (let i = 0; i < 3; i++) {
      waitFor(timer, FOREVER);
      print("tick " + now().toString() + "\n");
    }
    exit(0);
  } else if (scenario == "grow") {
    const before = memory.size();
    memory.grow(16);
    const timer = <u32>bindTimer();
    waitFor(timer, now() + 1_000_000);
    print("grew " + before.toString() + " to " + memory.size().toString() + " pages, woke at " + now().toString() + "\n");
    exit(0);
  } else if (scenario == "forever") {
    block(FOREVER);
    exit(0);
  } else if (scenario == "startinfo") {
    print("magic " + String.UTF8.decodeUnsafe(start_info.magic(startInfo, 0), 14) + " pages " + start_info.nr_pages(startInfo).toString() +
      " flags " + start_info.flags(startInfo).toString() + " store " + start_info.store_evtchn(startInfo).toString() +
      " console " + start_info.console_domU_evtchn(startInfo).toString() + " cmdline [" + a.join(" ") + "]\n");
    exit(0);
  } else if (scenario == "block-unbound") {
    block(now() + 1000);
    exit(0);
  } else if (scenario == "trap") {
    unreachable();
  } else if (scenario == "version") {
    exit(<i32>hypercall(__HYPERVISOR_xen_version, 0, 0, 0, 0, 0));
  }
  print("unknown scenario " + scenario + "\n");
  exit(2);
}

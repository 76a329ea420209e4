// The simulator tests' guest: the first word of the command line picks a scenario.
import { block, cmpxchg32, exit, fetch_and64, fetch_or16, fetch_or64, hypercall, xchg16, xchg64 } from "morgana/runtime/platform";
import { EVTCHNOP_bind_virq, evtchn_bind_virq } from "morgana/runtime/xen/event_channel";
import {
  CONSOLEIO_read, CONSOLEIO_write, VIRQ_TIMER, __HYPERVISOR_console_io, __HYPERVISOR_vcpu_op, __HYPERVISOR_xen_version, shared_info, start_info, vcpu_info,
  vcpu_time_info,
} from "morgana/runtime/xen/xen";
import { xencons_interface } from "morgana/runtime/xen/io/console";
import { VCPUOP_set_singleshot_timer, VCPU_SSHOTTMR_future, vcpu_set_singleshot_timer } from "morgana/runtime/xen/vcpu";
import {
  ARG, FOREVER, args, bindTimer, consolePort, evtchnOp, init, now, print, ring, send, shared, va, vcpu0, waitFor,
} from "morgana/test/guests/lib";

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
    vcpu_set_singleshot_timer.set_timeout_abs_ns(ARG, 1);
    vcpu_set_singleshot_timer.set_flags(ARG, VCPU_SSHOTTMR_future);
    print("past future timer " + hypercall(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, va(ARG), 0, 0).toString() + "\n");
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
  } else if (scenario == "stamped") {
    // Output that outruns the ring: each line says when it was written.
    const lines = I32.parseInt(a[1]);
    for (let i = 0; i < lines; i++) print("line " + i.toString() + " at " + now().toString() + "\n");
    exit(0);
  } else if (scenario == "echo") {
    // Reads the console's in ring up to a newline and prints it back.
    let line = "";
    while (!line.endsWith("\n")) {
      waitFor(consolePort, FOREVER);
      const cons = xencons_interface.in_cons(ring);
      const prod = xencons_interface.in_prod(ring);
      for (let i = cons; i != prod; i++) line += String.fromCharCode(load<u8>(xencons_interface.in_(ring, i & 1023)));
      xencons_interface.set_in_cons(ring, prod);
      send(consolePort);
    }
    print("echo: " + line);
    exit(0);
  } else if (scenario == "read") {
    const n = hypercall(__HYPERVISOR_console_io, CONSOLEIO_read, 64, va(ARG), 0, 0);
    print("read " + n.toString() + ": " + String.UTF8.decodeUnsafe(ARG, <usize>n) + "\n");
    exit(0);
  } else if (scenario == "liar") {
    // Claims a million bytes in a 2 KiB ring.
    xencons_interface.set_out_prod(ring, xencons_interface.out_cons(ring) + 1_000_000);
    send(consolePort);
    block(FOREVER);
    exit(0);
  } else if (scenario == "atomics") {
    const p = ARG + 64;
    store<u64>(p, 0x8000_0000_ffff_0001);
    const x16 = xchg16(p, 0x1234);
    const c32 = cmpxchg32(p + 4, 0x8000_0000, 0xffff_ffff);
    const c32miss = cmpxchg32(p + 4, 1, 2);
    const and64 = fetch_and64(p, 0x0000_00ff_ffff_ffff);
    const or16 = fetch_or16(p + 6, 0x8000);
    const x64 = xchg64(p, 0xfedc_ba98_7654_3210);
    print("atomics " + x16.toString(16) + " " + c32.toString(16) + " " + c32miss.toString(16) + " " + and64.toString(16) + " " +
      or16.toString(16) + " " + x64.toString(16) + " " + load<u64>(p).toString(16) + "\n");
    exit(0);
  } else if (scenario == "spin") {
    // Blocks over and over on a deadline just ahead: the cost of one unwind and rewind.
    const timer = <u32>bindTimer();
    const rounds = I32.parseInt(a[1]);
    for (let i = 0; i < rounds; i++) waitFor(timer, now() + 1);
    print("spun " + rounds.toString() + "\n");
    exit(0);
  } else if (scenario == "masked-timer") {
    // Masks its own timer port, then waits for the timer: on Xen it would sleep forever.
    const timer = <u32>bindTimer();
    fetch_or64(shared_info.evtchn_mask(shared, timer >> 6), (<u64>1) << (timer & 63));
    waitFor(timer, now() + 1_000_000);
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

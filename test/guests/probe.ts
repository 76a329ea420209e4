// The simulator tests' guest: the first word of the command line picks a scenario.
import { block, exit, hypercall } from "morgana/runtime/platform";
import { CONSOLEIO_write, __HYPERVISOR_console_io, __HYPERVISOR_xen_version } from "morgana/runtime/xen/xen";
import { ARG, args, bindTimer, init, now, print, va, waitFor } from "morgana/test/guests/lib";

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

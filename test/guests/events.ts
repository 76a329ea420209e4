// Event channel scenarios at the hypercall and shared_info level.
import { exit, fetch_or64 } from "morgana/runtime/platform";
import { EVTCHNOP_status, evtchn_status } from "morgana/runtime/xen/event_channel";
import { DOMID_SELF, shared_info, start_info, vcpu_info } from "morgana/runtime/xen/xen";
import {
  ARG, FOREVER, allocUnbound, args, bindInterdomain, evtchnOp, init, mapFrame, print, scan, send, shared, startInfo, take,
  unmask, vcpu0, waitFor,
} from "morgana/test/guests/lib";

function pendingBit(port: u32): u64 {
  return (load<u64>(shared_info.evtchn_pending(shared, port >> 6)) >> (port & 63)) & 1;
}

function selBit(port: u32): u64 {
  return (load<u64>(vcpu0() + vcpu_info.OFFSET_evtchn_pending_sel) >> (port >> 6)) & 1;
}

function upcall(): u8 {
  return vcpu_info.evtchn_upcall_pending(vcpu0());
}

export function start(startInfo: usize, memoryBase: u64): void {
  init(startInfo, memoryBase);
  const a = args();
  if (a[0] == "listen") {
    // Offers a port to domain a[1], waits for its ping and answers.
    const port = <u32>allocUnbound(I32.parseInt(a[1]));
    print("listening on " + port.toString() + "\n");
    waitFor(port, FOREVER);
    print("ping received\n");
    send(port);
    exit(0);
  } else if (a[0] == "ping") {
    // Binds to domain a[1]'s port a[2], pings and waits for the answer.
    const port = <u32>bindInterdomain(I32.parseInt(a[1]), I32.parseInt(a[2]));
    scan();
    print("bound " + port.toString() + " pending at bind " + (take(port) ? "1" : "0") + "\n");
    send(port);
    waitFor(port, FOREVER);
    print("pong received\n");
    exit(0);
  } else if (a[0] == "mask") {
    const masked = <u32>allocUnbound(0);
    const doorbell = <u32>allocUnbound(0);
    fetch_or64(shared_info.evtchn_mask(shared, masked >> 6), (<u64>1) << (masked & 63));
    print("ports " + masked.toString() + " " + doorbell.toString() + "\n");
    waitFor(doorbell, FOREVER);
    print("masked: pending " + pendingBit(masked).toString() + " upcall " + upcall().toString() + " taken " + (take(masked) ? "1" : "0") + "\n");
    unmask(masked);
    print("unmasked: upcall " + upcall().toString() + " sel " + selBit(masked).toString());
    scan();
    print(" taken " + (take(masked) ? "1" : "0") + "\n");
    exit(0);
  } else if (a[0] == "many") {
    // Allocates every port, lets domain 0 notify them all, counts, then sends on each.
    let first: i64 = -1;
    let last: i64 = -1;
    let rc: i64 = 0;
    for (;;) {
      rc = allocUnbound(0);
      if (rc < 0) break;
      if (first < 0) first = rc;
      last = rc;
    }
    print("ports " + first.toString() + " " + last.toString() + " then " + rc.toString() + "\n");
    let received = 0;
    while (received < last - first + 1) {
      waitFor(<u32>last, FOREVER);
      received = 1;
      for (let p = <u32>first; p < <u32>last; p++) if (take(p)) received++;
    }
    evtchn_status.set_dom(ARG, <u16>DOMID_SELF);
    evtchn_status.set_port(ARG, <u32>first);
    evtchnOp(EVTCHNOP_status);
    print("received " + received.toString() + " status " + evtchn_status.status(ARG).toString() + " dom " + evtchn_status.u_interdomain_dom(ARG).toString() + "\n");
    for (let p = <u32>first; p <= <u32>last; p++) send(p);
    exit(0);
  } else if (a[0] == "early") {
    // Domain 0 notified the store channel before the guest mapped shared_info.
    scan();
    print("store event before boot " + (take(start_info.store_evtchn(startInfo)) ? "1" : "0") + "\n");
    exit(0);
  } else if (a[0] == "store") {
    // Talks to whatever serves the store page: writes a byte, notifies, waits for the answer.
    const port = start_info.store_evtchn(startInfo);
    const page = mapFrame(start_info.store_mfn(startInfo));
    store<u8>(page, 42);
    send(port);
    waitFor(port, FOREVER);
    print("store answered " + load<u8>(page + 1).toString() + "\n");
    exit(0);
  } else if (a[0] == "nested") {
    // A loopback pair in one domain: an event raised while another is handled is not lost.
    const left = <u32>allocUnbound(DOMID_SELF);
    const right = <u32>bindInterdomain(DOMID_SELF, left);
    scan();
    take(right);
    send(left);
    scan();
    const gotRight = take(right);
    send(right); // "inside the handler" of right: after the scan cleared upcall and selector
    print("handled right " + (gotRight ? "1" : "0") + ", then upcall " + upcall().toString() + " sel " + selBit(left).toString() + " pending " + pendingBit(left).toString());
    scan();
    print(" left taken " + (take(left) ? "1" : "0") + "\n");
    exit(0);
  }
  print("unknown scenario\n");
  exit(2);
}

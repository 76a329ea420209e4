// Event channels through the core on one domain: many loopback pairs, masking,
// and events raised from inside a handler. Prints one line per check.
import { cmdlineArg, println, sleep } from "morgana/runtime";
import {
  bindHandler, EventHandler, evtchnAllocUnbound, evtchnBindInterdomain, evtchnSend, evtchnStatus,
  EvtchnStatus, mask, unmask,
} from "morgana/runtime/core/events";
import { DOMID_SELF } from "morgana/runtime/xen/xen";
import { EVTCHNSTAT_interdomain } from "morgana/runtime/xen/event_channel";

class Counter extends EventHandler {
  counts: StaticArray<u32> = new StaticArray<u32>(4096);
  onEvent(port: u32): void {
    this.counts[port]++;
  }
}

/** On its first event, raises another on `then` and one on its own port. */
class Chain extends EventHandler {
  seen: u32 = 0;
  constructor(public then: u32, public self: u32) {
    super();
  }
  onEvent(port: u32): void {
    this.seen++;
    if (this.seen == 1) {
      evtchnSend(this.then);
      evtchnSend(this.self);
    }
  }
}

function loopback(): StaticArray<u32> {
  const a = evtchnAllocUnbound(<u16>DOMID_SELF);
  if (a < 0) return [0, 0];
  const b = evtchnBindInterdomain(<u16>DOMID_SELF, <u32>a);
  return [<u32>a, b < 0 ? 0 : <u32>b];
}

export function main(): i32 {
  const pairs = I32.parseInt(cmdlineArg("pairs") || "600");
  const counter = new Counter();
  const senders = new Array<u32>();
  const receivers = new Array<u32>();
  for (let i = 0; i < pairs; i++) {
    const p = loopback();
    if (!p[1]) {
      println(`loopback ${i} failed`);
      return 1;
    }
    senders.push(p[0]);
    receivers.push(p[1]);
    bindHandler(p[1], counter);
  }
  const status = new EvtchnStatus();
  evtchnStatus(receivers[0], status);
  println(`status of ${receivers[0]}: ${status.status == EVTCHNSTAT_interdomain ? "interdomain" : "other"} to port ${status.remotePort}`);
  for (let i = 0; i < pairs; i++) evtchnSend(senders[i]);
  sleep(1_000_000);
  let once = 0;
  for (let i = 0; i < pairs; i++) if (counter.counts[receivers[i]] == 1) once++;
  println(`ports ${pairs * 2}: ${once} of ${pairs} receivers got exactly one event`);

  const m = receivers[0];
  mask(m);
  evtchnSend(senders[0]);
  sleep(1_000_000);
  println(`masked: ${counter.counts[m] - 1} delivered`);
  unmask(m);
  sleep(1_000_000);
  println(`unmasked: ${counter.counts[m] - 1} delivered`);

  const x = loopback();
  const y = loopback();
  bindHandler(y[1], counter);
  const chain = new Chain(y[0], x[0]);
  bindHandler(x[1], chain);
  evtchnSend(x[0]);
  sleep(1_000_000);
  println(`raised in a handler: other port ${counter.counts[y[1]]}, own port ${chain.seen}`);
  return once == pairs ? 0 : 1;
}

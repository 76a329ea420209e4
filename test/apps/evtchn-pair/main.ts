// One end of an event channel between two domains: `role=a peer=D` offers a
// port to domain D and answers its event; `role=b peer=D port=P` binds to it,
// sends, and waits for the answer.
import { cmdlineArg, println, schedule } from "morgana/runtime";
import { EventHandler, bindHandler, evtchnAllocUnbound, evtchnBindInterdomain, evtchnSend } from "morgana/runtime/core/events";

class Count extends EventHandler {
  n: u32 = 0;
  onEvent(port: u32): void {
    this.n++;
  }
}

export function main(): i32 {
  const peer = <u16>I32.parseInt(cmdlineArg("peer") || "0");
  const events = new Count();
  if (cmdlineArg("role") == "a") {
    const port = evtchnAllocUnbound(peer);
    if (port < 0) return 1;
    bindHandler(<u32>port, events);
    println(`port ${port}`);
    while (events.n == 0) schedule(U64.MAX_VALUE);
    println("a: event from b");
    evtchnSend(<u32>port);
    return 0;
  }
  const port = evtchnBindInterdomain(peer, <u32>I32.parseInt(cmdlineArg("port") || "0"));
  if (port < 0) {
    println(`b: bind_interdomain failed: ${port}`);
    return 1;
  }
  bindHandler(<u32>port, events);
  schedule(0); // Xen raises a freshly bound port once: take that event before asking
  println(`b: ${events.n} event on binding`);
  events.n = 0;
  evtchnSend(<u32>port);
  while (events.n == 0) schedule(U64.MAX_VALUE);
  println("b: answer from a");
  return 0;
}

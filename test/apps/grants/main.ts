// Grant tables through the core, against a backend played by the test
// (test/grants.test.ts): a read-only and a writable grant, end of access
// refused while the backend has the page mapped, a grant to another domain,
// and exhaustion of the table reported as an error.
import { allocPage, println, schedule } from "morgana/runtime";
import { EventHandler, bindHandler, evtchnAllocUnbound, evtchnSend } from "morgana/runtime/core/events";
import { grantInUse, endAccess, grantPage, grantsFree, GRANT_INVALID_REF } from "morgana/runtime/core/grants";

class Signal extends EventHandler {
  count: u32 = 0;
  onEvent(port: u32): void {
    this.count++;
  }
}

const signal = new Signal();

function waitFor(count: u32): void {
  while (signal.count < count) schedule(U64.MAX_VALUE);
}

export function main(): i32 {
  const ro = allocPage();
  const rw = allocPage();
  for (let i = 0; i < 4096; i++) store<u8>(ro + i, <u8>(i * 7));
  const roRef = grantPage(0, ro, true);
  const rwRef = grantPage(0, rw, false);
  const otherRef = grantPage(5, ro, true);
  const port = <u32>evtchnAllocUnbound(0);
  bindHandler(port, signal);
  println(`grants ro=${roRef} rw=${rwRef} other=${otherRef} port=${port}`);

  waitFor(1); // the backend copied, wrote and mapped
  let sum: u32 = 0;
  for (let i = 0; i < 4096; i++) sum += load<u8>(rw + i);
  println(`backend wrote sum ${sum}`);
  println(`in use while mapped: ${grantInUse(rwRef)}`);
  println(`end access while mapped: ${endAccess(rwRef) ? "done" : "refused"}`);
  evtchnSend(port);
  waitFor(2); // the backend unmapped
  println(`end access after unmap: ${endAccess(rwRef) ? "done" : "refused"}`);
  println(`end access twice: ${endAccess(rwRef) ? "done" : "refused"}`);

  const before = grantsFree();
  let taken: u32 = 0;
  while (grantPage(0, ro, true) != GRANT_INVALID_REF) taken++;
  println(`exhausted after ${taken} of ${before} free references`);
  return taken == before ? 0 : 1;
}

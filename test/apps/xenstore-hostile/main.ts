// The xenstore client against a hostile xenstored (test/xenstore-client.test.ts
// plays it): `storm` follows a watch whose handler reads xenstore while the
// daemon answers every request with an event for that watch; `lie` makes 600
// reads while the daemon lies about one reply's length.
import { cmdline, monotonicNs, println, sleep } from "morgana/runtime";
import { xsErrorName, xsRead, xsResets, xsSetTimeout, xsWatch, XsWatchHandler, xsWatchEventsCoalesced } from "morgana/runtime/core/xenstore";

class Reader extends XsWatchHandler {
  calls: u32 = 0;
  onWatch(path: string): void {
    this.calls++;
    xsRead(path);
  }
}

function storm(): i32 {
  const reader = new Reader();
  const start = monotonicNs();
  println(`watch: ${xsErrorName(xsWatch("data", reader))}`);
  let ok = 0;
  for (let i = 0; i < 200; i++) if (xsRead("name").ok) ok++;
  // Time must move on while the daemon keeps sending events.
  sleep(100_000_000);
  const ms = (monotonicNs() - start) / 1_000_000;
  println(`reads: ${ok} of 200`);
  println(`slept: ${ms >= 100 ? "yes" : "no"}`);
  println(`handler calls: ${reader.calls} in ${ms} ms, coalesced: ${xsWatchEventsCoalesced() > 0 ? "some" : "none"}`);
  return 0;
}

function lie(): i32 {
  xsSetTimeout(1_000_000_000);
  const name = xsRead("name").value;
  let ok = 0;
  let wrong = 0;
  let failed = 0;
  for (let i = 0; i < 600; i++) {
    const r = xsRead("name");
    if (!r.ok) failed++;
    else if (r.value == name) ok++;
    else wrong++;
  }
  println(`intact: ${ok}, altered: ${wrong}, failed: ${failed}, resets: ${xsResets()}`);
  return 0;
}

export function main(): i32 {
  if (cmdline() == "storm") return storm();
  if (cmdline() == "lie") return lie();
  println(`unknown mode: ${cmdline()}`);
  return 2;
}

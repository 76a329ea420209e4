// Follows data/config through a watch and prints each value it sees, until a
// tool outside the simulation (xenstore-write on the socket) writes "stop".
import { monotonicNs, println, schedule } from "morgana/runtime";
import { xsRead, xsWatch, XsWatchHandler, xsWrite } from "morgana/runtime/core/xenstore";

class Config extends XsWatchHandler {
  stopped: bool = false;
  onWatch(path: string): void {
    const r = xsRead("data/config");
    if (!r.ok) return;
    println(`config: ${r.value}`);
    if (r.value == "stop") this.stopped = true;
  }
}

export function main(): i32 {
  xsWrite("data/ready", "1");
  const config = new Config();
  xsWatch("data/config", config);
  const deadline = monotonicNs() + 20_000_000_000;
  while (!config.stopped && monotonicNs() < deadline) schedule(deadline);
  return config.stopped ? 0 : 1;
}

// A frontend on xenbus against a backend the test plays in dom0: it closes once
// mid-handshake and once while connected, then the frontend closes cleanly
// (with `refused`: the backend breaks off every handshake).
// Prints the driver's calls and the frontend's states; test/xenbus.test.ts checks them.
import { cmdlineArg, monotonicNs, println, sleep } from "morgana/runtime";
import { XenbusDevice, xenbusDevices } from "morgana/runtime/core/xenbus";
import { xsErrorName } from "morgana/runtime/core/xenstore";
import { LoggingDriver } from "../lib/logging-driver";

class Driver extends LoggingDriver {
  publish(dev: XenbusDevice, tx: u32): i32 {
    this.log.push("publish");
    let rc = dev.writeFront("ring-ref", "8", tx);
    if (!rc) rc = dev.writeFront("event-channel", this.port.toString(), tx);
    return rc ? rc : 3; // XenbusStateInitialised
  }
  connected(dev: XenbusDevice): i32 {
    this.log.push(`connected feature-x=${dev.readBackendNumber("feature-x", 0)}`);
    return 0;
  }
}

const SECOND: u64 = 1_000_000_000;

export function main(): i32 {
  println(`devices: ${xenbusDevices("vif").join(",")}`);
  const driver = new Driver();
  const dev = new XenbusDevice("vif", "0", driver);
  println(`open: ${xsErrorName(dev.open())}, backend ${dev.backend} (domain ${dev.backendId})`);
  println(`connect: ${xsErrorName(dev.waitConnected(monotonicNs() + 5 * SECOND))}`);
  // A backend that breaks every handshake off: the device gives up.
  if (cmdlineArg("refused") !== null) {
    println(`driver: ${driver.log.join(", ")}`);
    println(`states: ${dev.history.join(",")}; backend ${dev.backendState}`);
    return 0;
  }
  const deadline = monotonicNs() + 5 * SECOND;
  while (dev.connections < 2 && monotonicNs() < deadline) sleep(1_000_000);
  println(`connections: ${dev.connections}`);
  println(`close: ${xsErrorName(dev.close(monotonicNs() + 5 * SECOND))}`);
  println(`driver: ${driver.log.join(", ")}`);
  println(`states: ${dev.history.join(",")}; backend ${dev.backendState}`);
  const missing = new XenbusDevice("vbd", "768", driver);
  println(`missing device: ${xsErrorName(missing.open())}`);
  return 0;
}

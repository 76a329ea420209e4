// A xenbus driver for test apps: one event channel as its whole connection,
// and a log of the driver calls the device made, for the test to compare.
import { evtchnAllocUnbound, evtchnClose } from "morgana/runtime/core/events";
import { XenbusDevice, XenbusDriver } from "morgana/runtime/core/xenbus";

export abstract class LoggingDriver extends XenbusDriver {
  log: Array<string> = new Array<string>();
  port: i64 = -1;
  setup(dev: XenbusDevice): i32 {
    this.port = evtchnAllocUnbound(<u16>dev.backendId);
    this.log.push("setup");
    return this.port < 0 ? <i32>this.port : 0;
  }
  teardown(dev: XenbusDevice): void {
    evtchnClose(<u32>this.port);
    this.log.push("teardown");
  }
}

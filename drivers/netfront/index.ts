// What applications import: `import { connectNetfront } from "morgana/drivers/netfront"`.
import { panic } from "../../runtime/core/panic";
import { monotonicNs, NS_PER_SEC } from "../../runtime/core/time";
import { xenbusDevices } from "../../runtime/core/xenbus";
import { Netfront } from "./netfront";

export { Netfront, NetfrontErrors, parseMac } from "./netfront";

/** Brings up device/vif/<id> (default: the first the toolstack gave us); panics with the reason when it cannot. */
export function connectNetfront(id: string | null = null, timeoutNs: u64 = 10 * NS_PER_SEC): Netfront {
  let devid = id;
  if (devid == null) {
    const all = xenbusDevices("vif");
    if (all.length == 0) panic("netfront: this domain has no network interface (no device/vif in xenstore)");
    devid = all[0];
  }
  const nf = new Netfront(devid);
  if (nf.connect(monotonicNs() + timeoutNs) != 0) panic(`netfront: vif ${devid}: ${nf.reason}`);
  return nf;
}

// What applications import: `import { connectNetfront } from "morgana/drivers/netfront"`.
import { connectOrPanic, frontendId } from "../../runtime/core/frontend";
import { NS_PER_SEC } from "../../runtime/core/time";
import { Netfront } from "./netfront";

export { Netfront, NetfrontErrors, parseMac } from "./netfront";

/** Brings up device/vif/<id> (default: the first the toolstack gave us); panics with the reason when it cannot. */
export function connectNetfront(id: string | null = null, timeoutNs: u64 = 10 * NS_PER_SEC): Netfront {
  const devid = frontendId("vif", id, "netfront: this domain has no network interface (no device/vif in xenstore)");
  return connectOrPanic(new Netfront(devid), `netfront: vif ${devid}`, timeoutNs);
}

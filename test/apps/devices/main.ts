// Connects every disk and network interface it is given, says so, and waits
// to be destroyed: dom0 (test/xen/devices-check.sh) then checks that each
// backend reached Connected and that its hotplug script said "connected".
import { monotonicNs, NS_PER_SEC, println, sleep } from "morgana/runtime";
import { xenbusDevices } from "morgana/runtime/core/xenbus";
import { Blkfront } from "morgana/drivers/blkfront";
import { connectNetfront } from "morgana/drivers/netfront";

export function main(): i32 {
  const disks = xenbusDevices("vbd");
  for (let i = 0; i < disks.length; i++) {
    const rc = new Blkfront(disks[i]).connect(monotonicNs() + 30 * NS_PER_SEC);
    println(`vbd ${disks[i]}: ${rc ? `error ${rc}` : "connected"}`);
    if (rc) return 1;
  }
  const vifs = xenbusDevices("vif");
  if (vifs.length) println(`vif: MTU ${connectNetfront().mtu()}, connected`);
  println("devices: all connected");
  while (true) sleep(60 * NS_PER_SEC);
  return 0;
}

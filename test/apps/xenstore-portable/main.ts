// The xenstore client and xenbus with nothing but the toolstack on the other
// side: the same lines on the simulator and on real Xen (cxenstored, netback).
// The vif's driver publishes no usable ring, so the backend refuses each
// handshake and the device ends with EIO.
import { monotonicNs, println, sleep } from "morgana/runtime";
import { XenbusDevice, xenbusDevices } from "morgana/runtime/core/xenbus";
import {
  parseDecimal, xsDirectory, xsErrorName, xsGetDomainPath, xsGetPerms, xsMkdir, xsRead, xsRm, xsSetPerms,
  xsTransactionEnd, xsTransactionStart, xsUnwatch, xsWatch, xsWrite,
} from "morgana/runtime/core/xenstore";
import { LoggingDriver } from "../lib/logging-driver";
import { Recorder } from "../lib/recorder";

class Unusable extends LoggingDriver {
  publish(dev: XenbusDevice, tx: u32): i32 {
    this.log.push("publish");
    const rc = dev.writeFront("event-channel", this.port.toString(), tx);
    return rc ? rc : 4; // XenbusStateConnected, as netfront
  }
  connected(dev: XenbusDevice): i32 {
    this.log.push("connected");
    return 0;
  }
}

function say(what: string, status: i32): void {
  println(`${what}: ${xsErrorName(status)}`);
}

export function main(): i32 {
  const me = xsRead("domid").value;
  const home = xsGetDomainPath(<u32>parseDecimal(me)).value;
  println(`home: ${home == "/local/domain/" + me ? "matches domid" : home}`);
  say("write", xsWrite("data/a/b", "hello"));
  println(`read: ${xsRead("data/a/b").value}`);
  say("mkdir", xsMkdir("data/a/c"));
  println(`directory: ${xsDirectory("data/a").list.join(",")}`);
  println(`perms of a new node: ${xsGetPerms("data/a/b").list.join(",").split(me).join("<me>")}`);
  say("set perms", xsSetPerms("data/a/b", [`n${me}`, "r0"]));
  println(`perms: ${xsGetPerms("data/a/b").list.join(",").split(me).join("<me>")}`);
  say("give the node away", xsSetPerms("data/a/b", ["n0"]));
  say("rm", xsRm("data/a"));
  say("read removed", xsRead("data/a/b").status);
  say("rm again", xsRm("data/a"));
  say("write big", xsWrite("data/big", "0123456789".repeat(150)));
  const big = xsRead("data/big").value;
  println(`read big: ${big.length} ${big == "0123456789".repeat(150) ? "intact" : "corrupt"}`);
  say("node over the size quota", xsWrite("data/huge", "x".repeat(2100)));
  say("request over XENSTORE_PAYLOAD_MAX", xsWrite("data/huge", "x".repeat(5000)));
  say("read own vm key", xsRead("vm").status);
  say("write own name", xsWrite("name", "evil"));
  say("write the backend's state", xsWrite(`/local/domain/0/backend/vif/${me}/0/state`, "4"));
  say("read missing", xsRead("data/nothing").status);
  say("invalid path", xsRead("data//x").status);
  say("special path", xsWrite("@introduceDomain", "x"));
  const rec = new Recorder();
  say("watch", xsWatch("data/w", rec));
  sleep(10_000_000);
  println(`watch fired: ${rec.take()}`);
  xsWrite("data/w/child", "1");
  xsRm("data/w");
  sleep(10_000_000);
  println(`watch events: ${rec.take()}`);
  say("unwatch", xsUnwatch("data/w", rec));
  const tx = xsTransactionStart();
  xsWrite("data/t", "in tx", <u32>tx);
  println(`outside tx: ${xsErrorName(xsRead("data/t").status)}, inside: ${xsRead("data/t", <u32>tx).value}`);
  say("commit", xsTransactionEnd(<u32>tx, true));
  println(`after commit: ${xsRead("data/t").value}`);
  say("unknown transaction", xsRead("data/t", 999).status);
  println(`vif devices: ${xenbusDevices("vif").join(",")}`);
  const driver = new Unusable();
  const dev = new XenbusDevice("vif", "0", driver);
  say("open", dev.open());
  println(`backend: ${dev.backend.split(me).join("<me>")} in domain ${dev.backendId}`);
  say("connect", dev.waitConnected(monotonicNs() + 20_000_000_000));
  println(`driver: ${driver.log.join(", ")}`);
  println(`states: ${dev.history.join(",")}`);
  return 0;
}

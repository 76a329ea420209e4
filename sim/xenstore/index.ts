// The simulated xenstored, for the simulator and the CLI:
//
//   const { store, toolstack } = plugXenstore(sim);   // every domU: xl's layout, then its ring served
//   toolstack.addVif(domid, { devid: 0, mac }); toolstack.addVbd(domid, { vdev: "xvda", target });
//   const server = await XenstoreSocketServer.listen(store, path);   // for xenstore-utils
//   process.stderr.write(xenstoreSocketHelp(path));
//
// Lower level: attachXenstore(store, domid, page, notify, tamper?) serves one ring page;
// new Connection(store, caller, send) speaks xsd_sockmsg to anything.
export { attachXenstore } from "./attach.ts";
export type { Tamper, XenstoreAttachment } from "./attach.ts";
export { Connection } from "./connection.ts";
export { plugXenstore, domainUuid } from "./plug.ts";
export type { PluggedXenstore } from "./plug.ts";
export { XenstoreSocketServer, xenstoreSocketHelp } from "./socket.ts";
export { DEFAULT_QUOTAS, Store } from "./store.ts";
export type { Caller, Perm, Quotas, Watch, Watcher, XsNode } from "./store.ts";
export { Toolstack, vbdDevid } from "./toolstack.ts";
export type { DomainConfig, VbdConfig, VifConfig } from "./toolstack.ts";

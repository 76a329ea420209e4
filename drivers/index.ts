// The devices' public API: `import { connectBlkfront, xsRead } from "morgana/drivers"`
// (README "Devices"). Not re-exported from morgana/runtime: the xenstore client's
// globals would then be in every app, hello included (see runtime/index.ts).
export { Blkfront, BlkfrontStats, connectBlkfront, DEFAULT_TIMEOUT_NS } from "./blkfront";
export { connectNetfront, Netfront, NetfrontErrors, parseMac } from "./netfront";
export { Frontend, frontendId, MAX_LEAKED_PAGES } from "../runtime/core/frontend";
export { XenbusDevice, xenbusDevices, XenbusDriver } from "../runtime/core/xenbus";
export {
  parseDecimal, xsDirectory, xsErrorName, xsGetDomainPath, xsGetPerms, xsMkdir, XsResult, xsRead, xsRm, xsSetPerms,
  xsTransact, XsTransactionBody, xsTransactionEnd, xsTransactionStart, xsUnwatch, xsWatch, XsWatchHandler, xsWrite,
} from "../runtime/core/xenstore";

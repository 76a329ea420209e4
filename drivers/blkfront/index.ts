// What applications import: `import { connectBlkfront } from "morgana/drivers/blkfront"`.
import { connectOrPanic, frontendId } from "../../runtime/core/frontend";
import { NS_PER_SEC } from "../../runtime/core/time";
import { Blkfront } from "./blkfront";

export { Blkfront, BlkfrontStats, DEFAULT_TIMEOUT_NS, MAX_INDIRECT_SEGMENTS, MAX_RING_PAGE_ORDER, QUEUE_LENGTH } from "./blkfront";

/** Brings up device/vbd/<id> (default: the first the toolstack gave us); panics with the reason when it cannot. */
export function connectBlkfront(id: string | null = null, timeoutNs: u64 = 10 * NS_PER_SEC): Blkfront {
  const devid = frontendId("vbd", id, "blkfront: this domain has no disk (no device/vbd in xenstore)");
  return connectOrPanic(new Blkfront(devid), `blkfront: vbd ${devid}`, timeoutNs);
}

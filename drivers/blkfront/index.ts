// blkfront: Xen virtual block devices (io/blkif.h) as runtime/devices.ts Blocks.
export { Blkfront, BlkfrontStats, MAX_INDIRECT_SEGMENTS, MAX_RING_PAGE_ORDER, QUEUE_LENGTH } from "./blkfront";

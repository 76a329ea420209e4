// The device interfaces every implementation satisfies (Mirage's one-file
// idea): an app written against them runs wherever an implementation exists.
// They are abstract classes, and callbacks are handler objects, because
// AssemblyScript has no closures. Buffers are linear-memory pages from the
// core's page allocator (runtime/core/pages.ts), never GC objects, so that a
// driver can grant them to a backend without copying.

export { EventHandler } from "./core/events";
export { Timer, Task } from "./core/sched";

/** Byte output; the console of the platform. */
export abstract class Console {
  /** Writes `len` bytes at `src`; false if the output was cut short. */
  abstract write(src: usize, len: u32): bool;
}

/** Monotonic time: Xen system time in nanoseconds. */
export abstract class Clock {
  abstract monotonicNs(): u64;
}

/** Calendar time: nanoseconds since the Unix epoch. */
export abstract class Time {
  abstract wallClockNs(): u64;
}

/** What a block device is, as its backend describes it. */
export class BlockInfo {
  /** Capacity in 512-byte units (blkif counts sectors so, whatever the sector size). */
  sectors: u64 = 0;
  sectorSize: u32 = 512;
  physicalSectorSize: u32 = 512;
  readOnly: bool = false;
  removable: bool = false;
  flush: bool = false;
  discard: bool = false;
  /** Bytes: discards are best aligned on this granularity (plus discardAlignment). */
  discardGranularity: u32 = 0;
  discardAlignment: u32 = 0;
  /** SECURE_DISCARD requests are understood (the data is erased, not only dropped). */
  discardSecure: bool = false;
}

/** One block operation in flight (the batched form); reused by its owner. */
export class BlockRequest {
  static readonly READ: u8 = 0;
  static readonly WRITE: u8 = 1;
  static readonly FLUSH: u8 = 2;
  static readonly DISCARD: u8 = 3;
  static readonly SECURE_DISCARD: u8 = 4;
  op: u8 = 0;
  /** First 512-byte sector. */
  sector: u64 = 0;
  /** Linear-memory buffer (page-allocator pages, 512-byte aligned) and its length in bytes (discards: the bytes to drop). */
  buffer: usize = 0;
  length: u32 = 0;
  /** 0 when done well, a negative errno or BLKIF_RSP_* otherwise; valid once `done`. */
  status: i32 = 0;
  done: bool = false;
  /** The implementation's bookkeeping while queued: parts still in flight. */
  pending: u32 = 0;
  /** Told when the request completes; null to poll `done`. */
  completion: BlockCompletion | null = null;
}

export abstract class BlockCompletion {
  abstract complete(request: BlockRequest): void;
}

export abstract class Block {
  abstract info(): BlockInfo;
  /**
   * Blocking calls: 0, or a negative errno. Sectors count 512 bytes whatever the
   * sector size; offsets and lengths must be multiples of the sector size.
   */
  abstract read(sector: u64, buffer: usize, length: u32): i32;
  abstract write(sector: u64, buffer: usize, length: u32): i32;
  /** Every write completed before the call is on stable storage when it returns 0. */
  abstract flush(): i32;
  abstract discard(sector: u64, sectors: u64): i32;
  /**
   * Batched form: queue without waiting (0, or a negative errno if it cannot be
   * queued). Requests start in order; a FLUSH starts once those before it completed.
   */
  abstract submit(request: BlockRequest): i32;
  /** Waits until every submitted request has completed. */
  abstract drain(): void;
}

/** Receives frames from a Network device; `frame` is valid only during the call. */
export abstract class FrameListener {
  abstract onFrame(frame: usize, length: u32): void;
}

export class NetworkStats {
  rxPackets: u64 = 0;
  rxBytes: u64 = 0;
  rxErrors: u64 = 0;
  rxDropped: u64 = 0;
  txPackets: u64 = 0;
  txBytes: u64 = 0;
  txErrors: u64 = 0;
}

export abstract class Network {
  /** The 6-byte MAC address, copied to `dst`. */
  abstract mac(dst: usize): void;
  /** The largest Ethernet payload: frames are at most mtu() + 14 bytes (no FCS). */
  abstract mtu(): u32;
  /** Sends one Ethernet frame; `frame` is free again on return (netfront copies it): 0, or a negative errno. */
  abstract write(frame: usize, length: u32): i32;
  abstract listen(listener: FrameListener): void;
  abstract stats(): NetworkStats;
}

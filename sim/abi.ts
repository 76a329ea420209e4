// The simulator's side of runtime/platform.ts: the host area and the imports it provides.

/** Where start_info is copied (START_INFO_OFFSET in runtime/platform.ts). */
export const START_INFO_OFFSET = 0x1000;
/** The Asyncify data buffer: [ASYNCIFY_DATA_OFFSET, HOST_AREA_END). */
export const ASYNCIFY_DATA_OFFSET = 0x2000;
/** The module places nothing below this (asc --memoryBase). */
export const HOST_AREA_END = 0x10000;

/** Every function import the platform ABI declares. */
export const PLATFORM_FUNCTIONS = [
  "hypercall", "block", "mb", "rmb", "wmb",
  "xchg16", "xchg32", "xchg64", "cmpxchg16", "cmpxchg32", "cmpxchg64",
  "fetch_and16", "fetch_and32", "fetch_and64", "fetch_or16", "fetch_or32", "fetch_or64",
  "frame", "rdtsc", "exit",
] as const;

/** Exports the simulator calls: the entry and Binaryen Asyncify's controls. */
export const REQUIRED_EXPORTS = [
  "start", "asyncify_start_unwind", "asyncify_stop_unwind", "asyncify_start_rewind",
  "asyncify_stop_rewind", "asyncify_get_state",
] as const;

export interface GuestExports {
  start(startInfo: number, memoryBase: bigint): void;
  asyncify_start_unwind(data: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(data: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
}

/** asyncify_get_state values (Binaryen's Asyncify pass). */
export const ASYNCIFY_UNWINDING = 1;

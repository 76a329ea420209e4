// What applications import: `import { println, sleep } from "morgana/runtime"`.
// Devices (connectBlkfront, connectNetfront, xenbusDevices, the xenstore client)
// come from "morgana/drivers": re-exported here, the xenstore client's globals
// went into every app (hello's .wasm grew from 24 KB to 32 KB; commit b703156).
export { print, println } from "./core/console";
export { monotonicNs, wallClockNs, formatSeconds, NS_PER_SEC } from "./core/time";
export { sleep, sleepUntil, schedule, armTimer, cancelTimer, defer } from "./core/sched";
export { cmdline, cmdlineArg } from "./core/cmdline";
export { panic } from "./core/panic";
export { randomFill, randomSourceName, randomU32, randomU64 } from "./core/random";
export { allocPage, allocPages, freePage, freePages, PAGE_SIZE } from "./core/pages";
export * from "./devices";

// The platform ABI: everything the Morgana core needs from below.
//
// Two hosts implement exactly this list: the C boot stub (boot/, real Xen) and
// the simulated hypervisor (sim/). test/abi.test.ts snapshots the module's
// imports, exports and memory so that a change here is deliberate.
//
// Addresses:
//  - `addr` arguments are offsets in linear memory (what AssemblyScript calls a
//    pointer). The host bounds-checks them; an out-of-range offset traps.
//  - Hypercall pointer arguments are guest virtual addresses: a linear offset
//    plus the `memoryBase` the host passes to `start`. The host validates every
//    pointer (nested ones too) against linear memory; anything else is -EFAULT.
//
// Memory (contract, see MEMORY_* below):
//  - One imported memory, `env.memory`. Linear memory is backed by 4 KiB
//    frames of the domain; pages are never moved while the domain runs, and
//    `memory.grow` grows in place up to what the domain was given.
//  - [0, HOST_AREA_END) belongs to the host: the module places no data there
//    (asc --memoryBase). Before instantiating the module the host copies
//    start_info to START_INFO_OFFSET and writes RANDOM_SEED_SIZE bytes of seed
//    at RANDOM_SEED_OFFSET with its RANDOM_SOURCE_* at RANDOM_SOURCE_OFFSET
//    (runtime/core/random.ts takes and erases them); the simulator keeps its
//    Asyncify buffer in [ASYNCIFY_DATA_OFFSET, HOST_AREA_END).
//
// Entry: `start(startInfo: usize, memoryBase: u64): void` (runtime/start.ts),
// called once on the host's stack. It never returns on success: it ends with
// `exit`. On the simulator it may return early only while Asyncify unwinds
// from `block`; the simulator then rewinds it by calling `start` again.

// The host area's offsets and values (START_INFO_OFFSET, RANDOM_SEED_OFFSET,
// HOST_AREA_END...) are generated from scripts/abi-schema.js, for both hosts too.
export * from "./abi";

/**
 * A raw Xen hypercall. MUST NOT block (SCHEDOP_block and SCHEDOP_poll are
 * refused: waiting goes through `block`). Returns Xen's result, a negative
 * errno on failure. The host allows only the operations the core uses and
 * MAY refuse any other with -ENOSYS, and any pointer, nested pointer or frame
 * number outside what the domain may touch with -EFAULT or -EPERM.
 */
// @ts-ignore: decorator
@external("env", "hypercall")
export declare function hypercall(op: u32, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64): i64;

/**
 * The one call that waits: returns once an event is pending for the vCPU
 * (vcpu_info.evtchn_upcall_pending) or Xen system time reaches `deadline`
 * (nanoseconds; 0 or a past deadline returns at once). MAY return early for
 * no reason. The guest must have bound VIRQ_TIMER first; the simulator traps
 * a `block` without it, as a real guest would never wake. Events stay masked
 * (evtchn_upcall_mask) across the call: the core polls, it takes no upcalls.
 */
// @ts-ignore: decorator
@external("env", "block")
export declare function block(deadline: u64): void;

/** Full memory barrier (x86: mfence; ring.h's xen_mb). */
// @ts-ignore: decorator
@external("env", "mb")
export declare function mb(): void;
/** Read barrier (ring.h's xen_rmb): loads before it complete before loads after it. */
// @ts-ignore: decorator
@external("env", "rmb")
export declare function rmb(): void;
/** Write barrier (ring.h's xen_wmb): stores before it are seen before stores after it. */
// @ts-ignore: decorator
@external("env", "wmb")
export declare function wmb(): void;

// Atomic read-modify-write on naturally aligned linear memory, each a full
// barrier (x86 lock-prefixed). Xen and backends write the same words
// concurrently (event bitmaps, grant flags). Each returns the old value.

// @ts-ignore: decorator
@external("env", "xchg16")
export declare function xchg16(addr: usize, value: u32): u32;
// @ts-ignore: decorator
@external("env", "xchg32")
export declare function xchg32(addr: usize, value: u32): u32;
// @ts-ignore: decorator
@external("env", "xchg64")
export declare function xchg64(addr: usize, value: u64): u64;
// @ts-ignore: decorator
@external("env", "cmpxchg16")
export declare function cmpxchg16(addr: usize, expected: u32, replacement: u32): u32;
// @ts-ignore: decorator
@external("env", "cmpxchg32")
export declare function cmpxchg32(addr: usize, expected: u32, replacement: u32): u32;
// @ts-ignore: decorator
@external("env", "cmpxchg64")
export declare function cmpxchg64(addr: usize, expected: u64, replacement: u64): u64;
// @ts-ignore: decorator
@external("env", "fetch_and16")
export declare function fetch_and16(addr: usize, mask: u32): u32;
// @ts-ignore: decorator
@external("env", "fetch_and32")
export declare function fetch_and32(addr: usize, mask: u32): u32;
// @ts-ignore: decorator
@external("env", "fetch_and64")
export declare function fetch_and64(addr: usize, mask: u64): u64;
// @ts-ignore: decorator
@external("env", "fetch_or16")
export declare function fetch_or16(addr: usize, mask: u32): u32;
// @ts-ignore: decorator
@external("env", "fetch_or32")
export declare function fetch_or32(addr: usize, mask: u32): u32;
// @ts-ignore: decorator
@external("env", "fetch_or64")
export declare function fetch_or64(addr: usize, mask: u64): u64;

/**
 * The machine frame number of the 4 KiB page holding linear offset `addr`
 * (PV: the p2m lookup). Stable for the life of the domain. Traps when `addr`
 * is outside linear memory.
 */
// @ts-ignore: decorator
@external("env", "frame")
export declare function frame(addr: usize): u64;

/** The time-stamp counter, scaled to Xen system time with vcpu_time_info. */
// @ts-ignore: decorator
@external("env", "rdtsc")
export declare function rdtsc(): u64;

/**
 * Ends the domain with the application's status: 0 is a clean poweroff, any
 * other value a crash. Never returns. The core drains its console first; the
 * host prints nothing of its own on success.
 */
// @ts-ignore: decorator
@external("env", "exit")
export declare function exit(status: i32): void;

// Morgana's simulated hypervisor: runs unikernel .wasm modules in Node and
// implements every import of runtime/platform.ts with Xen 4.17's semantics
// (<xen/errno.h> errnos negated, GNTST_* statuses).
//
//   const sim = new Simulator({ seed?: 1, realTime?: false, eventLatencyNs?: [min, max] });
//   const d = sim.createDomain({ name, wasm, memoryMiB?: 32, cmdline?: "", dom0?: false,
//                                maxEvtchns?: 1024, maxGrantFrames?: 64 });
//     wasm: the bytes, or a module from compileGuest(bytes) (compiled once for many
//     domains); memory starts at the module's declared size. Bad input
//     throws an Error with a one-line message naming the domain.
//   d.onConsole((text) => ...);          // console output as it arrives (UTF-8 decoded)
//   await sim.run({ timeoutMs? });       // resolves when every domain has ended; on
//                                        // timeout (wall clock) the rest end with an error
//                                        // and the promise rejects
//   d.result   // { kind: "exit", status } | { kind: "trap", message } | { kind: "error", message }
//   d.console, d.stats { unwinds, rewinds, hypercalls }, d.memory, d.domid, d.name, d.state
//   sim.now()  // Xen system time (ns, bigint): virtual unless realTime
//
// Domains get ids from 1; the simulator itself is domain 0 for backends:
//   sim.events (Dom0Events): allocUnbound(remoteDomid) -> port,
//     bindInterdomain(remoteDomid, remotePort) -> port, notify(port), onEvent(port, handler),
//     close(port); failures throw XenError (.errno is Xen's negative errno). Handlers run
//     from the event queue, never inside a guest's hypercall.
//   sim.grants (Dom0Grants): copyFrom(domid, ref, offset, dest), copyTo(domid, ref, offset, src),
//     map(domid, ref, readonly) -> { status, mapping?: { handle, bytes() } }, unmap(handle);
//     each returns a GNTST_* status, and sets GTF_reading/GTF_writing in the guest's entry
//     while in use.
//   d.pageBytes(d.sharedInfo | d.consolePage! | d.storePage! | d.grants.frames[i]): a special
//     page's bytes as they are now; d.storePort / d.consolePort: the guest's ports.
//   sim.onStorePage((host: { domid, name, page(), notify() }) => ({ onEvent(), release() })):
//     plugs a xenstored for every domU, present and future.
//   sim.onDomainEnd(listener), sim.consoleInput(domid, text), sim.at(time, fn),
//   sim.after(delayNs, fn), sim.random() (seeded), sim.track(promise) (real asynchronous work
//   a virtual run must wait for before it calls a blocked domain deadlocked).
export { Simulator } from "./simulator.ts";
export type { CreateDomainOptions, SimulatorOptions, StoreAttachment, StorePageHost } from "./simulator.ts";
export { Domain } from "./domain.ts";
export type { DomainState } from "./domain.ts";
export type { Dom0Events } from "./dom0.ts";
export type { Dom0Grants, GrantMapping } from "./grant_table.ts";
export { XenError } from "./errors.ts";
export type { DomainResult } from "./errors.ts";
export type { Timer } from "./clock.ts";
export { MEMORY_BASE, PAGE_SIZE } from "./guest_memory.ts";
export { compileGuest } from "./wasm_module.ts";

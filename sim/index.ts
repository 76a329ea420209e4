// Morgana's simulated hypervisor: runs unikernel .wasm modules in Node and
// implements every import of runtime/platform.ts with Xen's semantics.
//
//   const sim = new Simulator({ seed?: number, realTime?: boolean });
//   const d = sim.createDomain({ name, wasm, memoryMiB?: 32, cmdline?: "", dom0?: false,
//                                maxEvtchns?: 1024, maxGrantFrames?: 64 });
//   d.onConsole((text) => process.stdout.write(text));
//   await sim.run({ timeoutMs });        // resolves when every domain has ended
//   d.result  // { kind: "exit", status } | { kind: "trap", message } | { kind: "error", message }
//   d.console, d.stats { unwinds, rewinds, hypercalls }, d.memory, d.domid, d.name
//   sim.now()                            // Xen system time (ns, bigint)
//
// Domains get ids from 1; the simulator itself is domain 0 for backends:
//   sim.events  (Dom0Events): allocUnbound(remoteDomid), bindInterdomain(remoteDomid, remotePort),
//               notify(port), onEvent(port, handler), close(port); errors throw XenError (.errno < 0)
//   sim.grants  (Dom0Grants): copyFrom(domid, ref, offset, dest), copyTo(domid, ref, offset, src),
//               map(domid, ref, readonly) -> { status, mapping?: { handle, bytes() } }, unmap(handle);
//               each returns a GNTST_* status
//   d.pageBytes(d.sharedInfo | d.consolePage | d.storePage)  // a special page as it is now
//   sim.onStorePage((host) => attachment)  // plugs a xenstored for every domU
//   sim.onDomainEnd(listener), sim.consoleInput(domid, text), sim.at/after(time, fn), sim.random(),
//   sim.track(promise)  // real async work a virtual run must wait for
export { Simulator } from "./simulator.ts";
export type { CreateDomainOptions, SimulatorOptions, StoreAttachment, StorePageHost } from "./simulator.ts";
export { Domain } from "./domain.ts";
export type { DomainState } from "./domain.ts";
export { XenError } from "./errors.ts";
export type { DomainResult } from "./errors.ts";
export type { GrantMapping } from "./grant_table.ts";
export { MEMORY_BASE, PAGE_SIZE } from "./guest_memory.ts";

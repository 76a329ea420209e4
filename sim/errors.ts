// Errors and the private signals that end a domain from inside an import.

/** A hypercall-level failure for the TypeScript side (backends): Xen's negative errno. */
export class XenError extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}

export type DomainResult =
  | { kind: "exit"; status: number }
  | { kind: "trap"; message: string }
  | { kind: "error"; message: string };

/** Thrown from an import to leave the guest's wasm stack: the domain ends with `result`. */
export class DomainEnd {
  /** `line`: the last console line, as the boot stub prints it on Xen for the same end. */
  constructor(readonly result: DomainResult, readonly line = "") {}
}

/** The stub's line for a wasm trap of `kind` (boot/wasm-rt.c). */
export const trapLine = (kind: string) => `morgana: trap ${kind}\n`;

/**
 * Ends the domain with a trap that the host detected (misaligned atomic, bad
 * frame...); `line` is what the stub prints for it (by default, as the
 * bounds check that traps there on Xen).
 */
export function trap(message: string, line = trapLine("out-of-bounds")): DomainEnd {
  return new DomainEnd({ kind: "trap", message }, line);
}

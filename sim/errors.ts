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
  constructor(readonly result: DomainResult) {}
}

/** Ends the domain with a trap that the host detected (misaligned atomic, bad frame...). */
export function trap(message: string): DomainEnd {
  return new DomainEnd({ kind: "trap", message });
}

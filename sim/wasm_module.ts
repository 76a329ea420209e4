// What the simulator reads from a module's binary that the JS API does not
// give: the declared size of the imported memory and the function names.

class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}
  byte(): number {
    if (this.at >= this.bytes.length) throw new Error("truncated module");
    return this.bytes[this.at++];
  }
  u32(): number {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return result;
    }
  }
  name(): string {
    const len = this.u32();
    const text = new TextDecoder().decode(this.bytes.subarray(this.at, this.at + len));
    this.at += len;
    return text;
  }
  skip(n: number): void {
    this.at += n;
  }
}

/** What compileGuest read from each module's bytes: Node 20 cannot tell a compiled module's memory limits. */
const declaredMinimum = new WeakMap<WebAssembly.Module, number | undefined>();

/** Compiles a guest (once for many domains); createDomain starts its memory at the module's declared size. */
export function compileGuest(binary: Uint8Array): WebAssembly.Module {
  const module = new WebAssembly.Module(binary as BufferSource);
  declaredMinimum.set(module, importedMemoryMinimum(binary));
  return module;
}

export function isCompiledGuest(module: WebAssembly.Module): boolean {
  return declaredMinimum.has(module);
}

/** The minimum pages of a compileGuest module's imported memory, or undefined when it imports none. */
export function declaredMemoryMinimum(module: WebAssembly.Module): number | undefined {
  return declaredMinimum.get(module);
}

/** The minimum pages (64 KiB) of the imported `env.memory`, or undefined when it imports none. */
export function importedMemoryMinimum(binary: Uint8Array): number | undefined {
  const r = new Reader(binary);
  r.skip(8); // magic and version
  while (r.at < binary.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.at + size;
    if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        const module = r.name();
        const field = r.name();
        const kind = r.byte();
        if (kind === 0) r.u32();
        else if (kind === 1) {
          r.byte();
          limits(r);
        } else if (kind === 2) {
          const min = limits(r);
          if (module === "env" && field === "memory") return min;
        } else {
          r.byte();
          r.byte();
        }
      }
      return undefined;
    }
    r.at = end;
  }
  return undefined;
}

function limits(r: Reader): number {
  const flags = r.byte();
  const min = r.u32();
  if (flags & 1) r.u32();
  return min;
}

/** Function index -> name from the "name" custom section (empty when the module has none). */
export function functionNames(module: WebAssembly.Module): Map<number, string> {
  const names = new Map<number, string>();
  for (const section of WebAssembly.Module.customSections(module, "name")) {
    const r = new Reader(new Uint8Array(section));
    while (r.at < r.bytes.length) {
      const id = r.byte();
      const size = r.u32();
      const end = r.at + size;
      if (id === 1) for (let n = r.u32(); n > 0; n--) names.set(r.u32(), r.name());
      r.at = end;
    }
  }
  return names;
}

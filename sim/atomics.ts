// The atomic read-modify-write imports of runtime/platform.ts. Node runs one
// guest at a time, so a plain read-modify-write of the right width is atomic;
// each address is bounds- and alignment-checked like a locked x86 access.
import { trap } from "./errors.ts";
import type { GuestMemory } from "./guest_memory.ts";

type Op32 = (old: number, a: number, b: number) => number;
type Op64 = (old: bigint, a: bigint, b: bigint) => bigint;

const xchg32: Op32 = (_old, value) => value;
const cmpxchg32: Op32 = (old, expected, replacement) => (old === expected ? replacement : old);
const and32: Op32 = (old, mask) => old & mask;
const or32: Op32 = (old, mask) => old | mask;
const xchg64: Op64 = (_old, value) => value;
const cmpxchg64: Op64 = (old, expected, replacement) => (old === expected ? replacement : old);
const and64: Op64 = (old, mask) => old & mask;
const or64: Op64 = (old, mask) => old | mask;

export function atomicImports(memory: GuestMemory): Record<string, (...args: never[]) => number | bigint> {
  const check = (name: string, addr: number, size: number): number => {
    const at = addr >>> 0;
    if (at % size !== 0) throw trap(`${name}: misaligned address 0x${at.toString(16)}`);
    if (at + size > memory.size) throw trap(`${name}: address 0x${at.toString(16)} outside linear memory`);
    return at;
  };
  const narrow = (name: string, size: 2 | 4, op: Op32) => (addr: number, a: number, b = 0): number => {
    const at = check(name, addr, size);
    const view = memory.view;
    const unsigned = (x: number): number => (size === 2 ? x & 0xffff : x >>> 0);
    const old = size === 2 ? view.getUint16(at, true) : view.getUint32(at, true);
    const next = unsigned(op(old, unsigned(a), unsigned(b)));
    if (size === 2) view.setUint16(at, next, true);
    else view.setUint32(at, next, true);
    return old;
  };
  const wide = (name: string, op: Op64) => (addr: number, a: bigint, b = 0n): bigint => {
    const at = check(name, addr, 8);
    const view = memory.view;
    const old = view.getBigUint64(at, true);
    view.setBigUint64(at, BigInt.asUintN(64, op(old, BigInt.asUintN(64, a), BigInt.asUintN(64, b))), true);
    return old;
  };
  return {
    xchg16: narrow("xchg16", 2, xchg32),
    xchg32: narrow("xchg32", 4, xchg32),
    xchg64: wide("xchg64", xchg64),
    cmpxchg16: narrow("cmpxchg16", 2, cmpxchg32),
    cmpxchg32: narrow("cmpxchg32", 4, cmpxchg32),
    cmpxchg64: wide("cmpxchg64", cmpxchg64),
    fetch_and16: narrow("fetch_and16", 2, and32),
    fetch_and32: narrow("fetch_and32", 4, and32),
    fetch_and64: wide("fetch_and64", and64),
    fetch_or16: narrow("fetch_or16", 2, or32),
    fetch_or32: narrow("fetch_or32", 4, or32),
    fetch_or64: wide("fetch_or64", or64),
  };
}

// The random source: ChaCha20 (RFC 8439's block function) as a fast-key-erasure
// generator, keyed once from the 32-byte seed the host leaves in its area
// (runtime/platform.ts RANDOM_SEED_OFFSET): on the simulator drawn from the
// run's --seed, on Xen from RDRAND or, without it, TSC jitter. Each refill
// makes four blocks; the first 32 bytes become the next key and the rest are
// output, zeroed as they are handed out, so a later memory dump cannot replay
// past outputs. Allocation-free: state and output live in static memory.
import {
  RANDOM_SEED_OFFSET, RANDOM_SEED_SIZE, RANDOM_SOURCE_OFFSET, RANDOM_SOURCE_RDRAND,
  RANDOM_SOURCE_SIM_SEED, RANDOM_SOURCE_TSC_JITTER,
} from "../platform";
import { panic } from "./panic";

const BLOCK: usize = 64;
const BLOCKS: usize = 4;
const KEY_SIZE: usize = 32;
/** The ChaCha20 key (8 words), then the output of one refill. */
const key: usize = memory.data(<i32>KEY_SIZE, 16);
const out: usize = memory.data(<i32>(BLOCK * BLOCKS), 16);
/** Bytes of `out` not handed out yet, from `next` to the end. */
let next: usize = BLOCK * BLOCKS;
let counter: u64 = 0;
let source: u32 = 0;

/** One ChaCha20 block (RFC 8439 2.3) of `key`, block counter `n`, nonce 0, to `dst`. */
function chachaBlock(dst: usize, n: u64): void {
  let x0: u32 = 0x61707865, x1: u32 = 0x3320646e, x2: u32 = 0x79622d32, x3: u32 = 0x6b206574;
  let x4 = load<u32>(key, 0), x5 = load<u32>(key, 4), x6 = load<u32>(key, 8), x7 = load<u32>(key, 12);
  let x8 = load<u32>(key, 16), x9 = load<u32>(key, 20), x10 = load<u32>(key, 24), x11 = load<u32>(key, 28);
  let x12 = <u32>n, x13 = <u32>(n >> 32), x14: u32 = 0, x15: u32 = 0;
  for (let i = 0; i < 10; i++) {
    x0 += x4; x12 = rotl(x12 ^ x0, 16); x8 += x12; x4 = rotl(x4 ^ x8, 12);
    x0 += x4; x12 = rotl(x12 ^ x0, 8); x8 += x12; x4 = rotl(x4 ^ x8, 7);
    x1 += x5; x13 = rotl(x13 ^ x1, 16); x9 += x13; x5 = rotl(x5 ^ x9, 12);
    x1 += x5; x13 = rotl(x13 ^ x1, 8); x9 += x13; x5 = rotl(x5 ^ x9, 7);
    x2 += x6; x14 = rotl(x14 ^ x2, 16); x10 += x14; x6 = rotl(x6 ^ x10, 12);
    x2 += x6; x14 = rotl(x14 ^ x2, 8); x10 += x14; x6 = rotl(x6 ^ x10, 7);
    x3 += x7; x15 = rotl(x15 ^ x3, 16); x11 += x15; x7 = rotl(x7 ^ x11, 12);
    x3 += x7; x15 = rotl(x15 ^ x3, 8); x11 += x15; x7 = rotl(x7 ^ x11, 7);
    x0 += x5; x15 = rotl(x15 ^ x0, 16); x10 += x15; x5 = rotl(x5 ^ x10, 12);
    x0 += x5; x15 = rotl(x15 ^ x0, 8); x10 += x15; x5 = rotl(x5 ^ x10, 7);
    x1 += x6; x12 = rotl(x12 ^ x1, 16); x11 += x12; x6 = rotl(x6 ^ x11, 12);
    x1 += x6; x12 = rotl(x12 ^ x1, 8); x11 += x12; x6 = rotl(x6 ^ x11, 7);
    x2 += x7; x13 = rotl(x13 ^ x2, 16); x8 += x13; x7 = rotl(x7 ^ x8, 12);
    x2 += x7; x13 = rotl(x13 ^ x2, 8); x8 += x13; x7 = rotl(x7 ^ x8, 7);
    x3 += x4; x14 = rotl(x14 ^ x3, 16); x9 += x14; x4 = rotl(x4 ^ x9, 12);
    x3 += x4; x14 = rotl(x14 ^ x3, 8); x9 += x14; x4 = rotl(x4 ^ x9, 7);
  }
  store<u32>(dst, x0 + 0x61707865, 0); store<u32>(dst, x1 + 0x3320646e, 4);
  store<u32>(dst, x2 + 0x79622d32, 8); store<u32>(dst, x3 + 0x6b206574, 12);
  store<u32>(dst, x4 + load<u32>(key, 0), 16); store<u32>(dst, x5 + load<u32>(key, 4), 20);
  store<u32>(dst, x6 + load<u32>(key, 8), 24); store<u32>(dst, x7 + load<u32>(key, 12), 28);
  store<u32>(dst, x8 + load<u32>(key, 16), 32); store<u32>(dst, x9 + load<u32>(key, 20), 36);
  store<u32>(dst, x10 + load<u32>(key, 24), 40); store<u32>(dst, x11 + load<u32>(key, 28), 44);
  store<u32>(dst, x12 + <u32>n, 48); store<u32>(dst, x13 + <u32>(n >> 32), 52);
  store<u32>(dst, x14, 56); store<u32>(dst, x15, 60);
}

/** Four blocks; the first KEY_SIZE bytes rekey the generator (and are erased). */
function refill(): void {
  if (source == 0) seedFromHost();
  for (let i: usize = 0; i < BLOCKS; i++) chachaBlock(out + i * BLOCK, counter++);
  memory.copy(key, out, KEY_SIZE);
  memory.fill(out, 0, KEY_SIZE);
  next = KEY_SIZE;
}

/** Takes the host's seed once and erases it from the host area. */
function seedFromHost(): void {
  source = load<u32>(RANDOM_SOURCE_OFFSET);
  if (source != RANDOM_SOURCE_SIM_SEED && source != RANDOM_SOURCE_RDRAND && source != RANDOM_SOURCE_TSC_JITTER) {
    panic(`random: the host left no seed (source ${source})`);
  }
  memory.copy(key, RANDOM_SEED_OFFSET, RANDOM_SEED_SIZE);
  memory.fill(RANDOM_SEED_OFFSET, 0, RANDOM_SEED_SIZE);
}

/** Seeds the generator at boot (it also seeds itself on first use, e.g. from a module's top level). */
export function initRandom(): void {
  if (source == 0) refill();
}

/** `len` random bytes at linear offset `buf`. */
export function randomFill(buf: usize, len: usize): void {
  while (len > 0) {
    if (next == BLOCK * BLOCKS) refill();
    const n = min(len, BLOCK * BLOCKS - next);
    memory.copy(buf, out + next, n);
    memory.fill(out + next, 0, n);
    next += n;
    buf += n;
    len -= n;
  }
}

/** The next sizeof<T>() bytes of output, erased as they are taken. */
// @ts-ignore: decorator
@inline function take<T>(): T {
  if (BLOCK * BLOCKS - next < sizeof<T>()) refill();
  const v = load<T>(out + next);
  store<T>(out + next, 0);
  next += sizeof<T>();
  return v;
}

export function randomU64(): u64 {
  return take<u64>();
}

export function randomU32(): u32 {
  return take<u32>();
}

/** Where the seed came from: "simulator-seed", "rdrand" or "tsc-jitter". */
export function randomSourceName(): string {
  if (source == 0) refill();
  if (source == RANDOM_SOURCE_SIM_SEED) return "simulator-seed";
  return source == RANDOM_SOURCE_RDRAND ? "rdrand" : "tsc-jitter";
}

/**
 * AssemblyScript's `seed()` (asc --use seed=...), which seeds Math.random's
 * xorshift128+: 64 bits of this generator instead of an import.
 */
export function mathSeed(): f64 {
  return reinterpret<f64>(randomU64());
}

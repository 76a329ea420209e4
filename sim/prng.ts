// A seeded PRNG (SplitMix64): every random choice of a run comes from here,
// so the same seed replays the same run.
export class Prng {
  private state: bigint;

  constructor(seed: number | bigint) {
    this.state = BigInt.asUintN(64, BigInt(seed));
  }

  /** The next 64 random bits. */
  next64(): bigint {
    this.state = BigInt.asUintN(64, this.state + 0x9e3779b97f4a7c15n);
    let z = this.state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  }

  /** A uniform float in [0, 1). */
  random(): number {
    return Number(this.next64() >> 11n) / 2 ** 53;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
}

/**
 * A domain's random seed (runtime/core/random.ts's ChaCha20 key): SplitMix64
 * keyed by the run's seed and the domid, so `--seed` changes every domain's
 * numbers, each differently, and the same seed replays them.
 */
export function domainRandomSeed(seed: number, domid: number, size: number): Uint8Array {
  const prng = new Prng(BigInt(seed) * 0x9e3779b97f4a7c15n ^ (BigInt(domid) << 48n));
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i + 8 <= size; i += 8) view.setBigUint64(i, prng.next64(), true);
  return bytes;
}

// SHA-256 (FIPS 180-4) over linear memory, for hashing a disk as it streams by:
// init, update with any number of byte ranges, final into 32 bytes.
const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

export class Sha256 {
  private readonly h: StaticArray<u32> = new StaticArray<u32>(8);
  private readonly w: StaticArray<u32> = new StaticArray<u32>(64);
  private readonly block: StaticArray<u8> = new StaticArray<u8>(64);
  private used: i32 = 0;
  private total: u64 = 0;

  constructor() {
    const h = this.h;
    h[0] = 0x6a09e667; h[1] = 0xbb67ae85; h[2] = 0x3c6ef372; h[3] = 0xa54ff53a;
    h[4] = 0x510e527f; h[5] = 0x9b05688c; h[6] = 0x1f83d9ab; h[7] = 0x5be0cd19;
  }

  update(src: usize, len: usize): void {
    this.total += <u64>len;
    let i: usize = 0;
    if (this.used > 0) {
      while (i < len && this.used < 64) unchecked((this.block[this.used++] = load<u8>(src + i++)));
      if (this.used < 64) return;
      this.compress(changetype<usize>(this.block));
      this.used = 0;
    }
    for (; i + 64 <= len; i += 64) this.compress(src + i);
    while (i < len) unchecked((this.block[this.used++] = load<u8>(src + i++)));
  }

  /** The digest as 64 lowercase hex digits. */
  hex(): string {
    const bits = this.total << 3;
    const pad = memory.data(72);
    memory.fill(pad, 0, 72);
    store<u8>(pad, 0x80);
    const padLen: usize = this.used < 56 ? 56 - this.used : 120 - this.used;
    for (let i = 0; i < 8; i++) store<u8>(pad + padLen + i, <u8>(bits >> (56 - 8 * i)));
    const total = this.total;
    this.update(pad, padLen + 8);
    this.total = total;
    let out = "";
    for (let i = 0; i < 8; i++) {
      const word = unchecked(this.h[i]);
      for (let shift = 28; shift >= 0; shift -= 4) out += String.fromCharCode("0123456789abcdef".charCodeAt((word >> shift) & 15));
    }
    return out;
  }

  private compress(p: usize): void {
    const w = this.w;
    for (let i = 0; i < 16; i++) unchecked((w[i] = bswap<u32>(load<u32>(p + <usize>i * 4))));
    for (let i = 16; i < 64; i++) {
      const a = unchecked(w[i - 15]);
      const b = unchecked(w[i - 2]);
      const s0 = rotr<u32>(a, 7) ^ rotr<u32>(a, 18) ^ (a >>> 3);
      const s1 = rotr<u32>(b, 17) ^ rotr<u32>(b, 19) ^ (b >>> 10);
      unchecked((w[i] = unchecked(w[i - 16]) + s0 + unchecked(w[i - 7]) + s1));
    }
    const h = this.h;
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (let i = 0; i < 64; i++) {
      const t1 = hh + (rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25)) + ((e & f) ^ (~e & g)) + unchecked(K[i]) + unchecked(w[i]);
      const t2 = (rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
}

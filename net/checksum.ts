// The Internet checksum (RFC 1071): the ones' complement of the ones'
// complement sum of 16-bit big-endian words. Summing 32-bit words into a u64
// and folding gives the same result, since 2^16 = 1 modulo 0xffff.

/** Adds `length` bytes at `at` to a running sum; only the last chunk summed may be odd. */
export function checksumAdd(sum: u64, at: usize, length: u32): u64 {
  const end = at + <usize>length;
  let p = at;
  while (p + 4 <= end) {
    sum += bswap<u32>(load<u32>(p));
    p += 4;
  }
  if (p + 2 <= end) {
    sum += bswap<u16>(load<u16>(p));
    p += 2;
  }
  if (p < end) sum += <u64>load<u8>(p) << 8; // an odd last byte is padded with a zero
  return sum;
}

/** The 16-bit checksum field for a sum: what a sender stores. */
export function checksumFinish(sum: u64): u32 {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return <u32>~sum & 0xffff;
}

/** The checksum of `length` bytes; a receiver summing a header with its field gets 0. */
export function checksum(at: usize, length: u32): u32 {
  return checksumFinish(checksumAdd(0, at, length));
}

/** The sum of the IPv4 pseudo-header of UDP (RFC 768): addresses, protocol, length. */
export function pseudoHeaderSum(src: u32, dst: u32, protocol: u32, length: u32): u64 {
  return <u64>src + <u64>dst + <u64>protocol + <u64>length;
}

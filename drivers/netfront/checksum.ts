// Completes the transport checksum of a frame the backend marked NETRXF_csum_blank
// (io/netif.h): the sender left it to the "hardware", so the field holds at most
// a partial sum. IPv4 TCP and UDP only, the protocols such frames carry; the
// driver stays below the network stack, so this reads the headers itself.

const ETH_HLEN: u32 = 14;
const ETH_P_IP: u32 = 0x0800;
const IPPROTO_TCP: u32 = 6;
const IPPROTO_UDP: u32 = 17;
/** Where each protocol keeps its checksum (RFC 793, RFC 768). */
const TCP_CHECK: u32 = 16;
const UDP_CHECK: u32 = 6;

// @ts-ignore: decorator
@inline function be16(p: usize): u32 {
  return (<u32>load<u8>(p) << 8) | load<u8>(p + 1);
}

/** RFC 1071 sum of `len` bytes, not yet folded. */
function sum16(p: usize, len: u32, acc: u64): u64 {
  let i: u32 = 0;
  for (; i + 1 < len; i += 2) acc += be16(p + i);
  if (i < len) acc += <u64>load<u8>(p + i) << 8;
  return acc;
}

/** Fills in the checksum of an IPv4 TCP or UDP frame; false if the frame is not one (or is malformed). */
export function completeChecksum(frame: usize, len: u32): bool {
  if (len < ETH_HLEN + 20 || be16(frame + 12) != ETH_P_IP) return false;
  const ip = frame + ETH_HLEN;
  const vihl = <u32>load<u8>(ip);
  const ihl = (vihl & 15) * 4;
  const total = be16(ip + 2);
  if (vihl >> 4 != 4 || ihl < 20 || total < ihl || ETH_HLEN + total > len) return false;
  if (be16(ip + 6) & 0x3fff) return false; // a fragment: its checksum spans other frames
  const proto = <u32>load<u8>(ip + 9);
  const at = proto == IPPROTO_UDP ? UDP_CHECK : proto == IPPROTO_TCP ? TCP_CHECK : 0;
  const l4len = total - ihl;
  if (at == 0 || l4len < at + 2) return false;
  const l4 = ip + ihl;
  store<u16>(l4 + at, 0);
  let acc = sum16(ip + 12, 8, 0) + proto + l4len; // pseudo-header: addresses, protocol, length
  acc = sum16(l4, l4len, acc);
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  let sum = <u32>(~acc & 0xffff);
  if (sum == 0 && proto == IPPROTO_UDP) sum = 0xffff; // 0 would mean "no checksum"
  store<u8>(l4 + at, <u8>(sum >> 8));
  store<u8>(l4 + at + 1, <u8>sum);
  return true;
}

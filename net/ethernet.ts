// Ethernet II framing (names from Linux's <linux/if_ether.h>). A MAC address
// is kept in a u64 as its 6 bytes loaded little-endian, so that comparing and
// copying one is a load and a store.
import { load16, store16 } from "./bytes";

export const ETH_ALEN: u32 = 6;
export const ETH_HLEN: u32 = 14;
/** The shortest frame without its FCS: shorter ones are padded. */
export const ETH_ZLEN: u32 = 60;
export const ETH_P_IP: u32 = 0x0800;
export const ETH_P_ARP: u32 = 0x0806;

export const OFFSET_h_dest: usize = 0;
export const OFFSET_h_source: usize = 6;
export const OFFSET_h_proto: usize = 12;

export const MAC_BROADCAST: u64 = 0xffff_ffff_ffff;

// @ts-ignore: decorator
@inline export function loadMac(at: usize): u64 {
  return <u64>load<u32>(at) | (<u64>load<u16>(at + 4) << 32);
}

// @ts-ignore: decorator
@inline export function storeMac(at: usize, mac: u64): void {
  store<u32>(at, <u32>mac);
  store<u16>(at + 4, <u16>(mac >> 32));
}

/** The group bit (the first byte's lowest bit): multicast, broadcast included. */
// @ts-ignore: decorator
@inline export function isGroupMac(mac: u64): bool {
  return (mac & 1) != 0;
}

export function writeEthernetHeader(frame: usize, dst: u64, src: u64, proto: u32): void {
  storeMac(frame + OFFSET_h_dest, dst);
  storeMac(frame + OFFSET_h_source, src);
  store16(frame + OFFSET_h_proto, proto);
}

// @ts-ignore: decorator
@inline export function ethernetProto(frame: usize): u32 {
  return load16(frame + OFFSET_h_proto);
}

export function formatMac(mac: u64): string {
  let s = "";
  for (let i = 0; i < 6; i++) {
    const b = <u32>(mac >> (8 * i)) & 0xff;
    s += (i ? ":" : "") + (b < 16 ? "0" : "") + b.toString(16);
  }
  return s;
}

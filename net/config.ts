// Static IPv4 configuration from the command line: `ip=10.77.0.2/24
// gw=10.77.0.1` (gw is optional: without it only the local subnet is reachable).
import { cmdlineArg } from "../runtime/core/cmdline";
import { panic } from "../runtime/core/panic";

export class NetConfig {
  ip: u32 = 0;
  prefix: u32 = 0;
  netmask: u32 = 0;
  /** 0 when there is no gateway. */
  gateway: u32 = 0;
  /** Why the configuration was refused, or null. */
  error: string | null = null;

  /** The limited broadcast, or the subnet's directed broadcast (/31 and /32 have none). */
  isBroadcast(addr: u32): bool {
    return addr == 0xffffffff || (this.prefix <= 30 && addr == (this.ip | ~this.netmask));
  }

  onLink(addr: u32): bool {
    return (addr & this.netmask) == (this.ip & this.netmask);
  }
}

/** A dotted quad ("10.77.0.2") as a host-order u32, or -1 if it is not exactly one. */
export function parseIpv4(text: string): i64 {
  let addr: u32 = 0;
  let parts = 0;
  let i = 0;
  const n = text.length;
  while (parts < 4) {
    const start = i;
    let part: u32 = 0;
    while (i < n && i - start < 3) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      part = part * 10 + <u32>(c - 0x30);
      i++;
    }
    if (i == start || part > 255) return -1;
    if (i - start > 1 && text.charCodeAt(start) == 0x30) return -1; // "010" reads as octal elsewhere
    addr = (addr << 8) | part;
    parts++;
    if (parts < 4) {
      if (i >= n || text.charCodeAt(i) != 0x2e) return -1;
      i++;
    }
  }
  return i == n ? <i64>addr : -1;
}

export function formatIpv4(addr: u32): string {
  return `${addr >> 24}.${(addr >> 16) & 0xff}.${(addr >> 8) & 0xff}.${addr & 0xff}`;
}

function refuse(config: NetConfig, message: string): NetConfig {
  config.error = message;
  return config;
}

export function isMulticastOrReserved(addr: u32): bool {
  return addr >= 0xe0000000; // 224.0.0.0/4 multicast, 240.0.0.0/4 reserved and the limited broadcast
}

/** Not 0, multicast or reserved, nor (below /31) the subnet's network or broadcast address. */
function isUsableHost(config: NetConfig, addr: u32): bool {
  const host = addr & ~config.netmask;
  return addr != 0 && !isMulticastOrReserved(addr) && (config.prefix >= 31 || (host != 0 && host != ~config.netmask));
}

/** Parses the values of `ip=` and `gw=` (null when absent); `error` says what is wrong. */
export function parseNetConfig(ip: string | null, gw: string | null): NetConfig {
  const config = new NetConfig();
  if (ip == null) return refuse(config, "net: no ip= on the command line (e.g. ip=10.77.0.2/24 gw=10.77.0.1)");
  const slash = ip.indexOf("/");
  const addr = parseIpv4(slash < 0 ? ip : ip.slice(0, slash));
  const len = slash < 0 ? "" : ip.slice(slash + 1);
  const prefix = len.length >= 1 && len.length <= 2 && (len.length == 1 || len.charCodeAt(0) != 0x30) ? parseDigits(len) : -1;
  if (addr < 0 || prefix < 0 || prefix > 32) {
    return refuse(config, `net: ip=${ip}: expected an IPv4 address and prefix length, like ip=10.77.0.2/24`);
  }
  config.ip = <u32>addr;
  config.prefix = <u32>prefix;
  config.netmask = prefix == 0 ? 0 : U32.MAX_VALUE << (32 - <u32>prefix);
  if (!isUsableHost(config, config.ip)) {
    return refuse(config, `net: ip=${ip}: not a usable host address`);
  }
  if (gw != null) {
    const g = parseIpv4(gw);
    if (g < 0) return refuse(config, `net: gw=${gw}: expected an IPv4 address, like gw=10.77.0.1`);
    config.gateway = <u32>g;
    if (!config.onLink(config.gateway) || !isUsableHost(config, config.gateway) || config.gateway == config.ip) {
      return refuse(config, `net: gw=${gw}: not a host of ${formatIpv4(config.ip & config.netmask)}/${prefix}`);
    }
  }
  return config;
}

/** Decimal digits only, or -1. */
function parseDigits(text: string): i32 {
  let v = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

/** The configuration of the unikernel's command line; panics with a one-line reason if it is malformed. */
export function netConfigFromCmdline(): NetConfig {
  const config = parseNetConfig(cmdlineArg("ip"), cmdlineArg("gw"));
  const error = config.error;
  if (error != null) panic(error);
  return config;
}

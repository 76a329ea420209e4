// Xen system time from vcpu_time_info and the TSC (xen.h's pvclock protocol),
// and the wall clock from shared_info. Integer only: the core is float-free.
import { rdtsc, rmb } from "../platform";
import { shared_info, vcpu_info, vcpu_time_info } from "../xen/xen";
import { sharedInfoPage } from "./events";

export const NS_PER_SEC: u64 = 1_000_000_000;

let last: u64 = 0;

/** (a * b) >> 32 for a 64-bit a and 32-bit b, without losing the high bits. */
// @ts-ignore: decorator
@inline function mulShift32(a: u64, b: u32): u64 {
  return (a >> 32) * b + (((a & 0xffffffff) * b) >> 32);
}

/** Nanoseconds of Xen system time; never goes backwards. */
export function monotonicNs(): u64 {
  const t = vcpu_info.time(shared_info.vcpu_info(sharedInfoPage(), 0));
  let version: u32, now: u64;
  do {
    version = vcpu_time_info.version(t);
    rmb(); // read the fields only after an even version, and recheck it after them
    let delta = rdtsc() - vcpu_time_info.tsc_timestamp(t);
    const shift = <i32>vcpu_time_info.tsc_shift(t);
    delta = shift < 0 ? delta >> <u64>-shift : delta << <u64>shift;
    now = vcpu_time_info.system_time(t) + mulShift32(delta, vcpu_time_info.tsc_to_system_mul(t));
    rmb();
  } while ((version & 1) != 0 || version != vcpu_time_info.version(t));
  if (now < last) return last; // a fresh tsc_timestamp can be a tick behind the previous read
  last = now;
  return now;
}

/** Nanoseconds since the Unix epoch: Xen's wall clock at boot plus system time. */
export function wallClockNs(): u64 {
  const si = sharedInfoPage();
  let version: u32, sec: u64, nsec: u32;
  do {
    version = shared_info.wc_version(si);
    rmb();
    sec = (<u64>shared_info.wc_sec_hi(si) << 32) | shared_info.wc_sec(si);
    nsec = shared_info.wc_nsec(si);
    rmb();
  } while ((version & 1) != 0 || version != shared_info.wc_version(si));
  return sec * NS_PER_SEC + nsec + monotonicNs();
}

/** `ns` as seconds with nine decimals ("3.000000000"), without floats. */
export function formatSeconds(ns: u64): string {
  const frac = (ns % NS_PER_SEC).toString();
  return `${ns / NS_PER_SEC}.${"000000000".slice(frac.length)}${frac}`;
}

// Xen's PV time in shared_info: vcpu_time_info of vCPU 0 (a 1 GHz TSC, so
// rdtsc returns system time in ns) and the wall clock at system time 0.
import { get, get64, put, put64 } from "./layout.ts";
import { shared_info, vcpu_info, vcpu_time_info } from "./xen/xen.ts";

/** ns = ((tsc << 1) * 2^31) >> 32: a 1 GHz TSC. */
export const TSC_TO_SYSTEM_MUL = 0x8000_0000;
export const TSC_SHIFT = 1;
/** Wall clock at system time 0 in virtual mode: 2026-01-01T00:00:00Z, fixed so runs repeat. */
export const VIRTUAL_EPOCH_NS = 1_767_225_600n * 1_000_000_000n;

const TIME = shared_info.vcpu_info.offset + vcpu_info.time.offset;

/** Publishes system time `now` (version odd while the fields change, even after). */
export function updateVcpuTime(view: DataView, now: bigint): void {
  const version = get(view, TIME, vcpu_time_info.version);
  put(view, TIME, vcpu_time_info.version, (version | 1) >>> 0);
  put64(view, TIME, vcpu_time_info.tsc_timestamp, now);
  put64(view, TIME, vcpu_time_info.system_time, now);
  put(view, TIME, vcpu_time_info.tsc_to_system_mul, TSC_TO_SYSTEM_MUL);
  put(view, TIME, vcpu_time_info.tsc_shift, TSC_SHIFT);
  put(view, TIME, vcpu_time_info.version, ((version | 1) + 1) >>> 0);
}

/** The wall clock (seconds and ns) at system time 0. */
export function updateWallclock(view: DataView, epochNs: bigint): void {
  const version = get(view, 0, shared_info.wc_version);
  put(view, 0, shared_info.wc_version, (version | 1) >>> 0);
  const sec = epochNs / 1_000_000_000n;
  put(view, 0, shared_info.wc_sec, Number(sec & 0xffff_ffffn));
  put(view, 0, shared_info.wc_sec_hi, Number(sec >> 32n));
  put(view, 0, shared_info.wc_nsec, Number(epochNs % 1_000_000_000n));
  put(view, 0, shared_info.wc_version, ((version | 1) + 1) >>> 0);
}

/** What a guest computes from vcpu_time_info and a TSC value (for checks). */
export function pvclock(view: DataView, tsc: bigint): bigint {
  const delta = tsc - get64(view, TIME, vcpu_time_info.tsc_timestamp);
  const shift = get(view, TIME, vcpu_time_info.tsc_shift);
  const scaled = shift >= 0 ? delta << BigInt(shift) : delta >> BigInt(-shift);
  const mul = BigInt(get(view, TIME, vcpu_time_info.tsc_to_system_mul));
  return get64(view, TIME, vcpu_time_info.system_time) + ((scaled * mul) >> 32n);
}

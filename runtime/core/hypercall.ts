// Typed hypercalls over the platform's raw `hypercall`: pointers become guest
// virtual addresses (linear offset + memoryBase), one scratch area holds the
// argument structs (hypercalls never block, so nothing else can reuse it meanwhile).
import { hypercall } from "../platform";
import {
  __HYPERVISOR_console_io, __HYPERVISOR_event_channel_op, __HYPERVISOR_grant_table_op,
  __HYPERVISOR_sched_op, __HYPERVISOR_update_va_mapping, __HYPERVISOR_vcpu_op, __HYPERVISOR_xen_version,
} from "../xen/xen";

let memoryBase: u64 = 0;

/** The scratch area for hypercall argument structs; the largest user is GNTTABOP_copy. */
export const scratch: usize = memory.data(256, 16);

/** Set once by boot: the guest-virtual address of linear offset 0. */
export function setMemoryBase(base: u64): void {
  memoryBase = base;
}

/** The guest-virtual address Xen sees for a linear-memory pointer. */
// @ts-ignore: decorator
@inline export function va(ptr: usize): u64 {
  return memoryBase + <u64>ptr;
}

export function HYPERVISOR_update_va_mapping(ptr: usize, pte: u64, flags: u64): i64 {
  return hypercall(__HYPERVISOR_update_va_mapping, va(ptr), pte, flags, 0, 0);
}

export function HYPERVISOR_console_io(cmd: u32, len: u32, buf: usize): i64 {
  return hypercall(__HYPERVISOR_console_io, cmd, len, va(buf), 0, 0);
}

export function HYPERVISOR_event_channel_op(cmd: u32, arg: usize): i64 {
  return hypercall(__HYPERVISOR_event_channel_op, cmd, va(arg), 0, 0, 0);
}

export function HYPERVISOR_grant_table_op(cmd: u32, uop: usize, count: u32): i64 {
  return hypercall(__HYPERVISOR_grant_table_op, cmd, va(uop), count, 0, 0);
}

export function HYPERVISOR_vcpu_op(cmd: u32, vcpu: u32, arg: usize): i64 {
  return hypercall(__HYPERVISOR_vcpu_op, cmd, vcpu, arg ? va(arg) : 0, 0, 0);
}

export function HYPERVISOR_sched_op(cmd: u32, arg: usize): i64 {
  return hypercall(__HYPERVISOR_sched_op, cmd, va(arg), 0, 0, 0);
}

export function HYPERVISOR_xen_version(cmd: u32, arg: usize): i64 {
  return hypercall(__HYPERVISOR_xen_version, cmd, arg ? va(arg) : 0, 0, 0, 0);
}

// Hostile hypercalls: every one must be refused with Xen's errno, and the
// guest keeps running to report each result.
import { exit, frame, hypercall, xchg32 } from "morgana/runtime/platform";
import { EVTCHNOP_alloc_unbound, EVTCHNOP_bind_interdomain, EVTCHNOP_bind_virq, EVTCHNOP_close, EVTCHNOP_send, evtchn_alloc_unbound, evtchn_bind_virq } from "morgana/runtime/xen/event_channel";
import { GNTMAP_host_map, GNTTABOP_copy, GNTTABOP_map_grant_ref, GNTTABOP_setup_table, gnttab_map_grant_ref, gnttab_setup_table } from "morgana/runtime/xen/grant_table";
import { SCHEDOP_block, SCHEDOP_poll } from "morgana/runtime/xen/sched";
import { VCPUOP_stop_periodic_timer } from "morgana/runtime/xen/vcpu";
import { XENVER_extraversion } from "morgana/runtime/xen/version";
import {
  CONSOLEIO_write, DOMID_SELF, UVMF_ALL, UVMF_INVLPG, __HYPERVISOR_console_io, __HYPERVISOR_event_channel_op,
  __HYPERVISOR_grant_table_op, __HYPERVISOR_sched_op, __HYPERVISOR_update_va_mapping, __HYPERVISOR_vcpu_op,
  __HYPERVISOR_xen_version, start_info,
} from "morgana/runtime/xen/xen";
import { ARG, args, bindInterdomain, evtchnOp, init, memoryBase, page, portOp, print, startInfo, va } from "morgana/test/guests/lib";

function report(name: string, rc: i64): void {
  print(name + " " + rc.toString() + "\n");
}

function uvm(addr: u64, mfn: u64, flags: u64): i64 {
  return hypercall(__HYPERVISOR_update_va_mapping, addr, (mfn << 12) | 3, flags, 0, 0);
}

export function start(startInfo_: usize, memoryBase_: u64): void {
  init(startInfo_, memoryBase_);
  const a = args();
  if (a[0] == "frame") {
    frame(<usize>memory.size() << 16);
    exit(0);
  } else if (a[0] == "atomic") {
    xchg32(page() + 2, 1);
    exit(0);
  }
  const end = memoryBase + (<u64>memory.size() << 16);
  const sharedMfn = start_info.shared_info(startInfo) >> 12;
  // Pointers outside linear memory, below it, straddling its end.
  report("alloc_unbound beyond", hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, end + 4096, 0, 0, 0));
  report("alloc_unbound below", hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, memoryBase - 8, 0, 0, 0));
  report("alloc_unbound null", hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, 0, 0, 0, 0));
  report("alloc_unbound straddling", hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, end - 4, 0, 0, 0));
  gnttab_setup_table.set_dom(ARG, <u16>DOMID_SELF);
  gnttab_setup_table.set_nr_frames(ARG, 1);
  gnttab_setup_table.set_frame_list(ARG, end);
  report("setup_table frame_list beyond", hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, va(ARG), 1, 0, 0));
  report("copy array beyond", hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_copy, va(ARG), 1 << 24, 0, 0));
  report("xen_version extraversion beyond", hypercall(__HYPERVISOR_xen_version, XENVER_extraversion, end, 0, 0, 0));
  // update_va_mapping: bad addresses and frames that are not the domain's to map.
  const p = page();
  report("uvm unaligned", uvm(va(p) + 8, sharedMfn, UVMF_INVLPG));
  report("uvm beyond", uvm(end, sharedMfn, UVMF_INVLPG));
  report("uvm host area", uvm(va(0x1000), sharedMfn, UVMF_INVLPG));
  report("uvm foreign frame", uvm(va(p), (<u64>2 << 20) | 20, UVMF_INVLPG));
  report("uvm other domain special", uvm(va(p), sharedMfn + (<u64>1 << 20), UVMF_INVLPG));
  report("uvm own page elsewhere", uvm(va(p), frame(p + 4096), UVMF_INVLPG));
  report("uvm vcpu mask", uvm(va(p), sharedMfn, UVMF_INVLPG | <u64>(ARG & ~7)));
  report("uvm own special", uvm(va(p), sharedMfn, UVMF_INVLPG | UVMF_ALL));
  // Operations a domU may not make, or that do not exist.
  report("console_io", hypercall(__HYPERVISOR_console_io, CONSOLEIO_write, 4, va(ARG), 0, 0));
  report("unknown hypercall", hypercall(99, 0, 0, 0, 0, 0));
  report("sched block", hypercall(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, 0, 0));
  report("sched poll", hypercall(__HYPERVISOR_sched_op, SCHEDOP_poll, va(ARG), 0, 0, 0));
  report("vcpu 1", hypercall(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, 1, 0, 0, 0));
  report("send bad port", portOp(EVTCHNOP_send, 5000));
  report("close port 0", portOp(EVTCHNOP_close, 0));
  report("close free port", portOp(EVTCHNOP_close, 900));
  evtchn_bind_virq.set_virq(ARG, 99);
  evtchn_bind_virq.set_vcpu(ARG, 0);
  report("bind_virq 99", evtchnOp(EVTCHNOP_bind_virq));
  report("bind_interdomain no domain", bindInterdomain(77, 1));
  report("bind_interdomain not offered", bindInterdomain(0, 1));
  evtchn_alloc_unbound.set_dom(ARG, 0);
  evtchn_alloc_unbound.set_remote_dom(ARG, <u16>DOMID_SELF);
  report("alloc_unbound for domain 0", evtchnOp(EVTCHNOP_alloc_unbound));
  gnttab_map_grant_ref.set_host_addr(ARG, va(p));
  gnttab_map_grant_ref.set_flags(ARG, GNTMAP_host_map);
  gnttab_map_grant_ref.set_ref(ARG, 8);
  gnttab_map_grant_ref.set_dom(ARG, <u16>DOMID_SELF);
  hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, va(ARG), 1, 0, 0);
  report("map_grant_ref", gnttab_map_grant_ref.status(ARG));
  exit(0);
}

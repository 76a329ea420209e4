// The Xen structs, fields and constants Morgana uses, one entry per public
// header under /usr/include/xen. Only names and Morgana-side types live here:
// gcc decides every size and offset (scripts/gen-layouts.js).
//
// Field types: u8 u16 u32 u64 i8 i16 i32 i64, an array `u8[]` (length from C),
// `handle` for a XEN_GUEST_HANDLE (a u64 address), or a struct `@name` / struct array `@name[]` of another struct of the schema.
// A dotted field name reaches into a nested struct or union (console.domU.mfn).
// `prelude`: C the probe compiles after the includes (a struct only a macro defines).

export default {
  "xen.h": {
    constants: [
      "__HYPERVISOR_set_trap_table", "__HYPERVISOR_mmu_update", "__HYPERVISOR_stack_switch",
      "__HYPERVISOR_set_callbacks", "__HYPERVISOR_memory_op", "__HYPERVISOR_update_va_mapping",
      "__HYPERVISOR_set_timer_op", "__HYPERVISOR_xen_version", "__HYPERVISOR_console_io",
      "__HYPERVISOR_grant_table_op", "__HYPERVISOR_vm_assist", "__HYPERVISOR_iret",
      "__HYPERVISOR_vcpu_op", "__HYPERVISOR_mmuext_op", "__HYPERVISOR_sched_op",
      "__HYPERVISOR_callback_op", "__HYPERVISOR_event_channel_op", "__HYPERVISOR_physdev_op",
      "UVMF_NONE", "UVMF_TLB_FLUSH", "UVMF_INVLPG", "UVMF_LOCAL", "UVMF_ALL",
      "MMU_NORMAL_PT_UPDATE", "MMU_MACHPHYS_UPDATE",
      "CONSOLEIO_write", "CONSOLEIO_read",
      "DOMID_SELF", "DOMID_FIRST_RESERVED", "DOMID_IDLE", "DOMID_INVALID",
      "SIF_PRIVILEGED", "SIF_INITDOMAIN",
      "VIRQ_TIMER", "VIRQ_DEBUG", "VIRQ_CONSOLE", "VIRQ_DOM_EXC",
      "NR_VIRQS", "MAX_GUEST_CMDLINE", "XEN_LEGACY_MAX_VCPUS",
    ],
    structs: {
      start_info: {
        magic: "u8[]", nr_pages: "u64", shared_info: "u64", flags: "u32",
        store_mfn: "u64", store_evtchn: "u32",
        "console.domU.mfn": "u64", "console.domU.evtchn": "u32",
        "console.dom0.info_off": "u32", "console.dom0.info_size": "u32",
        pt_base: "u64", nr_pt_frames: "u64", mfn_list: "u64", mod_start: "u64", mod_len: "u64",
        cmd_line: "i8[]", first_p2m_pfn: "u64", nr_p2m_frames: "u64",
      },
      vcpu_time_info: {
        version: "u32", tsc_timestamp: "u64", system_time: "u64",
        tsc_to_system_mul: "u32", tsc_shift: "i8", flags: "u8",
      },
      vcpu_info: {
        evtchn_upcall_pending: "u8", evtchn_upcall_mask: "u8", evtchn_pending_sel: "u64",
        arch: "@arch_vcpu_info", time: "@vcpu_time_info",
      },
      arch_vcpu_info: { cr2: "u64" },
      shared_info: {
        vcpu_info: "@vcpu_info[]", evtchn_pending: "u64[]", evtchn_mask: "u64[]",
        wc_version: "u32", wc_sec: "u32", wc_nsec: "u32", wc_sec_hi: "u32",
      },
      mmu_update: { ptr: "u64", val: "u64" },
    },
  },
  "event_channel.h": {
    constants: [
      "EVTCHNOP_bind_interdomain", "EVTCHNOP_bind_virq", "EVTCHNOP_close", "EVTCHNOP_send",
      "EVTCHNOP_status", "EVTCHNOP_alloc_unbound", "EVTCHNOP_bind_ipi", "EVTCHNOP_bind_vcpu",
      "EVTCHNOP_unmask",
      "EVTCHNSTAT_closed", "EVTCHNSTAT_unbound", "EVTCHNSTAT_interdomain", "EVTCHNSTAT_pirq",
      "EVTCHNSTAT_virq", "EVTCHNSTAT_ipi",
    ],
    structs: {
      evtchn_alloc_unbound: { dom: "u16", remote_dom: "u16", port: "u32" },
      evtchn_bind_interdomain: { remote_dom: "u16", remote_port: "u32", local_port: "u32" },
      evtchn_bind_virq: { virq: "u32", vcpu: "u32", port: "u32" },
      evtchn_close: { port: "u32" },
      evtchn_send: { port: "u32" },
      evtchn_unmask: { port: "u32" },
      evtchn_status: {
        dom: "u16", port: "u32", status: "u32", vcpu: "u32",
        "u.unbound.dom": "u16", "u.interdomain.dom": "u16", "u.interdomain.port": "u32",
        "u.virq": "u32",
      },
    },
  },
  "grant_table.h": {
    constants: [
      "GNTTABOP_map_grant_ref", "GNTTABOP_unmap_grant_ref", "GNTTABOP_setup_table",
      "GNTTABOP_dump_table", "GNTTABOP_copy", "GNTTABOP_query_size",
      "GNTTAB_NR_RESERVED_ENTRIES",
      "GTF_invalid", "GTF_permit_access", "GTF_accept_transfer", "GTF_transitive", "GTF_type_mask",
      "GTF_readonly", "GTF_reading", "GTF_writing", "GTF_sub_page",
      "GNTCOPY_source_gref", "GNTCOPY_dest_gref",
      "GNTMAP_device_map", "GNTMAP_host_map", "GNTMAP_readonly",
      "GNTST_okay", "GNTST_general_error", "GNTST_bad_domain", "GNTST_bad_gntref",
      "GNTST_bad_handle", "GNTST_bad_virt_addr", "GNTST_bad_dev_addr", "GNTST_no_device_space",
      "GNTST_permission_denied", "GNTST_bad_page", "GNTST_bad_copy_arg", "GNTST_address_too_big",
      "GNTST_eagain", "GNTST_no_space",
    ],
    structs: {
      grant_entry_v1: { flags: "u16", domid: "u16", frame: "u32" },
      gnttab_setup_table: { dom: "u16", nr_frames: "u32", status: "i16", frame_list: "handle" },
      gnttab_query_size: { dom: "u16", nr_frames: "u32", max_nr_frames: "u32", status: "i16" },
      gnttab_copy: {
        "source.u.ref": "u32", "source.u.gmfn": "u64", "source.domid": "u16", "source.offset": "u16",
        "dest.u.ref": "u32", "dest.u.gmfn": "u64", "dest.domid": "u16", "dest.offset": "u16",
        len: "u16", flags: "u16", status: "i16",
      },
      gnttab_map_grant_ref: {
        host_addr: "u64", flags: "u32", ref: "u32", dom: "u16", status: "i16", handle: "u32",
        dev_bus_addr: "u64",
      },
      gnttab_unmap_grant_ref: { host_addr: "u64", dev_bus_addr: "u64", handle: "u32", status: "i16" },
    },
  },
  "sched.h": {
    constants: [
      "SCHEDOP_yield", "SCHEDOP_block", "SCHEDOP_shutdown", "SCHEDOP_poll",
      "SHUTDOWN_poweroff", "SHUTDOWN_reboot", "SHUTDOWN_suspend", "SHUTDOWN_crash",
      "SHUTDOWN_watchdog",
    ],
    structs: {
      sched_shutdown: { reason: "u32" },
      sched_poll: { ports: "handle", nr_ports: "u32", timeout: "u64" },
    },
  },
  "vcpu.h": {
    constants: [
      "VCPUOP_initialise", "VCPUOP_up", "VCPUOP_down", "VCPUOP_is_up",
      "VCPUOP_set_periodic_timer", "VCPUOP_stop_periodic_timer",
      "VCPUOP_set_singleshot_timer", "VCPUOP_stop_singleshot_timer",
      "VCPU_SSHOTTMR_future",
    ],
    structs: {
      vcpu_set_singleshot_timer: { timeout_abs_ns: "u64", flags: "u32" },
    },
  },
  // <xen/errno.h>: hypercalls return these negated (the enum's names carry a XEN_ prefix);
  // i32, so `-XEN_EIO` is the negative status every call site compares with.
  "errno.h": {
    constantType: "i32",
    constants: [
      "XEN_EPERM", "XEN_ENOENT", "XEN_ESRCH", "XEN_EBADF", "XEN_EAGAIN", "XEN_ENOMEM", "XEN_EFAULT",
      "XEN_EBUSY", "XEN_EEXIST", "XEN_EINVAL", "XEN_ENOSPC", "XEN_ENOSYS", "XEN_ETIME",
      // The rest of xs_wire.h's xsd_errors, and the xenstore client's own failures.
      "XEN_EIO", "XEN_E2BIG", "XEN_EACCES", "XEN_EISDIR", "XEN_EROFS", "XEN_ENOTEMPTY", "XEN_EISCONN",
      "XEN_EBADMSG", "XEN_ETIMEDOUT",
      // blkif's BLKIF_RSP_EOPNOTSUPP, as blkfront reports it.
      "XEN_EOPNOTSUPP",
    ],
    structs: {},
  },
  "version.h": {
    constants: ["XENVER_version", "XENVER_extraversion"],
    structs: {},
  },
  "io/xs_wire.h": {
    constants: [
      "XS_CONTROL", "XS_DIRECTORY", "XS_READ", "XS_GET_PERMS", "XS_WATCH", "XS_UNWATCH",
      "XS_TRANSACTION_START", "XS_TRANSACTION_END", "XS_INTRODUCE", "XS_RELEASE",
      "XS_GET_DOMAIN_PATH", "XS_WRITE", "XS_MKDIR", "XS_RM", "XS_SET_PERMS", "XS_WATCH_EVENT",
      "XS_ERROR", "XS_IS_DOMAIN_INTRODUCED", "XS_RESUME", "XS_SET_TARGET", "XS_RESET_WATCHES",
      "XS_DIRECTORY_PART", "XS_TYPE_COUNT", "XS_INVALID",
      "XS_WATCH_PATH", "XS_WATCH_TOKEN",
      "XENSTORE_RING_SIZE", "XENSTORE_PAYLOAD_MAX", "XENSTORE_ABS_PATH_MAX", "XENSTORE_REL_PATH_MAX",
      "XENSTORE_SERVER_FEATURE_RECONNECTION", "XENSTORE_SERVER_FEATURE_ERROR",
      "XENSTORE_CONNECTED", "XENSTORE_RECONNECT",
      "XENSTORE_ERROR_NONE", "XENSTORE_ERROR_COMM", "XENSTORE_ERROR_RINGIDX", "XENSTORE_ERROR_PROTO",
    ],
    structs: {
      xsd_sockmsg: { type: "u32", req_id: "u32", tx_id: "u32", len: "u32" },
      xenstore_domain_interface: {
        req: "u8[]", rsp: "u8[]", req_cons: "u32", req_prod: "u32", rsp_cons: "u32", rsp_prod: "u32",
        server_features: "u32", connection: "u32", error: "u32",
      },
    },
  },
  "io/xenbus.h": {
    constants: [
      "XenbusStateUnknown", "XenbusStateInitialising", "XenbusStateInitWait",
      "XenbusStateInitialised", "XenbusStateConnected", "XenbusStateClosing", "XenbusStateClosed",
      "XenbusStateReconfiguring", "XenbusStateReconfigured",
    ],
    structs: {},
  },
  "io/console.h": {
    constants: [],
    structs: {
      xencons_interface: {
        in: "u8[]", out: "u8[]", in_cons: "u32", in_prod: "u32", out_cons: "u32", out_prod: "u32",
      },
    },
  },
  // ring.h defines no struct of its own: the probe instantiates DEFINE_RING_TYPES once with
  // one-byte slots, and generic_sring's header (every X_sring's) is runtime/ring/'s. In the
  // per-protocol srings, `ring: "u8[]"` measures one slot, sizeof(union X_sring_entry), as LENGTH_ring.
  "io/ring.h": {
    prelude: "DEFINE_RING_TYPES(generic, uint8_t, uint8_t);",
    constants: ["XEN_PAGE_SHIFT"],
    structs: {
      generic_sring: {
        req_prod: "u32", req_event: "u32", rsp_prod: "u32", rsp_event: "u32",
        "pvt.pvt_pad": "u8[]", __pad: "u8[]", ring: "u8[]",
      },
    },
  },
  "io/blkif.h": {
    constants: [
      "BLKIF_OP_READ", "BLKIF_OP_WRITE", "BLKIF_OP_WRITE_BARRIER", "BLKIF_OP_FLUSH_DISKCACHE",
      "BLKIF_OP_DISCARD", "BLKIF_OP_INDIRECT",
      "BLKIF_RSP_OKAY", "BLKIF_RSP_ERROR", "BLKIF_RSP_EOPNOTSUPP",
      "BLKIF_MAX_SEGMENTS_PER_REQUEST", "BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST", "BLKIF_DISCARD_SECURE",
      "VDISK_CDROM", "VDISK_REMOVABLE", "VDISK_READONLY",
    ],
    structs: {
      blkif_request_segment: { gref: "u32", first_sect: "u8", last_sect: "u8" },
      blkif_request: {
        operation: "u8", nr_segments: "u8", handle: "u16", id: "u64", sector_number: "u64",
        seg: "@blkif_request_segment[]",
      },
      blkif_request_discard: {
        operation: "u8", flag: "u8", handle: "u16", id: "u64", sector_number: "u64", nr_sectors: "u64",
      },
      blkif_request_indirect: {
        operation: "u8", indirect_op: "u8", nr_segments: "u16", id: "u64", sector_number: "u64",
        handle: "u16", indirect_grefs: "u32[]",
      },
      blkif_response: { id: "u64", operation: "u8", status: "i16" },
      blkif_sring: {
        req_prod: "u32", req_event: "u32", rsp_prod: "u32", rsp_event: "u32",
        "pvt.pvt_pad": "u8[]", __pad: "u8[]", ring: "u8[]",
      },
    },
  },
  "io/netif.h": {
    constants: [
      "XEN_NETIF_NR_SLOTS_MIN", "XEN_NETIF_MAX_TX_SIZE",
      "NETTXF_csum_blank", "NETTXF_data_validated", "NETTXF_more_data", "NETTXF_extra_info",
      "NETRXF_data_validated", "NETRXF_csum_blank", "NETRXF_more_data", "NETRXF_extra_info", "NETRXF_gso_prefix",
      "XEN_NETIF_EXTRA_TYPE_NONE", "XEN_NETIF_EXTRA_TYPE_GSO", "XEN_NETIF_EXTRA_TYPE_MCAST_ADD",
      "XEN_NETIF_EXTRA_TYPE_MCAST_DEL", "XEN_NETIF_EXTRA_TYPE_HASH", "XEN_NETIF_EXTRA_TYPE_MAX",
      "XEN_NETIF_EXTRA_FLAG_MORE", "XEN_NETIF_GSO_TYPE_NONE", "XEN_NETIF_GSO_TYPE_TCPV4",
      "NETIF_RSP_DROPPED", "NETIF_RSP_ERROR", "NETIF_RSP_OKAY", "NETIF_RSP_NULL",
    ],
    structs: {
      netif_tx_request: { gref: "u32", offset: "u16", flags: "u16", id: "u16", size: "u16" },
      netif_tx_response: { id: "u16", status: "i16" },
      netif_rx_request: { id: "u16", gref: "u32" },
      netif_rx_response: { id: "u16", offset: "u16", flags: "u16", status: "i16" },
      netif_extra_info: {
        type: "u8", flags: "u8", "u.gso.size": "u16", "u.gso.type": "u8", "u.gso.features": "u16",
      },
      netif_tx_sring: {
        req_prod: "u32", req_event: "u32", rsp_prod: "u32", rsp_event: "u32",
        "pvt.pvt_pad": "u8[]", __pad: "u8[]", ring: "u8[]",
      },
      netif_rx_sring: {
        req_prod: "u32", req_event: "u32", rsp_prod: "u32", rsp_event: "u32",
        "pvt.pvt_pad": "u8[]", __pad: "u8[]", ring: "u8[]",
      },
    },
  },
};

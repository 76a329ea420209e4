// Morgana's own constants that both hosts and the core share: the host area of
// linear memory, the platform ABI's imports and exports, the hypercall
// allow-list, and the xenstore keys of the device protocols. One source:
// scripts/gen-layouts.js writes runtime/abi.ts (AssemblyScript), sim/abi.ts
// (TypeScript), boot/abi.h (C) and runtime/xen/io/keys.ts + sim/xen/io/keys.ts.
// Xen's own numbers (hypercall and sub-op names) are resolved by gcc against
// /usr/include/xen, never typed here.

export default {
  /** [name, value, comment]: offsets in linear memory below HOST_AREA_END, which the module never uses. */
  hostArea: [
    ["RANDOM_SEED_OFFSET", 0x800, "32 bytes of seed the host writes before instantiating (runtime/core/random.ts)"],
    ["RANDOM_SEED_SIZE", 32, "the seed's length: one ChaCha20 key"],
    ["RANDOM_SOURCE_OFFSET", 0x820, "u32: the RANDOM_SOURCE_* that made the seed"],
    ["START_INFO_OFFSET", 0x1000, "the host's copy of Xen's start_info page"],
    ["ASYNCIFY_DATA_OFFSET", 0x2000, "the simulator's Asyncify data: [ASYNCIFY_DATA_OFFSET, HOST_AREA_END)"],
    ["HOST_AREA_END", 0x10000, "first byte the module owns; asc is called with --memoryBase equal to it"],
  ],
  /** [name, value, comment]: values of host-area fields and of the contract. */
  values: [
    ["RANDOM_SOURCE_SIM_SEED", 1, "the simulator's run seed (--seed), per domain"],
    ["RANDOM_SOURCE_RDRAND", 2, "the CPU's RDRAND (CPUID.01H:ECX.RDRAND)"],
    ["RANDOM_SOURCE_TSC_JITTER", 3, "timing jitter of the TSC, where RDRAND is missing"],
    ["ASYNCIFY_UNWINDING", 1, "asyncify_get_state() while unwinding (Binaryen's Asyncify pass)"],
  ],
  /** The platform ABI's function imports from `env` (runtime/platform.ts declares them; boot/imports.c and sim/domain.ts implement them). */
  imports: {
    hypercall: [["i32", "i64", "i64", "i64", "i64", "i64"], "i64"],
    block: [["i64"], null],
    mb: [[], null], rmb: [[], null], wmb: [[], null],
    xchg16: [["i32", "i32"], "i32"], xchg32: [["i32", "i32"], "i32"], xchg64: [["i32", "i64"], "i64"],
    cmpxchg16: [["i32", "i32", "i32"], "i32"], cmpxchg32: [["i32", "i32", "i32"], "i32"], cmpxchg64: [["i32", "i64", "i64"], "i64"],
    fetch_and16: [["i32", "i32"], "i32"], fetch_and32: [["i32", "i32"], "i32"], fetch_and64: [["i32", "i64"], "i64"],
    fetch_or16: [["i32", "i32"], "i32"], fetch_or32: [["i32", "i32"], "i32"], fetch_or64: [["i32", "i64"], "i64"],
    frame: [["i32"], "i64"],
    rdtsc: [[], "i64"],
    exit: [["i32"], null],
  },
  /** Exports the hosts call: the entry and Binaryen Asyncify's controls (the simulator's). */
  exports: {
    start: [["i32", "i64"], null],
    asyncify_start_unwind: [["i32"], null],
    asyncify_stop_unwind: [[], null],
    asyncify_start_rewind: [["i32"], null],
    asyncify_stop_rewind: [[], null],
    asyncify_get_state: [[], "i32"],
  },
  /**
   * The hypercall allow-list both hosts apply before anything else: each
   * allowed hypercall with its allowed sub-ops (null: the hypercall takes
   * none). Anything else is -ENOSYS on both (SCHEDOP_block and SCHEDOP_poll
   * too: waiting is the `block` import). Each host then validates the
   * arguments of what it lets through.
   */
  hypercalls: {
    __HYPERVISOR_update_va_mapping: null,
    __HYPERVISOR_console_io: ["CONSOLEIO_write", "CONSOLEIO_read"],
    __HYPERVISOR_grant_table_op: [
      "GNTTABOP_setup_table", "GNTTABOP_query_size", "GNTTABOP_copy", "GNTTABOP_map_grant_ref", "GNTTABOP_unmap_grant_ref",
    ],
    __HYPERVISOR_vcpu_op: ["VCPUOP_stop_periodic_timer", "VCPUOP_set_singleshot_timer", "VCPUOP_stop_singleshot_timer"],
    __HYPERVISOR_sched_op: ["SCHEDOP_yield", "SCHEDOP_shutdown"],
    __HYPERVISOR_event_channel_op: [
      "EVTCHNOP_alloc_unbound", "EVTCHNOP_bind_interdomain", "EVTCHNOP_bind_virq", "EVTCHNOP_send",
      "EVTCHNOP_close", "EVTCHNOP_unmask", "EVTCHNOP_status",
    ],
    __HYPERVISOR_xen_version: ["XENVER_version", "XENVER_extraversion"],
  },
  /**
   * xenstore keys and values of the device protocols, as both sides (the
   * frontends in drivers/, the simulated backends and toolstack in sim/) use
   * them: key name -> text. Their meaning is in the comments of the Xen
   * header each group is named after.
   */
  keys: {
    xenbus: {
      state: "state", backend: "backend", backend_id: "backend-id", frontend: "frontend",
      frontend_id: "frontend-id", online: "online", hotplug_status: "hotplug-status", protocol: "protocol",
      protocol_x86_64: "x86_64-abi", device_type: "device-type", handle: "handle",
    },
    blkif: {
      ring_ref: "ring-ref", ring_page_order: "ring-page-order", max_ring_page_order: "max-ring-page-order",
      event_channel: "event-channel", sectors: "sectors", info: "info", sector_size: "sector-size",
      feature_flush_cache: "feature-flush-cache", feature_barrier: "feature-barrier",
      feature_persistent: "feature-persistent", feature_discard: "feature-discard",
      feature_max_indirect_segments: "feature-max-indirect-segments", params: "params", mode: "mode",
    },
    netif: {
      tx_ring_ref: "tx-ring-ref", rx_ring_ref: "rx-ring-ref", event_channel: "event-channel",
      event_channel_tx: "event-channel-tx", event_channel_rx: "event-channel-rx", request_rx_copy: "request-rx-copy",
      feature_rx_copy: "feature-rx-copy", feature_rx_flip: "feature-rx-flip", feature_rx_notify: "feature-rx-notify",
      feature_sg: "feature-sg", feature_no_csum_offload: "feature-no-csum-offload",
      feature_gso_tcpv4: "feature-gso-tcpv4", feature_split_event_channels: "feature-split-event-channels",
      multi_queue_max_queues: "multi-queue-max-queues", multi_queue_num_queues: "multi-queue-num-queues", mac: "mac",
    },
  },
};

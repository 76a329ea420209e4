/* The `hypercall` import: the only way wasm code reaches Xen, so the only
   way it could reach the stub. It allows the operations the core uses and
   validates every pointer, nested pointer and frame they carry: pointers must
   lie in linear memory, mappings may only land on linear memory and only show
   frames the domain may map (shared_info, its console and xenstore pages, the
   grant frames Xen gave it, linear memory's own frames), and grant copies and
   maps of its own grants only reach linear memory. Structures holding nested
   pointers or frames are copied into the stub before they are checked, so the
   checked copy is the one Xen reads. Anything outside the allow-list of
   scripts/abi-schema.js (boot/abi.h, the simulator's too) is -ENOSYS. */
#include "stub.h"
#include "app.h"

#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>

#define MAX_GRANT_FRAMES 32
#define BATCH 16 /* grant operations copied into the stub per hypercall */
#define GRANTS_PER_FRAME (PAGE_SIZE / sizeof(grant_entry_v1_t))
/* A PTE may carry a frame and these bits only: no PAT, PCD, PWT or global. */
#define PTE_ALLOWED (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_NX | PTE_FRAME)
#define PTE_FRAME (((1ul << 52) - 1) & ~(PAGE_SIZE - 1))

bool timer_virq_bound;
static evtchn_port_t timer_port;
static xen_pfn_t grant_frames[MAX_GRANT_FRAMES];
static uint32_t nr_grant_frames;

static bool own_domain(domid_t dom) { return dom == DOMID_SELF || dom == own_domid; }

/* Frames the domain may map over the linear page at `offset`: its special
   frames, or the page's own frame back (no aliasing of linear memory). */
static bool mappable(xen_pfn_t mfn, uint64_t offset) {
  if (mfn == start_info->shared_info >> PAGE_SHIFT) return true;
  if (!is_dom0() && (mfn == start_info->console.domU.mfn || mfn == start_info->store_mfn)) return true;
  for (uint32_t i = 0; i < nr_grant_frames; i++)
    if (mfn == grant_frames[i]) return true;
  return mfn == linear_page_frame(offset);
}

/* Our own grant `ref` may only ever show a frame of linear memory. */
static bool own_grant_safe(grant_ref_t ref) {
  if (ref >= nr_grant_frames * GRANTS_PER_FRAME) return true; /* Xen refuses it */
  const grant_entry_v1_t *entries = map_scratch(grant_frames[ref / GRANTS_PER_FRAME], false);
  grant_entry_v1_t entry = entries[ref % GRANTS_PER_FRAME];
  unmap_scratch();
  return (entry.flags & GTF_type_mask) != GTF_permit_access || linear_frame(entry.frame);
}

/* Errors as the simulator's (sim/hypercalls.ts): -EINVAL for a bad page or
   flags, -EPERM for a frame the domain may not map there. A PTE that is not
   present puts the page's own frame back, as there. */
static long update_va_mapping(uint64_t va, uint64_t pte, uint64_t flags) {
  uint64_t offset = va - MEMORY_BASE;
  if (va % PAGE_SIZE || !in_linear(va, PAGE_SIZE) || offset < HOST_AREA_END) return -XEN_EINVAL;
  /* UVMF_LOCAL or UVMF_ALL: any other bits are UVMF_MULTI's vcpu-mask pointer. */
  if ((flags & ~UVMF_FLUSHTYPE_MASK) != UVMF_LOCAL && (flags & ~UVMF_FLUSHTYPE_MASK) != UVMF_ALL) return -XEN_EINVAL;
  if (!(pte & _PAGE_PRESENT)) pte = (linear_page_frame(offset) << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_RW;
  if (pte & ~PTE_ALLOWED) return -XEN_EPERM;
  if (!mappable((pte & PTE_FRAME) >> PAGE_SHIFT, offset)) return -XEN_EPERM;
  return HYPERCALL3(__HYPERVISOR_update_va_mapping, va, pte | _PAGE_NX, flags);
}

static long setup_table(uint64_t uop, uint64_t count) {
  struct gnttab_setup_table setup;
  static xen_pfn_t frames[MAX_GRANT_FRAMES];
  if (count != 1) return -XEN_EINVAL;
  if (!in_linear(uop, sizeof setup)) return -XEN_EFAULT;
  memcpy(&setup, (void *)uop, sizeof setup);
  uint64_t list = (uintptr_t)setup.frame_list.p;
  if (!own_domain(setup.dom) || setup.nr_frames > MAX_GRANT_FRAMES) return -XEN_EINVAL;
  if (!in_linear(list, setup.nr_frames * sizeof(xen_pfn_t))) return -XEN_EFAULT;
  set_xen_guest_handle(setup.frame_list, frames);
  long rc = HYPERCALL3(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &setup, 1);
  if (rc == 0 && setup.status == GNTST_okay) {
    memcpy(grant_frames, frames, setup.nr_frames * sizeof(xen_pfn_t));
    if (setup.nr_frames > nr_grant_frames) nr_grant_frames = setup.nr_frames;
    memcpy((void *)list, frames, setup.nr_frames * sizeof(xen_pfn_t));
  }
  ((struct gnttab_setup_table *)uop)->status = setup.status;
  return rc;
}

/* A local side of a copy: a frame of linear memory, or an own grant of one. */
static bool copy_side_safe(const struct gnttab_copy_ptr *side, bool gref) {
  if (side->offset >= PAGE_SIZE) return false;
  if (gref) return !own_domain(side->domid) || own_grant_safe(side->u.ref);
  return own_domain(side->domid) && linear_frame(side->u.gmfn);
}

static bool copy_safe(const struct gnttab_copy *c) {
  return !(c->flags & ~(GNTCOPY_source_gref | GNTCOPY_dest_gref)) &&
         copy_side_safe(&c->source, c->flags & GNTCOPY_source_gref) &&
         copy_side_safe(&c->dest, c->flags & GNTCOPY_dest_gref);
}

static bool map_safe(const struct gnttab_map_grant_ref *m) {
  uint32_t flags = m->flags & ~GNTMAP_readonly;
  return flags == GNTMAP_host_map && m->host_addr % PAGE_SIZE == 0 && in_linear(m->host_addr, PAGE_SIZE) &&
         (!own_domain(m->dom) || own_grant_safe(m->ref));
}

static bool unmap_safe(const struct gnttab_unmap_grant_ref *u) {
  return u->host_addr % PAGE_SIZE == 0 && in_linear(u->host_addr, PAGE_SIZE) && u->dev_bus_addr == 0;
}

/* Xen does not flush the TLB when a grant map replaces a present entry (it
   expects a hole there): drop the stale translation of each mapped page. */
static void flush_mapped(const struct gnttab_map_grant_ref *maps, uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    if (maps[i].status != GNTST_okay) continue;
    struct mmuext_op flush = {.cmd = MMUEXT_INVLPG_LOCAL, .arg1.linear_addr = maps[i].host_addr};
    HYPERCALL4(__HYPERVISOR_mmuext_op, &flush, 1, NULL, DOMID_SELF);
  }
}

/* Copies a batch in, checks every element, runs it, copies it back out;
   `after` sees the stub's copy once Xen has run it. */
#define BATCHED(name, type, safe, after)                                          \
  static long name(unsigned cmd, uint64_t uop, uint64_t count) {                  \
    static type batch[BATCH];                                                     \
    if (count > UINT32_MAX / sizeof(type) || !in_linear(uop, count * sizeof(type))) \
      return -XEN_EFAULT;                                                         \
    for (uint64_t done = 0; done < count; done += BATCH) {                        \
      uint64_t n = count - done < BATCH ? count - done : BATCH;                   \
      type *user = (type *)uop + done;                                            \
      memcpy(batch, user, n * sizeof(type));                                      \
      for (uint64_t i = 0; i < n; i++)                                            \
        if (!safe(&batch[i])) return -XEN_EPERM;                                  \
      long rc = HYPERCALL3(__HYPERVISOR_grant_table_op, cmd, batch, n);           \
      after(batch, n);                                                            \
      memcpy(user, batch, n * sizeof(type));                                      \
      if (rc) return rc;                                                          \
    }                                                                             \
    return 0;                                                                     \
  }
#define NOTHING(batch, n) ((void)(batch), (void)(n))
BATCHED(grant_copy, struct gnttab_copy, copy_safe, NOTHING)
BATCHED(grant_map, struct gnttab_map_grant_ref, map_safe, flush_mapped)
BATCHED(grant_unmap, struct gnttab_unmap_grant_ref, unmap_safe, NOTHING)

static long grant_table_op(uint64_t cmd, uint64_t uop, uint64_t count) {
  switch (cmd) {
  case GNTTABOP_setup_table: return setup_table(uop, count);
  case GNTTABOP_query_size:
    if (count != 1) return -XEN_EINVAL;
    if (!in_linear(uop, sizeof(struct gnttab_query_size))) return -XEN_EFAULT;
    return HYPERCALL3(__HYPERVISOR_grant_table_op, cmd, uop, 1);
  case GNTTABOP_copy: return grant_copy(cmd, uop, count);
  case GNTTABOP_map_grant_ref: return grant_map(cmd, uop, count);
  case GNTTABOP_unmap_grant_ref: return grant_unmap(cmd, uop, count);
  default: return -XEN_ENOSYS;
  }
}

static long event_channel_op(uint64_t cmd, uint64_t arg) {
  static const size_t sizes[] = {
      [EVTCHNOP_alloc_unbound] = sizeof(struct evtchn_alloc_unbound),
      [EVTCHNOP_bind_interdomain] = sizeof(struct evtchn_bind_interdomain),
      [EVTCHNOP_bind_virq] = sizeof(struct evtchn_bind_virq),
      [EVTCHNOP_send] = sizeof(struct evtchn_send),
      [EVTCHNOP_close] = sizeof(struct evtchn_close),
      [EVTCHNOP_unmask] = sizeof(struct evtchn_unmask),
      [EVTCHNOP_status] = sizeof(struct evtchn_status),
  };
  if (cmd >= sizeof sizes / sizeof *sizes || !sizes[cmd]) return -XEN_ENOSYS;
  if (!in_linear(arg, sizes[cmd])) return -XEN_EFAULT;
  long rc = HYPERCALL2(__HYPERVISOR_event_channel_op, cmd, arg);
  /* `block` needs VIRQ_TIMER bound, or a blocked domain would never wake. */
  if (rc == 0 && cmd == EVTCHNOP_bind_virq && ((struct evtchn_bind_virq *)arg)->virq == VIRQ_TIMER) {
    timer_virq_bound = true;
    timer_port = ((struct evtchn_bind_virq *)arg)->port;
  }
  if (rc == 0 && cmd == EVTCHNOP_close && ((struct evtchn_close *)arg)->port == timer_port)
    timer_virq_bound = false;
  return rc;
}

static long vcpu_op(uint64_t cmd, uint64_t vcpu, uint64_t arg) {
  switch (cmd) {
  case VCPUOP_stop_periodic_timer:
  case VCPUOP_stop_singleshot_timer: return HYPERCALL3(__HYPERVISOR_vcpu_op, cmd, vcpu, 0);
  case VCPUOP_set_singleshot_timer:
    if (!in_linear(arg, sizeof(struct vcpu_set_singleshot_timer))) return -XEN_EFAULT;
    return HYPERCALL3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
  default: return -XEN_ENOSYS;
  }
}

static long sched_op(uint64_t cmd, uint64_t arg) {
  switch (cmd) {
  case SCHEDOP_yield: return HYPERCALL2(__HYPERVISOR_sched_op, cmd, 0);
  case SCHEDOP_shutdown: {
    struct sched_shutdown shutdown;
    if (!in_linear(arg, sizeof shutdown)) return -XEN_EFAULT;
    memcpy(&shutdown, (void *)arg, sizeof shutdown);
    /* suspend and soft_reset would resume a stub that never prepared for it */
    if (shutdown.reason != SHUTDOWN_poweroff && shutdown.reason != SHUTDOWN_reboot &&
        shutdown.reason != SHUTDOWN_crash)
      return -XEN_EINVAL;
    return HYPERCALL2(__HYPERVISOR_sched_op, cmd, &shutdown);
  }
  default: return -XEN_ENOSYS; /* block and poll wait: that is the `block` import */
  }
}

/* XENVER_version takes no buffer; XENVER_extraversion fills an xen_extraversion_t. */
static long xen_version(uint64_t cmd, uint64_t arg) {
  if (cmd == XENVER_version) return HYPERCALL2(__HYPERVISOR_xen_version, cmd, 0);
  if (!in_linear(arg, sizeof(xen_extraversion_t))) return -XEN_EFAULT;
  return HYPERCALL2(__HYPERVISOR_xen_version, cmd, arg);
}

u64 Z_envZ_hypercall(struct Z_env_instance_t *env, u32 op, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
  (void)env, (void)a4, (void)a5;
  if (!hypercall_allowed(op, a1)) return -XEN_ENOSYS;
  switch (op) {
  case __HYPERVISOR_update_va_mapping: return update_va_mapping(a1, a2, a3);
  case __HYPERVISOR_console_io: /* CONSOLEIO_write or CONSOLEIO_read: a2 bytes at a3 */
    if (!in_linear(a3, a2)) return -XEN_EFAULT;
    return HYPERCALL3(__HYPERVISOR_console_io, a1, a2, a3);
  case __HYPERVISOR_grant_table_op: return grant_table_op(a1, a2, a3);
  case __HYPERVISOR_vcpu_op: return vcpu_op(a1, a2, a3);
  case __HYPERVISOR_sched_op: return sched_op(a1, a2);
  case __HYPERVISOR_event_channel_op: return event_channel_op(a1, a2);
  case __HYPERVISOR_xen_version: return xen_version(a1, a2);
  default: return -XEN_ENOSYS;
  }
}

/* stub_main: from Xen's start_info to the module's `start` export. */
#include "stub.h"
#include "app.h"

#include <xen/event_channel.h>

#ifndef MORGANA_MEMORY_INITIAL_PAGES /* cli/xen-image.ts: env.memory's declared limits */
#error "MORGANA_MEMORY_INITIAL_PAGES and MORGANA_MEMORY_MAXIMUM_PAGES must be defined"
#endif

start_info_t *start_info;
shared_info_t *shared_info;
domid_t own_domid;

/* A whole page: its mapping is replaced by Xen's shared_info frame. */
static char shared_info_page[PAGE_SIZE] __attribute__((aligned(4096)));
static Z_app_instance_t instance;
extern char boot_stack_guard[];

wasm_rt_memory_t *Z_envZ_memory(struct Z_env_instance_t *env) { return (void)env, &linear_memory; }

/* map_grant_ref refuses DOMID_SELF: learn the real domid from an unbound port. */
static domid_t find_own_domid(void) {
  struct evtchn_alloc_unbound alloc = {.dom = DOMID_SELF, .remote_dom = DOMID_SELF};
  if (HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, &alloc))
    crash("morgana: EVTCHNOP_alloc_unbound failed");
  struct evtchn_status status = {.dom = DOMID_SELF, .port = alloc.port};
  if (HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_status, &status))
    crash("morgana: EVTCHNOP_status failed");
  struct evtchn_close close = {.port = alloc.port};
  HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_close, &close);
  return status.u.unbound.dom;
}

static bool has_word(const char *line, const char *word) {
  size_t n = strlen(word);
  for (const char *p = line; *p; p++)
    if ((p == line || p[-1] == ' ') && !memcmp(p, word, n) && (p[n] == ' ' || p[n] == 0)) return true;
  return false;
}

static void unmap(void *va, const char *what) {
  if (HYPERCALL3(__HYPERVISOR_update_va_mapping, va, 0, UVMF_INVLPG)) crash(what);
}

void stub_main(start_info_t *si) {
  start_info = si;
  uint64_t pte = start_info->shared_info | _PAGE_PRESENT | _PAGE_RW | _PAGE_NX;
  if (HYPERCALL3(__HYPERVISOR_update_va_mapping, shared_info_page, pte, UVMF_INVLPG))
    crash("morgana: cannot map shared_info");
  shared_info = (shared_info_t *)shared_info_page;
  console_init();
  traps_init();
  start_info->cmd_line[MAX_GUEST_CMDLINE - 1] = 0;
  qemu_exit = is_dom0() && has_word((const char *)start_info->cmd_line, "qemu-exit");
  /* Null pointers and stack overflows fault instead of reading the image. */
  unmap(0, "morgana: cannot unmap page 0");
  unmap(boot_stack_guard, "morgana: cannot unmap the stack guard");
  own_domid = find_own_domid();

  linear_memory_init(MORGANA_MEMORY_INITIAL_PAGES, MORGANA_MEMORY_MAXIMUM_PAGES);
  memcpy(linear_memory.data + START_INFO_OFFSET, start_info, sizeof *start_info);
  random_seed(linear_memory.data + RANDOM_SEED_OFFSET, (uint32_t *)(linear_memory.data + RANDOM_SOURCE_OFFSET));

  wasm_rt_init();
  Z_app_init_module();
  Z_app_instantiate(&instance, NULL);
  Z_appZ_start(&instance, START_INFO_OFFSET, MEMORY_BASE);
  crash("morgana: start returned without calling exit");
}

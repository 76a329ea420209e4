/* The stub's own output: trap and fault messages once the core has stopped.
   dom0 writes with HYPERVISOR_console_io; a domU (console_io is refused in a
   release Xen) writes the PV console ring that xenconsoled reads. */
#include "stub.h"

#include <xen/event_channel.h>
#include <xen/io/console.h>
#include <xen/sched.h>

/* A whole page: its mapping is replaced by the console ring's frame. */
static char console_page[PAGE_SIZE] __attribute__((aligned(4096)));
#define console_ring (*(struct xencons_interface *)console_page)

void console_init(void) {
  if (is_dom0()) return;
  uint64_t pte = (start_info->console.domU.mfn << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_RW | _PAGE_NX;
  if (HYPERCALL3(__HYPERVISOR_update_va_mapping, console_page, pte, UVMF_INVLPG))
    crash("morgana: cannot map the console ring");
}

static void console_notify(void) {
  struct evtchn_send send = {.port = start_info->console.domU.evtchn};
  HYPERCALL2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, &send);
}

/* Waits up to 10 ms for xenconsoled (it notifies after reading). */
static void console_wait(void) {
  evtchn_port_t port = start_info->console.domU.evtchn;
  struct sched_poll poll = {.nr_ports = 1, .timeout = system_time() + 10000000};
  set_xen_guest_handle(poll.ports, &port);
  HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_poll, &poll);
}

static void ring_write(const char *s, size_t n) {
  struct xencons_interface *ring = &console_ring;
  for (int waits = 0; n && waits < 100;) {
    XENCONS_RING_IDX cons = ring->out_cons, prod = ring->out_prod;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (prod - cons >= sizeof ring->out) { /* full: let xenconsoled catch up */
      console_notify();
      console_wait();
      waits++;
      continue;
    }
    ring->out[MASK_XENCONS_IDX(prod, ring->out)] = *s++;
    __atomic_thread_fence(__ATOMIC_RELEASE); /* the byte before the index */
    ring->out_prod = prod + 1;
    n--;
  }
  console_notify();
}

void console_write(const char *s, size_t n) {
  if (is_dom0())
    HYPERCALL3(__HYPERVISOR_console_io, CONSOLEIO_write, n, s);
  else
    ring_write(s, n);
}

/* Bounded (about 2 s): a domain that ends at once can lose its last lines. */
void console_drain(void) {
  if (is_dom0()) return;
  for (int waits = 0; waits < 200; waits++) {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (console_ring.out_cons == console_ring.out_prod) return;
    console_notify();
    console_wait();
  }
}

void console_print(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  console_write(s, n);
}

void console_hex(uint64_t value) {
  char digits[18] = "0x";
  for (int i = 0; i < 16; i++) digits[2 + i] = "0123456789abcdef"[(value >> (60 - 4 * i)) & 15];
  console_write(digits, sizeof digits);
}

void console_dec(int64_t value) {
  char digits[21];
  int at = sizeof digits;
  uint64_t magnitude = value < 0 ? -(uint64_t)value : (uint64_t)value;
  do digits[--at] = '0' + magnitude % 10; while (magnitude /= 10);
  if (value < 0) digits[--at] = '-';
  console_write(digits + at, sizeof digits - at);
}

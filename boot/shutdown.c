/* Every way the domain ends. dom0 test runs (`qemu-exit` on the command
   line) end QEMU through isa-debug-exit at port 0xf4, which needs I/O
   privilege (PHYSDEVOP_set_iopl): QEMU exits with (code << 1) | 1. */
#include "stub.h"

#include <xen/physdev.h>
#include <xen/sched.h>

#define QEMU_EXIT_PORT 0xf4
#define QEMU_EXIT_CRASH 0x7f /* QEMU exits 255; the console line says why */

bool qemu_exit;

static void qemu_debug_exit(uint32_t code) {
  struct physdev_set_iopl iopl = {.iopl = 1};
  if (HYPERCALL2(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, &iopl)) return;
  __asm__ volatile("outl %0, %1" : : "a"(code), "Nd"((uint16_t)QEMU_EXIT_PORT));
}

static __attribute__((noreturn)) void shutdown(unsigned reason) {
  struct sched_shutdown shutdown = {.reason = reason};
  for (;;) HYPERCALL2(__HYPERVISOR_sched_op, SCHEDOP_shutdown, &shutdown);
}

void domain_exit(int32_t status) {
  console_drain();
  if (qemu_exit) qemu_debug_exit(status);
  shutdown(status == 0 ? SHUTDOWN_poweroff : SHUTDOWN_crash);
}

void crash(const char *message) {
  static bool crashing; /* a fault while reporting one must not recurse */
  if (!crashing) {
    crashing = true;
    console_print(message);
    console_print("\n");
    console_drain();
    if (qemu_exit) qemu_debug_exit(QEMU_EXIT_CRASH);
  }
  shutdown(SHUTDOWN_crash);
}

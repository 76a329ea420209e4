/* Exceptions and callbacks. Any exception is fatal: it prints the registers
   and the faulting address and ends the domain as a crash. The event upcall
   only wakes SCHEDOP_block (entry.S keeps events masked). */
#include "stub.h"

#include <xen/callback.h>

/* Pushed by entry.S's trap_common, lowest address first. */
struct fault_frame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error_code, rip, cs, rflags, rsp, ss;
};

#define ENTRY(n) extern char trap_##n[];
#define VECTORS(X) X(0) X(1) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(16) X(17) X(18) X(19)
VECTORS(ENTRY)
extern char hypervisor_callback[], failsafe_callback[];

static const char *const names[20] = {
    "divide error", "debug", "nmi", "breakpoint", "overflow", "bound range", "invalid opcode",
    "device not available", "double fault", "coprocessor overrun", "invalid tss",
    "segment not present", "stack fault", "general protection", "page fault", "reserved",
    "x87 floating point", "alignment check", "machine check", "simd floating point",
};

static void register_callback(uint16_t type, void *address, uint16_t flags) {
  struct callback_register callback = {.type = type, .flags = flags, .address = (uintptr_t)address};
  if (HYPERCALL2(__HYPERVISOR_callback_op, CALLBACKOP_register, &callback))
    crash("morgana: CALLBACKOP_register failed");
}

void traps_init(void) {
#define TRAP(n) {n, 0, FLAT_KERNEL_CS, (uintptr_t)trap_##n},
  static const struct trap_info table[] = {VECTORS(TRAP){0, 0, 0, 0}};
  if (HYPERCALL1(__HYPERVISOR_set_trap_table, table)) crash("morgana: set_trap_table failed");
  register_callback(CALLBACKTYPE_event, hypervisor_callback, 0);
  register_callback(CALLBACKTYPE_failsafe, failsafe_callback, CALLBACKF_mask_events);
  /* Generated code uses SSE: clear the virtual CR0.TS, reset x87 and MXCSR
     (all exceptions masked, round to nearest even). */
  HYPERCALL1(__HYPERVISOR_fpu_taskswitch, 0);
  uint32_t mxcsr = 0x1f80;
  __asm__ volatile("fninit; ldmxcsr %0" : : "m"(mxcsr));
}

static void show(const char *name, uint64_t value) {
  console_print(name);
  console_hex(value);
}

__attribute__((noreturn)) void fault(struct fault_frame *f) {
  if (f->vector == 14 && shared_info->vcpu_info[0].arch.cr2 - MEMORY_BASE < LINEAR_GUARD_SIZE)
    wasm_rt_trap(WASM_RT_TRAP_OOB); /* app.c's loads and stores are unchecked: the guard region catches them */
  console_print("morgana: fault ");
  console_print(f->vector < 20 ? names[f->vector] : "unknown");
  show(" rip=", f->rip);
  show(" error=", f->error_code);
  if (f->vector == 14) show(" address=", shared_info->vcpu_info[0].arch.cr2);
  show("\n rax=", f->rax), show(" rbx=", f->rbx), show(" rcx=", f->rcx), show(" rdx=", f->rdx);
  show("\n rsi=", f->rsi), show(" rdi=", f->rdi), show(" rbp=", f->rbp), show(" rsp=", f->rsp);
  show("\n r8=", f->r8), show(" r9=", f->r9), show(" r10=", f->r10), show(" r11=", f->r11);
  show("\n r12=", f->r12), show(" r13=", f->r13), show(" r14=", f->r14), show(" r15=", f->r15);
  show("\n rflags=", f->rflags);
  crash("");
}

__attribute__((noreturn)) void failsafe(void) {
  crash("morgana: fault failsafe callback (bad segment on return to the guest)");
}

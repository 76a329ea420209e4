/* The PV entry: Xen's ELF notes, the first instructions, the hypercall page,
   and the exception, event and failsafe entry points Xen bounces to. */
#include <xen/elfnote.h>
#include <xen/xen.h>

#ifndef MORGANA_STACK_SIZE /* cli/xen-image.ts sizes it with the call depth */
#error "MORGANA_STACK_SIZE must be defined"
#endif

.macro ELFNOTE type
	.pushsection .note.Xen, "a", @note
	.balign 4
	.long 2f - 1f
	.long 4f - 3f
	.long \type
1:	.asciz "Xen"
2:	.balign 4
3:
.endm
.macro ELFNOTE_END
4:	.balign 4
	.popsection
.endm
.macro NOTE_STRING type, text
	ELFNOTE \type
	.asciz "\text"
	ELFNOTE_END
.endm
.macro NOTE_QUAD type, value
	ELFNOTE \type
	.quad \value
	ELFNOTE_END
.endm

	NOTE_STRING XEN_ELFNOTE_GUEST_OS, Morgana
	NOTE_STRING XEN_ELFNOTE_GUEST_VERSION, 0.1
	NOTE_STRING XEN_ELFNOTE_XEN_VERSION, xen-3.0
	NOTE_STRING XEN_ELFNOTE_LOADER, generic
	NOTE_QUAD XEN_ELFNOTE_VIRT_BASE, 0
	NOTE_QUAD XEN_ELFNOTE_PADDR_OFFSET, 0
	NOTE_QUAD XEN_ELFNOTE_ENTRY, _start
	NOTE_QUAD XEN_ELFNOTE_HYPERCALL_PAGE, hypercall_page

	.section .text.entry, "ax"
	.globl _start
/* Xen enters with %rsi = start_info, events masked, on a bootstrap stack
   inside the pages the stub later hands out: move to our own stack first. */
_start:
	cld
	leaq boot_stack_top(%rip), %rsp
	movq %rsi, %rdi
	call stub_main
	ud2

	.balign 4096
	.globl hypercall_page
hypercall_page:	/* Xen fills in one 32-byte stub per hypercall */
	.skip 4096

/* Xen bounces exceptions as [rcx, r11, (error code), rip, cs, rflags, rsp, ss]:
   restore rcx and r11, then build a struct fault_frame (stub.h) for C. */
.macro TRAP_ENTRY vector, has_error
	.globl trap_\vector
trap_\vector:
	movq (%rsp), %rcx
	movq 8(%rsp), %r11
	addq $16, %rsp
	.if \has_error == 0
	pushq $0
	.endif
	pushq $\vector
	jmp trap_common
.endm

	TRAP_ENTRY 0, 0
	TRAP_ENTRY 1, 0
	TRAP_ENTRY 3, 0
	TRAP_ENTRY 4, 0
	TRAP_ENTRY 5, 0
	TRAP_ENTRY 6, 0
	TRAP_ENTRY 7, 0
	TRAP_ENTRY 8, 1
	TRAP_ENTRY 9, 0
	TRAP_ENTRY 10, 1
	TRAP_ENTRY 11, 1
	TRAP_ENTRY 12, 1
	TRAP_ENTRY 13, 1
	TRAP_ENTRY 14, 1
	TRAP_ENTRY 16, 0
	TRAP_ENTRY 17, 1
	TRAP_ENTRY 18, 0
	TRAP_ENTRY 19, 0

trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	andq $-16, %rsp
	call fault	/* never returns: the domain ends as a crash */
	ud2

/* The event upcall. The core polls with events masked and only lets Xen
   deliver an upcall inside SCHEDOP_block; returning with the saved IF clear
   makes HYPERVISOR_iret keep evtchn_upcall_mask set, so the pending event
   is left for the core and cannot re-enter here. */
	.globl hypervisor_callback
hypervisor_callback:
	movq (%rsp), %rcx
	movq 8(%rsp), %r11
	addq $16, %rsp
	andq $~0x200, 16(%rsp)	/* saved rflags.IF */
	pushq $0		/* struct iret_context.flags; the page's iret stub pushes rcx, r11, rax */
	jmp hypercall_page + __HYPERVISOR_iret * 32

/* Xen could not load a segment register on return to the guest: fatal. */
	.globl failsafe_callback
failsafe_callback:
	andq $-16, %rsp
	call failsafe
	ud2

	.section .bss.stack, "aw", @nobits
	.balign 4096
	.globl boot_stack_guard
boot_stack_guard:	/* unmapped at boot: an overflow faults instead of corrupting .bss */
	.skip 4096
	.globl boot_stack
boot_stack:
	.skip MORGANA_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits

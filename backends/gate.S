/* gate.S: the call gate: switch to the domain's stack, change rights, call, change back.
 * The only WRPKRU instructions in isobench are in this file. */

/* struct gate (gate.h): field offsets, checked there with _Static_assert. */
#define G_FN 0
#define G_IN 8
#define G_IN_LEN 16
#define G_OUT 24
#define G_OUT_CAP 32
#define G_OUT_LEN 40
#define G_STACK 48
#define G_PKRU 56
#define G_BODY 64

/* PKRU := 0 (every key open: the trusted side's rights), as ERIM does it: a jump
 * straight onto the wrpkru with another eax fails the check and goes round again. */
.macro TRUSTED_PKRU
1:	xor	%eax, %eax
	xor	%ecx, %ecx
	xor	%edx, %edx
	wrpkru
	test	%eax, %eax
	jnz	1b
.endm

	.text

/* gate_text_start .. gate_text_end: the gate's code, whose WRPKRU instructions the
 * scan (scan.c) leaves in place. */
	.globl	gate_text_start
gate_text_start:

/* long gate_stack_call(struct gate *g): g->body(g) on the domain stack g->stack. */
	.globl	gate_stack_call
	.type	gate_stack_call, @function
gate_stack_call:
	.cfi_startproc
	push	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	mov	G_STACK(%rdi), %rsp
	call	*G_BODY(%rdi)
	mov	%rbp, %rsp
	pop	%rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size	gate_stack_call, .-gate_stack_call

/* long gate_mpk_enter(struct gate *g): g->fn(in, in_len, out, out_cap, out_len) on the
 * domain stack with PKRU = g->pkru, then back to trusted rights and the trusted stack. */
	.globl	gate_mpk_enter
	.type	gate_mpk_enter, @function
gate_mpk_enter:
	.cfi_startproc
	push	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	push	%rbx
	push	%r12
	mov	%rdi, %rbx
	/* Everything read from g before WRPKRU: a confidential domain cannot read g
	 * (it lies on the trusted stack). */
	mov	G_FN(%rbx), %r11
	mov	G_IN(%rbx), %rdi
	mov	G_IN_LEN(%rbx), %rsi
	mov	G_OUT(%rbx), %r9
	mov	G_OUT_CAP(%rbx), %r10
	mov	G_OUT_LEN(%rbx), %r8
	mov	G_STACK(%rbx), %rsp
	mov	G_PKRU(%rbx), %eax
	xor	%ecx, %ecx
	xor	%edx, %edx
	wrpkru			/* domain rights from here */
	mov	%r9, %rdx
	mov	%r10, %rcx
	call	*%r11
	mov	%rax, %r12
	TRUSTED_PKRU
	mov	%r12, %rax
	lea	-16(%rbp), %rsp
	pop	%r12
	pop	%rbx
	pop	%rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size	gate_mpk_enter, .-gate_mpk_enter

/* void gate_mpk_bare(struct gate *g, unsigned long iters): the gate's own cost: on the
 * domain stack, iters times WRPKRU(g->pkru), call an empty function, WRPKRU(trusted). */
	.globl	gate_mpk_bare
	.type	gate_mpk_bare, @function
gate_mpk_bare:
	push	%rbp
	mov	%rsp, %rbp
	push	%rbx
	push	%r12
	mov	%rdi, %rbx
	mov	%rsi, %r12
	mov	G_STACK(%rbx), %rsp
	test	%r12, %r12
	jz	3f
2:	mov	G_PKRU(%rbx), %eax
	xor	%ecx, %ecx
	xor	%edx, %edx
	wrpkru
	call	empty
	TRUSTED_PKRU
	dec	%r12
	jnz	2b
3:	lea	-16(%rbp), %rsp
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
	.size	gate_mpk_bare, .-gate_mpk_bare

empty:
	ret

/* long gate_mpk_out(void *arg): from inside an mpk domain, (*gate_out_fn)(arg, pkru)
 * with trusted rights, pkru being the domain's rights as RDPKRU reads them on the way
 * in, then those rights again (a callback to the trusted side, on the stack it was
 * called on).  Neither the function nor the rights to go back to come from the
 * caller: a domain that jumps here runs only what the trusted side set in
 * gate_out_fn, which checks what it is given; one that jumps to the WRPKRU on the
 * way out with trusted rights in %eax, or calls in with trusted rights, gets ud2. */
	.globl	gate_mpk_out
	.type	gate_mpk_out, @function
gate_mpk_out:
	.cfi_startproc
	push	%rbx
	.cfi_def_cfa_offset 16
	.cfi_offset %rbx, -16
	xor	%ecx, %ecx
	rdpkru
	mov	%eax, %ebx
	test	$0xaaaaaaaa, %eax
	jz	6f
	TRUSTED_PKRU
	mov	%ebx, %esi
	call	*gate_out_fn(%rip)
	mov	%rax, %r8
	mov	%ebx, %eax
	xor	%ecx, %ecx
	xor	%edx, %edx
	wrpkru
	test	$0xaaaaaaaa, %eax
	jz	6f
	mov	%r8, %rax
	pop	%rbx
	.cfi_def_cfa_offset 8
	ret
6:	ud2
	.cfi_endproc
	.size	gate_mpk_out, .-gate_mpk_out

/* void gate_pkru_trusted(void): the fault handler's way back to trusted rights.  Its
 * callers run with the kernel's default PKRU (signal handlers: access-disable bits
 * only) or trusted rights already; a domain's PKRU has write-disable bits (the
 * trusted key's at least).  Called with those, it is a domain using the gate as a
 * "WRPKRU; ret" gadget: ud2, a SIGILL that rewinds the domain. */
	.globl	gate_pkru_trusted
	.type	gate_pkru_trusted, @function
gate_pkru_trusted:
	xor	%ecx, %ecx
	rdpkru
	test	$0xaaaaaaaa, %eax
	jz	4f
	ud2
4:	TRUSTED_PKRU
	ret
	.size	gate_pkru_trusted, .-gate_pkru_trusted
	.globl	gate_text_end
gate_text_end:

/* What gate_mpk_out runs with trusted rights (callback.c sets it): in the program's
 * data, which a domain may read but not write. */
	.data
	.balign	8
	.globl	gate_out_fn
	.type	gate_out_fn, @object
	.size	gate_out_fn, 8
gate_out_fn:
	.quad	0

	.section .note.GNU-stack,"",@progbits

/*
 * gan_kernel.h: which OpenBLAS kernel runs the products, and why.
 *
 * Debian's OpenBLAS (0.3.21, built with DYNAMIC_ARCH) picks its kernels from
 * the CPU's family and model when it loads. A CPU newer than the library
 * (Intel family 6 model 207, Emerald Rapids, say) is not in its tables, and
 * it falls back to its Prescott (SSE3) kernels, 3-4x slower, without a
 * word. OPENBLAS_CORETYPE names the kernel instead, but the library reads it
 * only while it loads: so gan-train, at its start, when that variable is not
 * set and the library's pick is older than what the CPU can run (or measured
 * slower on it), sets it and executes itself again, once (gan_kernel_restart).
 *
 * The decision is a pure function of the CPU's features (cpuid and what the
 * OS saves, xgetbv) and of the library's pick (gan_kernel_plan_make), so
 * that it is tested on any machine:
 *   AVX-512 F, BW, DQ and VL with the zmm state saved: SkylakeX, or
 *     Cooperlake where AVX512-BF16 is there too;
 *   else AVX2 and FMA with the ymm state saved: Haswell, but Zen on AMD's
 *     families before 25 (Zen 1 and 2) and on Hygon (Haswell's kernels ran
 *     12-16% faster than Zen's on a Zen 3, family 25, on 2 threads; the older
 *     families are unmeasured, and Zen is the library's own pick there);
 *   else AVX: Sandybridge;
 *   else nothing (the library's SSE-era pick is kept).
 * The library's pick is kept where it runs the same single-precision GEMM
 * (Cooperlake is SkylakeX's), where it is of a newer level (a newer library
 * may know kernels this table does not), or where it is a name the table
 * does not know. A value the user set is never overridden, and a restarted
 * process never restarts again.
 */
#ifndef GAN_KERNEL_H
#define GAN_KERNEL_H

#include <stddef.h>

#include "gan_common.h"

/* The variable that OpenBLAS reads, and the one gan-train sets beside it when
 * it restarts itself (its value: the kernel the library had picked). */
#define GAN_KERNEL_ENV "OPENBLAS_CORETYPE"
#define GAN_KERNEL_FROM_ENV "GAN_TRAIN_KERNEL_FROM"

enum { GAN_VENDOR_OTHER = 0, GAN_VENDOR_INTEL, GAN_VENDOR_AMD, GAN_VENDOR_HYGON };

/** What cpuid says of the CPU; all zero where it cannot be asked. */
typedef struct {
    int vendor;                 /* GAN_VENDOR_* */
    int family, model;          /* with the extended fields folded in, as Linux shows them */
    unsigned avx : 1, avx2 : 1, fma : 1;
    unsigned avx512f : 1, avx512bw : 1, avx512dq : 1, avx512vl : 1, avx512bf16 : 1;
    unsigned os_ymm : 1;        /* XCR0: the OS saves the SSE and AVX state */
    unsigned os_zmm : 1;        /* XCR0: ... and the opmask and zmm state */
    unsigned clflushopt : 1;    /* CLFLUSHOPT (gan_mlp's flush_shared) */
} gan_cpu;

/** Reads this CPU's features (x86-64; elsewhere all zero). */
void gan_cpu_detect(gan_cpu *cpu);

/** The kernel this CPU runs best, by the rules above, or NULL. */
const char *gan_kernel_best(const gan_cpu *cpu);

/** The level of an OpenBLAS core name: 0 SSE-era, 1 AVX, 2 AVX2, 3 AVX-512;
 *  -1 for a name this table does not know. Case-insensitive, as OpenBLAS. */
int gan_kernel_level(const char *name);

/** What to do at start, and the one line that says which kernel runs. */
typedef struct {
    const char *restart_with;   /* restart with OPENBLAS_CORETYPE set to this; NULL: don't */
    char text[320];             /* "Cooperlake, chosen by gan-train: ..." */
} gan_kernel_plan;

/**
 * The pure decision. in_use: the library's core name now
 * (openblas_get_corename()); env: OPENBLAS_CORETYPE or NULL; from:
 * GAN_TRAIN_KERNEL_FROM or NULL (set only in a process gan-train restarted).
 */
void gan_kernel_plan_make(gan_kernel_plan *plan, const gan_cpu *cpu, const char *in_use,
                          const char *env, const char *from);

/** The plan for this process (its CPU, library and environment). */
void gan_kernel_plan_here(gan_kernel_plan *plan);

/**
 * Called first thing by a program that links OpenBLAS: if the plan says so,
 * sets OPENBLAS_CORETYPE and GAN_TRAIN_KERNEL_FROM and executes
 * /proc/self/exe with the same argv (the pid, open files and signal
 * dispositions stay), and so does not return. Returns 0 when nothing was to
 * be done, -1 when the restart failed (err says why; the program goes on with
 * the library's pick, and gan_kernel_plan_here's text says so).
 */
int gan_kernel_restart(char **argv, gan_err *err);

/** One line for banners and --version: "OpenBLAS 0.3.21, kernel Zen: ...". */
void gan_kernel_describe(char *buf, size_t len);

#endif

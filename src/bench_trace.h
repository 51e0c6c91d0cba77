/*
 * bench_trace.h: gan-bench's recorder and timers (bench_trace.c) and its
 * rates of the machine (bench_rates.c); the recorder's and timers' state
 * its -Wl,--wrap hooks share with the tool (bench.c). The tool is linked with
 * --wrap=cblas_sgemm and the other names in CMakeLists.txt, so each of the
 * library's calls to those functions passes through a hook here that, while
 * `recording` is set, records an sgemm call (shapes, transposes, the very
 * buffers) in the calling thread's `trace`, and while `timing` is set adds
 * the call's seconds to the thread's `spent` of its kind. The state is
 * global: a --wrap hook has no other way to reach it, and this is a
 * measuring tool, not the library.
 */
#ifndef GAN_BENCH_TRACE_H
#define GAN_BENCH_TRACE_H

#include <cblas.h>

#include "gan_train.h"

void __real_cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta,
                        const enum CBLAS_TRANSPOSE tb, const blasint M, const blasint N,
                        const blasint K, const float alpha, const float *A, const blasint lda,
                        const float *B, const blasint ldb, const float beta, float *C,
                        const blasint ldc);

typedef struct {
    enum CBLAS_ORDER order;
    enum CBLAS_TRANSPOSE ta, tb;
    blasint M, N, K, lda, ldb, ldc;
    float alpha, beta;
    const float *A, *B;
    float *C;
} sgemm_call;

#define MAX_CALLS 256 /* a cycle of up to 8 steps, say 4 with a lazy R1 */
typedef struct {
    int n;
    sgemm_call calls[MAX_CALLS];
} sgemm_trace;

/* Each thread records its own calls; `recording` switches all of them. */
extern _Atomic int recording;
extern _Thread_local sgemm_trace trace;

/* Where a thread's epoch goes: seconds in each kind of call, added up by
 * every thread for itself while `timing` is set; the rest is everything
 * else (the losses, the loop, calls not listed). */
enum { SPENT_GEMM, SPENT_WAIT, SPENT_ADAM, SPENT_ACT, SPENT_DATA, SPENT_KINDS };
extern const char *const spent_name[SPENT_KINDS];
extern _Atomic int timing;

/* The machine's fp32 rate, GFLOP/s: a 2048^3 sgemm on `threads` of
 * OpenBLAS's threads (bench_rates.c). */
double measure_peak(int threads);
/* Prints rate_MxNxK_{fp32,bf16}_gflops lines: one thread's sgemm and bf16
 * product at shapes of a step and at 2048^3; -1 with err where bf16 cannot run. */
int report_product_rates(gan_err *err);

/* Nanoseconds for one cache line to go from the first CPU this process may
 * use to the second and back (two pinned threads, the median of 5 runs of
 * 100,000 round trips); -1 with one CPU (bench_rates.c). */
double line_roundtrip_ns(void);

/* qsort's order of doubles, ascending. */
int cmp_double(const void *a, const void *b);

/* Replays recorded calls `reps` times. */
void replay(const sgemm_trace *tr, int reps);

#define MAX_THREADS 64
#define MAX_ADAM_CALLS 16384

/* A pool job's shared state: the trainer, its replays, the flops recorded,
 * each thread's sums of `spent`. */
typedef struct {
    gan_trainer *t;
    int reps;
    double flops;
    double spent[MAX_THREADS][SPENT_KINDS]; /* each thread's, from collect_job */
    long calls[MAX_THREADS][SPENT_KINDS];   /* and its number of calls of each kind */
    double adam_med[MAX_THREADS], adam_p90[MAX_THREADS]; /* its Adam calls' median, 90th
                                                            percentile (seconds) */
} job;

/* Pool jobs on a job: each thread hands over its `spent` (and its Adam
 * calls' median and 90th percentile) and starts again from zero; clears its trace; adds its trace's flops to j->flops (part by
 * part, in order); replays its trace j->reps times, a barrier a step. */
void collect_job(void *ctx, const gan_team *tm);
void record_job(void *ctx, const gan_team *tm);
void flops_job(void *ctx, const gan_team *tm);
void replay_job(void *ctx, const gan_team *tm);

#endif

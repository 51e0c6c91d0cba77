/* bench_rates.c: gan-bench's rates of the machine (--peak): a large sgemm on
 * OpenBLAS's threads, one thread's sgemm against the bf16 product, and the
 * time a cache line takes to go to another CPU and back. */
#define _GNU_SOURCE /* sched_getaffinity, pthread_setaffinity_np */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_trace.h"

/* The machine's fp32 rate on this kernel: a 2048^3 sgemm on `threads` of
 * OpenBLAS's threads, the best of 5 after 2 to warm up; GFLOP/s. */
double measure_peak(int threads)
{
    const int n = 2048;
    float *a = malloc(sizeof(float) * (size_t)n * n * 3);
    if (!a)
        return 0.0;
    for (size_t i = 0; i < (size_t)n * n * 3; i++)
        a[i] = (float)(i % 7) * 0.25f;
    openblas_set_num_threads(threads);
    double best = 1e30;
    for (int r = 0; r < 7; r++) {
        double t0 = gan_now_seconds();
        __real_cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n,
                           a + (size_t)n * n, n, 0.0f, a + 2 * (size_t)n * n, n);
        double t = gan_now_seconds() - t0;
        if (r >= 2 && t < best)
            best = t;
    }
    openblas_set_num_threads(1);
    free(a);
    return 2.0 * n * n * n / best * 1e-9;
}

/* One thread's rate, GFLOP/s, on the forward product out (M, N) = inp (M, K)
 * @ w (N, K)^T: OpenBLAS's sgemm, or with ctx the bf16 product (its
 * rounding included); the best of 3 runs of enough repetitions for 0.2 s. */
static double product_rate(gan_bf16 *ctx, int M, int N, int K)
{
    float *a = malloc(sizeof(float) * ((size_t)M * K + (size_t)N * K + (size_t)M * N));
    if (!a)
        return 0.0;
    float *w = a + (size_t)M * K, *c = w + (size_t)N * K;
    for (size_t i = 0; i < (size_t)M * K + (size_t)N * K; i++)
        a[i] = (float)(i % 7) * 0.25f - 0.75f;
    const double flop = 2.0 * M * N * K;
    int reps = (int)(0.2 / (flop / 50e9)) + 1;
    double best = 1e30;
    for (int r = 0; r < 4; r++) {
        double t0 = gan_now_seconds();
        for (int k = 0; k < (r ? reps : 1); k++) {
            if (ctx)
                gan_bf16_forward_cols(ctx, 0, c, a, w, M, K, N, 0, N);
            else
                __real_cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, a, K,
                                   w, K, 0.0f, c, N);
        }
        double t = (gan_now_seconds() - t0) / reps;
        if (r && t < best)
            best = t;
    }
    free(a);
    return flop / best * 1e-9;
}

/* --peak --precision bf16: sgemm against the bf16 product on one thread, at
 * shapes of the step (2B rows of D's layers) and at 2048^3. */
int report_product_rates(gan_err *err)
{
    static const int shapes[][3] = {{128, 256, 784}, {128, 512, 3072}, {128, 1024, 1024},
                                    {2048, 2048, 2048}};
    gan_bf16 *ctx = gan_bf16_new(1, (size_t)2048 * 2048, err);
    if (!ctx)
        return -1;
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        const int *d = shapes[i];
        for (int bf = 0; bf < 2; bf++)
            printf("rate_%dx%dx%d_%s_gflops=%.1f\n", d[0], d[1], d[2], bf ? "bf16" : "fp32",
                   product_rate(bf ? ctx : NULL, d[0], d[1], d[2]));
    }
    int rc = gan_bf16_error(ctx, err);
    gan_bf16_free(ctx);
    return rc;
}

/* One line passed back and forth between two threads pinned to two CPUs. */
typedef struct {
    _Alignas(64) atomic_int turn;
    int cpu, rounds;
} pingpong;

static void pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set); /* unpinned: still a measure */
}

static void *pong(void *arg)
{
    pingpong *p = arg;
    pin_to(p->cpu);
    for (int i = 0; i < p->rounds; i++) {
        while (atomic_load_explicit(&p->turn, memory_order_acquire) != 2 * i + 1)
            ;
        atomic_store_explicit(&p->turn, 2 * i + 2, memory_order_release);
    }
    return NULL;
}

double line_roundtrip_ns(void)
{
    cpu_set_t set;
    int cpu[2], n = 0;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return -1.0;
    for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
        if (CPU_ISSET(c, &set))
            cpu[n++] = c;
    if (n < 2)
        return -1.0;
    cpu_set_t old;
    pthread_getaffinity_np(pthread_self(), sizeof old, &old);
    pin_to(cpu[0]);
    double runs[5];
    static pingpong p; /* a line of its own */
    p.cpu = cpu[1];
    p.rounds = 100000;
    int r = 0;
    for (; r < 5; r++) {
        atomic_store(&p.turn, 0);
        pthread_t t;
        if (pthread_create(&t, NULL, pong, &p) != 0)
            break;
        double t0 = gan_now_seconds();
        for (int i = 0; i < p.rounds; i++) {
            atomic_store_explicit(&p.turn, 2 * i + 1, memory_order_release);
            while (atomic_load_explicit(&p.turn, memory_order_acquire) != 2 * i + 2)
                ;
        }
        runs[r] = (gan_now_seconds() - t0) * 1e9 / p.rounds;
        pthread_join(t, NULL);
    }
    pthread_setaffinity_np(pthread_self(), sizeof old, &old); /* as it was, in any case */
    if (r < 5)
        return -1.0;
    qsort(runs, 5, sizeof *runs, cmp_double);
    return runs[2];
}

/*
 * bench.c: gan-bench, the GEMM floor of a training step (scripts/bench.sh).
 *
 * It is linked with -Wl,--wrap=cblas_sgemm, so every cblas_sgemm call the
 * library makes goes through __wrap_cblas_sgemm below, which can record it
 * (shapes, transposes, the very buffers). It records one step, then measures
 * in interleaved rounds (so that both see the same, noisy, machine):
 *   - the GEMM floor: the cblas_sgemm calls of one training step (with N
 *     threads, each thread's calls for its columns), replayed alone by the
 *     same threads in a tight loop, scaled to an epoch: the products with no
 *     elementwise work, no Adam, no data;
 *   - one real training epoch (gan_trainer_epoch, as gan-train runs it);
 * medians of both and of each round's epoch/floor ratio (the machine's speed
 * drifts: a ratio is only fair within one round), and last, for comparison,
 * the 22 whole products of a step replayed by OpenBLAS's own threads.
 * During the epochs it also adds up, per thread, where the time goes: the
 * GEMMs, the waits at barriers, Adam, the bias and activation passes, the
 * batch and z (the library's calls to those functions are wrapped the same
 * way: -Wl,--wrap=gan_team_barrier and so on, see CMakeLists.txt).
 * The recording state is file-static: a --wrap hook has no other way to reach
 * it, and this is a measuring tool, not the library.
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan_idx.h"
#include "gan_kernel.h"
#include "gan_layers.h"
#include "gan_train.h"

void __real_cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta,
                        const enum CBLAS_TRANSPOSE tb, const blasint M, const blasint N,
                        const blasint K, const float alpha, const float *A, const blasint lda,
                        const float *B, const blasint ldb, const float beta, float *C,
                        const blasint ldc);
void __wrap_cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta,
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

#define MAX_CALLS 64
typedef struct {
    int n;
    sgemm_call calls[MAX_CALLS];
} sgemm_trace;

/* Each thread records its own calls; `recording` switches all of them. */
static _Atomic int recording;
static _Thread_local sgemm_trace trace;

/* Where a thread's epoch goes: seconds in each kind of call, added up by
 * every thread for itself while `timing` is set; the rest is everything
 * else (the losses, the loop, calls not listed). */
enum { SPENT_GEMM, SPENT_WAIT, SPENT_ADAM, SPENT_ACT, SPENT_DATA, SPENT_KINDS };
static const char *const spent_name[SPENT_KINDS] = {"gemm", "wait", "adam", "act", "data"};
static _Atomic int timing;
static _Thread_local double spent[SPENT_KINDS];

/* __wrap_NAME: __real_NAME(ARGS), its time added to spent[KIND] while timing */
#define TIMED(kind, call)                                                                          \
    do {                                                                                           \
        if (!timing) {                                                                             \
            call;                                                                                  \
        } else {                                                                                   \
            double t0_ = gan_now_seconds();                                                        \
            call;                                                                                  \
            spent[kind] += gan_now_seconds() - t0_;                                                \
        }                                                                                          \
    } while (0)

void __real_gan_team_barrier(const gan_team *team);
void __wrap_gan_team_barrier(const gan_team *team);
void __wrap_gan_team_barrier(const gan_team *team)
{
    TIMED(SPENT_WAIT, __real_gan_team_barrier(team));
}

void __real_gan_adam_step(float *param, const float *grad, float *m, float *v, size_t n, long t,
                          const gan_adam_cfg *cfg);
void __wrap_gan_adam_step(float *param, const float *grad, float *m, float *v, size_t n, long t,
                          const gan_adam_cfg *cfg);
void __wrap_gan_adam_step(float *param, const float *grad, float *m, float *v, size_t n, long t,
                          const gan_adam_cfg *cfg)
{
    TIMED(SPENT_ADAM, __real_gan_adam_step(param, grad, m, v, n, t, cfg));
}

void __real_gan_bias_act_forward(float *x, const float *bias, int B, int OC, int lo, int hi,
                                 gan_act act, float slope);
void __wrap_gan_bias_act_forward(float *x, const float *bias, int B, int OC, int lo, int hi,
                                 gan_act act, float slope);
void __wrap_gan_bias_act_forward(float *x, const float *bias, int B, int OC, int lo, int hi,
                                 gan_act act, float slope)
{
    TIMED(SPENT_ACT, __real_gan_bias_act_forward(x, bias, B, OC, lo, hi, act, slope));
}

void __real_gan_act_bias_backward(float *d, float *dbias, const float *y, int B, int OC, int lo,
                                  int hi, gan_act act, float slope);
void __wrap_gan_act_bias_backward(float *d, float *dbias, const float *y, int B, int OC, int lo,
                                  int hi, gan_act act, float slope);
void __wrap_gan_act_bias_backward(float *d, float *dbias, const float *y, int B, int OC, int lo,
                                  int hi, gan_act act, float slope)
{
    TIMED(SPENT_ACT, __real_gan_act_bias_backward(d, dbias, y, B, OC, lo, hi, act, slope));
}

void __real_gan_dataset_batch(const gan_dataset *ds, const uint32_t *idx, int n, float *out);
void __wrap_gan_dataset_batch(const gan_dataset *ds, const uint32_t *idx, int n, float *out);
void __wrap_gan_dataset_batch(const gan_dataset *ds, const uint32_t *idx, int n, float *out)
{
    TIMED(SPENT_DATA, __real_gan_dataset_batch(ds, idx, n, out));
}

void __real_gan_rng_normal_fill(gan_rng *rng, float *out, size_t n);
void __wrap_gan_rng_normal_fill(gan_rng *rng, float *out, size_t n);
void __wrap_gan_rng_normal_fill(gan_rng *rng, float *out, size_t n)
{
    TIMED(SPENT_DATA, __real_gan_rng_normal_fill(rng, out, n));
}

void __wrap_cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta,
                        const enum CBLAS_TRANSPOSE tb, const blasint M, const blasint N,
                        const blasint K, const float alpha, const float *A, const blasint lda,
                        const float *B, const blasint ldb, const float beta, float *C,
                        const blasint ldc)
{
    if (recording && trace.n < MAX_CALLS)
        trace.calls[trace.n++] =
            (sgemm_call){order, ta, tb, M, N, K, lda, ldb, ldc, alpha, beta, A, B, C};
    TIMED(SPENT_GEMM,
          __real_cblas_sgemm(order, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Replays recorded calls `reps` times. */
static void replay(const sgemm_trace *tr, int reps)
{
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < tr->n; i++) {
            const sgemm_call *c = &tr->calls[i];
            __real_cblas_sgemm(c->order, c->ta, c->tb, c->M, c->N, c->K, c->alpha, c->A, c->lda,
                               c->B, c->ldb, c->beta, c->C, c->ldc);
        }
}

#define MAX_THREADS 64

typedef struct {
    gan_trainer *t;
    int reps;
    double flops;
    double spent[MAX_THREADS][SPENT_KINDS]; /* each thread's, from collect_job */
} job;

/* Each thread hands over its sums of `spent` and starts again from zero. */
static void collect_job(void *ctx, const gan_team *tm)
{
    job *j = ctx;
    memcpy(j->spent[tm->part], spent, sizeof spent);
    memset(spent, 0, sizeof spent);
}

static void record_job(void *ctx, const gan_team *tm)
{
    (void)ctx;
    (void)tm;
    trace.n = 0;
}

static void flops_job(void *ctx, const gan_team *tm)
{
    job *j = ctx;
    double f = 0.0;
    for (int i = 0; i < trace.n; i++)
        f += 2.0 * trace.calls[i].M * trace.calls[i].N * trace.calls[i].K;
    for (int p = 0; p < tm->nparts; p++) { /* add up part by part, in order */
        if (p == tm->part)
            j->flops += f;
        gan_team_barrier(tm);
    }
}

static void replay_job(void *ctx, const gan_team *tm)
{
    job *j = ctx;
    for (int r = 0; r < j->reps; r++) {
        replay(&trace, 1);
        gan_team_barrier(tm); /* one barrier a step: a floor, not a schedule */
    }
}

/* Adam on both networks alone, `reps` times: with its arrays in cache (hot)
 * or, with a sweep of j->sweep (each thread its share) before every step,
 * from memory; part 0 adds up the seconds of the Adam steps themselves. */
typedef struct {
    gan_trainer *t;
    int reps;
    unsigned char *sweep; /* NULL: hot */
    size_t sweep_len;
    double seconds;
} adam_job_ctx;

static void adam_job(void *ctx, const gan_team *tm)
{
    adam_job_ctx *a = ctx;
    for (int r = 0; r < a->reps; r++) {
        if (a->sweep) {
            size_t lo, hi;
            gan_team_range(tm, a->sweep_len, 64, &lo, &hi);
            for (size_t i = lo; i < hi; i += 64)
                a->sweep[i]++;
        }
        gan_team_barrier(tm);
        double t0 = gan_now_seconds();
        gan_mlp_adam(&a->t->D, &a->t->adam, tm);
        gan_mlp_adam(&a->t->G, &a->t->adam, tm); /* ends with a barrier */
        if (tm->part == 0)
            a->seconds += gan_now_seconds() - t0;
    }
}

static double median(double *v, int rounds)
{
    qsort(v, (size_t)rounds, sizeof *v, cmp_double);
    return v[rounds / 2];
}

int main(int argc, char **argv)
{
    gan_config cfg;
    gan_err err = {""};
    /* the kernel gan-train would run (gan_kernel.h) */
    if (gan_kernel_restart(argv, &err) != 0)
        fprintf(stderr, "gan-bench: warning: %s\n", err.msg);
    gan_config_default(&cfg);
    /* the seed's recipe unless told: every step the same products (a lazy
     * penalty would make one step in K unlike the others), and the recipe
     * scripts/bench-torch.py runs in PyTorch */
    gan_config_preset(&cfg, GAN_PRESET_SEED);
    int reps = 100, epochs = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc)
            cfg.data_dir = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            cfg.threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--epochs") && i + 1 < argc)
            epochs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--preset") && i + 1 < argc && gan_preset_find(argv[i + 1]) >= 0)
            gan_config_preset(&cfg, gan_preset_find(argv[++i]));
        else {
            fprintf(stderr, "usage: gan-bench [--data DIR] [--threads N] [--epochs N] [--reps N] "
                            "[--preset default|seed]\n");
            return 2;
        }
    }
    if (cfg.threads == 0)
        cfg.threads = gan_pool_default_threads();
    if (cfg.threads < 1 || cfg.threads > MAX_THREADS || reps < 1 || epochs < 1 || epochs > 31) {
        fprintf(stderr, "gan-bench: --threads 1 to 64, --epochs 1 to 31, --reps positive\n");
        return 2;
    }
    gan_dataset ds;
    if (gan_dataset_load(&ds, cfg.data_dir, "train", 0, GAN_DATA_LABELS_OPTIONAL, &err) != 0) {
        fprintf(stderr, "gan-bench: %s\n", err.msg);
        return 1;
    }
    int threads = cfg.threads;
    gan_trainer t1, tn;
    cfg.threads = 1;
    if (gan_trainer_init(&t1, &cfg, (int)gan_dataset_image_size(&ds), ds.count, &err) != 0) {
        fprintf(stderr, "gan-bench: %s\n", err.msg);
        gan_dataset_free(&ds);
        return 1;
    }
    cfg.threads = threads;
    if (gan_trainer_init(&tn, &cfg, (int)gan_dataset_image_size(&ds), ds.count, &err) != 0) {
        fprintf(stderr, "gan-bench: %s\n", err.msg);
        gan_trainer_free(&t1);
        gan_dataset_free(&ds);
        return 1;
    }
    uint32_t *idx = malloc(sizeof(uint32_t) * (size_t)cfg.batch);
    for (int i = 0; i < cfg.batch; i++)
        idx[i] = (uint32_t)i % ds.count;
    gan_trainer *both[2] = {&t1, &tn};
    for (int k = 0; k < 2; k++) {
        gan_dataset_batch(&ds, idx, cfg.batch, both[k]->x);
        gan_rng_normal_fill(&both[k]->rng, both[k]->z, (size_t)cfg.batch * cfg.z_dim);
    }
    gan_step_stats st;

    /* record the 22 whole products of a step (one thread) ... */
    for (int w = 0; w < 20; w++)
        gan_trainer_step(&t1, cfg.batch, &st);
    recording = 1;
    trace.n = 0;
    gan_trainer_step(&t1, cfg.batch, &st);
    recording = 0;
    static sgemm_trace whole; /* the main thread's trace is recorded again below */
    whole = trace;
    int whole_calls = trace.n;
    double flops = 0.0;
    for (int i = 0; i < trace.n; i++)
        flops += 2.0 * trace.calls[i].M * trace.calls[i].N * trace.calls[i].K;
    /* ... and the products each of our threads makes in a step */
    static job j; /* (its per-thread table is 10 KB) */
    j = (job){.t = &tn, .reps = reps};
    for (int w = 0; w < 20; w++)
        gan_trainer_step(&tn, cfg.batch, &st);
    gan_pool_run(tn.pool, record_job, &j);
    recording = 1;
    gan_trainer_step(&tn, cfg.batch, &st);
    recording = 0;
    gan_pool_run(tn.pool, flops_job, &j);

    /* Interleaved rounds, so that floor and epochs see the same (noisy)
     * machine: the GEMM floor (the products our threads make in a step,
     * replayed alone by the same threads), then one training epoch. */
    double vs[32], ve[32], vb[32], t0;
    double where[32][SPENT_KINDS]; /* each round: a thread's seconds, mean over the threads */
    double spe = (double)((ds.count + (uint32_t)cfg.batch - 1) / (uint32_t)cfg.batch);
    int verbose = getenv("GAN_BENCH_VERBOSE") != NULL;
    for (int k = 0; k < epochs; k++) {
        j.reps = 5;
        gan_pool_run(tn.pool, replay_job, &j);
        j.reps = reps;
        t0 = gan_now_seconds();
        gan_pool_run(tn.pool, replay_job, &j);
        vs[k] = (gan_now_seconds() - t0) / reps;
        gan_epoch_stats es;
        gan_pool_run(tn.pool, collect_job, &j); /* from zero */
        timing = 1;
        t0 = gan_now_seconds();
        gan_trainer_epoch(&tn, &ds, &es);
        ve[k] = gan_now_seconds() - t0;
        timing = 0;
        gan_pool_run(tn.pool, collect_job, &j);
        for (int c = 0; c < SPENT_KINDS; c++) {
            where[k][c] = 0.0;
            for (int p = 0; p < threads; p++)
                where[k][c] += j.spent[p][c] / threads;
        }
        if (verbose) {
            fprintf(stderr, "round %d: floor %.3f s, epoch %.3f s\n", k + 1, vs[k] * spe, ve[k]);
            for (int p = 0; p < threads; p++) {
                fprintf(stderr, "  thread %d:", p);
                for (int c = 0; c < SPENT_KINDS; c++)
                    fprintf(stderr, " %s %.3f", spent_name[c], j.spent[p][c]);
                fprintf(stderr, "\n");
            }
        }
    }
    /* Adam alone, hot and cold (after the rounds: it moves the parameters) */
    adam_job_ctx aj = {.t = &tn, .reps = 200};
    gan_pool_run(tn.pool, adam_job, &aj);
    double adam_hot = aj.seconds / aj.reps;
    aj.sweep_len = (size_t)64 << 20; /* 64 MB, twice a server's L3 share */
    aj.sweep = calloc(aj.sweep_len, 1);
    aj.seconds = 0.0;
    double adam_cold = 0.0;
    if (aj.sweep) {
        gan_pool_run(tn.pool, adam_job, &aj);
        adam_cold = aj.seconds / aj.reps;
        free(aj.sweep);
    }
    /* For comparison, last (its idle threads spin a while and would disturb
     * ours): the 22 whole products replayed by OpenBLAS's own threads. */
    openblas_set_num_threads(threads);
    replay(&whole, 5);
    for (int k = 0; k < epochs; k++) {
        t0 = gan_now_seconds();
        replay(&whole, reps);
        vb[k] = (gan_now_seconds() - t0) / reps;
    }
    openblas_set_num_threads(1);
    double ratio[32], order[32];
    for (int k = 0; k < epochs; k++) {
        ratio[k] = ve[k] / (vs[k] * spe); /* each round's epoch against its own floor */
        order[k] = ve[k];
    }
    /* the breakdown of the round whose epoch is the median (its parts add up
     * to its epoch, which medians of each part would not) */
    double mid = median(order, epochs);
    int km = 0;
    while (ve[km] != mid)
        km++;
    double km_epoch = ve[km], km_floor = vs[km] * spe; /* (median() sorts ve and vs) */
    double floor_s = median(vs, epochs), floor_blas = median(vb, epochs);
    double epoch_s = median(ve, epochs), epoch_over_floor = median(ratio, epochs);
    char blas[512];
    gan_kernel_describe(blas, sizeof blas);
    printf("kernel=%s\n", openblas_get_corename());
    printf("blas=%s\n", blas);
    printf("preset=%s\n", gan_preset_name(cfg.preset));
    printf("threads=%d\n", threads);
    printf("images=%u\n", ds.count);
    printf("steps_per_epoch=%.0f\n", spe);
    printf("sgemm_calls_per_step=%d\n", whole_calls);
    printf("gflop_per_step=%.4f\n", flops * 1e-9);
    printf("gflop_per_step_threads=%.4f\n", j.flops * 1e-9);
    printf("floor_epoch_s=%.3f\n", floor_s * spe);
    printf("floor_gflops=%.1f\n", flops * 1e-9 / floor_s);
    printf("openblas_threads_floor_epoch_s=%.3f\n", floor_blas * spe);
    printf("epoch_s=%.3f\n", epoch_s);
    printf("samples_per_s=%.0f\n", ds.count / epoch_s);
    printf("epoch_over_floor=%.3f\n", epoch_over_floor);
    /* spent_*: seconds of that epoch a thread spent in each kind of call
     * (mean over the threads); spent_other_s: the rest of the epoch */
    double rest = km_epoch;
    for (int c = 0; c < SPENT_KINDS; c++) {
        printf("spent_%s_s=%.4f\n", spent_name[c], where[km][c]);
        rest -= where[km][c];
    }
    printf("spent_other_s=%.4f\n", rest);
    printf("spent_epoch_s=%.4f\n", km_epoch);
    printf("spent_gemm_over_floor=%.3f\n", where[km][SPENT_GEMM] / km_floor);
    /* Adam on both networks, ms a step: alone with its arrays in cache, alone
     * from memory, and in that epoch */
    printf("adam_hot_ms=%.3f\n", adam_hot * 1e3);
    printf("adam_cold_ms=%.3f\n", adam_cold * 1e3);
    printf("adam_epoch_ms=%.3f\n", where[km][SPENT_ADAM] / spe * 1e3);
    free(idx);
    gan_trainer_free(&tn);
    gan_trainer_free(&t1);
    gan_dataset_free(&ds);
    return 0;
}

/* bench_trace.c: gan-bench's --wrap hooks, recorder and replays (bench_trace.h). */
#include "bench_trace.h"

#include <stdlib.h>
#include <string.h>

#include "gan_layers.h"

_Atomic int recording;
_Thread_local sgemm_trace trace;
const char *const spent_name[SPENT_KINDS] = {"gemm", "wait", "adam", "act", "data"};
_Atomic int timing;
static _Thread_local double spent[SPENT_KINDS];
static _Thread_local long ncalls[SPENT_KINDS];
/* while timing: each of the thread's Adam calls, seconds (the first MAX_ADAM_CALLS) */
static _Thread_local double adam_calls[MAX_ADAM_CALLS];
static _Thread_local int adam_n;

void __wrap_cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta,
                        const enum CBLAS_TRANSPOSE tb, const blasint M, const blasint N,
                        const blasint K, const float alpha, const float *A, const blasint lda,
                        const float *B, const blasint ldb, const float beta, float *C,
                        const blasint ldc);

/* __wrap_NAME: __real_NAME(ARGS), its time added to spent[KIND] while timing */
#define TIMED(kind, call)                                                                          \
    do {                                                                                           \
        if (!timing) {                                                                             \
            call;                                                                                  \
        } else {                                                                                   \
            double t0_ = gan_now_seconds();                                                        \
            call;                                                                                  \
            spent[kind] += gan_now_seconds() - t0_;                                                \
            ncalls[kind]++;                                                                        \
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
    if (!timing) {
        __real_gan_adam_step(param, grad, m, v, n, t, cfg);
        return;
    }
    double t0 = gan_now_seconds();
    __real_gan_adam_step(param, grad, m, v, n, t, cfg);
    double dt = gan_now_seconds() - t0;
    spent[SPENT_ADAM] += dt;
    ncalls[SPENT_ADAM]++;
    if (adam_n < MAX_ADAM_CALLS)
        adam_calls[adam_n++] = dt;
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

void replay(const sgemm_trace *tr, int reps)
{
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < tr->n; i++) {
            const sgemm_call *c = &tr->calls[i];
            __real_cblas_sgemm(c->order, c->ta, c->tb, c->M, c->N, c->K, c->alpha, c->A, c->lda,
                               c->B, c->ldb, c->beta, c->C, c->ldc);
        }
}

int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void collect_job(void *ctx, const gan_team *tm)
{
    job *j = ctx;
    memcpy(j->spent[tm->part], spent, sizeof spent);
    memset(spent, 0, sizeof spent);
    memcpy(j->calls[tm->part], ncalls, sizeof ncalls);
    memset(ncalls, 0, sizeof ncalls);
    qsort(adam_calls, (size_t)adam_n, sizeof *adam_calls, cmp_double);
    j->adam_med[tm->part] = adam_n ? adam_calls[adam_n / 2] : 0.0;
    j->adam_p90[tm->part] = adam_n ? adam_calls[adam_n * 9 / 10] : 0.0;
    adam_n = 0;
}

void record_job(void *ctx, const gan_team *tm)
{
    (void)ctx;
    (void)tm;
    trace.n = 0;
}

void flops_job(void *ctx, const gan_team *tm)
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

void replay_job(void *ctx, const gan_team *tm)
{
    job *j = ctx;
    for (int r = 0; r < j->reps; r++) {
        replay(&trace, 1);
        gan_team_barrier(tm); /* one barrier a step: a floor, not a schedule */
    }
}

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
 *     elementwise work, no Adam, no data (with a lazy R1 penalty, of a cycle
 *     of --r1-every steps, one with the penalty, over its length: the mean
 *     step's);
 *   - one real training epoch (gan_trainer_epoch, as gan-train runs it);
 * medians of both and of each round's epoch/floor ratio (the machine's speed
 * drifts: a ratio is only fair within one round), and last, for comparison,
 * the 22 whole products of a step replayed by OpenBLAS's own threads.
 * During the epochs it also adds up, per thread, where the time goes: the
 * GEMMs, the waits at barriers, Adam, the bias and activation passes, the
 * batch and z (the library's calls to those functions are wrapped the same
 * way: -Wl,--wrap=gan_team_barrier and so on, see CMakeLists.txt).
 * The hooks and their state are in bench_trace.c.
 * Shapes (issue 20): --hidden and --batch set the model; --size WxH and
 * --channels C train on synthetic images of that shape (random bytes: their
 * content does not change a step's work), --limit N on N images (of --data,
 * or synthetic); the *_60k figures scale an epoch to 60,000 images, and
 * peak_rss_mb is the process's peak memory. line_roundtrip_ns, after the
 * rounds, is one cache line's trip to the second CPU and back (is the host's
 * slow state a longer way between the vCPUs?). --peak measures only the
 * machine's fp32 rate, a large sgemm on OpenBLAS's threads, and that trip.
 * --peak --precision bf16 adds one thread's rate of sgemm and of the bf16
 * product at shapes of a step and at 2048^3 (rate_MxNxK_*_gflops).
 * --cut-bits says at which thread counts each product of the model keeps the
 * bits of one thread's whole product (bench_cuts.c), and measures nothing.
 * --precision bf16 (gan_bf16.h): the floor stays the fp32 products' (recorded
 * on fp32 trainers), and the epochs run on a third trainer in bfloat16, so
 * that epoch_over_floor below 1 is an epoch below the fp32 floor; its
 * bf16 products are not sgemm calls, so spent_gemm is 0 and they count in
 * spent_other.
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "gan_idx.h"
#include "gan_kernel.h"
#include "gan_layers.h"
#include "gan_train.h"

#include "bench_cuts.h"
#include "bench_trace.h"

/* What each thread does before every Adam step of adam_job, besides a sweep:
 * nothing; write one value in every line of its own Adam slice's gradients,
 * or of the next thread's (as in training, where a thread's products write
 * the gradient rows of its columns); replay its products of a training step;
 * read the next thread's slice of the parameters (their lines then shared). */
enum { PRE_NONE, PRE_OWN_LINES, PRE_OTHER_LINES, PRE_PRODUCTS, PRE_SHARE_PARAMS, PRE_KINDS };

/* Adam on both networks alone, `reps` times, after `pre`: with its arrays in
 * cache (hot) or, with a sweep of j->sweep (each thread its share) before
 * every step, from memory; part 0 adds up the seconds of the Adam steps
 * themselves. */
typedef struct {
    gan_trainer *t;
    int reps;
    unsigned char *sweep; /* NULL: hot */
    size_t sweep_len;
    int pre;              /* PRE_* */
    double seconds;
} adam_job_ctx;

/* One write in every cache line of the gradients whose Adam part `part` of
 * the team runs (gan_mlp_adam's slice), leaving the values as they were; or
 * (share) one read in every line of its parameters. */
static void dirty_grads(gan_mlp *m, const gan_team *tm, int part, int share)
{
    gan_team as = *tm;
    as.part = part;
    size_t lo, hi;
    gan_team_range(&as, m->nparams, 16, &lo, &hi);
    volatile float *g = share ? m->params : m->grads;
    for (size_t i = lo; i < hi; i += 16) {
        float v = g[i];
        if (!share)
            g[i] = v;
    }
}

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
        if (a->pre == PRE_PRODUCTS)
            replay(&trace, 1);
        else if (a->pre != PRE_NONE) {
            int part = a->pre == PRE_OWN_LINES ? tm->part : (tm->part + 1) % tm->nparts;
            dirty_grads(&a->t->D, tm, part, a->pre == PRE_SHARE_PARAMS);
            dirty_grads(&a->t->G, tm, part, a->pre == PRE_SHARE_PARAMS);
        }
        gan_team_barrier(tm);
        double t0 = gan_now_seconds();
        gan_mlp_adam(&a->t->D, &a->t->adam, tm);
        gan_mlp_adam(&a->t->G, &a->t->adam, tm); /* ends with a barrier */
        if (tm->part == 0)
            a->seconds += gan_now_seconds() - t0;
    }
}

/* Seconds of CPU time the hypervisor has stolen from this machine's CPUs
 * (/proc/stat's steal column), or -1 where it cannot be read. */
static double steal_seconds(void)
{
    FILE *f = fopen("/proc/stat", "r");
    unsigned long long v[8] = {0};
    int n = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                       &v[3], &v[4], &v[5], &v[6], &v[7])
              : 0;
    if (f)
        fclose(f);
    return n == 8 ? (double)v[7] / (double)sysconf(_SC_CLK_TCK) : -1.0;
}

static double median(double *v, int rounds)
{
    qsort(v, (size_t)rounds, sizeof *v, cmp_double);
    return v[rounds / 2];
}

/* What gan-bench is told. */
typedef struct {
    gan_config cfg;
    int reps, epochs;
    int width, height, channels; /* --size WxH, --channels C: synthetic images (0: --data's) */
    uint32_t limit;              /* images to train on (0: all of --data; synthetic: 60,000) */
    int peak;                    /* --peak: only the machine's sgemm rate */
    int cut_bits;                /* --cut-bits: which thread counts keep the products' bits */
} bench_opts;

static int usage(void)
{
    fprintf(stderr, "usage: gan-bench [--data DIR | --size WxH [--channels C]] [--limit N] "
                    "[--hidden N] [--batch N] [--threads N] [--epochs N] [--reps N] "
                    "[--preset default|seed] [--precision fp32|bf16]\n"
                    "       gan-bench --peak [--threads N] [--precision bf16]\n"
                    "       gan-bench --cut-bits [--data DIR | --size WxH [--channels C]] "
                    "[--limit N] [--hidden N] [--batch N] [--preset default|seed]\n");
    return 2;
}

/* A positive whole number of at most max, or -1. */
static long whole_arg(const char *s, long max)
{
    char *end;
    long v = strtol(s, &end, 10);
    return end != s && !*end && v >= 1 && v <= max ? v : -1;
}

/* The options into o (the seed's recipe unless told: every step the same
 * products, where a lazy penalty would make one step in K unlike the
 * others, and the recipe scripts/bench-torch.py runs in PyTorch); 0, or the
 * exit status 2 after a message. */
static int parse_args(int argc, char **argv, bench_opts *o)
{
    memset(o, 0, sizeof *o);
    gan_config_default(&o->cfg);
    gan_config_preset(&o->cfg, GAN_PRESET_SEED);
    o->reps = 100;
    o->epochs = 3;
    int data_given = 0, hidden = 0, batch = 0, preset = GAN_PRESET_SEED;
    long v = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *b = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--peak")) {
            o->peak = 1;
            continue;
        }
        if (!strcmp(a, "--cut-bits")) {
            o->cut_bits = 1;
            continue;
        }
        if (!b)
            return usage();
        i++;
        if (!strcmp(a, "--data"))
            o->cfg.data_dir = b, data_given = 1;
        else if (!strcmp(a, "--threads"))
            o->cfg.threads = atoi(b);
        else if (!strcmp(a, "--epochs"))
            o->epochs = atoi(b);
        else if (!strcmp(a, "--reps"))
            o->reps = atoi(b);
        else if (!strcmp(a, "--preset") && gan_preset_find(b) >= 0)
            preset = gan_preset_find(b);
        else if (!strcmp(a, "--precision") && (!strcmp(b, "fp32") || !strcmp(b, "bf16")))
            o->cfg.precision = b[0] == 'b' ? GAN_PREC_BF16 : GAN_PREC_FP32;
        else if (!strcmp(a, "--hidden") && (v = whole_arg(b, 65536)) > 0)
            hidden = (int)v;
        else if (!strcmp(a, "--batch") && (v = whole_arg(b, 65536)) > 0)
            batch = (int)v;
        else if (!strcmp(a, "--limit") && (v = whole_arg(b, 100000000)) > 0)
            o->limit = (uint32_t)v;
        else if (!strcmp(a, "--channels") && (!strcmp(b, "1") || !strcmp(b, "3")))
            o->channels = b[0] - '0';
        else if (!strcmp(a, "--size") && sscanf(b, "%dx%d", &o->width, &o->height) == 2 &&
                 o->width >= 1 && o->width <= 4096 && o->height >= 1 && o->height <= 4096)
            continue;
        else
            return usage();
    }
    /* the preset first, then the sizes given, in whatever order they came */
    int threads = o->cfg.threads;
    gan_config_preset(&o->cfg, preset);
    o->cfg.threads = threads;
    if (hidden)
        o->cfg.hidden = hidden;
    if (batch)
        o->cfg.batch = batch;
    if (o->cfg.threads == 0)
        o->cfg.threads = gan_pool_default_threads();
    if (o->cfg.threads < 1 || o->cfg.threads > MAX_THREADS || o->reps < 1 || o->epochs < 1 ||
        o->epochs > 31) {
        fprintf(stderr, "gan-bench: --threads 1 to 64, --epochs 1 to 31, --reps positive\n");
        return 2;
    }
    if (o->channels && !o->width) {
        fprintf(stderr, "gan-bench: --channels goes with --size WxH (synthetic images)\n");
        return 2;
    }
    if (o->width && data_given) {
        fprintf(stderr, "gan-bench: give --data DIR or --size WxH, not both\n");
        return 2;
    }
    if (o->width && !o->channels)
        o->channels = 1;
    return 0;
}

/* The training set: --data's (its first --limit images), or synthetic
 * images of --size and --channels (--limit of them, else 60,000) of random
 * bytes, labelled 0: their content does not change a step's work. */
static int bench_data(const bench_opts *o, gan_dataset *ds, gan_err *err)
{
    if (!o->width)
        return gan_dataset_load(ds, o->cfg.data_dir, "train", o->limit,
                                GAN_DATA_LABELS_OPTIONAL, err);
    memset(ds, 0, sizeof *ds);
    ds->count = ds->total = o->limit ? o->limit : 60000;
    ds->rows = (uint32_t)o->height;
    ds->cols = (uint32_t)o->width;
    ds->channels = (uint32_t)o->channels;
    size_t n = (size_t)ds->count * gan_dataset_image_size(ds);
    ds->pixels = malloc(n);
    if (!ds->pixels)
        return gan_err_set(err, "out of memory for %u synthetic images", ds->count);
    gan_rng rng;
    gan_rng_seed(&rng, 1, 6);
    for (size_t i = 0; i < n; i += 4) {
        uint32_t r = gan_rng_u32(&rng);
        for (size_t k = 0; k < 4 && i + k < n; k++)
            ds->pixels[i + k] = (uint8_t)(r >> (8 * k));
    }
    return 0;
}

/* What one measurement found. */
typedef struct {
    int cycle;                /* steps recorded and replayed as one: --r1-every's (a lazy
                                 penalty makes one step in K unlike the others), else 1 */
    int calls;                /* cblas_sgemm calls of the cycle, one thread */
    double flops;             /* of a step (the cycle's mean), all of its products */
    double spe;               /* steps an epoch */
    double floor_s, blas_s;   /* a step's products replayed by our threads, by OpenBLAS's */
    double epoch_s, epoch_over_floor;
    double mid_epoch, mid_floor, where[SPENT_KINDS]; /* the median round's epoch and its parts */
    double adam_hot, adam_cold, adam_own, adam_other, adam_after, adam_shared;
    double adam_med, adam_p90; /* the median round's Adam calls in the epoch: median and
                                  90th percentile of one call (mean over the threads) */
    double steal_s;            /* the median round's CPU time stolen by the host */
    double trip_ns;            /* its line trip between the threads' CPUs at its start */
    int flush_epochs;          /* epochs whose Adam flushed the other's lines first */
} bench_result;

static sgemm_trace whole; /* the 22 whole products of a step, one thread */
static job j;             /* (its per-thread table is 10 KB) */

/* Records the products of a cycle of steps: the whole ones on t1 (one
 * thread), then those each thread of tn makes (after warm-up steps); the
 * floor of a step is then the cycle's replay over its length. */
static void record_steps(gan_trainer *t1, gan_trainer *tn, int batch, int reps, bench_result *r)
{
    gan_step_stats st;
    for (int w = 0; w < 20; w++)
        gan_trainer_step(t1, batch, &st);
    recording = 1;
    trace.n = 0;
    for (int c = 0; c < r->cycle; c++)
        gan_trainer_step(t1, batch, &st);
    recording = 0;
    whole = trace; /* the main thread's trace is recorded again below */
    r->calls = trace.n;
    r->flops = 0.0;
    for (int i = 0; i < trace.n; i++)
        r->flops += 2.0 * trace.calls[i].M * trace.calls[i].N * trace.calls[i].K;
    r->flops /= r->cycle;
    j = (job){.t = tn, .reps = reps};
    for (int w = 0; w < 20; w++)
        gan_trainer_step(tn, batch, &st);
    gan_pool_run(tn->pool, record_job, &j);
    recording = 1;
    for (int c = 0; c < r->cycle; c++)
        gan_trainer_step(tn, batch, &st);
    recording = 0;
    gan_pool_run(tn->pool, flops_job, &j);
    j.flops /= r->cycle;
}

/* Interleaved rounds, so that floor and epochs see the same (noisy)
 * machine: the GEMM floor (the products tn's threads make in a step,
 * replayed alone by the same threads), then one training epoch of te (tn,
 * or with --precision bf16 its twin in bfloat16), timed by kind of call. */
static void run_rounds(gan_trainer *tn, gan_trainer *te, const gan_dataset *ds, int epochs,
                       int reps, bench_result *r)
{
    const int threads = gan_pool_size(tn->pool);
    double vs[32], ve[32], ratio[32], order[32], t0;
    double where[32][SPENT_KINDS]; /* each round: a thread's seconds, mean over the threads */
    double amed[32], ap90[32], stolen[32], trip[32];
    int verbose = getenv("GAN_BENCH_VERBOSE") != NULL;
    for (int k = 0; k < epochs; k++) {
        j.reps = 5;
        gan_pool_run(tn->pool, replay_job, &j);
        j.reps = reps;
        t0 = gan_now_seconds();
        gan_pool_run(tn->pool, replay_job, &j);
        vs[k] = (gan_now_seconds() - t0) / reps / r->cycle;
        gan_epoch_stats es;
        gan_pool_run(te->pool, collect_job, &j); /* from zero */
        timing = 1;
        stolen[k] = steal_seconds();
        t0 = gan_now_seconds();
        gan_trainer_epoch(te, ds, &es);
        ve[k] = gan_now_seconds() - t0;
        stolen[k] = stolen[k] < 0 ? -1.0 : steal_seconds() - stolen[k];
        timing = 0;
        gan_pool_run(te->pool, collect_job, &j);
        amed[k] = ap90[k] = 0.0;
        for (int p = 0; p < threads; p++) {
            amed[k] += j.adam_med[p] / threads;
            ap90[k] += j.adam_p90[p] / threads;
        }
        for (int c = 0; c < SPENT_KINDS; c++) {
            where[k][c] = 0.0;
            for (int p = 0; p < threads; p++)
                where[k][c] += j.spent[p][c] / threads;
        }
        if (verbose) {
            fprintf(stderr, "round %d: floor %.3f s, epoch %.3f s, line trip %.0f ns%s\n", k + 1,
                    vs[k] * r->spe, ve[k], te->line_trip_ns,
                    te->G.flush_shared ? ", Adam flushed the other's lines" : "");
            for (int p = 0; p < threads; p++) {
                fprintf(stderr, "  thread %d:", p);
                for (int c = 0; c < SPENT_KINDS; c++)
                    fprintf(stderr, " %s %.3f", spent_name[c], j.spent[p][c]);
                fprintf(stderr, " act calls %ld;", j.calls[p][SPENT_ACT]);
                fprintf(stderr, " adam call median %.1f us, p90 %.1f", j.adam_med[p] * 1e6,
                        j.adam_p90[p] * 1e6);
                fprintf(stderr, "\n");
            }
        }
        ratio[k] = ve[k] / (vs[k] * r->spe); /* each round's epoch against its own floor */
        order[k] = ve[k];
        trip[k] = te->line_trip_ns;
        r->flush_epochs += te->G.flush_shared;
    }
    /* the breakdown of the round whose epoch is the median (its parts add up
     * to its epoch, which medians of each part would not) */
    double mid = median(order, epochs);
    int km = 0;
    while (ve[km] != mid)
        km++;
    r->mid_epoch = ve[km];
    r->mid_floor = vs[km] * r->spe;
    memcpy(r->where, where[km], sizeof r->where);
    r->adam_med = amed[km];
    r->adam_p90 = ap90[km];
    r->steal_s = stolen[km];
    r->trip_ns = trip[km];
    r->floor_s = median(vs, epochs);
    r->epoch_s = median(ve, epochs);
    r->epoch_over_floor = median(ratio, epochs);
}

/* Adam alone, hot and cold (after the rounds: it moves the parameters); then
 * for comparison, last (its idle threads spin a while and would disturb
 * ours), the whole products replayed by OpenBLAS's own threads. */
static void time_adam_and_blas(gan_trainer *tn, int epochs, int reps, bench_result *r)
{
    adam_job_ctx aj = {.t = tn, .reps = 200};
    gan_pool_run(tn->pool, adam_job, &aj);
    r->adam_hot = aj.seconds / aj.reps;
    double *after[PRE_KINDS] = {NULL, &r->adam_own, &r->adam_other, &r->adam_after,
                                &r->adam_shared};
    for (int pre = PRE_OWN_LINES; pre < PRE_KINDS; pre++) {
        aj.pre = pre;
        aj.seconds = 0.0;
        gan_pool_run(tn->pool, adam_job, &aj);
        *after[pre] = aj.seconds / aj.reps;
    }
    aj.pre = PRE_NONE;
    aj.sweep_len = (size_t)64 << 20; /* 64 MB, twice a server's L3 share */
    aj.sweep = calloc(aj.sweep_len, 1);
    aj.seconds = 0.0;
    r->adam_cold = 0.0;
    if (aj.sweep) {
        gan_pool_run(tn->pool, adam_job, &aj);
        r->adam_cold = aj.seconds / aj.reps;
        free(aj.sweep);
    }
    double vb[32];
    openblas_set_num_threads(gan_pool_size(tn->pool));
    replay(&whole, 5);
    for (int k = 0; k < epochs; k++) {
        double t0 = gan_now_seconds();
        replay(&whole, reps);
        vb[k] = (gan_now_seconds() - t0) / reps / r->cycle;
    }
    openblas_set_num_threads(1);
    r->blas_s = median(vb, epochs);
}

/* The report, KEY=VALUE lines; *_60k: scaled to an epoch of 60,000 images
 * (the size of the grids of scripts/bench.sh, whatever --limit trained). */
static void report(const bench_opts *o, const gan_trainer *tn, const gan_dataset *ds,
                   const bench_result *r)
{
    const double spe = r->spe, to60k = 60000.0 / ds->count;
    char blas[512];
    gan_kernel_describe(blas, sizeof blas);
    struct rusage ru;
    double rss = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss / 1024.0 : 0.0;
    printf("kernel=%s\n", openblas_get_corename());
    printf("blas=%s\n", blas);
    printf("preset=%s\n", gan_preset_name(o->cfg.preset));
    printf("precision=%s\n", o->cfg.precision == GAN_PREC_BF16 ? "bf16" : "fp32");
    printf("threads=%d\n", gan_pool_size(tn->pool));
    printf("hidden=%d\n", o->cfg.hidden);
    printf("inputs=%d\n", tn->pixels);
    printf("batch=%d\n", o->cfg.batch);
    printf("data=%s\n", o->width ? "synthetic" : o->cfg.data_dir);
    printf("images=%u\n", ds->count);
    printf("steps_per_epoch=%.0f\n", spe);
    printf("steps_per_cycle=%d\n", r->cycle);
    printf("sgemm_calls_per_step=%d\n", r->calls / r->cycle);
    printf("gflop_per_step=%.4f\n", r->flops * 1e-9);
    printf("gflop_per_step_threads=%.4f\n", j.flops * 1e-9);
    printf("floor_epoch_s=%.3f\n", r->floor_s * spe);
    printf("floor_epoch_s_60k=%.3f\n", r->floor_s * spe * to60k);
    printf("floor_gflops=%.1f\n", r->flops * 1e-9 / r->floor_s);
    printf("openblas_threads_floor_epoch_s=%.3f\n", r->blas_s * spe);
    printf("epoch_s=%.3f\n", r->epoch_s);
    printf("epoch_s_60k=%.3f\n", r->epoch_s * to60k);
    printf("samples_per_s=%.0f\n", ds->count / r->epoch_s);
    printf("epoch_over_floor=%.3f\n", r->epoch_over_floor);
    /* spent_*: seconds of that epoch a thread spent in each kind of call
     * (mean over the threads); spent_other_s: the rest of the epoch */
    double rest = r->mid_epoch;
    for (int c = 0; c < SPENT_KINDS; c++) {
        printf("spent_%s_s=%.4f\n", spent_name[c], r->where[c]);
        rest -= r->where[c];
    }
    printf("spent_other_s=%.4f\n", rest);
    printf("spent_epoch_s=%.4f\n", r->mid_epoch);
    printf("spent_gemm_over_floor=%.3f\n", r->where[SPENT_GEMM] / r->mid_floor);
    /* Adam on both networks, ms a step: alone with its arrays in cache, alone
     * from memory, and in that epoch */
    printf("adam_hot_ms=%.3f\n", r->adam_hot * 1e3);
    printf("adam_cold_ms=%.3f\n", r->adam_cold * 1e3);
    /* alone, its gradients' lines last written by its own thread, by another */
    printf("adam_own_lines_ms=%.3f\n", r->adam_own * 1e3);
    printf("adam_other_lines_ms=%.3f\n", r->adam_other * 1e3);
    /* alone, right after each thread's products of a step (the floor's replay) */
    printf("adam_after_products_ms=%.3f\n", r->adam_after * 1e3);
    /* alone, its parameters' lines read by another thread first (shared) */
    printf("adam_shared_params_ms=%.3f\n", r->adam_shared * 1e3);
    printf("adam_epoch_ms=%.3f\n", r->where[SPENT_ADAM] / spe * 1e3);
    /* one Adam call (a network's slice) in that epoch: median, 90th percentile */
    printf("adam_epoch_call_median_us=%.1f\n", r->adam_med * 1e6);
    printf("adam_epoch_call_p90_us=%.1f\n", r->adam_p90 * 1e6);
    printf("steal_s=%.3f\n", r->steal_s);
    /* one cache line to the second CPU and back, right after the rounds; the
     * trainer's own trip at the median round's start, and the epochs whose
     * Adam flushed the lines the other thread held (gan_mlp's flush_shared) */
    printf("line_roundtrip_ns=%.0f\n", line_roundtrip_ns());
    printf("epoch_line_trip_ns=%.0f\n", r->trip_ns);
    printf("flush_epochs=%d\n", r->flush_epochs);
    printf("peak_rss_mb=%.1f\n", rss);
}

int main(int argc, char **argv)
{
    gan_err err = {""};
    /* the kernel gan-train would run (gan_kernel.h) */
    if (gan_kernel_restart(argv, &err) != 0)
        fprintf(stderr, "gan-bench: warning: %s\n", err.msg);
    bench_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc;
    if (o.peak) {
        printf("kernel=%s\nthreads=%d\npeak_gflops=%.1f\n", openblas_get_corename(),
               o.cfg.threads, measure_peak(o.cfg.threads));
        printf("line_roundtrip_ns=%.0f\n", line_roundtrip_ns());
        if (o.cfg.precision == GAN_PREC_BF16 && report_product_rates(&err) != 0) {
            fprintf(stderr, "gan-bench: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    gan_dataset ds;
    if (bench_data(&o, &ds, &err) != 0) {
        fprintf(stderr, "gan-bench: %s\n", err.msg);
        return 1;
    }
    if (o.cut_bits)
        return bench_cut_bits(&o.cfg, &ds);
    gan_config cfg = o.cfg;
    gan_trainer t1, tn, tb;
    int P = (int)gan_dataset_image_size(&ds);
    cfg.threads = 1;
    cfg.precision = GAN_PREC_FP32; /* the floor's products are fp32's */
    int rc1 = gan_trainer_init(&t1, &cfg, P, ds.count, &err);
    cfg.threads = o.cfg.threads;
    int rcn = rc1 == 0 ? gan_trainer_init(&tn, &cfg, P, ds.count, &err) : -1;
    int bf16 = o.cfg.precision == GAN_PREC_BF16;
    int rcb = rcn == 0 && bf16 ? gan_trainer_init(&tb, &o.cfg, P, ds.count, &err) : 0;
    if (rc1 != 0 || rcn != 0 || rcb != 0) {
        fprintf(stderr, "gan-bench: %s\n", err.msg);
        if (rc1 == 0)
            gan_trainer_free(&t1);
        if (rcn == 0)
            gan_trainer_free(&tn);
        gan_dataset_free(&ds);
        return 1;
    }
    uint32_t *idx = malloc(sizeof(uint32_t) * (size_t)cfg.batch);
    for (int i = 0; idx && i < cfg.batch; i++)
        idx[i] = (uint32_t)i % ds.count;
    gan_trainer *both[2] = {&t1, &tn};
    for (int k = 0; idx && k < 2; k++) {
        gan_dataset_batch(&ds, idx, cfg.batch, both[k]->x);
        gan_rng_normal_fill(&both[k]->rng, both[k]->z, (size_t)cfg.batch * cfg.z_dim);
    }
    bench_result r = {.spe = (double)((ds.count + (uint32_t)cfg.batch - 1) / (uint32_t)cfg.batch),
                      .cycle = cfg.r1_gamma > 0.0 && cfg.r1_every > 1 ? cfg.r1_every : 1};
    if (r.cycle > 8) {
        fprintf(stderr, "gan-bench: --r1-every above 8 makes a cycle too long to record\n");
        r.cycle = 8;
    }
    record_steps(&t1, &tn, cfg.batch, o.reps, &r);
    run_rounds(&tn, bf16 ? &tb : &tn, &ds, o.epochs, o.reps, &r);
    time_adam_and_blas(&tn, o.epochs, o.reps, &r);
    report(&o, &tn, &ds, &r);
    free(idx);
    if (bf16)
        gan_trainer_free(&tb);
    gan_trainer_free(&tn);
    gan_trainer_free(&t1);
    gan_dataset_free(&ds);
    return 0;
}

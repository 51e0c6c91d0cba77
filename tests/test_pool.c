/*
 * test_pool.c: the thread pool. Ranges cover [0, n) exactly once at the
 * given alignment; every thread runs each job; a barrier really waits (a
 * thread that passes it sees every other thread's writes from before it);
 * the trainer gives the same results with 1, 2 and 3 threads' splits.
 */
#define _GNU_SOURCE /* sched_getaffinity */
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "gan_pool.h"
#include "gan_train.h"
#include "test_util.h"

/* The CPUs a process may use: its affinity, a quota rounded up; the default
 * thread count: that, at most 16; live, at least 1 and no more than allowed. */
static void test_default_threads(void)
{
    CHECK(gan_pool_cpus_for(2, 0, 0) == 2);
    CHECK(gan_pool_cpus_for(1, 0, 0) == 1);
    CHECK(gan_pool_cpus_for(0, 0, 0) == 1);
    CHECK(gan_pool_cpus_for(16, -1, 100000) == 16);  /* cgroup v1: -1, no quota */
    CHECK(gan_pool_cpus_for(64, 0, 0) == 64);
    CHECK(gan_pool_cpus_for(8, 200000, 100000) == 2);
    CHECK(gan_pool_cpus_for(8, 150000, 100000) == 2);  /* 1.5 CPUs: 2 threads */
    CHECK(gan_pool_cpus_for(8, 50000, 100000) == 1);
    CHECK(gan_pool_cpus_for(2, 400000, 100000) == 2);  /* the quota does not raise it */
    CHECK(gan_pool_cpus_for(8, 100000, 0) == 8);       /* no period: not a quota */
    int cpus = gan_pool_cpus(), n = gan_pool_default_threads();
    cpu_set_t set;
    CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
    CHECK_MSG(cpus >= 1 && cpus <= CPU_COUNT(&set), "%d CPUs, %d allowed", cpus, CPU_COUNT(&set));
    CHECK_MSG(n == (cpus < GAN_POOL_MAX_DEFAULT ? cpus : GAN_POOL_MAX_DEFAULT),
              "default %d threads, %d CPUs", n, cpus);
    /* this process pinned to one CPU: one thread */
    cpu_set_t one;
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set)) {
            CPU_SET(c, &one);
            break;
        }
    CHECK(sched_setaffinity(0, sizeof one, &one) == 0);
    CHECK(gan_pool_default_threads() == 1);
    CHECK(gan_pool_cpus() == 1);
    CHECK(sched_setaffinity(0, sizeof set, &set) == 0);
}

static void test_ranges(void)
{
    for (int nparts = 1; nparts <= 5; nparts++)
        for (size_t n = 0; n < 900; n += 37)
            for (size_t align = 1; align <= 16; align *= 2) {
                size_t next = 0;
                int ok = 1;
                for (int p = 0; p < nparts; p++) {
                    gan_team tm = {NULL, p, nparts};
                    size_t lo, hi;
                    gan_team_range(&tm, n, align, &lo, &hi);
                    ok &= lo == next && hi >= lo && hi <= n && (lo % align == 0 || lo == n);
                    next = hi;
                }
                CHECK_MSG(ok && next == n, "n %zu, %d parts, align %zu", n, nparts, align);
            }
    /* 784 columns in two halves at 8-float alignment: 392 each */
    gan_team t0 = {NULL, 0, 2};
    size_t lo, hi;
    gan_team_range(&t0, 784, 8, &lo, &hi);
    CHECK(lo == 0 && hi == 392);
}

enum { ROUNDS = 300, MAXT = 4 };
typedef struct {
    int slot[MAXT];
    atomic_int bad, ran;
} barrier_job;

static void barrier_fn(void *ctx, const gan_team *tm)
{
    barrier_job *j = ctx;
    atomic_fetch_add(&j->ran, 1);
    for (int r = 1; r <= ROUNDS; r++) {
        j->slot[tm->part] = r;
        gan_team_barrier(tm);
        for (int p = 0; p < tm->nparts; p++)
            if (j->slot[p] != r)
                atomic_fetch_add(&j->bad, 1);
        gan_team_barrier(tm);
    }
}

static void test_barrier(int threads)
{
    gan_pool *pool;
    gan_err err = {""};
    CHECK(gan_pool_init(&pool, threads, &err) == 0);
    CHECK(gan_pool_size(pool) == threads);
    for (int rep = 0; rep < 3; rep++) {
        barrier_job j;
        memset(&j, 0, sizeof j);
        atomic_init(&j.bad, 0);
        atomic_init(&j.ran, 0);
        gan_pool_run(pool, barrier_fn, &j);
        CHECK_MSG(atomic_load(&j.ran) == threads, "%d threads ran, want %d", atomic_load(&j.ran),
                  threads);
        CHECK_MSG(atomic_load(&j.bad) == 0, "%d stale reads past a barrier", atomic_load(&j.bad));
    }
    gan_pool_free(pool);
}

/* Five steps of t on the same made-up batches whatever the thread count;
 * the last step's losses into *st. */
static void five_steps(gan_trainer *t, int pixels, gan_step_stats *st)
{
    gan_rng data;
    gan_rng_seed(&data, 3, 3);
    for (int s = 0; s < 5; s++) {
        for (int i = 0; i < t->batch * pixels; i++)
            t->x[i] = gan_rng_uniform(&data, -1.0f, 1.0f);
        gan_rng_normal_fill(&data, t->z, (size_t)t->batch * t->z_dim);
        gan_trainer_step(t, t->batch, st);
    }
}

/* Training steps with 1, 2 and 3 threads: the same losses and parameters up
 * to float rounding (each thread's products are the same sums, cut by
 * columns), and with one thread count, the same bits twice. */
static void test_trainer_threads(void)
{
    enum { P = 40, N = 3 };
    float params[N][2][20000];
    double losses[N][2];
    int counts[N] = {1, 2, 3};
    for (int k = 0; k < N; k++) {
        gan_config cfg;
        gan_config_default(&cfg);
        cfg.batch = 24;
        cfg.z_dim = 12;
        cfg.hidden = 48;
        cfg.threads = counts[k];
        gan_trainer t;
        gan_err err = {""};
        CHECK(gan_trainer_init(&t, &cfg, P, 100, &err) == 0);
        CHECK(t.G.nparams <= 20000 && t.D.nparams <= 20000);
        gan_step_stats st = {0};
        five_steps(&t, P, &st);
        losses[k][0] = st.loss_d;
        losses[k][1] = st.loss_g;
        memcpy(params[k][0], t.G.params, sizeof(float) * t.G.nparams);
        memcpy(params[k][1], t.D.params, sizeof(float) * t.D.nparams);
        size_t ng = t.G.nparams, nd = t.D.nparams;
        gan_trainer_free(&t);
        if (k == 0)
            continue;
        CHECK_CLOSE(losses[k][0], losses[0][0], 1e-6, 1e-5);
        CHECK_CLOSE(losses[k][1], losses[0][1], 1e-6, 1e-5);
        double worst = 0;
        for (size_t i = 0; i < ng; i++)
            worst = fmax(worst, fabs(params[k][0][i] - params[0][0][i]));
        for (size_t i = 0; i < nd; i++)
            worst = fmax(worst, fabs(params[k][1][i] - params[0][1][i]));
        CHECK_MSG(worst < 1e-5, "%d threads: parameters differ by %g", counts[k], worst);
    }
}

/* Every part gets the one figure of gan_team_line_trip_ns: 0 alone, a
 * time (positive, under a second) on two or more threads. */
typedef struct {
    double got[4];
} trip_job;

static void trip_fn(void *ctx, const gan_team *tm)
{
    trip_job *j = ctx;
    j->got[tm->part] = gan_team_line_trip_ns(tm);
}

static void test_line_trip(int threads)
{
    gan_pool *pool;
    gan_err err = {""};
    CHECK(gan_pool_init(&pool, threads, &err) == 0);
    trip_job j = {{-1, -1, -1, -1}};
    gan_pool_run(pool, trip_fn, &j);
    for (int p = 0; p < threads; p++)
        CHECK_MSG(j.got[p] == j.got[0], "%d threads: part %d got %g, part 0 %g", threads, p,
                  j.got[p], j.got[0]);
    CHECK_MSG(threads == 1 ? j.got[0] == 0.0 : j.got[0] > 0.0 && j.got[0] < 1e9,
              "%d threads: a line trip of %g ns", threads, j.got[0]);
    gan_pool_free(pool);
}

/* Adam's flush of the other thread's lines (flush_shared) moves no number:
 * steps on 2 threads give the same bits with it as without. */
static void test_flush_same_bits(void)
{
    enum { P = 40 };
    static float params[2][2][20000];
    int flushed = 0;
    for (int k = 0; k < 2; k++) {
        gan_config cfg;
        gan_config_default(&cfg);
        cfg.batch = 24;
        cfg.z_dim = 12;
        cfg.hidden = 48;
        cfg.threads = 2;
        gan_trainer t;
        gan_err err = {""};
        CHECK(gan_trainer_init(&t, &cfg, P, 100, &err) == 0);
        t.G.flush_shared = t.D.flush_shared = k == 1 && t.can_flush;
        flushed = t.G.flush_shared;
        gan_step_stats st = {0};
        five_steps(&t, P, &st);
        memcpy(params[k][0], t.G.params, sizeof(float) * t.G.nparams);
        memcpy(params[k][1], t.D.params, sizeof(float) * t.D.nparams);
        gan_trainer_free(&t);
    }
    if (!flushed)
        printf("test_pool: this CPU has no CLFLUSHOPT: the flush is never used here\n");
    CHECK(memcmp(params[0], params[1], sizeof params[0]) == 0);
}

int main(void)
{
    test_ranges();
    test_barrier(1);
    test_barrier(2);
    test_barrier(3);
    test_trainer_threads();
    test_line_trip(1);
    test_line_trip(2);
    test_line_trip(3);
    test_flush_same_bits();
    test_default_threads();
    TEST_MAIN_END();
}

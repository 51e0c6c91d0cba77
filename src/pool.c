/* pool.c: the SPMD thread pool of gan_pool.h on POSIX threads and C11 atomics. */
#define _GNU_SOURCE /* sched_getaffinity */
#include "gan_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How long a waiting thread spins (iterations of a pause, some 0.3 ms)
 * before it yields the CPU at every turn (in a barrier) or sleeps (between
 * jobs): long enough for the waits inside a step, short enough to give the
 * CPU away quickly when there are more threads than CPUs. */
#define SPIN_LIMIT 20000

typedef struct {
    gan_pool *pool;
    int part;
} worker_arg;

struct gan_pool {
    int threads;
    int started;
    pthread_t *workers;
    worker_arg *args;
    /* job hand-off */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_ulong job;          /* bumped for every job */
    atomic_int stop;
    void (*fn)(void *ctx, const gan_team *team);
    void *ctx;
    atomic_int running;        /* workers still in the current job */
    /* the barrier: arrivals count up; each completed round bumps the phase */
    atomic_int arrived;
    atomic_uint phase;
    /* gan_team_line_trip_ns: a line of its own, passed between parts 0 and 1 */
    char pad0[64];
    atomic_int trip;
    char pad1[64];
    double trip_ns;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* One turn of a wait that has turned `spins` times: a pause while it is
 * short, then the CPU given away at every turn. */
static inline void back_off(long spins)
{
    if (spins < SPIN_LIMIT)
        cpu_relax();
    else
        sched_yield();
}

void gan_team_barrier(const gan_team *team)
{
    gan_pool *p = team->pool;
    if (!p || team->nparts == 1)
        return;
    unsigned phase = atomic_load_explicit(&p->phase, memory_order_acquire);
    if (atomic_fetch_add_explicit(&p->arrived, 1, memory_order_acq_rel) == team->nparts - 1) {
        atomic_store_explicit(&p->arrived, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&p->phase, 1, memory_order_acq_rel);
        return;
    }
    for (long spins = 0; atomic_load_explicit(&p->phase, memory_order_acquire) == phase; spins++) {
        back_off(spins);
    }
}

/* Waits until *line holds want, as a barrier waits. */
static void wait_for(atomic_int *line, int want)
{
    for (long spins = 0; atomic_load_explicit(line, memory_order_acquire) != want; spins++) {
        back_off(spins);
    }
}

double gan_team_line_trip_ns(const gan_team *team)
{
    gan_pool *p = team->pool;
    if (!p || team->nparts < 2)
        return 0.0;
    if (team->part == 0)
        atomic_store_explicit(&p->trip, 0, memory_order_relaxed);
    gan_team_barrier(team);
    if (team->part == 0) {
        /* the quickest of four runs of a quarter of the trips each: an
         * interrupt in one run does not count */
        p->trip_ns = 1e30;
        for (int i = 0; i < GAN_LINE_TRIPS;) {
            double t0 = gan_now_seconds();
            for (int k = 0; k < GAN_LINE_TRIPS / 4; k++, i++) {
                atomic_store_explicit(&p->trip, 2 * i + 1, memory_order_release);
                wait_for(&p->trip, 2 * i + 2);
            }
            double ns = (gan_now_seconds() - t0) * 1e9 / (GAN_LINE_TRIPS / 4);
            p->trip_ns = ns < p->trip_ns ? ns : p->trip_ns;
        }
    } else if (team->part == 1) {
        for (int i = 0; i < GAN_LINE_TRIPS; i++) {
            wait_for(&p->trip, 2 * i + 1);
            atomic_store_explicit(&p->trip, 2 * i + 2, memory_order_release);
        }
    }
    gan_team_barrier(team);
    return p->trip_ns;
}

void gan_team_range(const gan_team *team, size_t n, size_t align, size_t *lo, size_t *hi)
{
    size_t units = (n + align - 1) / align;
    size_t a = units * (size_t)team->part / (size_t)team->nparts * align;
    size_t b = units * ((size_t)team->part + 1) / (size_t)team->nparts * align;
    *lo = a < n ? a : n;
    *hi = b < n ? b : n;
}

static void *worker_main(void *arg_)
{
    const worker_arg *arg = arg_;
    gan_pool *p = arg->pool;
    unsigned long seen = 0;
    for (;;) {
        /* spin a while for the next job, then sleep */
        unsigned long job;
        long spins = 0;
        while ((job = atomic_load_explicit(&p->job, memory_order_acquire)) == seen &&
               !atomic_load(&p->stop) && spins < SPIN_LIMIT) {
            cpu_relax();
            spins++;
        }
        if (job == seen && !atomic_load(&p->stop)) {
            pthread_mutex_lock(&p->lock);
            while (atomic_load(&p->job) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->wake, &p->lock);
            pthread_mutex_unlock(&p->lock);
            job = atomic_load(&p->job);
        }
        if (atomic_load(&p->stop))
            break;
        seen = job;
        gan_team team = {p, arg->part, p->threads};
        p->fn(p->ctx, &team);
        atomic_fetch_sub_explicit(&p->running, 1, memory_order_acq_rel);
    }
    return NULL;
}

int gan_pool_init(gan_pool **out, int threads, gan_err *err)
{
    *out = NULL;
    gan_pool *p = calloc(1, sizeof *p);
    if (!p)
        return gan_err_set(err, "out of memory for a thread pool");
    p->threads = threads < 1 ? 1 : threads;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    atomic_init(&p->job, 0);
    atomic_init(&p->stop, 0);
    atomic_init(&p->running, 0);
    atomic_init(&p->arrived, 0);
    atomic_init(&p->phase, 0);
    if (p->threads > 1) {
        p->workers = calloc((size_t)p->threads - 1, sizeof *p->workers);
        p->args = calloc((size_t)p->threads - 1, sizeof *p->args);
        if (!p->workers || !p->args) {
            gan_pool_free(p);
            return gan_err_set(err, "out of memory for a thread pool");
        }
        for (int i = 1; i < p->threads; i++) {
            p->args[i - 1] = (worker_arg){p, i};
            int rc = pthread_create(&p->workers[i - 1], NULL, worker_main, &p->args[i - 1]);
            if (rc != 0) {
                gan_pool_free(p);
                return gan_err_set(err, "cannot start a thread: %s", strerror(rc));
            }
            p->started++;
        }
    }
    *out = p;
    return 0;
}

void gan_pool_free(gan_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->started; i++)
        pthread_join(p->workers[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    free(p->workers);
    free(p->args);
    free(p);
}

int gan_pool_cpus_for(int affinity, long quota_us, long period_us)
{
    int n = affinity < 1 ? 1 : affinity;
    if (quota_us > 0 && period_us > 0) {
        long q = (quota_us + period_us - 1) / period_us; /* a part of a CPU counts as one */
        if (q < n)
            n = (int)q;
    }
    return n;
}

/* Reads one or two numbers from a file; how many it read. */
static int read_numbers(const char *path, long *a, long *b)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char text[64];
    int n = fgets(text, sizeof text, f) ? sscanf(text, "%ld %ld", a, b) : 0;
    fclose(f);
    return n;
}

/* The CPU quota of this process's cgroup, v2 (cpu.max: "QUOTA PERIOD" or
 * "max PERIOD") or v1 (cpu.cfs_quota_us, -1 for none, and cpu.cfs_period_us);
 * *quota 0 where there is none or it cannot be read. The cgroup's own
 * folder first, then the root of the mount (inside a container,
 * /proc/self/cgroup names the host's path, and the mount is the container's). */
static void cgroup_quota(long *quota, long *period)
{
    *quota = 0;
    *period = 0;
    char line[1024], v2[1024] = "", v1[1024] = "", path[1100];
    FILE *f = fopen("/proc/self/cgroup", "r");
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *p = strchr(line, ':') ? strchr(strchr(line, ':') + 1, ':') : NULL;
        if (!p || !strcmp(p, ":/"))
            continue;
        if (!strncmp(line, "0::", 3))
            snprintf(v2, sizeof v2, "%s", p + 1);
        else if (strstr(line, ":cpu:") || strstr(line, ":cpu,") || strstr(line, ",cpu:"))
            snprintf(v1, sizeof v1, "%s", p + 1);
    }
    if (f)
        fclose(f);
    long q = 0, per = 0, unused;
    for (int root = 0; root < 2; root++) {
        snprintf(path, sizeof path, "/sys/fs/cgroup%s/cpu.max", root ? "" : v2);
        int n = read_numbers(path, &q, &per);
        if (n >= 0) { /* "max PERIOD" reads as 0 numbers: no quota */
            if (n == 2) {
                *quota = q;
                *period = per;
            }
            return;
        }
        snprintf(path, sizeof path, "/sys/fs/cgroup/cpu%s/cpu.cfs_quota_us", root ? "" : v1);
        if (read_numbers(path, &q, &per) >= 1) {
            snprintf(path, sizeof path, "/sys/fs/cgroup/cpu%s/cpu.cfs_period_us", root ? "" : v1);
            if (read_numbers(path, &per, &unused) >= 1) {
                *quota = q;
                *period = per;
            }
            return;
        }
    }
}

int gan_pool_cpus(void)
{
    int cpus = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        cpus = CPU_COUNT(&set);
    if (cpus < 1) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        cpus = online > 0 && online < 4096 ? (int)online : 1;
    }
    long quota, period;
    cgroup_quota(&quota, &period);
    return gan_pool_cpus_for(cpus, quota, period);
}

int gan_pool_default_threads(void)
{
    int n = gan_pool_cpus();
    return n > GAN_POOL_MAX_DEFAULT ? GAN_POOL_MAX_DEFAULT : n;
}

int gan_pool_size(const gan_pool *p)
{
    return p ? p->threads : 1;
}

void gan_pool_run(gan_pool *p, void (*fn)(void *ctx, const gan_team *team), void *ctx)
{
    if (!p || p->threads == 1) {
        gan_team solo = {p, 0, 1};
        fn(ctx, &solo);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    atomic_store_explicit(&p->running, p->threads - 1, memory_order_relaxed);
    pthread_mutex_lock(&p->lock);
    atomic_fetch_add_explicit(&p->job, 1, memory_order_acq_rel);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    gan_team team = {p, 0, p->threads};
    fn(ctx, &team);
    for (long spins = 0; atomic_load_explicit(&p->running, memory_order_acquire) > 0; spins++) {
        back_off(spins);
    }
}

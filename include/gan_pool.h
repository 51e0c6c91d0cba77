/*
 * gan_pool.h: gan-train's own threading. OpenBLAS runs single-threaded; a
 * step is cut into column ranges that each thread computes with its own
 * cblas_sgemm calls and elementwise passes, with barriers where a layer needs
 * the whole output of the one before (SPMD, as in an OpenMP parallel region).
 *
 * gan_pool_run(pool, fn, ctx) runs fn(ctx, team) on every thread of the pool
 * (the caller is part 0); inside, gan_team_barrier waits for all of them.
 * Workers spin briefly between and within jobs and then sleep on a condition
 * variable, so an idle pool costs nothing. Work is cut into fixed ranges, so
 * results depend on the thread count, never on timing.
 */
#ifndef GAN_POOL_H
#define GAN_POOL_H

#include <stddef.h>

#include "gan_common.h"

typedef struct gan_pool gan_pool;

/** One thread's view inside gan_pool_run: which part of how many. */
typedef struct {
    gan_pool *pool;
    int part, nparts;
} gan_team;

/** The view of a lone thread (no pool): barriers do nothing. */
#define GAN_SOLO ((gan_team){NULL, 0, 1})

/** A pool of `threads` threads in all (the caller included); 1 starts none. */
int gan_pool_init(gan_pool **pool, int threads, gan_err *err);
/** Stops and joins the workers; NULL is fine. */
void gan_pool_free(gan_pool *pool);
/** The CPUs this process may run on: its affinity mask, less where a
 *  cgroup CPU quota allows fewer (a part of a CPU counts as one). More
 *  threads than that wait for each other at every barrier. */
int gan_pool_cpus(void);

/** The pure part of it: `affinity` CPUs under a quota of quota_us every
 *  period_us (quota_us <= 0: none); at least 1. */
int gan_pool_cpus_for(int affinity, long quota_us, long period_us);

/** The default thread count: gan_pool_cpus(), at most GAN_POOL_MAX_DEFAULT
 *  (the most that were measured to pay, README). */
#define GAN_POOL_MAX_DEFAULT 16
int gan_pool_default_threads(void);

/** Threads in the pool (1 for NULL). */
int gan_pool_size(const gan_pool *pool);
/** Runs fn(ctx, team) on every thread and returns when all have returned. */
void gan_pool_run(gan_pool *pool, void (*fn)(void *ctx, const gan_team *team), void *ctx);
/** Waits until every thread of the team has arrived here. */
void gan_team_barrier(const gan_team *team);
/** Round trips gan_team_line_trip_ns times. */
#define GAN_LINE_TRIPS 200
/** Nanoseconds one cache line takes from part 0's CPU to part 1's and back
 *  (the quickest of four runs of GAN_LINE_TRIPS / 4 trips, each run's mean;
 *  every part calls it, and every part gets the figure); 0 for a team of
 *  one. The host can move two vCPUs apart and together again, and this says
 *  which it is now. */
double gan_team_line_trip_ns(const gan_team *team);
/** This part's share [*lo, *hi) of n items, cut at multiples of `align`
 *  (so no two threads write one 64-byte line of a row); may be empty. */
void gan_team_range(const gan_team *team, size_t n, size_t align, size_t *lo, size_t *hi);

#endif

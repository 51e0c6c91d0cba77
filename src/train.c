/* train.c: the trainer of gan_train.h: one allocation phase, then steps that
 * allocate nothing. */
#define _POSIX_C_SOURCE 200809L
#include "gan_train.h"

#include <assert.h>
#include <math.h>
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "gan_kernel.h"
#include "gan_layers.h"

/* A line's round trip between the two threads' CPUs (gan_team_line_trip_ns)
 * above which they count as far apart (measured on a 2-vCPU AMD EPYC Zen 4:
 * 60-73 ns in the fast state, 299-369 ns in the slow one) */
#define GAN_FAR_LINE_NS 200.0

void gan_config_default(gan_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->data_dir = "data/mnist";
    cfg->epochs = 20;
    gan_config_preset(cfg, GAN_PRESET_DEFAULT);
    cfg->seed = 1;
    cfg->eval_every = 1;
    cfg->eval_count = 2000;
    cfg->threads = 0; /* gan_pool_default_threads(), when the trainer starts */
    cfg->grid = 4;
    cfg->png_scale = 1;
}

/* The settings the trainer takes from cfg that it checks: the loss and its
 * penalty, the critic steps, the conditional forms. */
static int take_settings(gan_trainer *t, const gan_config *cfg, gan_err *err)
{
    t->adam = (gan_adam_cfg){cfg->lr, cfg->beta1, cfg->beta2, 1e-8};
    t->r1_gamma = cfg->r1_gamma;
    t->r1_every = cfg->r1_every > 0 ? cfg->r1_every : 1;
    t->loss = gan_loss_get(cfg->loss);
    t->n_critic = cfg->n_critic > 0 ? cfg->n_critic : t->loss->n_critic;
    if (t->loss->gp) {
        if (cfg->r1_gamma > 0.0)
            return gan_err_set(err, "--loss %s: its gradient penalty takes R1's place; --r1 must "
                               "be 0", t->loss->name);
        if (!(cfg->gp > 0.0))
            return gan_err_set(err, "--loss %s: --gp must be above 0", t->loss->name);
        t->gp = cfg->gp;
    }
    if (cfg->conditional) {
        if (cfg->classes < 2 || cfg->classes > 256)
            return gan_err_set(err, "--conditional needs 2 to 256 classes, not %d", cfg->classes);
        if (!cfg->cond_d || cfg->cond_d > 7u || (cfg->cond_g != GAN_COND_G_INPUT &&
                                                 cfg->cond_g != GAN_COND_G_ALL))
            return gan_err_set(err, "--conditional: no such --cond-d or --cond-g form");
        t->classes = cfg->classes;
        t->ac_weight = cfg->cond_d & GAN_COND_ACGAN ? cfg->ac_weight : 0.0;
    }
    return 0;
}

/* Every buffer of a step and of the grids (the models are made); 0, or -1
 * when out of memory. */
static int alloc_buffers(gan_trainer *t, uint32_t count)
{
    const size_t B = (size_t)t->batch, Z = (size_t)t->z_dim, P = (size_t)t->pixels;
    const size_t n = (size_t)t->grid * t->grid, OD = (size_t)t->D.dims[3], K = (size_t)t->classes;
    t->r1_parts = calloc((size_t)gan_pool_size(t->pool), sizeof(double));
    t->e = calloc(B, sizeof(float));
    t->gp_sq = calloc(B, sizeof(double));
    t->gp_coef = calloc(B, sizeof(float));
    t->x = malloc(sizeof(float) * 2 * B * P);
    t->z = malloc(sizeof(float) * B * Z);
    t->p = malloc(sizeof(float) * 2 * B);
    t->y = malloc(sizeof(float) * 2 * B);
    t->dp = malloc(sizeof(float) * 2 * B);
    t->dx = malloc(sizeof(float) * B * P);
    t->fixed_z = malloc(sizeof(float) * n * Z);
    t->grid_rows = K ? (K < 10 ? (int)K : 10) : t->grid;
    size_t shown = (size_t)t->grid_rows * t->grid > n ? (size_t)t->grid_rows * t->grid : n;
    t->samples = malloc(sizeof(float) * shown * P);
    t->perm = malloc(sizeof(uint32_t) * (count ? count : 1));
    int cond_ok = 1;
    if (K) {
        t->lab = calloc(2 * B, 1);
        t->grid_lab = malloc(shown);
        cond_ok = t->lab && t->grid_lab;
    }
    t->q = t->p;
    t->dq = t->dp;
    if (OD > 1) { /* an auxiliary head: D's whole output apart from p */
        t->q = malloc(sizeof(float) * 2 * B * OD);
        t->dq = malloc(sizeof(float) * 2 * B * OD);
        t->probs = malloc(sizeof(float) * 2 * B * K);
        cond_ok = cond_ok && t->q && t->dq && t->probs;
    }
    return t->r1_parts && t->e && t->gp_sq && t->gp_coef && t->x && t->z && t->p && t->y &&
                   t->dp && t->dx && t->fixed_z && t->samples && t->perm && cond_ok
               ? 0
               : -1;
}

int gan_trainer_init(gan_trainer *t, const gan_config *cfg, int pixels, uint32_t count,
                     gan_err *err)
{
    memset(t, 0, sizeof *t);
    int B = cfg->batch, Z = cfg->z_dim, H = cfg->hidden, n = cfg->grid * cfg->grid;
    t->batch = B;
    t->z_dim = Z;
    t->pixels = pixels;
    t->grid = cfg->grid;
    t->count = count;
    if (take_settings(t, cfg, err) != 0)
        return -1;
    gan_cond gc, dc;
    gan_cond_specs(t->classes, cfg->cond_d, cfg->cond_g, &gc, &dc);
    if (gan_mlp_init_cond(&t->G, Z, H, H, pixels, cfg->slope, GAN_ACT_TANH, B, &gc, err) != 0)
        return -1;
    if (gan_mlp_init_cond(&t->D, pixels, H, H, 1, cfg->slope, t->loss->d_out, 2 * B, &dc,
                          err) != 0) {
        gan_mlp_free(&t->G);
        return -1;
    }
    t->ema_decay = cfg->ema;
    if (t->ema_decay > 0.0 &&
        gan_mlp_init_cond(&t->Gema, Z, H, H, pixels, cfg->slope, GAN_ACT_TANH, B, &gc, err) != 0) {
        gan_mlp_free(&t->G);
        gan_mlp_free(&t->D);
        return -1;
    }
    /* gan-train does its own threading (gan_pool.h): OpenBLAS stays on one
     * thread, and each of our threads calls it for its own columns */
    openblas_set_num_threads(1);
    gan_cpu cpu;
    gan_cpu_detect(&cpu);
    t->can_flush = cpu.clflushopt;
    if (gan_pool_init(&t->pool, cfg->threads > 0 ? cfg->threads : gan_pool_default_threads(),
                      err) != 0) {
        gan_trainer_free(t);
        return -1;
    }
    if (alloc_buffers(t, count) != 0) {
        gan_trainer_free(t);
        return gan_err_set(err, "out of memory for the training buffers");
    }
    if (cfg->precision == GAN_PREC_BF16) {
        size_t g = gan_mlp_operand_max(&t->G), d = gan_mlp_operand_max(&t->D);
        t->bf16 = gan_bf16_new(gan_pool_size(t->pool), g > d ? g : d, err);
        if (!t->bf16) {
            gan_trainer_free(t);
            return -1;
        }
    }
    gan_rng init;
    gan_rng_seed(&init, cfg->seed, 1);
    gan_mlp_reset(&t->G, &init);
    gan_mlp_reset(&t->D, &init);
    gan_trainer_ema_reset(t);
    gan_rng fixed;
    gan_rng_seed(&fixed, cfg->seed, 2);
    gan_rng_normal_fill(&fixed, t->fixed_z, (size_t)n * Z);
    gan_rng_seed(&t->rng, cfg->seed, 3);
    for (uint32_t i = 0; i < count; i++)
        t->perm[i] = i;
    for (int i = 0; t->classes && i < t->grid_rows * t->grid; i++)
        t->grid_lab[i] = (uint8_t)(i / t->grid);
    return 0;
}

void gan_trainer_free(gan_trainer *t)
{
    gan_pool_free(t->pool);
    gan_bf16_free(t->bf16);
    gan_mlp_free(&t->G);
    gan_mlp_free(&t->D);
    if (t->ema_decay > 0.0)
        gan_mlp_free(&t->Gema);
    free(t->r1_parts);
    free(t->e);
    free(t->gp_sq);
    free(t->gp_coef);
    free(t->x);
    free(t->z);
    free(t->p);
    free(t->y);
    free(t->dp);
    free(t->dx);
    free(t->fixed_z);
    free(t->samples);
    free(t->perm);
    free(t->lab);
    free(t->grid_lab);
    if (t->q != t->p)
        free(t->q);
    if (t->dq != t->dp)
        free(t->dq);
    free(t->probs);
    memset(t, 0, sizeof *t);
}

/* D's penalty after its loss's backward: R1 on the real rows (every
 * r1_every-th step), or wgan-gp's at the interpolates. Sets st->r1_done and,
 * on part 0, st->r1. */
static void d_penalty(gan_trainer *t, long step, int b, gan_step_stats *st, const gan_team *tm)
{
    const size_t P = (size_t)t->pixels;
    int done = 0;
    double value = 0.0;
    if (t->gp > 0.0) {
        /* x_hat = e x + (1 - e) fake, row by row, over the real rows (D's
         * backward has returned: nothing reads them any more) */
        const float *fake = t->x + (size_t)b * P;
        size_t lo, hi;
        gan_team_range(tm, (size_t)b, 1, &lo, &hi);
        for (size_t i = lo; i < hi; i++) {
            const float e = t->e[i], f = 1.0f - e;
            float *xr = t->x + i * P;
            const float *fr = fake + i * P;
            for (size_t j = 0; j < P; j++)
                xr[j] = e * xr[j] + f * fr[j];
        }
        gan_mlp_forward(&t->D, t->q, t->x, b, tm); /* begins with a barrier */
        value = gan_mlp_gp_backward(&t->D, t->dx, b, t->gp, t->gp_sq, t->gp_coef, tm);
        done = 1;
    } else if (t->r1_gamma > 0.0 && step % t->r1_every == 0) {
        /* K gamma/2 mean_i |g_i|^2 over the b real rows: coefficient K gamma / b */
        double coef = t->r1_gamma * t->r1_every / b;
        double sq = gan_mlp_r1_backward(&t->D, t->dx, b, (float)coef, t->r1_parts, tm);
        value = 0.5 * t->r1_gamma * sq / b;
        done = 1;
    }
    if (tm->part == 0) {
        st->r1_done = done;
        st->r1 = value;
    }
}

/*
 * One step, run by every thread of the team (see gan_pool.h). The losses and
 * D's output gradient are computed by part 0 alone: a few hundred numbers,
 * and the next pass begins with a barrier.
 */
static void step_team(gan_trainer *t, int b, gan_step_stats *st, const gan_team *tm)
{
    const size_t P = (size_t)t->pixels;
    /* read before the first barrier of the step: part 0 counts it at the end */
    const long step = t->step;
    const int g_step = (step + 1) % t->n_critic == 0;
    float *fake = t->x + (size_t)b * P; /* (b, P), right after the b real rows */
    if (t->classes) {
        /* this thread's rows of the labels: D's real and fake rows, G's fake
         * ones (nothing reads them before the next barrier) */
        size_t lo, hi;
        gan_team_range(tm, (size_t)b, 1, &lo, &hi);
        for (size_t i = lo; i < hi; i++) {
            t->D.labels[i] = t->lab[i];
            t->D.labels[b + i] = t->G.labels[i] = t->lab[b + i];
        }
    }

    /* D step: real rows, then fake rows, one 2b-row pass */
    gan_mlp_forward(&t->G, fake, t->z, b, tm);
    gan_mlp_forward(&t->D, t->q, t->x, 2 * b, tm);
    if (tm->part == 0) {
        gan_loss_d_stats ls;
        gan_cond_d_loss(t, b, &ls, &st->ac);
        st->d_real = ls.p_real;
        st->d_fake = ls.p_fake;
        st->loss_real = ls.real;
        st->loss_fake = ls.fake;
        st->loss_d = ls.loss;
        st->wass = t->loss->gp ? -(ls.real + ls.fake) : 0.0;
        st->g_done = g_step;
        st->loss_g = 0.0;
    }
    gan_mlp_backward(&t->D, NULL, t->dq, t->q, t->x, 2 * b, 1, tm);
    d_penalty(t, step, b, st, tm);
    gan_mlp_adam(&t->D, &t->adam, tm);

    /* G step: the same fake rows (and labels) through the updated D, G's loss on them */
    if (g_step) {
        if (t->classes && tm->part == 0) /* Adam ended with a barrier; forward begins with one */
            memcpy(t->D.labels, t->lab + b, (size_t)b);
        gan_mlp_forward(&t->D, t->q, fake, b, tm);
        if (tm->part == 0)
            st->loss_g = gan_cond_g_loss(t, b);
        gan_mlp_backward(&t->D, t->dx, t->dq, t->q, fake, b, 0, tm);
        gan_mlp_backward(&t->G, NULL, t->dx, fake, t->z, b, 1, tm);
        gan_mlp_adam(&t->G, &t->adam, tm);
        if (t->ema_decay > 0.0) {
            /* ema = d ema + (1 - d) params, element by element, with the decay
             * warmed up as TensorFlow's ExponentialMovingAverage does with
             * num_updates: d = min(decay, (1 + u) / (10 + u)) at the u-th
             * update from 0 (G's Adam steps before this one), so that a short
             * run's average follows G instead of staying near its start */
            size_t lo, hi;
            gan_team_range(tm, t->G.nparams, 16, &lo, &hi);
            const float d = gan_ema_decay_at(t->ema_decay, t->G.adam_t - 1), e = 1.0f - d;
            for (size_t i = lo; i < hi; i++)
                t->Gema.params[i] = d * t->Gema.params[i] + e * t->G.params[i];
        }
    }
    if (tm->part == 0)
        t->step++;
}

typedef struct {
    gan_trainer *t;
    const gan_dataset *ds;
    int b;
    gan_step_stats *st;
    gan_epoch_stats *es;
    float *out;
    const float *z;
    const uint8_t *lab;
    int n;
} team_job;

static void step_job(void *ctx, const gan_team *tm)
{
    team_job *j = ctx;
    step_team(j->t, j->b, j->st, tm);
}

/* With --precision bf16, G's and D's products run in bfloat16 while steps
 * run, and only then: samples, grids and evaluations stay fp32, as `sample`
 * and `eval` from the checkpoint are. */
static void attach_bf16(gan_trainer *t, int on)
{
    t->G.bf16 = t->D.bf16 = on ? t->bf16 : NULL;
}

void gan_trainer_step(gan_trainer *t, int b, gan_step_stats *st)
{
    assert(b >= 1 && b <= t->batch);
    team_job j = {.t = t, .b = b, .st = st};
    attach_bf16(t, 1);
    gan_pool_run(t->pool, step_job, &j);
    attach_bf16(t, 0);
}

/* Part 0's bookkeeping after a step of an epoch: the sums, the position, the
 * step hook, a loss that is not finite, the progress line. */
static void step_done(gan_trainer *t, const gan_step_stats *st)
{
    gan_epoch_stats *sums = &t->sums;
    sums->steps++;
    sums->loss_d += st->loss_d;
    sums->loss_g += st->loss_g;
    sums->g_steps += st->g_done;
    sums->wass += st->wass;
    sums->d_real += st->d_real;
    sums->d_fake += st->d_fake;
    if (st->r1_done) {
        sums->r1_steps++;
        sums->r1 += st->r1;
    }
    t->pos++;
    if (t->on_step)
        t->on_step(t->on_step_ctx, t->step, t->epoch + 1, st);
    if (!isfinite(st->loss_d) || !isfinite(st->loss_g)) {
        t->halt = GAN_EPOCH_NONFINITE;
        t->bad_step = t->step;
    }
    if (t->progress) {
        double now = gan_now_seconds();
        if (now - t->progress_last >= t->progress_every) {
            t->progress_last = now;
            gan_trainer_view v = {t->epoch + 1, t->pos, sums};
            t->progress(t->progress_ctx, &v);
        }
    }
}

/* Where the host has put the two vCPUs far apart just now, Adam first
 * flushes the parameter lines the other thread holds: a line's round trip
 * then takes about 300-370 ns, not 60-70, and taking back the shared lines
 * made Adam five times slower (README: "The 2-thread Adam anomaly"). It moves
 * no number: the same bits either way. Every part calls this; the trip is
 * measured only where it can decide (every part sees the same condition). */
static void decide_flush(gan_trainer *t, const gan_team *tm)
{
    int may_flush = tm->nparts == 2 && t->can_flush;
    double trip = may_flush ? gan_team_line_trip_ns(tm) : 0.0;
    if (tm->part == 0) {
        t->line_trip_ns = trip;
        t->G.flush_shared = t->D.flush_shared = may_flush && trip > GAN_FAR_LINE_NS;
    }
}

static void epoch_job(void *ctx, const gan_team *tm)
{
    team_job *j = ctx;
    gan_trainer *t = j->t;
    gan_epoch_stats *sums = &t->sums;
    decide_flush(t, tm);
    if (tm->part == 0) {
        t->halt = GAN_EPOCH_DONE;
        /* a fresh epoch is shuffled only when its first step will run, so
         * that "no batch done" always means "not shuffled yet" */
        if (t->pos == 0 && t->interrupt && *t->interrupt)
            t->halt = GAN_EPOCH_INTERRUPTED;
        else if (t->pos == 0) {
            /* a fresh permutation every epoch (as PyTorch's sampler draws
             * one), so an epoch depends only on the random stream */
            for (uint32_t i = 0; i < t->count; i++)
                t->perm[i] = i;
            gan_rng_shuffle(&t->rng, t->perm, t->count);
            memset(sums, 0, sizeof *sums);
        }
    }
    gan_team_barrier(tm);
    /* Each thread keeps its own copy of the stream's position and draws its
     * share of z from there (two draws per pair of normals), so z is the
     * same as one gan_rng_normal_fill whatever the number of threads. */
    gan_rng base = t->rng;
    for (uint32_t start = t->pos * (uint32_t)t->batch; start < t->count;
         start += (uint32_t)t->batch) {
        if (tm->part == 0 && t->halt == GAN_EPOCH_DONE && t->pos > 0 && t->interrupt &&
            *t->interrupt)
            t->halt = GAN_EPOCH_INTERRUPTED;
        gan_team_barrier(tm);
        if (t->halt != GAN_EPOCH_DONE)
            break;
        int b = t->count - start < (uint32_t)t->batch ? (int)(t->count - start) : t->batch;
        size_t n = (size_t)b * t->z_dim, pairs = (n + 1) / 2, lo, hi;
        gan_team_range(tm, pairs, 1, &lo, &hi);
        if (lo < hi) {
            gan_rng r = base;
            gan_rng_advance(&r, 2 * lo);
            gan_rng_normal_fill(&r, t->z + 2 * lo, (2 * hi < n ? 2 * hi : n) - 2 * lo);
        }
        gan_rng_advance(&base, 2 * pairs);
        /* each thread its rows: their images and, with wgan-gp, their e (b
         * uniforms after z, one draw each) */
        gan_team_range(tm, (size_t)b, 1, &lo, &hi);
        if (t->gp > 0.0) {
            gan_rng r = base;
            gan_rng_advance(&r, lo);
            for (size_t i = lo; i < hi; i++)
                t->e[i] = gan_rng_uniform(&r, 0.0f, 1.0f);
            gan_rng_advance(&base, (uint64_t)b);
        }
        if (t->classes) {
            /* the rows' real labels, and their fake rows' labels: uniform
             * classes from stream 3 after z (and e), one draw each */
            gan_rng r = base;
            gan_rng_advance(&r, lo);
            for (size_t i = lo; i < hi; i++) {
                t->lab[i] = j->ds->labels[t->perm[start + i]];
                t->lab[b + i] = (uint8_t)gan_rng_index(&r, (uint32_t)t->classes);
            }
            gan_rng_advance(&base, (uint64_t)b);
        }
        gan_dataset_batch(j->ds, t->perm + start + lo, (int)(hi - lo),
                          t->x + lo * (size_t)t->pixels);
        gan_step_stats st;
        step_team(t, b, &st, tm); /* begins with a barrier */
        if (tm->part == 0)
            step_done(t, &st);
    }
    if (tm->part == 0)
        t->rng = base;
}

int gan_trainer_epoch(gan_trainer *t, const gan_dataset *ds, gan_epoch_stats *es)
{
    assert(ds->count == t->count && (int)gan_dataset_image_size(ds) == t->pixels);
    team_job j = {.t = t, .ds = ds};
    attach_bf16(t, 1);
    gan_pool_run(t->pool, epoch_job, &j);
    attach_bf16(t, 0);
    if (t->halt != GAN_EPOCH_DONE)
        return t->halt;
    *es = t->sums;
    if (es->steps) {
        es->loss_d /= es->steps;
        es->wass /= es->steps;
        es->d_real /= es->steps;
        es->d_fake /= es->steps;
    }
    if (es->r1_steps)
        es->r1 /= es->r1_steps;
    if (es->g_steps)
        es->loss_g /= es->g_steps;
    memset(&t->sums, 0, sizeof t->sums);
    t->pos = 0;
    t->epoch++;
    return GAN_EPOCH_DONE;
}

static void generate_job(void *ctx, const gan_team *tm)
{
    team_job *j = ctx;
    gan_trainer *t = j->t;
    gan_mlp *G = gan_trainer_sampler(t);
    for (int s = 0; s < j->n; s += t->batch) {
        int b = j->n - s < t->batch ? j->n - s : t->batch;
        /* the last forward ended with a barrier, the next begins with one */
        if (j->lab && tm->part == 0)
            memcpy(G->labels, j->lab + s, (size_t)b);
        gan_mlp_forward(G, j->out + (size_t)s * t->pixels, j->z + (size_t)s * t->z_dim, b, tm);
    }
}

float gan_ema_decay_at(double decay, long u)
{
    double w = (1.0 + (double)u) / (10.0 + (double)u);
    return (float)(w < decay ? w : decay);
}

gan_mlp *gan_trainer_sampler(gan_trainer *t) { return t->ema_decay > 0.0 ? &t->Gema : &t->G; }

void gan_trainer_ema_reset(gan_trainer *t)
{
    if (t->ema_decay > 0.0)
        memcpy(t->Gema.params, t->G.params, sizeof(float) * t->G.nparams);
}

void gan_trainer_generate(gan_trainer *t, float *out, const float *z, const uint8_t *lab, int n)
{
    assert(!lab == !t->classes);
    team_job j = {.t = t, .out = out, .z = z, .lab = lab, .n = n};
    gan_pool_run(t->pool, generate_job, &j);
}

int gan_trainer_grid(gan_trainer *t)
{
    if (!t->classes) {
        gan_trainer_generate(t, t->samples, t->fixed_z, NULL, t->grid * t->grid);
        return t->grid * t->grid;
    }
    /* row r, column c: class r from fixed noise vector c; a row at a time */
    int n = t->grid_rows * t->grid;
    for (int r = 0; r < t->grid_rows; r++)
        gan_trainer_generate(t, t->samples + (size_t)r * t->grid * t->pixels, t->fixed_z,
                             t->grid_lab + r * t->grid, t->grid);
    return n;
}

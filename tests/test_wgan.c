/*
 * test_wgan.c: --loss wgan-gp and --n-critic in the trainer. G steps come
 * after every K-th D step, counted over the whole run (across epochs); the
 * epoch's means take loss_g over the G steps only and the Wasserstein
 * estimate over all; the interpolation weights come from stream 3 after z,
 * so a run is the same to the bit on 1, 2 and 3 threads; a checkpoint taken
 * in the middle of an epoch (an interrupt) restores to the same end as a run
 * that never stopped; the settings that cannot go together are refused.
 * Step parity with PyTorch is test_parity's.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gan_checkpoint.h"
#include "gan_train.h"
#include "test_ckpt.h"
#include "test_data.h"
#include "test_util.h"

enum { P = 24, B = 8, N = 52, Z = 5 }; /* 7 steps an epoch, the last of 4 rows */

static gan_dataset data;

static void make_data(void)
{
    static uint8_t px[N * P];
    test_tiny_set(&data, px, NULL, N, 6, 4, 0);
}

static void config(gan_config *cfg, int threads)
{
    gan_config_default(cfg);
    cfg->z_dim = Z, cfg->hidden = 12, cfg->batch = B, cfg->grid = 2, cfg->threads = threads;
    cfg->seed = 21;
    cfg->loss = GAN_LOSS_WGAN_GP;
    cfg->r1_gamma = 0.0;
    cfg->n_critic = 3;
}

static void make(gan_trainer *t, const gan_config *cfg)
{
    gan_err err = {""};
    CHECK_MSG(gan_trainer_init(t, cfg, P, N, &err) == 0, "%s", err.msg);
}

/* Steps of one epoch, one at a time through the step hook. */
typedef struct {
    int steps, g_steps;
    long first_g; /* the step count after the first G step */
    double loss_g, wass;
} hook_log;

static void on_step(void *ctx, long step, int epoch, const gan_step_stats *st)
{
    (void)epoch;
    hook_log *h = ctx;
    h->steps++;
    h->g_steps += st->g_done;
    if (st->g_done && !h->first_g)
        h->first_g = step;
    CHECK(st->g_done == (step % 3 == 0)); /* after steps 2, 5, 8, ...: counts 3, 6, 9 */
    CHECK(st->g_done || st->loss_g == 0.0);
    CHECK(st->r1_done && st->r1 > 0.0 && isfinite(st->r1)); /* the penalty, every step */
    CHECK(st->wass == -st->loss_d && st->loss_d == st->loss_real + st->loss_fake);
    h->loss_g += st->loss_g;
    h->wass += st->wass;
}

/* Two epochs of 7 steps: G steps after steps 2, 5, 8, 11 (the last epoch
 * boundary crossed with a G step pending), Adam counts to match. */
static void test_schedule(void)
{
    gan_config cfg;
    config(&cfg, 1);
    gan_trainer t;
    make(&t, &cfg);
    CHECK(t.n_critic == 3 && t.gp == 10.0 && t.r1_gamma == 0.0 && t.D.out_act == GAN_ACT_NONE);
    hook_log h = {0};
    t.on_step = on_step;
    t.on_step_ctx = &h;
    gan_epoch_stats es[2];
    CHECK(gan_trainer_epoch(&t, &data, &es[0]) == GAN_EPOCH_DONE);
    CHECK(es[0].steps == 7 && es[0].g_steps == 2 && h.g_steps == 2 && h.first_g == 3);
    CHECK(fabs(es[0].loss_g - h.loss_g / 2) < 1e-12 && fabs(es[0].wass - h.wass / 7) < 1e-12);
    CHECK(es[0].r1_steps == 7);
    CHECK(gan_trainer_epoch(&t, &data, &es[1]) == GAN_EPOCH_DONE);
    CHECK(es[1].steps == 7 && es[1].g_steps == 2 && t.step == 14); /* after 8 and 11 */
    CHECK(t.G.adam_t == 4 && t.D.adam_t == 14);
    gan_trainer_free(&t);

    /* K = 1 with wgan-gp: a G step every step */
    config(&cfg, 1);
    cfg.n_critic = 1;
    make(&t, &cfg);
    CHECK(gan_trainer_epoch(&t, &data, &es[0]) == GAN_EPOCH_DONE);
    CHECK(es[0].g_steps == 7 && t.G.adam_t == 7);
    gan_trainer_free(&t);

    /* --n-critic on another loss: bce with 2 D steps per G step */
    config(&cfg, 1);
    cfg.loss = GAN_LOSS_BCE;
    cfg.r1_gamma = 10.0;
    cfg.n_critic = 2;
    make(&t, &cfg);
    CHECK(t.gp == 0.0 && t.n_critic == 2);
    CHECK(gan_trainer_epoch(&t, &data, &es[0]) == GAN_EPOCH_DONE);
    CHECK(es[0].g_steps == 3 && t.G.adam_t == 3 && es[0].wass == 0.0 && es[0].r1_steps == 2);
    gan_trainer_free(&t);

    /* the loss's own count when none is given: 5 for wgan-gp, 1 for the others */
    config(&cfg, 1);
    cfg.n_critic = 0;
    make(&t, &cfg);
    CHECK(t.n_critic == 5);
    gan_trainer_free(&t);
    cfg.loss = GAN_LOSS_HINGE;
    make(&t, &cfg);
    CHECK(t.n_critic == 1);
    gan_trainer_free(&t);
}

/* The same run on 1, 2 and 3 threads: the same bits. */
static void test_threads(void)
{
    gan_trainer t[3];
    gan_epoch_stats es[3];
    test_run_threads(t, es, config, P, &data, 2);
    for (int k = 1; k < 3; k++)
        CHECK(es[0].wass == es[k].wass && es[0].r1 == es[k].r1 && es[0].loss_g == es[k].loss_g);
    /* the interpolation weights are uniforms in [0, 1) of the last step's rows */
    for (int i = 0; i < 4; i++)
        CHECK(t[0].e[i] >= 0.0f && t[0].e[i] < 1.0f && t[0].e[i] == t[2].e[i]);
    for (int k = 0; k < 3; k++)
        gan_trainer_free(&t[k]);
}

/* Stopped after 4 steps of epoch 2 (one G step of the epoch done, one
 * pending), saved, restored into a fresh trainer: the same end as one run. */
static void test_resume(void)
{
    char dir[] = "/tmp/test_wgan_XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/c.gan", dir);
    gan_config cfg;
    config(&cfg, 2);
    cfg.n_critic = 4;
    cfg.gp = 5.0;
    gan_trainer a, b, c;
    make(&a, &cfg);
    make(&b, &cfg);
    gan_epoch_stats ea, eb;
    for (int e = 0; e < 3; e++)
        CHECK(gan_trainer_epoch(&a, &data, &ea) == GAN_EPOCH_DONE);
    CHECK(gan_trainer_epoch(&b, &data, &eb) == GAN_EPOCH_DONE);
    gan_ckpt_info in;
    unsigned char *buf;
    size_t size;
    /* steps 7 to 10: a G step after step 7 (count 8) only */
    test_interrupt_save(&b, &data, 4, &cfg, path, &in, &buf, &size);
    CHECK(b.pos == 4 && b.step == 11 && b.sums.steps == 4 && b.sums.g_steps == 1);
    CHECK(in.version == GAN_CKPT_VERSION && in.loss == GAN_LOSS_WGAN_GP && in.n_critic == 4 &&
          in.gp == 5.0 && in.sums.g_steps == 1 && in.sums.wass == b.sums.wass);
    gan_config back;
    test_restore(&c, &back, &in, buf, path, P);
    CHECK(back.loss == GAN_LOSS_WGAN_GP && back.n_critic == 4 && back.gp == 5.0 &&
          back.r1_gamma == 0.0);
    gan_err err = {""};
    CHECK(gan_trainer_epoch(&c, &data, &eb) == GAN_EPOCH_DONE);
    CHECK(gan_trainer_epoch(&c, &data, &eb) == GAN_EPOCH_DONE);
    CHECK(c.step == a.step && c.G.adam_t == a.G.adam_t && c.D.adam_t == a.D.adam_t);
    CHECK(memcmp(a.G.params, c.G.params, 4 * a.G.nparams) == 0);
    CHECK(memcmp(a.D.params, c.D.params, 4 * a.D.nparams) == 0);
    CHECK(memcmp(&ea, &eb, sizeof ea) == 0);

    /* a trainer with other critic steps or another lambda does not take it */
    gan_trainer d;
    back.n_critic = 3;
    make(&d, &back);
    CHECK(gan_checkpoint_restore(&d, &in, buf, path, &err) == -1 &&
          strstr(err.msg, "critic steps or penalty"));
    gan_trainer_free(&d);
    free(buf);
    gan_trainer_free(&a);
    gan_trainer_free(&b);
    gan_trainer_free(&c);
    unlink(path);
    rmdir(dir);
}

/* R1 with wgan-gp, or no penalty weight: refused with the reason. */
static void test_refused(void)
{
    gan_config cfg;
    gan_trainer t;
    gan_err err = {""};
    config(&cfg, 1);
    cfg.r1_gamma = 10.0;
    CHECK(gan_trainer_init(&t, &cfg, P, N, &err) == -1 && strstr(err.msg, "--r1 must be 0"));
    config(&cfg, 1);
    cfg.gp = 0.0;
    CHECK(gan_trainer_init(&t, &cfg, P, N, &err) == -1 && strstr(err.msg, "--gp must be above 0"));
}

int main(void)
{
    make_data();
    test_schedule();
    test_threads();
    test_resume();
    test_refused();
    TEST_MAIN_END();
}

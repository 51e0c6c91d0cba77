/*
 * test_data.h: what the trainer's tests share: a tiny training set of
 * n images of rows x cols grey pixels (a fixed pattern; labels i * 7 mod
 * classes where labels is given), a step hook that raises an interrupt
 * after a number of steps, the same run on 1, 2 and 3 threads, and a run
 * interrupted mid-epoch, saved and restored into a fresh trainer.
 */
#ifndef GAN_TEST_DATA_H
#define GAN_TEST_DATA_H

#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "gan_idx.h"
#include "gan_train.h"
#include "test_ckpt.h"
#include "test_util.h"

/* px (n * rows * cols) and labels (n, or NULL) are the caller's. */
static inline void test_tiny_set(gan_dataset *ds, uint8_t *px, uint8_t *labels, int n, int rows,
                                 int cols, int classes)
{
    const int P = rows * cols;
    for (int i = 0; i < n * P; i++)
        px[i] = (uint8_t)((i * 37 + i / P * 11) % 251);
    for (int i = 0; labels && i < n; i++)
        labels[i] = (uint8_t)(i * 7 % classes);
    memset(ds, 0, sizeof *ds);
    ds->count = (uint32_t)n;
    ds->rows = (uint32_t)rows;
    ds->cols = (uint32_t)cols;
    ds->channels = 1;
    ds->pixels = px;
    ds->labels = labels;
}

/* The step hook of a resume test: raises flag after `left` steps. */
typedef struct {
    volatile sig_atomic_t flag;
    int left;
} test_stopper;

static inline void test_stop_after(void *ctx, long step, int epoch, const gan_step_stats *st)
{
    (void)step, (void)epoch, (void)st;
    test_stopper *s = ctx;
    if (--s->left == 0)
        s->flag = 1;
}

/* Trainers t[k] made by config(cfg, k + 1 threads) for images of `pixels`,
 * trained `epochs` epochs on ds (es[k] the last epoch's means): their G and
 * D must be the same bits. The caller frees them. */
static inline void test_run_threads(gan_trainer t[3], gan_epoch_stats es[3],
                                    void (*config)(gan_config *, int), int pixels,
                                    const gan_dataset *ds, int epochs)
{
    for (int k = 0; k < 3; k++) {
        gan_config cfg;
        gan_err err = {""};
        config(&cfg, k + 1);
        CHECK_MSG(gan_trainer_init(&t[k], &cfg, pixels, ds->count, &err) == 0, "%s", err.msg);
        for (int e = 0; e < epochs; e++)
            CHECK(gan_trainer_epoch(&t[k], ds, &es[k]) == GAN_EPOCH_DONE);
    }
    for (int k = 1; k < 3; k++) {
        CHECK_MSG(memcmp(t[0].D.params, t[k].D.params, 4 * t[0].D.nparams) == 0,
                  "D differs on %d threads", k + 1);
        CHECK_MSG(memcmp(t[0].G.params, t[k].G.params, 4 * t[0].G.nparams) == 0,
                  "G differs on %d threads", k + 1);
    }
}

/* Runs b's epoch on ds until an interrupt after `steps` steps, then saves
 * its checkpoint at path and reads it back (in, *buf of *size bytes: the
 * caller frees it). */
static inline void test_interrupt_save(gan_trainer *b, const gan_dataset *ds, int steps,
                                       const gan_config *cfg, const char *path, gan_ckpt_info *in,
                                       unsigned char **buf, size_t *size)
{
    test_stopper s = {0, steps};
    gan_epoch_stats es;
    b->interrupt = &s.flag;
    b->on_step = test_stop_after;
    b->on_step_ctx = &s;
    CHECK(gan_trainer_epoch(b, ds, &es) == GAN_EPOCH_INTERRUPTED);
    b->interrupt = NULL;
    b->on_step = NULL;
    ckpt_save_read(b, cfg, path, in, buf, size);
}

/* A fresh trainer *c (1 thread) of the checkpoint's settings (*back),
 * restored from it. */
static inline void test_restore(gan_trainer *c, gan_config *back, const gan_ckpt_info *in,
                                const unsigned char *buf, const char *path, int pixels)
{
    gan_err err = {""};
    gan_config_default(back);
    gan_checkpoint_config(in, buf, back);
    back->threads = 1;
    CHECK_MSG(gan_trainer_init(c, back, pixels, in->count, &err) == 0, "%s", err.msg);
    CHECK_MSG(gan_checkpoint_restore(c, in, buf, path, &err) == 0, "%s", err.msg);
}

#endif

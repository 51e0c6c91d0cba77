/*
 * test_classifier.c: the evaluator's classifier (gan_classifier.h): one
 * training step in four groups of 25 is the step of one network on the whole
 * batch of 100 (PyTorch's mean loss); training gives the same bits on 1, 2
 * and 3 threads, and inference the same features; it learns a task only a
 * reader of colour channels in HWC order can (which channel holds a bright
 * square), and a task of place (which corner); its cache file comes back
 * exactly and is refused for another key, damage or a cut (a FIFO in its
 * place is not waited on); its id follows
 * its parameters.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gan_classifier.h"
#include "gan_file.h"
#include "test_util.h"

enum { S = 12, N = 430 }; /* images of S x S; N is not a whole number of batches */

/* Class k of a grey set: a bright 3 x 3 square in corner k (of 4); of a
 * colour set: a bright square anywhere in channel k (of 3). Noise beside. */
static void make_set(gan_dataset *ds, int channels, uint32_t n, uint64_t seed)
{
    gan_rng rng;
    gan_rng_seed(&rng, seed, 1);
    ds->count = ds->total = n;
    ds->rows = ds->cols = S;
    ds->channels = (uint32_t)channels;
    ds->pixels = malloc((size_t)n * S * S * channels);
    ds->labels = malloc(n);
    int classes = channels == 1 ? 4 : 3;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *img = ds->pixels + (size_t)i * S * S * channels;
        int k = (int)(gan_rng_below(&rng, (uint32_t)classes));
        ds->labels[i] = (uint8_t)k;
        for (int p = 0; p < S * S * channels; p++)
            img[p] = (uint8_t)gan_rng_below(&rng, 60);
        int y0, x0, ch = 0;
        if (channels == 1) {
            y0 = (k / 2) * (S - 5) + (int)gan_rng_below(&rng, 3);
            x0 = (k % 2) * (S - 5) + (int)gan_rng_below(&rng, 3);
        } else {
            y0 = (int)gan_rng_below(&rng, S - 3);
            x0 = (int)gan_rng_below(&rng, S - 3);
            ch = k;
        }
        for (int y = y0; y < y0 + 3; y++)
            for (int x = x0; x < x0 + 3; x++)
                img[(y * S + x) * channels + ch] = 250;
    }
}

static double accuracy(gan_classifier *c, const gan_dataset *ds)
{
    long ok = 0;
    float x[GAN_CLF_GROUP * S * S * 3];
    uint32_t idx[GAN_CLF_GROUP];
    for (uint32_t s = 0; s < ds->count; s += GAN_CLF_GROUP) {
        int b = ds->count - s < GAN_CLF_GROUP ? (int)(ds->count - s) : GAN_CLF_GROUP;
        for (int i = 0; i < b; i++)
            idx[i] = s + (uint32_t)i;
        gan_dataset_batch(ds, idx, b, x);
        gan_classifier_forward(c, 0, x, b);
        for (int i = 0; i < b; i++) {
            const float *l = c->net[0].logits + i * c->classes;
            int best = 0;
            for (int k = 1; k < c->classes; k++)
                best = l[k] > l[best] ? k : best;
            ok += best == ds->labels[s + (uint32_t)i];
        }
    }
    return (double)ok / ds->count;
}

/* One grouped step against one network's step on the whole batch. */
static void test_groups_are_one_batch(void)
{
    gan_dataset ds;
    make_set(&ds, 1, 100, 3);
    gan_classifier c;
    gan_cnn one;
    gan_err err = {""};
    CHECK_MSG(gan_classifier_init(&c, S, S, 1, 4, 1, &err) == 0, "%s", err.msg);
    CHECK(gan_cnn_init(&one, S, S, 1, 4, 16, 32, 5, GAN_CLF_FEATURES, 100, &err) == 0);
    gan_rng rng;
    gan_rng_seed(&rng, 5, 5);
    gan_classifier_reset(&c, &rng);
    memcpy(one.params, c.net[0].params, sizeof(float) * one.nparams);
    uint32_t idx[100];
    for (int i = 0; i < 100; i++)
        idx[i] = (uint32_t)(99 - i);
    static float x[100 * S * S];
    float probs[400], d[400];
    uint8_t y[100];
    gan_dataset_batch(&ds, idx, 100, x);
    for (int i = 0; i < 100; i++)
        y[i] = ds.labels[idx[i]];
    gan_cnn_forward(&one, x, 100);
    gan_softmax_ce_forward(probs, one.logits, y, 100, 4);
    gan_softmax_ce_backward(d, probs, y, 100, 4);
    gan_cnn_backward(&one, x, d, 100);
    gan_classifier_step(&c, &ds, idx, 100, 1e-3, NULL);
    /* the summed gradient (kept in copy 0) is the batch's, to rounding */
    double worst = 0.0, scale = 0.0;
    for (size_t i = 0; i < one.nparams; i++) {
        double e = fabs((double)c.net[0].grads[i] - one.grads[i]);
        worst = e > worst ? e : worst;
        scale = fabs(one.grads[i]) > scale ? fabs(one.grads[i]) : scale;
    }
    CHECK_MSG(scale > 0 && worst <= 1e-5 * scale, "grouped gradient off by %g of %g", worst, scale);
    /* ... and after Adam's step every copy holds copy 0's parameters */
    gan_adam_cfg adam = {1e-3, 0.9, 0.999, 1e-8};
    gan_cnn_adam(&one, &adam);
    double moved = 0.0;
    for (size_t i = 0; i < one.nparams; i++) {
        double e = fabs((double)c.net[0].params[i] - one.params[i]);
        moved = e > moved ? e : moved;
    }
    CHECK_MSG(moved < 1e-6, "parameters after the step differ by %g", moved);
    for (int k = 1; k < c.nets; k++)
        CHECK(memcmp(c.net[k].params, c.net[0].params, sizeof(float) * one.nparams) == 0);
    gan_cnn_free(&one);
    gan_classifier_free(&c);
    gan_dataset_free(&ds);
}

/* Trains on `threads` threads; its parameters and features go to params and
 * feat (4 x 25 images' features, through each copy in turn). */
static double train_on(const gan_dataset *tr, const gan_dataset *te, int channels, int threads,
                       float **params, size_t *n, float *feat)
{
    gan_pool *pool = NULL;
    gan_err err = {""};
    CHECK(gan_pool_init(&pool, threads, &err) == 0);
    gan_classifier c;
    CHECK_MSG(gan_classifier_init(&c, S, S, channels, channels == 1 ? 4 : 3, threads, &err) == 0,
              "%s", err.msg);
    CHECK(c.nets == (threads > GAN_CLF_GROUPS ? threads : GAN_CLF_GROUPS));
    CHECK(gan_classifier_train(&c, tr, tr->count, pool, NULL, &err) == 0);
    *n = c.net[0].nparams;
    *params = malloc(sizeof(float) * *n);
    memcpy(*params, c.net[0].params, sizeof(float) * *n);
    double acc = accuracy(&c, te);
    static float x[GAN_CLF_GROUP * S * S * 3];
    uint32_t idx[GAN_CLF_GROUP];
    for (int k = 0; k < GAN_CLF_GROUPS; k++) {
        for (int i = 0; i < GAN_CLF_GROUP; i++)
            idx[i] = (uint32_t)(k * GAN_CLF_GROUP + i);
        gan_dataset_batch(te, idx, GAN_CLF_GROUP, x);
        gan_classifier_forward(&c, k, x, GAN_CLF_GROUP);
        memcpy(feat + (size_t)k * GAN_CLF_GROUP * GAN_CLF_FEATURES, c.net[k].feat,
               sizeof(float) * GAN_CLF_GROUP * GAN_CLF_FEATURES);
    }
    gan_classifier_free(&c);
    gan_pool_free(pool);
    return acc;
}

static void test_threads_and_learning(int channels)
{
    gan_dataset tr, te;
    make_set(&tr, channels, N, 1);
    make_set(&te, channels, 200, 2);
    float *p[3];
    size_t n[3];
    static float feat[3][GAN_CLF_GROUPS * GAN_CLF_GROUP * GAN_CLF_FEATURES];
    double acc[3];
    for (int t = 0; t < 3; t++)
        acc[t] = train_on(&tr, &te, channels, t + 1, &p[t], &n[t], feat[t]);
    for (int t = 1; t < 3; t++) {
        CHECK_MSG(n[t] == n[0] && memcmp(p[t], p[0], sizeof(float) * n[0]) == 0,
                  "%d threads train other bits than 1", t + 1);
        CHECK_MSG(memcmp(feat[t], feat[0], sizeof feat[0]) == 0,
                  "%d threads give other features than 1", t + 1);
        CHECK(acc[t] == acc[0]);
    }
    CHECK_MSG(acc[0] >= 0.95, "%s set: accuracy %.3f on unseen images",
              channels == 1 ? "corner" : "channel", acc[0]);
    for (int t = 0; t < 3; t++)
        free(p[t]);
    gan_dataset_free(&tr);
    gan_dataset_free(&te);
}

static void test_cache(void)
{
    char dir[] = "/tmp/test_classifier_XXXXXX", path[128];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/classifier.bin", dir);
    gan_classifier a, b;
    gan_err err = {""};
    CHECK(gan_classifier_init(&a, S, S, 3, 3, 1, &err) == 0);
    CHECK(gan_classifier_init(&b, S, S, 3, 3, 2, &err) == 0);
    gan_rng rng;
    gan_rng_seed(&rng, 9, 9);
    gan_classifier_reset(&a, &rng);
    CHECK(gan_classifier_load(&b, path, 42) == 0); /* none yet */
    CHECK_MSG(gan_classifier_save(&a, path, 42, &err) == 0, "%s", err.msg);
    CHECK(gan_classifier_load(&b, path, 42) == 1);
    size_t np = a.net[0].nparams;
    for (int k = 0; k < b.nets; k++)
        CHECK(memcmp(b.net[k].params, a.net[0].params, sizeof(float) * np) == 0);
    uint32_t id = gan_classifier_id(&a, 42);
    CHECK(id != 0 && id == gan_classifier_id(&b, 42) && id != gan_classifier_id(&a, 43));
    b.net[0].params[np / 2] += 1e-3f;
    CHECK(gan_classifier_id(&b, 42) != id);
    CHECK(gan_classifier_load(&b, path, 43) == 0); /* another key */
    gan_classifier c;
    CHECK(gan_classifier_init(&c, S, S, 1, 3, 1, &err) == 0);
    CHECK(gan_classifier_load(&c, path, 42) == 0); /* other sizes */
    gan_classifier_free(&c);
    /* a flipped byte, a cut, a byte more: refused */
    size_t size;
    unsigned char *buf;
    char why[200];
    CHECK(gan_read_file(path, 1u << 26, &buf, &size, why, sizeof why) == 0);
    FILE *f;
    for (int k = 0; k < 3; k++) {
        CHECK((f = fopen(path, "wb")) != NULL);
        if (k == 0)
            buf[size / 2] ^= 1;
        fwrite(buf, 1, k == 1 ? size - 1 : size, f);
        if (k == 2)
            fputc(0, f);
        CHECK(fclose(f) == 0);
        CHECK_MSG(gan_classifier_load(&b, path, 42) == 0, "damage %d accepted", k);
        if (k == 0)
            buf[size / 2] ^= 1;
    }
    free(buf);
    /* a FIFO in the file's place is not waited on, and a save replaces it */
    unlink(path);
    CHECK(mkfifo(path, 0600) == 0);
    CHECK(gan_classifier_load(&b, path, 42) == 0);
    CHECK_MSG(gan_classifier_save(&a, path, 42, &err) == 0, "%s", err.msg);
    CHECK(gan_classifier_load(&b, path, 42) == 1);
    unlink(path);
    rmdir(dir);
    gan_classifier_free(&a);
    gan_classifier_free(&b);
}

int main(void)
{
    test_groups_are_one_batch();
    test_threads_and_learning(1);
    test_threads_and_learning(3);
    test_cache();
    TEST_MAIN_END();
}

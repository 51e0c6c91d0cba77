/* classifier.c: the evaluator's CNN classifier of gan_classifier.h: its
 * copies, its training (the same bits on any thread count), its cache file. */
#include "gan_classifier.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gan_file.h"
#include "gan_layers.h"
#include "gan_rng.h"

#define C1 16
#define C2 32
#define KSIZE 5
#define EPOCHS 8
#define BATCH (GAN_CLF_GROUP * GAN_CLF_GROUPS)
#define LR 1e-3
#define LR_DECAY 0.8
#define RECIPE "gan-train classifier 2: cnn 5x5 16, pool, 5x5 32, pool, fc 128; adam 1e-3 x0.8 " \
               "an epoch, batch 100 in 4 groups of 25, 8 epochs, seed 1/6"
#define HEADER 32
static const unsigned char MAGIC[8] = {'G', 'A', 'N', 'C', 'L', 'F', '2', 0};

const char *gan_classifier_recipe(void) { return RECIPE; }

int gan_classifier_init(gan_classifier *c, int H, int W, int C, int classes, int threads,
                        gan_err *err)
{
    memset(c, 0, sizeof *c);
    c->H = H, c->W = W, c->C = C, c->classes = classes, c->pixels = H * W * C;
    c->nets = threads > GAN_CLF_GROUPS ? threads : GAN_CLF_GROUPS;
    c->net = calloc((size_t)c->nets, sizeof *c->net);
    c->x = malloc(sizeof(float) * (size_t)c->nets * GAN_CLF_GROUP * c->pixels);
    c->probs = malloc(sizeof(float) * BATCH * (size_t)classes);
    c->dlogits = malloc(sizeof(float) * BATCH * (size_t)classes);
    if (!c->net || !c->x || !c->probs || !c->dlogits) {
        gan_classifier_free(c);
        return gan_err_set(err, "out of memory for the classifier");
    }
    for (int k = 0; k < c->nets; k++)
        if (gan_cnn_init(&c->net[k], H, W, C, classes, C1, C2, KSIZE, GAN_CLF_FEATURES,
                         GAN_CLF_GROUP, err) != 0) {
            gan_classifier_free(c);
            return -1;
        }
    return 0;
}

void gan_classifier_free(gan_classifier *c)
{
    for (int k = 0; c->net && k < c->nets; k++)
        gan_cnn_free(&c->net[k]);
    free(c->net);
    free(c->x);
    free(c->probs);
    free(c->dlogits);
    memset(c, 0, sizeof *c);
}

void gan_classifier_forward(gan_classifier *c, int k, const float *x, int b)
{
    gan_cnn_forward(&c->net[k], x, b);
}

/* ---- training ---- */

typedef struct {
    gan_classifier *c;
    const gan_dataset *ds;
    const uint32_t *idx;     /* the batch's images */
    int b;                   /* how many (<= BATCH) */
    gan_adam_cfg adam;
    long t;                  /* Adam's step */
} step_job;

/* One group's gradient in its copy's grads: the mean loss of the whole batch,
 * so its rows' gradients are scaled by (its rows) / b. */
static void group_grad(step_job *j, int g, int rows)
{
    gan_classifier *c = j->c;
    const int P = c->pixels, K = c->classes;
    float *x = c->x + (size_t)g * GAN_CLF_GROUP * P;
    const uint32_t *idx = j->idx + g * GAN_CLF_GROUP;
    uint8_t *labels = c->labels + g * GAN_CLF_GROUP;
    float *probs = c->probs + (size_t)g * GAN_CLF_GROUP * K;
    float *d = c->dlogits + (size_t)g * GAN_CLF_GROUP * K;
    gan_dataset_batch(j->ds, idx, rows, x);
    for (int i = 0; i < rows; i++)
        labels[i] = j->ds->labels[idx[i]];
    gan_cnn_forward(&c->net[g], x, rows);
    gan_softmax_ce_forward(probs, c->net[g].logits, labels, rows, K);
    gan_softmax_ce_backward(d, probs, labels, rows, K);
    float share = (float)rows / (float)j->b;
    for (int i = 0; i < rows * K; i++)
        d[i] *= share;
    gan_cnn_backward(&c->net[g], x, d, rows);
}

static void step_run(void *ctx, const gan_team *tm)
{
    step_job *j = ctx;
    gan_classifier *c = j->c;
    int groups = (j->b + GAN_CLF_GROUP - 1) / GAN_CLF_GROUP;
    for (int g = tm->part; g < groups; g += tm->nparts) {
        int rows = j->b - g * GAN_CLF_GROUP;
        group_grad(j, g, rows < GAN_CLF_GROUP ? rows : GAN_CLF_GROUP);
    }
    gan_team_barrier(tm);
    /* sum the groups' gradients in group order, one Adam step, and the new
     * parameters to every copy: each element by one thread */
    gan_cnn *n0 = &c->net[0];
    size_t lo, hi;
    gan_team_range(tm, n0->nparams, 16, &lo, &hi);
    for (int g = 1; g < groups; g++) {
        const float *gg = c->net[g].grads;
        for (size_t i = lo; i < hi; i++)
            n0->grads[i] += gg[i];
    }
    gan_adam_step(n0->params + lo, n0->grads + lo, n0->adam_m + lo, n0->adam_v + lo, hi - lo,
                  j->t, &j->adam);
    for (int k = 1; k < c->nets; k++)
        memcpy(c->net[k].params + lo, n0->params + lo, sizeof(float) * (hi - lo));
}

void gan_classifier_reset(gan_classifier *c, gan_rng *rng)
{
    gan_cnn_reset(&c->net[0], rng);
    for (int k = 1; k < c->nets; k++)
        memcpy(c->net[k].params, c->net[0].params, sizeof(float) * c->net[0].nparams);
}

void gan_classifier_step(gan_classifier *c, const gan_dataset *ds, const uint32_t *idx, int b,
                         double lr, gan_pool *pool)
{
    step_job j = {.c = c, .ds = ds, .idx = idx, .b = b, .adam = {lr, 0.9, 0.999, 1e-8},
                  .t = ++c->net[0].adam_t};
    gan_pool_run(pool, step_run, &j);
}

int gan_classifier_train(gan_classifier *c, const gan_dataset *ds, uint32_t n, gan_pool *pool,
                         FILE *progress, gan_err *err)
{
    uint32_t *perm = malloc(sizeof(uint32_t) * (n ? n : 1));
    if (!perm)
        return gan_err_set(err, "out of memory for the classifier's training");
    gan_rng rng;
    gan_rng_seed(&rng, 1, 6);
    gan_classifier_reset(c, &rng);
    double lr = LR;
    for (int e = 0; e < EPOCHS; e++) {
        double t0 = gan_now_seconds();
        for (uint32_t i = 0; i < n; i++)
            perm[i] = i;
        gan_rng_shuffle(&rng, perm, n);
        for (uint32_t s = 0; s < n; s += BATCH)
            gan_classifier_step(c, ds, perm + s, n - s < BATCH ? (int)(n - s) : BATCH, lr, pool);
        if (progress) {
            fprintf(progress, "eval:     classifier epoch %d of %d: %.1f s\n", e + 1, EPOCHS,
                    gan_now_seconds() - t0);
            fflush(progress);
        }
        lr *= LR_DECAY;
    }
    free(perm);
    return 0;
}

/* ---- the cache file: magic, u32 H, W, C, classes, u64 key, f32 parameters,
 * u32 CRC-32 of everything before ---- */

int gan_classifier_load(gan_classifier *c, const char *path, uint64_t key)
{
    gan_cnn *n0 = &c->net[0];
    size_t n = n0->nparams, want = HEADER + 4 * n + 4, got;
    unsigned char *buf;
    char why[200];
    /* a regular file of the right size, or none (a FIFO is not waited on) */
    if (gan_read_file(path, want, &buf, &got, why, sizeof why) != 0)
        return 0;
    int ok = got == want && memcmp(buf, MAGIC, 8) == 0 &&
             gan_get32(buf + 8) == (uint32_t)c->H && gan_get32(buf + 12) == (uint32_t)c->W &&
             gan_get32(buf + 16) == (uint32_t)c->C &&
             gan_get32(buf + 20) == (uint32_t)c->classes && gan_get64(buf + 24) == key &&
             gan_get32(buf + want - 4) == (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf,
                                                          (uInt)(want - 4));
    for (size_t i = 0; ok && i < n; i++) {
        n0->params[i] = gan_getf32(buf + HEADER + 4 * i);
        ok = isfinite(n0->params[i]);
    }
    free(buf);
    for (int k = 1; ok && k < c->nets; k++)
        memcpy(c->net[k].params, n0->params, sizeof(float) * n);
    return ok;
}

int gan_classifier_save(const gan_classifier *c, const char *path, uint64_t key, gan_err *err)
{
    const gan_cnn *n0 = &c->net[0];
    size_t n = n0->nparams, size = HEADER + 4 * n + 4;
    unsigned char *buf = calloc(size, 1);
    if (!buf)
        return gan_err_set(err, "out of memory");
    memcpy(buf, MAGIC, 8);
    gan_put32(buf + 8, (uint32_t)c->H);
    gan_put32(buf + 12, (uint32_t)c->W);
    gan_put32(buf + 16, (uint32_t)c->C);
    gan_put32(buf + 20, (uint32_t)c->classes);
    gan_put64(buf + 24, key);
    for (size_t i = 0; i < n; i++)
        gan_putf32(buf + HEADER + 4 * i, n0->params[i]);
    gan_put32(buf + size - 4, (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(size - 4)));
    gan_atomic a;
    int rc = gan_atomic_open(&a, path, err);
    if (rc == 0 && gan_write_all(a.f, buf, size, path, err) != 0) {
        gan_atomic_abort(&a);
        rc = -1;
    } else if (rc == 0) {
        rc = gan_atomic_commit(&a, err);
    }
    free(buf);
    return rc;
}

uint32_t gan_classifier_id(const gan_classifier *c, uint64_t key)
{
    unsigned char b[8];
    gan_put64(b, key);
    uint64_t h = gan_fnv1a(GAN_FNV_OFFSET, b, 8);
    const gan_cnn *n0 = &c->net[0];
    for (size_t i = 0; i < n0->nparams; i++) { /* the little-endian bytes of the file */
        gan_putf32(b, n0->params[i]);
        h = gan_fnv1a(h, b, 4);
    }
    uint32_t id = (uint32_t)(h ^ (h >> 32));
    return id ? id : 1;
}

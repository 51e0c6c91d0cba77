/* eval.c: the evaluator of gan_eval.h: the classifier (trained once, cached),
 * the reference statistics, and the measures of a generator or an image set
 * (the measures themselves are in eval_measures.c). */
#define _POSIX_C_SOURCE 200809L
#include "gan_eval.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "gan_file.h"
#include "gan_idx.h"
#include "gan_image.h"
#include "gan_layers.h"
#include "gan_rng.h"

#define HIDDEN 256          /* classifier width: the features are 256 wide */
#define CHUNK 500           /* rows per pass through the classifier */
#define GEN_CHUNK 16        /* rows per pass of a generator: a fixed size, so that a
                               trainer's G (cap = batch) and a loaded one (cap 500)
                               give the same bits (GEMM rounding follows the shape) */
#define CLF_EPOCHS 5
#define CLF_BATCH 100
#define CLF_LR 1e-3
#define CLF_RECIPE "gan-train classifier 1: 256-256 relu, adam 1e-3, batch 100, 5 epochs, seed 1/6"
#define HELD_OUT_MAX 10000
static const unsigned char CLF_MAGIC[8] = {'G', 'A', 'N', 'C', 'L', 'F', '1', 0};

struct gan_evaluator {
    int rows, cols, pixels, classes, feat, count, z_dim, nref, ntrain;
    gan_pool *pool;
    gan_mlp clf;                  /* pixels-256-256-classes, cap CHUNK */
    char reference[160];
    double accuracy, fid_floor;
    float *ref_feat, *ref_norm, *ref_radii2;   /* (nref, F), (nref), (nref) */
    double *ref_mu, *ref_cov;                  /* (F), (F, F) */
    float *gen_feat, *gen_norm, *gen_radii2;   /* (count, F), (count), (count) */
    float *gen_probs;                          /* (count, classes) */
    double *mu, *cov, *centered, *fid_work;    /* (F), (F, F), (max n, F), gan_fid_work */
    float *zbuf, *img, *logits;                /* (CHUNK, Z), (CHUNK, P), (CHUNK, classes) */
    uint8_t *bytes;                            /* (CHUNK, P) */
    float *scratch;                            /* (threads, GAN_EVAL_KNN_BLOCK, max n) */
    int *counts;                               /* (classes) */
};

/* ---- features: images through the classifier, on the pool ---- */

typedef struct {
    gan_evaluator *ev;
    gan_mlp *G;               /* generate (z from rng), or */
    const gan_dataset *ds;    /* take images first..first+n of ds */
    uint32_t first;
    int n;
    gan_rng rng;
    float *feat, *probs;      /* (n, F), (n, C) or NULL */
    long correct;             /* with ds and probs: argmax == label */
} feat_job;

static void feat_run(void *ctx, const gan_team *tm)
{
    feat_job *j = ctx;
    gan_evaluator *ev = j->ev;
    const int P = ev->pixels, C = ev->classes, F = ev->feat;
    int chunk = !j->G ? CHUNK : j->G->cap < GEN_CHUNK ? j->G->cap : GEN_CHUNK;
    float lut[256];
    for (int v = 0; v < 256; v++)
        lut[v] = ((float)v / 255.0f - 0.5f) / 0.5f;
    for (int s0 = 0; s0 < j->n; s0 += chunk) {
        int b = j->n - s0 < chunk ? j->n - s0 : chunk;
        size_t lo, hi;
        if (j->G) {
            if (tm->part == 0)
                gan_rng_normal_fill(&j->rng, ev->zbuf, (size_t)b * ev->z_dim);
            gan_mlp_forward(j->G, ev->img, ev->zbuf, b, tm); /* begins with a barrier */
            /* to bytes and back, as a saved sample would be */
            gan_team_range(tm, (size_t)b, 1, &lo, &hi);
            gan_to_pixels(ev->bytes + lo * P, ev->img + lo * P, (hi - lo) * P);
            for (size_t t = lo * P; t < hi * P; t++)
                ev->img[t] = lut[ev->bytes[t]];
        } else {
            gan_team_range(tm, (size_t)b, 1, &lo, &hi);
            uint32_t idx[CHUNK];
            for (size_t t = lo; t < hi; t++)
                idx[t - lo] = j->first + (uint32_t)(s0 + t);
            gan_dataset_batch(j->ds, idx, (int)(hi - lo), ev->img + lo * P);
        }
        gan_mlp_forward(&ev->clf, ev->logits, ev->img, b, tm); /* begins with a barrier */
        if (tm->part == 0) {
            memcpy(j->feat + (size_t)s0 * F, ev->clf.a2, sizeof(float) * (size_t)b * F);
            for (int i = 0; i < b; i++) {
                const float *l = ev->logits + (size_t)i * C;
                int best = 0;
                for (int c = 1; c < C; c++)
                    best = l[c] > l[best] ? c : best;
                if (j->ds && j->ds->labels)
                    j->correct += best == j->ds->labels[j->first + (uint32_t)(s0 + i)];
                if (j->probs) {
                    float *p = j->probs + (size_t)(s0 + i) * C;
                    double sum = 0.0;
                    for (int c = 0; c < C; c++)
                        sum += exp((double)l[c] - l[best]);
                    for (int c = 0; c < C; c++)
                        p[c] = (float)(exp((double)l[c] - l[best]) / sum);
                }
            }
        }
        gan_team_barrier(tm);
    }
}

/* ---- the classifier: trained once per data set, cached ---- */

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

static uint64_t data_hash(const gan_dataset *ds, uint32_t ntrain, int classes)
{
    uint64_t h = 1469598103934665603ULL;
    uint32_t head[4] = {ds->rows, ds->cols, ntrain, (uint32_t)classes};
    h = fnv1a(h, CLF_RECIPE, strlen(CLF_RECIPE));
    h = fnv1a(h, head, sizeof head);
    if (ds->channels != 1) /* (grey sets keep the keys of their caches from before colour) */
        h = fnv1a(h, &ds->channels, sizeof ds->channels);
    h = fnv1a(h, ds->pixels, (size_t)ntrain * gan_dataset_image_size(ds));
    return fnv1a(h, ds->labels, ntrain);
}

static int train_classifier(gan_evaluator *ev, const gan_dataset *ds, gan_err *err)
{
    gan_rng rng;
    gan_rng_seed(&rng, 1, 6);
    gan_mlp_reset(&ev->clf, &rng);
    uint32_t n = (uint32_t)ev->ntrain;
    uint32_t *perm = malloc(sizeof(uint32_t) * n);
    float *x = malloc(sizeof(float) * CLF_BATCH * ev->pixels);
    float *probs = malloc(sizeof(float) * CLF_BATCH * ev->classes);
    float *d = malloc(sizeof(float) * CLF_BATCH * ev->classes);
    if (!perm || !x || !probs || !d) {
        free(perm);
        free(x);
        free(probs);
        free(d);
        return gan_err_set(err, "out of memory for the classifier's training");
    }
    gan_adam_cfg adam = {CLF_LR, 0.9, 0.999, 1e-8};
    uint8_t labels[CLF_BATCH];
    for (int e = 0; e < CLF_EPOCHS; e++) {
        for (uint32_t i = 0; i < n; i++)
            perm[i] = i;
        gan_rng_shuffle(&rng, perm, n);
        for (uint32_t s = 0; s < n; s += CLF_BATCH) {
            int b = n - s < CLF_BATCH ? (int)(n - s) : CLF_BATCH;
            gan_dataset_batch(ds, perm + s, b, x);
            for (int i = 0; i < b; i++)
                labels[i] = ds->labels[perm[s + i]];
            gan_mlp_forward(&ev->clf, ev->logits, x, b, &GAN_SOLO);
            gan_softmax_ce_forward(probs, ev->logits, labels, b, ev->classes);
            gan_softmax_ce_backward(d, probs, labels, b, ev->classes);
            gan_mlp_backward(&ev->clf, NULL, d, ev->logits, x, b, 1, &GAN_SOLO);
            gan_mlp_adam(&ev->clf, &adam, &GAN_SOLO);
        }
    }
    free(perm);
    free(x);
    free(probs);
    free(d);
    return 0;
}

/* The cache file: magic, u32 pixels, hidden, classes, zero, u64 data hash,
 * f32 parameters, u32 CRC-32 of everything before. */
#define CLF_HEADER 32

static void cache_path(char *buf, size_t len, const char *dir, uint64_t hash)
{
    snprintf(buf, len, "%s/classifier-%016llx.bin", dir, (unsigned long long)hash);
}

/* 1 when a good cached classifier was read into ev->clf, 0 when there is
 * none (or a damaged one, which is then replaced). */
static int cache_load(gan_evaluator *ev, const char *path, uint64_t hash)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = ev->clf.nparams, want = CLF_HEADER + 4 * n + 4;
    unsigned char *buf = malloc(want + 1);
    size_t got = buf ? fread(buf, 1, want + 1, f) : 0;
    fclose(f);
    int ok = buf && got == want && memcmp(buf, CLF_MAGIC, 8) == 0 &&
             gan_get32(buf + 8) == (uint32_t)ev->pixels && gan_get32(buf + 12) == HIDDEN &&
             gan_get32(buf + 16) == (uint32_t)ev->classes && gan_get64(buf + 24) == hash &&
             gan_get32(buf + want - 4) == (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf,
                                                          (uInt)(want - 4));
    if (ok)
        for (size_t i = 0; i < n; i++)
            ev->clf.params[i] = gan_getf32(buf + CLF_HEADER + 4 * i);
    free(buf);
    return ok;
}

static int cache_save(const gan_evaluator *ev, const char *dir, const char *path, uint64_t hash,
                      gan_err *err)
{
    if (gan_make_dirs(dir, err) != 0) /* ~/.cache may be missing too */
        return -1;
    size_t n = ev->clf.nparams, size = CLF_HEADER + 4 * n + 4;
    unsigned char *buf = calloc(size, 1);
    if (!buf)
        return gan_err_set(err, "out of memory");
    memcpy(buf, CLF_MAGIC, 8);
    gan_put32(buf + 8, (uint32_t)ev->pixels);
    gan_put32(buf + 12, HIDDEN);
    gan_put32(buf + 16, (uint32_t)ev->classes);
    gan_put64(buf + 24, hash);
    for (size_t i = 0; i < n; i++)
        gan_putf32(buf + CLF_HEADER + 4 * i, ev->clf.params[i]);
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

static void default_cache_dir(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg == '/')
        snprintf(buf, len, "%s/gan-train", xdg);
    else if (home && *home)
        snprintf(buf, len, "%s/.cache/gan-train", home);
    else
        snprintf(buf, len, "/tmp/gan-train-cache");
}

/* ---- the evaluator ---- */

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Features (and class probabilities) of n images, from ds or from G. */
static long features(gan_evaluator *ev, const gan_dataset *ds, uint32_t first, gan_mlp *G, int n,
                     float *feat, float *probs)
{
    feat_job j = {.ev = ev, .G = G, .ds = ds, .first = first, .n = n, .feat = feat,
                  .probs = probs};
    gan_rng_seed(&j.rng, 1, 5);
    gan_pool_run(ev->pool, feat_run, &j);
    return j.correct;
}

static int make_parts(gan_evaluator *ev, const gan_dataset *train, const gan_dataset *test,
                      const gan_eval_config *cfg, FILE *msg, gan_err *err)
{
    const int F = HIDDEN, C = ev->classes, P = ev->pixels;
    /* reference: the test split, or the tail of the training split */
    const gan_dataset *ref = test ? test : train;
    uint32_t ref_first = test ? 0 : (uint32_t)ev->ntrain;
    int nmax = ev->count > ev->nref ? ev->count : ev->nref;
    int threads = gan_pool_size(ev->pool);
    if (gan_mlp_init(&ev->clf, P, HIDDEN, HIDDEN, C, 0.0f, GAN_ACT_NONE, CHUNK, err) != 0)
        return -1;
    ev->ref_feat = malloc(sizeof(float) * (size_t)ev->nref * F);
    ev->ref_norm = malloc(sizeof(float) * (size_t)ev->nref);
    ev->ref_radii2 = malloc(sizeof(float) * (size_t)ev->nref);
    ev->ref_mu = malloc(sizeof(double) * F);
    ev->ref_cov = malloc(sizeof(double) * F * F);
    ev->gen_feat = malloc(sizeof(float) * (size_t)nmax * F);
    ev->gen_norm = malloc(sizeof(float) * (size_t)nmax);
    ev->gen_radii2 = malloc(sizeof(float) * (size_t)nmax);
    ev->gen_probs = malloc(sizeof(float) * (size_t)nmax * C);
    ev->mu = malloc(sizeof(double) * F);
    ev->cov = malloc(sizeof(double) * F * F);
    ev->centered = malloc(sizeof(double) * (size_t)nmax * F);
    ev->fid_work = malloc(sizeof(double) * gan_fid_work(F));
    ev->zbuf = malloc(sizeof(float) * CHUNK * (size_t)ev->z_dim);
    ev->img = malloc(sizeof(float) * CHUNK * (size_t)P);
    ev->logits = malloc(sizeof(float) * CHUNK * (size_t)C);
    ev->bytes = malloc((size_t)CHUNK * P);
    ev->scratch = malloc(sizeof(float) * (size_t)threads * GAN_EVAL_KNN_BLOCK * nmax);
    ev->counts = malloc(sizeof(int) * (size_t)C);
    if (!ev->ref_feat || !ev->ref_norm || !ev->ref_radii2 || !ev->ref_mu || !ev->ref_cov ||
        !ev->gen_feat || !ev->gen_norm || !ev->gen_radii2 || !ev->gen_probs || !ev->mu ||
        !ev->cov || !ev->centered || !ev->fid_work || !ev->zbuf || !ev->img || !ev->logits ||
        !ev->bytes || !ev->scratch || !ev->counts)
        return gan_err_set(err, "out of memory for the evaluation (%d images)", nmax);

    /* the classifier: from the cache, or trained now and cached */
    char dir[4096], path[4200];
    if (cfg->cache_dir)
        snprintf(dir, sizeof dir, "%s", cfg->cache_dir);
    else
        default_cache_dir(dir, sizeof dir);
    uint64_t hash = data_hash(train, (uint32_t)ev->ntrain, C);
    cache_path(path, sizeof path, dir, hash);
    if (cache_load(ev, path, hash)) {
        if (msg)
            fprintf(msg, "eval:     classifier %s (cached)\n", path);
    } else {
        double t0 = seconds_now();
        if (msg) {
            fprintf(msg, "eval:     training the classifier on %d labelled images (once for this "
                    "data; some seconds) ...\n", ev->ntrain);
            fflush(msg);
        }
        if (train_classifier(ev, train, err) != 0)
            return -1;
        gan_err cerr = {""};
        if (cache_save(ev, dir, path, hash, &cerr) != 0) {
            if (msg)
                fprintf(msg, "eval:     note: cannot cache the classifier (%s); it is trained "
                        "again next time\n", cerr.msg);
        } else if (msg) {
            fprintf(msg, "eval:     classifier trained in %.1f s, cached as %s\n",
                    seconds_now() - t0, path);
        }
    }
    /* the reference set: features, accuracy, statistics, manifold */
    long correct = features(ev, ref, ref_first, NULL, ev->nref, ev->ref_feat, NULL);
    ev->accuracy = (double)correct / ev->nref;
    gan_feature_stats(ev->ref_feat, ev->nref, F, ev->ref_mu, ev->ref_cov, ev->centered);
    gan_knn_radii(ev->ref_feat, ev->nref, F, GAN_EVAL_K, ev->ref_radii2, ev->ref_norm,
                  ev->scratch, ev->pool);
    /* the floor: as many training images as generated ones, against it */
    int nfloor = ev->count < ev->ntrain ? ev->count : ev->ntrain;
    features(ev, train, 0, NULL, nfloor, ev->gen_feat, NULL);
    gan_feature_stats(ev->gen_feat, nfloor, F, ev->mu, ev->cov, ev->centered);
    return gan_fid(ev->mu, ev->cov, ev->ref_mu, ev->ref_cov, F, ev->fid_work, &ev->fid_floor,
                   err);
}

int gan_evaluator_make(gan_evaluator **out, const gan_eval_config *cfg, int rows, int cols,
                       int channels, int z_dim, gan_pool *pool, FILE *msg, char *why,
                       size_t why_len, gan_err *err)
{
    *out = NULL;
    gan_dataset train, test;
    memset(&test, 0, sizeof test);
    if (gan_dataset_load(&train, cfg->data_dir, "train", 0, GAN_DATA_LABELS_OPTIONAL, err) != 0)
        return -1;
    int has_test = gan_dataset_exists(cfg->data_dir, "t10k");
    if (!train.labels) {
        snprintf(why, why_len, "%s has no training labels (train-labels-idx1-ubyte): no "
                 "evaluation", cfg->data_dir);
        gan_dataset_free(&train);
        return 1;
    }
    if (has_test && gan_dataset_load(&test, cfg->data_dir, "t10k", 0, 0, err) != 0) {
        gan_dataset_free(&train);
        return -1;
    }
    int rc = 1, classes = 0;
    for (uint32_t i = 0; i < train.count; i++)
        classes = train.labels[i] + 1 > classes ? train.labels[i] + 1 : classes;
    if ((int)train.rows != rows || (int)train.cols != cols || (int)train.channels != channels) {
        snprintf(why, why_len, "%s holds %u x %u x %u images, the images to judge are %d x %d x "
                 "%d: no evaluation", cfg->data_dir, train.rows, train.cols, train.channels, rows,
                 cols, channels);
        goto done;
    }
    if (has_test && (test.rows != train.rows || test.cols != train.cols ||
                     test.channels != train.channels)) {
        snprintf(why, why_len, "%s: the t10k images are not %u x %u x %u: no evaluation",
                 cfg->data_dir, train.rows, train.cols, train.channels);
        goto done;
    }
    if (classes < 2) {
        snprintf(why, why_len, "%s: its labels name one class: no evaluation", cfg->data_dir);
        goto done;
    }
    uint32_t held = has_test ? 0 : (train.count / 6 < HELD_OUT_MAX ? train.count / 6 : HELD_OUT_MAX);
    if (train.count - held < 100 || (!has_test && held < 100)) {
        snprintf(why, why_len, "%s: %u labelled images are too few to train a classifier and "
                 "hold out a reference: no evaluation", cfg->data_dir, train.count);
        goto done;
    }
    gan_evaluator *ev = calloc(1, sizeof *ev);
    if (!ev) {
        rc = gan_err_set(err, "out of memory");
        goto done;
    }
    ev->rows = rows;
    ev->cols = cols;
    ev->pixels = rows * cols * channels;
    ev->classes = classes;
    ev->feat = HIDDEN;
    ev->count = cfg->count;
    ev->z_dim = z_dim;
    ev->pool = pool;
    ev->ntrain = (int)(train.count - held);
    ev->nref = has_test ? (int)test.count : (int)held;
    if (has_test)
        snprintf(ev->reference, sizeof ev->reference, "the test split (%d images)", ev->nref);
    else
        snprintf(ev->reference, sizeof ev->reference, "the last %d images of the training split "
                 "(no t10k files; the classifier trains on the %d before them)", ev->nref,
                 ev->ntrain);
    if (make_parts(ev, &train, has_test ? &test : NULL, cfg, msg, err) != 0) {
        gan_evaluator_free(ev);
        rc = -1;
        goto done;
    }
    *out = ev;
    rc = 0;
done:
    gan_dataset_free(&train);
    gan_dataset_free(&test);
    return rc;
}

void gan_evaluator_free(gan_evaluator *ev)
{
    if (!ev)
        return;
    gan_mlp_free(&ev->clf);
    void *bufs[] = {ev->ref_feat, ev->ref_norm, ev->ref_radii2, ev->ref_mu, ev->ref_cov,
                    ev->gen_feat, ev->gen_norm, ev->gen_radii2, ev->gen_probs, ev->mu, ev->cov,
                    ev->centered, ev->fid_work, ev->zbuf, ev->img, ev->logits, ev->bytes,
                    ev->scratch, ev->counts};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        free(bufs[i]);
    free(ev);
}

const char *gan_evaluator_reference(const gan_evaluator *ev) { return ev->reference; }
double gan_evaluator_accuracy(const gan_evaluator *ev) { return ev->accuracy; }
int gan_evaluator_classes(const gan_evaluator *ev) { return ev->classes; }
double gan_evaluator_fid_floor(const gan_evaluator *ev) { return ev->fid_floor; }

/* The measures of n images from G, or (G NULL) the first n of set. */
static int measure(gan_evaluator *ev, gan_mlp *G, const gan_dataset *set, gan_eval_result *r,
                   gan_err *err)
{
    const int F = ev->feat, n = ev->count;
    memset(r, 0, sizeof *r);
    r->count = n;
    features(ev, set, 0, G, n, ev->gen_feat, ev->gen_probs);
    gan_feature_stats(ev->gen_feat, n, F, ev->mu, ev->cov, ev->centered);
    if (gan_fid(ev->mu, ev->cov, ev->ref_mu, ev->ref_cov, F, ev->fid_work, &r->fid, err) != 0)
        return -1;
    gan_class_measures(ev->gen_probs, n, ev->classes, GAN_EVAL_MIN_SHARE, ev->counts,
                       &r->inception_score, &r->classes_covered, &r->kl_uniform);
    gan_knn_radii(ev->gen_feat, n, F, GAN_EVAL_K, ev->gen_radii2, ev->gen_norm, ev->scratch,
                  ev->pool);
    r->precision = gan_knn_coverage(ev->gen_feat, ev->gen_norm, n, ev->ref_feat, ev->ref_norm,
                                    ev->ref_radii2, ev->nref, F, ev->scratch, ev->pool);
    r->recall = gan_knn_coverage(ev->ref_feat, ev->ref_norm, ev->nref, ev->gen_feat,
                                 ev->gen_norm, ev->gen_radii2, n, F, ev->scratch, ev->pool);
    return 0;
}

int gan_evaluate(gan_evaluator *ev, gan_mlp *G, gan_eval_result *r, gan_err *err)
{
    return measure(ev, G, NULL, r, err);
}

int gan_evaluate_set(gan_evaluator *ev, const gan_dataset *set, gan_eval_result *r, gan_err *err)
{
    if ((int)set->rows != ev->rows || (int)set->cols != ev->cols ||
        (int)gan_dataset_image_size(set) != ev->pixels || set->count < (uint32_t)ev->count)
        return gan_err_set(err, "%u images of %u x %u x %u; the evaluator takes %d of %d x %d "
                           "x %d", set->count, set->rows, set->cols, set->channels, ev->count,
                           ev->rows, ev->cols, ev->pixels / (ev->rows * ev->cols));
    return measure(ev, NULL, set, r, err);
}

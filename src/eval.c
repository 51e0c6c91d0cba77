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
#include <unistd.h>

#include "gan_classifier.h"
#include "gan_file.h"
#include "gan_idx.h"
#include "gan_image.h"
#include "gan_layers.h"
#include "gan_rng.h"

#define BLOCK 500           /* images made (generated or read) at a time */
#define GEN_CHUNK 16        /* rows per pass of a generator: a fixed size, so that a
                               trainer's G (cap = batch) and a loaded one (cap 500)
                               give the same bits (GEMM rounding follows the shape) */
#define HELD_OUT_MAX 10000

struct gan_evaluator {
    int rows, cols, pixels, classes, feat, count, z_dim, nref, ntrain;
    gan_pool *pool;
    gan_classifier clf;
    uint32_t clf_id;
    char reference[160];
    double accuracy, fid_floor;
    float *ref_feat, *ref_norm, *ref_radii2;   /* (nref, F), (nref), (nref) */
    double *ref_mu, *ref_cov;                  /* (F), (F, F) */
    float *gen_feat, *gen_norm, *gen_radii2;   /* (count, F), (count), (count) */
    float *gen_probs;                          /* (count, classes) */
    double *mu, *cov, *centered, *fid_work;    /* (F), (F, F), (max n, F), gan_fid_work */
    float *zbuf, *img;                         /* (GEN_CHUNK, Z), (BLOCK, P) */
    uint8_t *bytes;                            /* (BLOCK, P) */
    float *scratch;                            /* (threads, GAN_EVAL_KNN_BLOCK, max n) */
    long *correct;                             /* (threads) */
    int *counts;                               /* (classes) */
    long *hit, *asked;                         /* (threads, classes): a conditional G's
                                                  samples read as asked, and asked */
    double *cls_mu, *cls_cov;                  /* (classes, F), (classes, F, F): the
                                                  reference's per class */
    int *cls_n;                                /* (classes) reference images per class */
    float *gather;                             /* (max class size, F) */
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
} feat_job;

/* Images s0..s0+b of the job into ev->img: G's (through bytes, as a saved
 * sample is) or the data set's. Ends with every thread's part done. */
static void make_block(feat_job *j, int s0, int b, const gan_team *tm)
{
    gan_evaluator *ev = j->ev;
    const int P = ev->pixels;
    size_t lo, hi;
    if (!j->G) {
        gan_team_range(tm, (size_t)b, 1, &lo, &hi);
        uint32_t idx[BLOCK];
        for (size_t t = lo; t < hi; t++)
            idx[t - lo] = j->first + (uint32_t)(s0 + t);
        gan_dataset_batch(j->ds, idx, (int)(hi - lo), ev->img + lo * P);
        gan_team_barrier(tm);
        return;
    }
    int chunk = j->G->cap < GEN_CHUNK ? j->G->cap : GEN_CHUNK;
    float lut[256];
    for (int v = 0; v < 256; v++)
        lut[v] = ((float)v / 255.0f - 0.5f) / 0.5f;
    for (int g0 = 0; g0 < b; g0 += chunk) {
        int gb = b - g0 < chunk ? b - g0 : chunk;
        float *img = ev->img + (size_t)g0 * P;
        if (tm->part == 0)
            gan_rng_normal_fill(&j->rng, ev->zbuf, (size_t)gb * ev->z_dim);
        for (int i = 0; tm->part == 0 && j->G->labels && i < gb; i++)
            j->G->labels[i] = (uint8_t)((s0 + g0 + i) % j->G->cond.classes);
        gan_mlp_forward(j->G, img, ev->zbuf, gb, tm); /* begins with a barrier */
        gan_team_range(tm, (size_t)gb, 1, &lo, &hi);
        uint8_t *bytes = ev->bytes + (size_t)g0 * P;
        gan_to_pixels(bytes + lo * P, img + lo * P, (hi - lo) * P);
        for (size_t t = lo * P; t < hi * P; t++)
            img[t] = lut[bytes[t]];
    }
    gan_team_barrier(tm);
}

static void feat_run(void *ctx, const gan_team *tm)
{
    feat_job *j = ctx;
    gan_evaluator *ev = j->ev;
    const int P = ev->pixels, C = ev->classes, F = ev->feat;
    gan_cnn *net = &ev->clf.net[tm->part];
    ev->correct[tm->part] = 0;
    long *hit = ev->hit + (size_t)tm->part * C, *asked = ev->asked + (size_t)tm->part * C;
    memset(hit, 0, sizeof(long) * C);
    memset(asked, 0, sizeof(long) * C);
    const int K = j->G && j->G->labels && j->G->cond.classes == C ? C : 0;
    for (int s0 = 0; s0 < j->n; s0 += BLOCK) {
        int b = j->n - s0 < BLOCK ? j->n - s0 : BLOCK;
        make_block(j, s0, b, tm);
        /* chunks of GAN_CLF_GROUP images, chunk k on thread k mod threads */
        for (int c0 = tm->part * GAN_CLF_GROUP; c0 < b; c0 += tm->nparts * GAN_CLF_GROUP) {
            int cb = b - c0 < GAN_CLF_GROUP ? b - c0 : GAN_CLF_GROUP;
            gan_classifier_forward(&ev->clf, tm->part, ev->img + (size_t)c0 * P, cb);
            memcpy(j->feat + (size_t)(s0 + c0) * F, net->feat, sizeof(float) * (size_t)cb * F);
            for (int i = 0; i < cb; i++) {
                const float *l = net->logits + (size_t)i * C;
                int best = 0;
                for (int c = 1; c < C; c++)
                    best = l[c] > l[best] ? c : best;
                if (j->ds && j->ds->labels)
                    ev->correct[tm->part] += best == j->ds->labels[j->first + (uint32_t)(s0 + c0 + i)];
                if (K) {
                    int want = (s0 + c0 + i) % K;
                    asked[want]++;
                    hit[want] += best == want;
                }
                if (j->probs) {
                    float *p = j->probs + (size_t)(s0 + c0 + i) * C;
                    double sum = 0.0;
                    for (int c = 0; c < C; c++)
                        sum += exp((double)l[c] - l[best]);
                    for (int c = 0; c < C; c++)
                        p[c] = (float)(exp((double)l[c] - l[best]) / sum);
                }
            }
        }
        gan_team_barrier(tm); /* before the next block overwrites the images */
    }
}

/* ---- the classifier: trained once per data set, cached ---- */

/* The cache key: the recipe, the sizes, the training images and labels. */
static uint64_t data_hash(const gan_dataset *ds, uint32_t ntrain, int classes)
{
    uint64_t h = GAN_FNV_OFFSET;
    uint32_t head[5] = {ds->rows, ds->cols, ds->channels, ntrain, (uint32_t)classes};
    const char *recipe = gan_classifier_recipe();
    h = gan_fnv1a(h, recipe, strlen(recipe));
    h = gan_fnv1a(h, head, sizeof head);
    h = gan_fnv1a(h, ds->pixels, (size_t)ntrain * gan_dataset_image_size(ds));
    return gan_fnv1a(h, ds->labels, ntrain);
}

static void cache_path(char *buf, size_t len, const char *dir, uint64_t hash)
{
    snprintf(buf, len, "%s/classifier-%016llx.bin", dir, (unsigned long long)hash);
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

/* Features (and class probabilities) of n images, from ds or from G; the
 * number whose argmax is their label (with ds). */
static long features(gan_evaluator *ev, const gan_dataset *ds, uint32_t first, gan_mlp *G, int n,
                     float *feat, float *probs)
{
    feat_job j = {.ev = ev, .G = G, .ds = ds, .first = first, .n = n, .feat = feat,
                  .probs = probs};
    gan_rng_seed(&j.rng, 1, 5);
    gan_pool_run(ev->pool, feat_run, &j);
    long correct = 0;
    for (int t = 0; t < gan_pool_size(ev->pool); t++)
        correct += ev->correct[t];
    return correct;
}

/* The classifier: from the cache, or trained now and cached. */
static int get_classifier(gan_evaluator *ev, const gan_dataset *train, const gan_eval_config *cfg,
                          FILE *msg, gan_err *err)
{
    char dir[4096], path[4200];
    if (cfg->cache_dir)
        snprintf(dir, sizeof dir, "%s", cfg->cache_dir);
    else
        default_cache_dir(dir, sizeof dir);
    uint64_t hash = data_hash(train, (uint32_t)ev->ntrain, ev->classes);
    cache_path(path, sizeof path, dir, hash);
    if (gan_classifier_load(&ev->clf, path, hash)) {
        if (msg)
            fprintf(msg, "eval:     classifier %s (cached)\n", path);
    } else {
        double t0 = gan_now_seconds();
        if (msg) {
            fprintf(msg, "eval:     training the classifier on %d labelled images (once for this "
                    "data) ...\n", ev->ntrain);
            fflush(msg);
        }
        if (gan_classifier_train(&ev->clf, train, (uint32_t)ev->ntrain, ev->pool, msg, err) != 0)
            return -1;
        gan_err cerr = {""};
        if (gan_make_dirs(dir, &cerr) != 0 || gan_classifier_save(&ev->clf, path, hash, &cerr) != 0) {
            if (msg)
                fprintf(msg, "eval:     note: cannot cache the classifier (%s); it is trained "
                        "again next time\n", cerr.msg);
        } else if (msg) {
            fprintf(msg, "eval:     classifier trained in %.1f s, cached as %s\n",
                    gan_now_seconds() - t0, path);
        }
    }
    ev->clf_id = gan_classifier_id(&ev->clf, hash);
    return 0;
}

static int make_parts(gan_evaluator *ev, const gan_dataset *train, const gan_dataset *test,
                      const gan_eval_config *cfg, FILE *msg, gan_err *err)
{
    const int F = GAN_CLF_FEATURES, C = ev->classes, P = ev->pixels;
    /* reference: the test split, or the tail of the training split */
    const gan_dataset *ref = test ? test : train;
    uint32_t ref_first = test ? 0 : (uint32_t)ev->ntrain;
    int nmax = ev->count > ev->nref ? ev->count : ev->nref;
    int threads = gan_pool_size(ev->pool);
    if (gan_classifier_init(&ev->clf, ev->rows, ev->cols, P / (ev->rows * ev->cols), C, threads,
                            err) != 0)
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
    ev->zbuf = malloc(sizeof(float) * GEN_CHUNK * (size_t)ev->z_dim);
    ev->img = malloc(sizeof(float) * BLOCK * (size_t)P);
    ev->bytes = malloc((size_t)BLOCK * P);
    ev->scratch = malloc(sizeof(float) * (size_t)threads * GAN_EVAL_KNN_BLOCK * nmax);
    ev->correct = malloc(sizeof(long) * (size_t)threads);
    ev->counts = malloc(sizeof(int) * (size_t)C);
    ev->hit = malloc(sizeof(long) * (size_t)threads * C);
    ev->asked = malloc(sizeof(long) * (size_t)threads * C);
    ev->cls_mu = malloc(sizeof(double) * (size_t)C * F);
    ev->cls_cov = malloc(sizeof(double) * (size_t)C * F * F);
    ev->cls_n = calloc((size_t)C, sizeof(int));
    ev->gather = malloc(sizeof(float) * (size_t)nmax * F);
    if (!ev->ref_feat || !ev->ref_norm || !ev->ref_radii2 || !ev->ref_mu || !ev->ref_cov ||
        !ev->gen_feat || !ev->gen_norm || !ev->gen_radii2 || !ev->gen_probs || !ev->mu ||
        !ev->cov || !ev->centered || !ev->fid_work || !ev->zbuf || !ev->img || !ev->bytes ||
        !ev->scratch || !ev->correct || !ev->counts || !ev->hit || !ev->asked || !ev->cls_mu ||
        !ev->cls_cov || !ev->cls_n || !ev->gather)
        return gan_err_set(err, "out of memory for the evaluation (%d images)", nmax);
    if (get_classifier(ev, train, cfg, msg, err) != 0)
        return -1;
    /* the reference set: features, accuracy, statistics, manifold */
    long correct = features(ev, ref, ref_first, NULL, ev->nref, ev->ref_feat, NULL);
    ev->accuracy = (double)correct / ev->nref;
    gan_feature_stats(ev->ref_feat, ev->nref, F, ev->ref_mu, ev->ref_cov, ev->centered);
    /* and per class, for the intra-class FID of a conditional G */
    for (int k = 0; k < C; k++) {
        int n = 0;
        for (int i = 0; i < ev->nref; i++)
            if (ref->labels[ref_first + (uint32_t)i] == k)
                memcpy(ev->gather + (size_t)n++ * F, ev->ref_feat + (size_t)i * F,
                       sizeof(float) * F);
        ev->cls_n[k] = n;
        if (n >= 2)
            gan_feature_stats(ev->gather, n, F, ev->cls_mu + (size_t)k * F,
                              ev->cls_cov + (size_t)k * F * F, ev->centered);
    }
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
    ev->feat = GAN_CLF_FEATURES;
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
    gan_classifier_free(&ev->clf);
    void *bufs[] = {ev->ref_feat, ev->ref_norm, ev->ref_radii2, ev->ref_mu, ev->ref_cov,
                    ev->gen_feat, ev->gen_norm, ev->gen_radii2, ev->gen_probs, ev->mu, ev->cov,
                    ev->centered, ev->fid_work, ev->zbuf, ev->img, ev->bytes, ev->correct,
                    ev->scratch, ev->counts, ev->hit, ev->asked, ev->cls_mu, ev->cls_cov,
                    ev->cls_n, ev->gather};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        free(bufs[i]);
    free(ev);
}

const char *gan_evaluator_reference(const gan_evaluator *ev) { return ev->reference; }
double gan_evaluator_accuracy(const gan_evaluator *ev) { return ev->accuracy; }
int gan_evaluator_classes(const gan_evaluator *ev) { return ev->classes; }
double gan_evaluator_fid_floor(const gan_evaluator *ev) { return ev->fid_floor; }
uint32_t gan_evaluator_id(const gan_evaluator *ev)
{
    uint32_t id = ev->clf_id ^ ((uint32_t)ev->count * 2654435761u);
    return id ? id : 1;
}

/* A conditional G's class measures from the last features(): the share
 * read as asked, overall and in the worst class, and the intra-class FID
 * (samples i = k mod K against the reference's class k). */
static int class_measures(gan_evaluator *ev, gan_eval_result *r, gan_err *err)
{
    const int C = ev->classes, F = ev->feat, n = ev->count, T = gan_pool_size(ev->pool);
    long hit_all = 0, asked_all = 0;
    r->conditional = 1;
    r->class_worst = 2.0;
    int intra_ok = 1;
    for (int k = 0; k < C; k++) {
        long h = 0, a = 0;
        for (int t = 0; t < T; t++) {
            h += ev->hit[(size_t)t * C + k];
            a += ev->asked[(size_t)t * C + k];
        }
        hit_all += h;
        asked_all += a;
        double share = a ? (double)h / a : 0.0;
        if (share < r->class_worst) {
            r->class_worst = share;
            r->worst_class = k;
        }
        intra_ok &= a >= GAN_EVAL_INTRA_MIN && ev->cls_n[k] >= GAN_EVAL_INTRA_MIN;
    }
    r->class_acc = asked_all ? (double)hit_all / asked_all : 0.0;
    r->intra_fid = -1.0;
    if (!intra_ok)
        return 0;
    double sum = 0.0;
    for (int k = 0; k < C; k++) {
        int m = 0;
        for (int i = k; i < n; i += C)
            memcpy(ev->gather + (size_t)m++ * F, ev->gen_feat + (size_t)i * F, sizeof(float) * F);
        gan_feature_stats(ev->gather, m, F, ev->mu, ev->cov, ev->centered);
        double fid;
        if (gan_fid(ev->mu, ev->cov, ev->cls_mu + (size_t)k * F, ev->cls_cov + (size_t)k * F * F,
                    F, ev->fid_work, &fid, err) != 0)
            return -1;
        sum += fid;
    }
    r->intra_fid = sum / C;
    return 0;
}

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
    if (G && G->labels && G->cond.classes == ev->classes)
        return class_measures(ev, r, err);
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

/*
 * gan_eval.h: judging a generator by numbers, not by its loss curve.
 *
 * A classifier, the small CNN of gan_classifier.h (two 5x5 convolutions,
 * 16 and 32 channels, each with ReLU and 2x2 max pooling, then 128 features
 * and the data's C classes), is trained on the labelled training split with
 * softmax cross-entropy (Adam, 8 epochs; the same bits on any thread count).
 * It is cached (classifier-HASH.bin, HASH = FNV-1a of the images, labels and
 * recipe) in --cache DIR, else $XDG_CACHE_HOME/gan-train, else
 * ~/.cache/gan-train; never in a data folder.
 *
 * The reference set is the test split (t10k files) when the folder has it;
 * otherwise the last sixth of the training split (at most 10,000 images) is
 * held out and the classifier trained on the rest. Without labels there is
 * no evaluation (gan_evaluator_make says why).
 *
 * For N generated images (z from PCG32 seed 1 stream 5: the same z at every
 * evaluation; pixels rounded to bytes as a saved sample is) it computes, in
 * the classifier's penultimate features (128 after ReLU):
 *   FID = |mu1 - mu2|^2 + Tr S1 + Tr S2 - 2 Tr((S1 S2)^(1/2)) against the
 *       reference set, in double, Tr((S1 S2)^(1/2)) = sum sqrt(eig(
 *       S1^(1/2) S2 S1^(1/2))) from LAPACK's dsyevd; beside it the floor:
 *       the FID of N training images against the same reference;
 *   classes covered (argmax share >= 1%), the KL divergence of the argmax
 *       histogram from uniform (0 = balanced), the Inception Score
 *       exp(mean_x KL(p(y|x) || p(y))) with the classifier's p(y|x);
 *   precision and recall (Kynkaanniemi et al. 2019, k = 3): the share of
 *       generated images inside the real manifold (the union of balls around
 *       each real feature out to its 3rd nearest real neighbour), and of real
 *       images inside the generated one.
 */
#ifndef GAN_EVAL_H
#define GAN_EVAL_H

#include <stdint.h>
#include <stdio.h>

#include "gan_common.h"
#include "gan_idx.h"
#include "gan_classifier.h"
#include "gan_model.h"
#include "gan_pool.h"

#define GAN_EVAL_K 3               /* k of the k-NN manifolds */
#define GAN_EVAL_MIN_SHARE 0.01    /* a class counts as covered from 1% of samples */
#define GAN_EVAL_DEFAULT_COUNT 10000

/* Intra-class FID needs this many samples and reference images in every
 * class (a covariance of the features of full rank). */
#define GAN_EVAL_INTRA_MIN (GAN_CLF_FEATURES + 1)

typedef struct {
    int count;               /* generated images */
    double fid;
    int classes_covered;
    double kl_uniform, inception_score, precision, recall;
    /* a conditional G (issue 19), sample i asked for class i mod K: */
    int conditional;         /* 1 when G's classes are the classifier's */
    double class_acc;        /* the share of samples read as the class asked for */
    double class_worst;      /* the same in the worst class */
    int worst_class;
    double intra_fid;        /* mean over classes of class-k samples' FID against class-k
                                reference images; < 0 where a class has fewer than
                                GAN_EVAL_INTRA_MIN of either */
} gan_eval_result;

typedef struct gan_evaluator gan_evaluator;

typedef struct {
    const char *data_dir;
    int count;               /* N generated images per evaluation */
    const char *cache_dir;   /* NULL: the default above */
} gan_eval_config;

/**
 * Loads the data (train and, if there, t10k), gets the classifier (cache or
 * training, which `msg` reports; NULL for quiet) and the reference
 * statistics, for generators of rows x cols x channels images (the
 * classifier takes all rows * cols * channels values). The pool (may be NULL)
 * is borrowed for the heavy parts. Returns 0 with *ev made; 1 when this data
 * cannot be evaluated (no labels, one class, another image size), *ev NULL
 * and `why` saying so in one line; -1 on an error (err).
 */
int gan_evaluator_make(gan_evaluator **ev, const gan_eval_config *cfg, int rows, int cols,
                       int channels, int z_dim, gan_pool *pool, FILE *msg, char *why,
                       size_t why_len, gan_err *err);
void gan_evaluator_free(gan_evaluator *ev);

/** What the reference set is ("test split, 10000 images" or the held-out
 *  part), the classifier's accuracy on it, its classes, and the floor. */
const char *gan_evaluator_reference(const gan_evaluator *ev);
double gan_evaluator_accuracy(const gan_evaluator *ev);
int gan_evaluator_classes(const gan_evaluator *ev);
double gan_evaluator_fid_floor(const gan_evaluator *ev);
/** Which measure this is: its classifier (gan_classifier_id) and its count
 *  of samples in one nonzero number; FIDs compare only between equal ids. */
uint32_t gan_evaluator_id(const gan_evaluator *ev);

/** Evaluates generator G (z_dim -> rows * cols, tanh); G's workspace is
 *  used (and its labels: a conditional G draws sample i of class i mod K, and
 *  the result gets the class measures). Allocates nothing after gan_evaluator_make; -1 only if LAPACK
 *  fails (err). */
int gan_evaluate(gan_evaluator *ev, gan_mlp *G, gan_eval_result *r, gan_err *err);
/** The same for the first ev's count images of set (of the data's shape):
 *  samples saved as IDX, from any model. */
int gan_evaluate_set(gan_evaluator *ev, const gan_dataset *set, gan_eval_result *r, gan_err *err);

/* ---- the measures alone (tests use them directly) ---- */

/** mu (d) and the unbiased covariance cov (d, d) of x (n, d), n >= 2, in
 *  double; work holds n d doubles. */
void gan_feature_stats(const float *x, int n, int d, double *mu, double *cov, double *work);
/** The Frechet distance of two Gaussians; work holds 4 d^2 + 2 d doubles
 *  (gan_fid_work). Returns -1 if LAPACK fails (err). */
size_t gan_fid_work(int d);
int gan_fid(const double *mu1, const double *cov1, const double *mu2, const double *cov2, int d,
            double *work, double *fid, gan_err *err);
/** From class probabilities (n, C): the Inception Score, the classes with
 *  at least min_share of the argmaxes, and the KL of their histogram from
 *  uniform; counts (C) is scratch. */
void gan_class_measures(const float *probs, int n, int C, double min_share, int *counts,
                        double *is, int *covered, double *kl_uniform);
/* rows per distance block of the k-NN */
#define GAN_EVAL_KNN_BLOCK 128

/** radii2 (n): the squared distance from each row of x (n, d) to its k-th
 *  nearest other row. scratch: GAN_EVAL_KNN_BLOCK * n floats a thread of the
 *  pool; norms (n). */
void gan_knn_radii(const float *x, int n, int d, int k, float *radii2, float *norms,
                   float *scratch, gan_pool *pool);
/** The share of rows of q (nq, d) within radii2[j] of some row j of r (nr,
 *  d). qnorms (nq) and rnorms (nr) are |row|^2; scratch as above
 *  (GAN_EVAL_KNN_BLOCK * nr). */
double gan_knn_coverage(const float *q, const float *qnorms, int nq, const float *r,
                        const float *rnorms, const float *radii2, int nr, int d, float *scratch,
                        gan_pool *pool);

/* ---- gan-train eval (eval_cmd.c) ----
 *   gan-train eval --checkpoint FILE | --samples FILE | --weights FILE [--data DIR] [--count N]
 *                  [--cache DIR] [--threads N] [--csv]
 * Evaluates a checkpoint's generator, or a set of images saved as IDX (of the
 * data's shape: samples of any model), on DIR (data/mnist) and prints the
 * numbers, or with --csv a header and one row. */
typedef struct {
    const char *checkpoint, *samples, *data_dir, *cache_dir;
    const char *weights;     /* a G.safetensors to judge (gan_safetensors.h) */
    int count, threads, csv;
    int count_given;         /* --count given (with --samples: the first N; else all) */
    int data_given;          /* --data given (else the caller may put gan_data_default) */
} gan_eval_cmd;

/** Parses eval's options (argv[0] is "eval"): 0, 1 after --help (printed to
 *  out), or -1 with err. */
int gan_eval_cmd_parse(gan_eval_cmd *c, int argc, char **argv, FILE *out, gan_err *err);
/** Runs it: results to out, progress to msg (NULL: none). */
int gan_eval_cmd_run(const gan_eval_cmd *c, FILE *out, FILE *msg, gan_err *err);

#endif

/*
 * gan_classifier.h: the evaluator's classifier (gan_eval.h): a CNN of the
 * layer library (gan_cnn.h) on the data's own images (H, W, C in HWC order;
 * any size from 4 x 4, grey or colour), trained once per data set and cached.
 *
 * The network: conv 5x5 16 -> ReLU -> pool -> conv 5x5 32 -> ReLU -> pool ->
 * FC 128 -> ReLU (the features the measures use) -> FC classes.
 * The recipe: softmax cross-entropy, Adam (lr 1e-3, times 0.8 after each
 * epoch), batch 100, 8 epochs, every draw from PCG32 seed 1 stream 6.
 *
 * The same bits whatever the thread count: a batch is always cut into
 * GAN_CLF_GROUPS groups of GAN_CLF_GROUP images, each group's gradient is
 * computed by one network copy (whichever thread runs it), and the copies'
 * gradients are summed in group order, element by element. Inference runs in
 * chunks of GAN_CLF_GROUP images too, each through one thread's copy, so a
 * feature never depends on the thread count either.
 */
#ifndef GAN_CLASSIFIER_H
#define GAN_CLASSIFIER_H

#include <stdint.h>
#include <stdio.h>

#include "gan_cnn.h"
#include "gan_common.h"
#include "gan_idx.h"
#include "gan_pool.h"
#include "gan_rng.h"

#define GAN_CLF_GROUP 25     /* images per network pass */
#define GAN_CLF_GROUPS 4     /* passes per training batch */
#define GAN_CLF_FEATURES 128 /* the width of the features */

typedef struct {
    int H, W, C, classes, pixels;
    int nets;                /* copies: max(threads, GAN_CLF_GROUPS) */
    gan_cnn *net;            /* net[0]'s parameters and Adam state are the classifier's */
    float *x;                /* (nets, GROUP, pixels) a copy's input */
    float *probs, *dlogits;  /* (GROUPS, GROUP, classes) */
    uint8_t labels[GAN_CLF_GROUPS * GAN_CLF_GROUP];
} gan_classifier;

/** Sizes it for H x W x C images and `classes` classes, for a pool of
 *  `threads` (-1 with err: no memory, or too small an image). */
int gan_classifier_init(gan_classifier *c, int H, int W, int C, int classes, int threads,
                        gan_err *err);
void gan_classifier_free(gan_classifier *c);

/** The recipe in one line (part of the cache key). */
const char *gan_classifier_recipe(void);

/** Fresh parameters (gan_cnn_reset) in every copy; Adam's state cleared. */
void gan_classifier_reset(gan_classifier *c, gan_rng *rng);
/** One Adam step (lr; PyTorch's betas and eps) on the mean cross-entropy of
 *  images idx[0..b) of ds, 1 <= b <= GAN_CLF_GROUPS * GAN_CLF_GROUP: group g
 *  (images 25 g on) through copy g, the groups' gradients summed in order. */
void gan_classifier_step(gan_classifier *c, const gan_dataset *ds, const uint32_t *idx, int b,
                         double lr, gan_pool *pool);
/** Trains it from scratch on images [0, n) of ds (labels < classes), on
 *  the pool (may be NULL); `progress` (NULL: none) gets a line per epoch.
 *  -1 with err only for want of memory. */
int gan_classifier_train(gan_classifier *c, const gan_dataset *ds, uint32_t n, gan_pool *pool,
                         FILE *progress, gan_err *err);

/** Copy k's features (b, GAN_CLF_FEATURES) and logits (b, classes) of x (b,
 *  H, W, C), 1 <= b <= GAN_CLF_GROUP: in c->net[k].feat and .logits. */
void gan_classifier_forward(gan_classifier *c, int k, const float *x, int b);

/** Its parameters into every copy from a cache file: 1 when path holds a
 *  good one for these sizes and key, else 0 (no file, something that is not
 *  a regular file, or a damaged or other one, which the next save replaces). */
int gan_classifier_load(gan_classifier *c, const char *path, uint64_t key);
/** Saves it (magic, sizes, key, parameters, CRC-32), atomically. */
int gan_classifier_save(const gan_classifier *c, const char *path, uint64_t key, gan_err *err);

/** Which classifier it is: a 32-bit hash of its key and parameters, never 0
 *  (a checkpoint stores it beside the best FID it scored). */
uint32_t gan_classifier_id(const gan_classifier *c, uint64_t key);

#endif

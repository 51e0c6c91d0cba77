/*
 * gan_cnn.h: a small convolutional classifier on the layer library, for the
 * evaluator that sees what users see (issue 17): on HWC images (H, W, C),
 *   conv K x K, c1 channels, padding K/2 -> ReLU -> 2 x 2 max pool
 *   -> conv K x K, c2 channels, padding K/2 -> ReLU -> 2 x 2 max pool
 *   -> linear fc -> ReLU (the features) -> linear classes (the logits).
 * Parameters (conv1 weight and bias, conv2's, fc1's, fc2's, in that order;
 * convolution weights (OC, K, K, C), linear (out, in)), their gradients and
 * Adam's m and v are each one block; every activation buffer is sized for a
 * batch of `cap` at init, so nothing is allocated after it.
 */
#ifndef GAN_CNN_H
#define GAN_CNN_H

#include <stddef.h>
#include <stdint.h>

#include "gan_common.h"
#include "gan_conv.h"
#include "gan_layers.h"
#include "gan_rng.h"

typedef struct {
    float *w1, *b1, *w2, *b2, *w3, *b3, *w4, *b4;
} gan_cnn_tensors;

typedef struct {
    int H, W, C, classes, c1, c2, k, fc, cap;
    gan_conv2d_shape s1, s2;
    int h1, w1, h2, w2;        /* after the first and the second pooling */
    int flat;                  /* h2 w2 c2: fc1's input */
    size_t nparams;
    float *params, *grads, *adam_m, *adam_v; /* (nparams) each */
    gan_cnn_tensors p, g;      /* named pointers into params and grads */
    long adam_t;
    float *col;                /* im2col of either convolution, (cap, ...) */
    float *a1, *q1, *a2, *q2;  /* conv1 out (cap,H,W,c1), pool1, conv2 out, pool2 */
    int32_t *arg1, *arg2;      /* the pools' winners */
    float *feat;               /* (cap, fc) fc1 after ReLU: the features */
    float *logits;             /* (cap, classes) */
    float *d_a1, *d_q1, *d_a2, *d_q2, *d_feat; /* gradients of the same shapes */
    float *block;              /* everything above, one allocation */
} gan_cnn;

/** Makes the network (-1 with err for sizes that give no output, or no
 *  memory). k odd; the images must survive two poolings (H, W >= 4). */
int gan_cnn_init(gan_cnn *n, int H, int W, int C, int classes, int c1, int c2, int k, int fc,
                 int cap, gan_err *err);
void gan_cnn_free(gan_cnn *n);
/** PyTorch's defaults (nn.Conv2d, nn.Linear: U(+-1/sqrt(fan_in)) for weights
 *  and biases), drawn layer by layer; Adam's state cleared. */
void gan_cnn_reset(gan_cnn *n, gan_rng *rng);
/** feat (B, fc) and logits (B, classes) of x (B, H, W, C), 1 <= B <= cap. */
void gan_cnn_forward(gan_cnn *n, const float *x, int B);
/** Every parameter gradient (written) from dlogits (B, classes), after
 *  gan_cnn_forward on the same x (B rows). */
void gan_cnn_backward(gan_cnn *n, const float *x, const float *dlogits, int B);
/** One Adam step over all parameters (t counted in n). */
void gan_cnn_adam(gan_cnn *n, const gan_adam_cfg *cfg);

#endif

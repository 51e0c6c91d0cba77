/*
 * gan_layers.h: the layer library. Each layer is a forward/backward pair of
 * free functions: outputs first, then inputs, then sizes; the shape of every
 * pointer is in a comment ((B, C) = B rows of C floats, row-major).
 *
 * Gradients are WRITTEN, not added (unlike llm.c): this GAN never sums a
 * parameter gradient over two backward passes (real and fake go through D as
 * one 2B-row batch), so writing lets the GEMM use beta = 0 and saves a
 * per-step clearing of the gradient block. A NULL gradient pointer skips that
 * work.
 *
 * Activation backwards take the forward OUTPUT, so forward may run in place
 * (out == inp) and backward too (dinp == dout). tanh is computed by our own
 * float routine (a few ulps from libm's; see layers.c), the same bits on
 * every machine.
 *
 * The semantics are PyTorch's: nn.Linear (weight (OC, C), y = x W^T + b),
 * nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.BCELoss (mean; each log
 * clamped at -100; backward divides by max(p (1-p), 1e-12)), optim.Adam
 * (no weight decay, no amsgrad).
 */
#ifndef GAN_LAYERS_H
#define GAN_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "gan_rng.h"

/* out (B, OC) = inp (B, C) @ weight (OC, C)^T + bias (OC) */
void gan_linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                        int B, int C, int OC);
/* dinp (B, C) = dout (B, OC) @ weight (OC, C)           (skipped if NULL)
 * dweight (OC, C) = dout^T @ inp (B, C)                  (skipped if NULL)
 * dbias (OC) = column sums of dout                       (skipped if NULL) */
void gan_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, int B, int C, int OC);
/* The same products cut by columns, for threads that share a layer (see
 * gan_pool.h): each computes only its range [lo, hi), bias-free:
 *   out[:, lo:hi] (B, OC) = inp (B, C) @ weight[lo:hi, :]^T
 *   dinp[:, lo:hi] (B, C) = dout (B, OC) @ weight[:, lo:hi]
 *   dweight[lo:hi, :] (OC, C) = dout[:, lo:hi]^T @ inp (B, C) + beta dweight[lo:hi, :]
 * (beta 0 writes, as everywhere else; 1 adds a second term, as the R1
 * penalty does). An empty range does nothing. */
void gan_linear_forward_cols(float *out, const float *inp, const float *weight, int B, int C,
                             int OC, int lo, int hi);
void gan_linear_backward_input_cols(float *dinp, const float *dout, const float *weight, int B,
                                    int C, int OC, int lo, int hi);
void gan_linear_backward_weight_rows(float *dweight, const float *dout, const float *inp, int B,
                                     int C, int OC, int lo, int hi, float beta);
/* PyTorch's nn.Linear default initialisation: weight (OC, C) and bias (OC)
 * each U(-1/sqrt(C), 1/sqrt(C)); weight first, row by row, then bias. */
void gan_linear_init(float *weight, float *bias, int C, int OC, gan_rng *rng);

/* Elementwise over n floats. `slope` is LeakyReLU's negative slope;
 * slope 0 is ReLU. */
void gan_leaky_forward(float *out, const float *inp, size_t n, float slope);
void gan_leaky_backward(float *dinp, const float *dout, const float *out, size_t n, float slope);
void gan_tanh_forward(float *out, const float *inp, size_t n);
void gan_tanh_backward(float *dinp, const float *dout, const float *out, size_t n);
void gan_sigmoid_forward(float *out, const float *inp, size_t n);
void gan_sigmoid_backward(float *dinp, const float *dout, const float *out, size_t n);

/* The activations a fused pass knows: LeakyReLU (slope 0 = ReLU), tanh,
 * sigmoid, none (the identity: logits). */
typedef enum { GAN_ACT_LEAKY, GAN_ACT_TANH, GAN_ACT_SIGMOID, GAN_ACT_NONE } gan_act;

/* Fused passes around a bias-free GEMM, one sweep over columns [lo, hi):
 * forward: x (B, OC) = act(x + bias (OC)), in place;
 * backward: d (B, OC) *= act'(y) in place (y (B, OC) the forward output),
 * then dbias (OC) = column sums of the new d (skipped if NULL).
 * Equal, bit for bit, to linear's bias then the plain activation pair. */
void gan_bias_act_forward(float *x, const float *bias, int B, int OC, int lo, int hi, gan_act act,
                          float slope);
void gan_act_bias_backward(float *d, float *dbias, const float *y, int B, int OC, int lo, int hi,
                           gan_act act, float slope);

/* Binary cross-entropy, mean over n: returns
 *   -(1/n) sum_i [ y_i max(log p_i, -100) + (1 - y_i) max(log(1 - p_i), -100) ]
 * for probabilities p (n) and targets y (n). */
double gan_bce_forward(const float *p, const float *y, size_t n);
/* dp (n) = (p - y) / max(p (1 - p), 1e-12) / n, PyTorch's BCELoss backward. */
void gan_bce_backward(float *dp, const float *p, const float *y, size_t n);

/* Softmax cross-entropy over C classes, mean over B rows (PyTorch's
 * nn.CrossEntropyLoss): probs (B, C) = softmax(logits (B, C)) row by row
 * (max subtracted first); returns -(1/B) sum_i log probs[i, labels[i]]. */
double gan_softmax_ce_forward(float *probs, const float *logits, const uint8_t *labels, int B,
                              int C);
/* dlogits (B, C) = (probs - onehot(labels)) / B */
void gan_softmax_ce_backward(float *dlogits, const float *probs, const uint8_t *labels, int B,
                             int C);

/* Adam's settings (PyTorch's names and defaults: 1e-3, 0.9, 0.999, 1e-8). */
typedef struct {
    double lr, beta1, beta2, eps;
} gan_adam_cfg;

/* One Adam step over a block of n parameters, t = 1 for the first step:
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * computed as p -= (lr c / (1 - b1^t)) m / (sqrt(v) + eps c), c = sqrt(1 - b2^t):
 * the same update with one division fewer, equal to PyTorch's within float
 * rounding. Scalars are formed in double and rounded to float once. */
void gan_adam_step(float *param, const float *grad, float *m, float *v, size_t n, long t,
                   const gan_adam_cfg *cfg);

#endif

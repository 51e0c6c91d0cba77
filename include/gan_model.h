/*
 * gan_model.h: the three-layer MLP that both networks are.
 *   G: z (B, Z) -> Linear -> act -> Linear -> act -> Linear -> tanh    (B, P)
 *   D: x (B, P) -> Linear -> act -> Linear -> act -> Linear -> sigmoid (B, 1)
 * act is ReLU or LeakyReLU (slope given). Parameters, gradients and Adam's
 * two moments are four equal blocks of one allocation, each laid out as
 * W1 (H1, IN), b1 (H1), W2 (H2, H1), b2 (H2), W3 (OUT, H2), b3 (OUT): the
 * order of PyTorch's parameters(), so one loop over a block is the optimizer
 * and one write is a checkpoint. The activation workspace is sized for `cap`
 * rows when the model is made: nothing is allocated afterwards.
 * Each layer is a bias-free GEMM and one fused pass (bias + activation
 * forward; activation derivative + bias gradient backward).
 *
 * A conditional model (issue 19; gan_cond, classes K > 0) reads a class label
 * per row from m->labels (cap; the caller writes rows [row0, row0 + B) before
 * a forward, and they must stay until the backward) in up to three ways, each
 * a tensor after b3 in the block:
 *   class bias of layer l, C_l (K, OUT_l): layer l's pre-activation gains
 *       C_l[y]; exactly the one-hot of y concatenated to the layer's input,
 *       with C_l^T the weight columns over it (cGAN's G and D inputs)
 *   projection, E (K, H2): the logit (output 0) gains E[y] . h2 (Miyato and
 *       Koyama 2018): as if output 0's weights were w3 + E[y]
 *   auxiliary head: K more outputs after the logit, an auxiliary classifier's
 *       logits (ACGAN): W3 has 1 + K rows and b3 1 + K values, and only
 *       output 0 goes through out_act
 * The R1 and WGAN-GP penalties stay gradients with respect to the image
 * input alone (the labels are constants): the class biases get no penalty
 * gradient (as the biases), the projection E[y] gets w3's, row by row.
 */
#ifndef GAN_MODEL_H
#define GAN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "gan_bf16.h"
#include "gan_common.h"
#include "gan_layers.h"
#include "gan_pool.h"
#include "gan_rng.h"

typedef struct {
    float *w[3], *b[3];
    float *cb[3];        /* class biases (K, OUT_l), NULL where the layer has none */
    float *proj;         /* projection (K, H2), or NULL */
} gan_mlp_view;



/* How a network reads a class label (all zero: it does not). */
typedef struct {
    int classes;         /* K (at most 256: labels are bytes); 0: unconditional */
    unsigned cbias;      /* bit l: layer l has a class bias */
    int project;         /* D: the projection */
    int aux;             /* D: the auxiliary classifier's K outputs */
} gan_cond;

/* How a conditional D reads the label (bits of gan_config.cond_d; any
 * non-empty set): the one-hot concatenated to the image, the projection, an
 * auxiliary classifier head (ACGAN). */
enum { GAN_COND_CONCAT = 1u << 0, GAN_COND_PROJECTION = 1u << 1, GAN_COND_ACGAN = 1u << 2 };
/* Where a conditional G reads it (gan_config.cond_g): its first layer, or every layer. */
enum { GAN_COND_G_INPUT = 0, GAN_COND_G_ALL = 1 };
/** "concat", "projection", "acgan", "concat+acgan", ...: into buf, returned. */
const char *gan_cond_d_name(unsigned cond_d, char *buf, size_t len);
/** The bits of such a name ('+' between parts), or 0 when it is not one. */
unsigned gan_cond_d_parse(const char *name);
const char *gan_cond_g_name(int cond_g);
/** The gan_cond of G and of D for K classes under these forms (cond_forms.c). */
void gan_cond_specs(int classes, unsigned cond_d, int cond_g, gan_cond *g, gan_cond *d);

/** A thread's columns of a layer are cut at multiples of this many floats
 *  (32 bytes): 784 splits evenly in two, and at most one 64-byte line a row
 *  is shared at a cut. */
#define GAN_COL_ALIGN 8

typedef struct {
    int dims[4];         /* IN, H1, H2, OUT (1 + K with an auxiliary head) */
    int nact;            /* outputs [0, nact) go through out_act; the rest are logits */
    gan_cond cond;
    uint8_t *labels;     /* (cap) with classes: each row's class (owned), else NULL */
    float slope;         /* hidden activation: 0 = ReLU, > 0 = LeakyReLU */
    gan_act out_act;     /* GAN_ACT_TANH or GAN_ACT_SIGMOID */
    int cap;             /* rows the workspace holds */
    size_t nparams;
    float *block;        /* 4 * nparams floats, owned */
    float *params, *grads, *adam_m, *adam_v;  /* each (nparams) */
    gan_mlp_view p, g;   /* named pointers into params and grads */
    long adam_t;         /* Adam steps taken */
    float *work;         /* owned: a1, a2 (cap, H) and their gradients */
    float *a1, *a2;      /* hidden outputs of the last forward (cap, H1), (cap, H2) */
    float *d1, *d2;      /* gradient scratch (cap, H1), (cap, H2) */
    gan_bf16 *bf16;      /* not owned: the products run in bfloat16 through it (the
                            team's part picks the scratch); NULL: fp32 (cblas_sgemm) */
    int flush_shared;    /* gan_mlp_adam on a team of two first flushes the lines of the
                            other part's slice from the caches (the trainer sets it per
                            epoch where the two CPUs are far apart: see train.c) */
} gan_mlp;

/** Allocates a model (parameters zero; call gan_mlp_reset). */
int gan_mlp_init(gan_mlp *m, int in, int h1, int h2, int out, float slope,
                 gan_act out_act, int cap, gan_err *err);
/** The same, conditional as cond says (NULL or classes 0: not); with cond->aux
 *  the model has out + classes outputs. */
int gan_mlp_init_cond(gan_mlp *m, int in, int h1, int h2, int out, float slope,
                      gan_act out_act, int cap, const gan_cond *cond, gan_err *err);
void gan_mlp_free(gan_mlp *m);
/** The most floats one operand of one of m's products holds (for gan_bf16_new). */
size_t gan_mlp_operand_max(const gan_mlp *m);
/** PyTorch's default init of the three layers in order (see gan_linear_init;
 *  a layer with a class bias as nn.Linear(IN_l + K, OUT_l): bound
 *  1/sqrt(IN_l + K) for W, b and the class bias, which is drawn after every
 *  layer, then the projection U(-1/sqrt(H2), 1/sqrt(H2))); clears Adam's
 *  moments and step count. */
void gan_mlp_reset(gan_mlp *m, gan_rng *rng);

/*
 * The passes below are called by every thread of a team with the same
 * arguments (GAN_SOLO for one thread); each thread computes its column range
 * of every layer, with barriers where a layer needs all of its input. They
 * return with everything written and visible to the whole team.
 */

/* out (B, OUT) = model(inp (B, IN)); B <= cap. Keeps the hidden outputs for
 * backward. */
void gan_mlp_forward(gan_mlp *m, float *out, const float *inp, int B, const gan_team *team);
/* The same into rows [row0, row0 + B) of the workspace, so that a batch can be
 * run through in row blocks (say real rows, then fake rows) and then taken
 * back as one by gan_mlp_backward. */
void gan_mlp_forward_rows(gan_mlp *m, float *out, const float *inp, int row0, int B,
                          const gan_team *team);
/* Backward through the last forward (of rows [0, B)). dout (B, OUT) is the loss gradient with
 * respect to out and is overwritten (used as scratch). Writes dinp (B, IN)
 * unless NULL, and the parameter gradients m->grads if param_grads. */
void gan_mlp_backward(gan_mlp *m, float *dinp, float *dout, const float *out, const float *inp,
                      int B, int param_grads, const gan_team *team);
/*
 * The R1 penalty (Mescheder et al. 2018) of a D with one output, on its
 * logit l (before the output activation), at rows [0, B) of the last
 * forward; 2B <= cap (rows [0, 2B) of the gradient scratch are used). With
 * the hidden masks m_k = act'(a_k) of those rows held fixed (they are
 * piecewise constant, so this is the exact gradient almost everywhere), the
 * input gradient of the logit is linear in the weights:
 *   u2 (B, H2) = m2 * w3              (w3: the last layer's (1, H2) weights)
 *   u1 (B, H1) = m1 * (u2 @ W2)
 *   g  (B, IN) = u1 @ W1              (row i: d l(x_i) / d x_i)
 * For R = coef/2 * sum_i |g_i|^2 the gradients, added to m->grads, are
 *   dW1 += coef u1^T @ g                                   (H1, IN)
 *   s1 (B, H1) = coef m1 * (g @ W1^T);   dW2 += u2^T @ s1   (H2, H1)
 *   dw3 += column sums of m2 * (s1 @ W2^T)                 (H2)
 * and nothing for the biases. g (B, IN) is the caller's scratch (it holds g
 * on return); part_sums (team->nparts) too. Returns sum_i |g_i|^2 (to every
 * thread; the same for the same number of threads).
 */
double gan_mlp_r1_backward(gan_mlp *m, float *g, int B, float coef, double *part_sums,
                           const gan_team *team);
/*
 * WGAN-GP's penalty (Gulrajani et al. 2017) on D's logit at rows [0, B) of the
 * last forward (the interpolates x_hat; same conditions as R1):
 *   R = lambda / B * sum_i (|g_i| - 1)^2,  g_i = d l(x_i) / d x_i,
 * whose gradient with respect to g_i is c_i g_i, c_i = 2 lambda (|g_i| - 1) /
 * (B |g_i|) (0 where g_i = 0): R1's derivation with a coefficient per row in
 * place of R1's constant. The gradients are added to m->grads; g (B, IN)
 * holds c_i g_i on return; row_sq and row_coef (B each) are scratch. Each
 * row's norm is summed by one thread in a fixed order, so everything is the
 * same to the bit on any number of threads. Returns R (to every thread).
 */
double gan_mlp_gp_backward(gan_mlp *m, float *g, int B, double lambda, double *row_sq,
                           float *row_coef, const gan_team *team);
/** One Adam step of all parameters with m->grads; counts m->adam_t. Each
 *  thread updates a fixed slice of the block. */
void gan_mlp_adam(gan_mlp *m, const gan_adam_cfg *cfg, const gan_team *team);

/** The tensors of the block of a model of these sizes (out before an
 *  auxiliary head's K outputs are added), in order: sizes[k] floats and
 *  names[k] (for messages: the seed's main.N names, then "main.N.weight's
 *  class columns" for a class bias and "embed.weight" for the projection).
 *  Returns their count (at most GAN_MLP_MAX_TENSORS). */
#define GAN_MLP_MAX_TENSORS 10
int gan_mlp_layout(int in, int h1, int h2, int out, const gan_cond *cond, size_t *sizes,
                   const char **names);
/** The floats of such a block (gan_mlp.nparams). */
size_t gan_mlp_param_count(int in, int h1, int h2, int out, const gan_cond *cond);

/** The name of tensor k (0 to 5: W1, b1, W2, b2, W3, b3) in the seed's
 *  state_dict, where the MLP is the nn.Sequential `main`: main.0.weight,
 *  main.0.bias, main.2.weight, ..., main.4.bias (safetensors files use them,
 *  and messages about a checkpoint's tensors). */
const char *gan_mlp_tensor_name(int k);

#endif

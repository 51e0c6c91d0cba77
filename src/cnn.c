/* cnn.c: the convolutional classifier of gan_cnn.h on the layer library. */
#include "gan_cnn.h"

#include <stdlib.h>
#include <string.h>

int gan_cnn_init(gan_cnn *n, int H, int W, int C, int classes, int c1, int c2, int k, int fc,
                 int cap, gan_err *err)
{
    memset(n, 0, sizeof *n);
    int pad = k / 2;
    if (k < 1 || k % 2 == 0 || classes < 2 || fc < 1 || cap < 1 || H < 4 || W < 4 ||
        gan_conv2d_shape_init(&n->s1, H, W, C, c1, k, k, 1, pad) != 0 ||
        gan_conv2d_shape_init(&n->s2, H / 2, W / 2, c1, c2, k, k, 1, pad) != 0)
        return gan_err_set(err, "a CNN of %d x %d x %d images, kernel %d, channels %d and %d: "
                           "sizes that give no output", H, W, C, k, c1, c2);
    *n = (gan_cnn){.H = H, .W = W, .C = C, .classes = classes, .c1 = c1, .c2 = c2, .k = k,
                   .fc = fc, .cap = cap, .s1 = n->s1, .s2 = n->s2, .h1 = H / 2, .w1 = W / 2,
                   .h2 = H / 4, .w2 = W / 4};
    n->flat = n->h2 * n->w2 * c2;
    size_t sizes[8] = {(size_t)c1 * k * k * C, (size_t)c1, (size_t)c2 * k * k * c1, (size_t)c2,
                       (size_t)fc * n->flat, (size_t)fc, (size_t)classes * fc, (size_t)classes};
    n->nparams = 0;
    for (int i = 0; i < 8; i++)
        n->nparams += sizes[i];
    size_t col1 = gan_conv2d_col_size(&n->s1, cap), col2 = gan_conv2d_col_size(&n->s2, cap);
    size_t na1 = (size_t)cap * H * W * c1, nq1 = (size_t)cap * n->h1 * n->w1 * c1;
    size_t na2 = (size_t)cap * n->h1 * n->w1 * c2, nq2 = (size_t)cap * n->flat;
    size_t nf = (size_t)cap * fc, nl = (size_t)cap * classes;
    size_t floats = 4 * n->nparams + (col1 > col2 ? col1 : col2) + 2 * na1 + 2 * nq1 + 2 * na2 +
                    2 * nq2 + 2 * nf + nl;
    n->block = malloc(sizeof(float) * floats);
    n->arg1 = malloc(sizeof(int32_t) * nq1);
    n->arg2 = malloc(sizeof(int32_t) * nq2);
    if (!n->block || !n->arg1 || !n->arg2) {
        gan_cnn_free(n);
        return gan_err_set(err, "out of memory for a CNN of %zu parameters", n->nparams);
    }
    float *f = n->block;
    n->params = f, f += n->nparams;
    n->grads = f, f += n->nparams;
    n->adam_m = f, f += n->nparams;
    n->adam_v = f, f += n->nparams;
    float **pp[8] = {&n->p.w1, &n->p.b1, &n->p.w2, &n->p.b2, &n->p.w3, &n->p.b3, &n->p.w4, &n->p.b4};
    float **gp[8] = {&n->g.w1, &n->g.b1, &n->g.w2, &n->g.b2, &n->g.w3, &n->g.b3, &n->g.w4, &n->g.b4};
    size_t at = 0;
    for (int i = 0; i < 8; i++) {
        *pp[i] = n->params + at;
        *gp[i] = n->grads + at;
        at += sizes[i];
    }
    n->col = f, f += col1 > col2 ? col1 : col2;
    n->a1 = f, f += na1;
    n->d_a1 = f, f += na1;
    n->q1 = f, f += nq1;
    n->d_q1 = f, f += nq1;
    n->a2 = f, f += na2;
    n->d_a2 = f, f += na2;
    n->q2 = f, f += nq2;
    n->d_q2 = f, f += nq2;
    n->feat = f, f += nf;
    n->d_feat = f, f += nf;
    n->logits = f;
    return 0;
}

void gan_cnn_free(gan_cnn *n)
{
    free(n->block);
    free(n->arg1);
    free(n->arg2);
    memset(n, 0, sizeof *n);
}

void gan_cnn_reset(gan_cnn *n, gan_rng *rng)
{
    gan_conv2d_init(n->p.w1, n->p.b1, &n->s1, rng);
    gan_conv2d_init(n->p.w2, n->p.b2, &n->s2, rng);
    gan_linear_init(n->p.w3, n->p.b3, n->flat, n->fc, rng);
    gan_linear_init(n->p.w4, n->p.b4, n->fc, n->classes, rng);
    memset(n->adam_m, 0, sizeof(float) * n->nparams);
    memset(n->adam_v, 0, sizeof(float) * n->nparams);
    n->adam_t = 0;
}

/* The hidden layers' bias and ReLU in one sweep over rows of OC columns (the
 * library's fused pass, as the MLP's), and its backward with the bias's
 * gradient. */
static void bias_relu(float *x, const float *bias, int rows, int OC)
{
    gan_bias_act_forward(x, bias, rows, OC, 0, OC, GAN_ACT_LEAKY, 0.0f);
}

static void relu_bias_backward(float *d, float *dbias, const float *y, int rows, int OC)
{
    gan_act_bias_backward(d, dbias, y, rows, OC, 0, OC, GAN_ACT_LEAKY, 0.0f);
}

void gan_cnn_forward(gan_cnn *n, const float *x, int B)
{
    int m1 = B * n->H * n->W, m2 = B * n->h1 * n->w1;
    gan_conv2d_forward(n->a1, n->col, x, n->p.w1, NULL, &n->s1, B);
    bias_relu(n->a1, n->p.b1, m1, n->c1);
    gan_maxpool2_forward(n->q1, n->arg1, n->a1, B, n->H, n->W, n->c1);
    gan_conv2d_forward(n->a2, n->col, n->q1, n->p.w2, NULL, &n->s2, B);
    bias_relu(n->a2, n->p.b2, m2, n->c2);
    gan_maxpool2_forward(n->q2, n->arg2, n->a2, B, n->h1, n->w1, n->c2);
    gan_linear_forward(n->feat, n->q2, n->p.w3, NULL, B, n->flat, n->fc);
    bias_relu(n->feat, n->p.b3, B, n->fc);
    gan_linear_forward(n->logits, n->feat, n->p.w4, n->p.b4, B, n->fc, n->classes);
}

void gan_cnn_backward(gan_cnn *n, const float *x, const float *dlogits, int B)
{
    int m1 = B * n->H * n->W, m2 = B * n->h1 * n->w1;
    gan_linear_backward(n->d_feat, n->g.w4, n->g.b4, dlogits, n->feat, n->p.w4, B, n->fc,
                        n->classes);
    relu_bias_backward(n->d_feat, n->g.b3, n->feat, B, n->fc);
    gan_linear_backward(n->d_q2, n->g.w3, NULL, n->d_feat, n->q2, n->p.w3, B, n->flat, n->fc);
    gan_maxpool2_backward(n->d_a2, n->d_q2, n->arg2, B, n->h1, n->w1, n->c2);
    relu_bias_backward(n->d_a2, n->g.b2, n->a2, m2, n->c2);
    gan_im2col(n->col, n->q1, &n->s2, B); /* the workspace held the second patches; again */
    gan_conv2d_backward(n->d_q1, n->g.w2, NULL, n->col, n->d_a2, n->p.w2, &n->s2, B);
    gan_maxpool2_backward(n->d_a1, n->d_q1, n->arg1, B, n->H, n->W, n->c1);
    relu_bias_backward(n->d_a1, n->g.b1, n->a1, m1, n->c1);
    gan_im2col(n->col, x, &n->s1, B);
    gan_conv2d_backward(NULL, n->g.w1, NULL, n->col, n->d_a1, n->p.w1, &n->s1, B);
}

void gan_cnn_adam(gan_cnn *n, const gan_adam_cfg *cfg)
{
    gan_adam_step(n->params, n->grads, n->adam_m, n->adam_v, n->nparams, ++n->adam_t, cfg);
}

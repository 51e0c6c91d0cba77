/* layers.c: the layer library on cblas_sgemm; semantics in gan_layers.h. */
#include "gan_layers.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

void gan_linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                        int B, int C, int OC)
{
    /* out = inp @ W^T, then the bias row added to every row */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, OC, C, 1.0f, inp, C, weight, C,
                0.0f, out, OC);
    if (bias) {
        for (int b = 0; b < B; b++) {
            float *o = out + (size_t)b * OC;
            for (int j = 0; j < OC; j++)
                o[j] += bias[j];
        }
    }
}

void gan_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, int B, int C, int OC)
{
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, C, OC, 1.0f, dout, OC, weight,
                    C, 0.0f, dinp, C);
    if (dweight)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, B, 1.0f, dout, OC, inp, C,
                    0.0f, dweight, C);
    if (dbias) {
        memset(dbias, 0, sizeof(float) * (size_t)OC);
        for (int b = 0; b < B; b++) {
            const float *d = dout + (size_t)b * OC;
            for (int j = 0; j < OC; j++)
                dbias[j] += d[j];
        }
    }
}

void gan_linear_init(float *weight, float *bias, int C, int OC, gan_rng *rng)
{
    float bound = 1.0f / sqrtf((float)C);
    for (size_t i = 0; i < (size_t)OC * C; i++)
        weight[i] = gan_rng_uniform(rng, -bound, bound);
    for (int j = 0; j < OC; j++)
        bias[j] = gan_rng_uniform(rng, -bound, bound);
}

void gan_leaky_forward(float *out, const float *inp, size_t n, float slope)
{
    for (size_t i = 0; i < n; i++)
        out[i] = inp[i] > 0.0f ? inp[i] : slope * inp[i];
}

void gan_leaky_backward(float *dinp, const float *dout, const float *out, size_t n, float slope)
{
    /* out > 0 exactly where inp > 0, since slope >= 0 */
    for (size_t i = 0; i < n; i++)
        dinp[i] = out[i] > 0.0f ? dout[i] : slope * dout[i];
}

void gan_tanh_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = tanhf(inp[i]);
}

void gan_tanh_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] = dout[i] * (1.0f - out[i] * out[i]);
}

void gan_sigmoid_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = 1.0f / (1.0f + expf(-inp[i]));
}

void gan_sigmoid_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] = dout[i] * out[i] * (1.0f - out[i]);
}

double gan_bce_forward(const float *p, const float *y, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double lp = log((double)p[i]);
        double lq = log1p(-(double)p[i]);
        if (!(lp >= -100.0))
            lp = -100.0;
        if (!(lq >= -100.0))
            lq = -100.0;
        sum += (double)y[i] * lp + (1.0 - (double)y[i]) * lq;
    }
    return -sum / (double)n;
}

void gan_bce_backward(float *dp, const float *p, const float *y, size_t n)
{
    float inv_n = 1.0f / (float)n;
    for (size_t i = 0; i < n; i++) {
        float d = (1.0f - p[i]) * p[i];
        if (d < 1e-12f)
            d = 1e-12f;
        dp[i] = (p[i] - y[i]) / d * inv_n;
    }
}

void gan_adam_step(float *param, const float *grad, float *m, float *v, size_t n, long t,
                   const gan_adam_cfg *cfg)
{
    const float b1 = (float)cfg->beta1, one_b1 = (float)(1.0 - cfg->beta1);
    const float b2 = (float)cfg->beta2, one_b2 = (float)(1.0 - cfg->beta2);
    const float step = (float)(cfg->lr / (1.0 - pow(cfg->beta1, (double)t)));
    const float bc2_sqrt = (float)sqrt(1.0 - pow(cfg->beta2, (double)t));
    const float eps = (float)cfg->eps;
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        m[i] = m[i] * b1 + one_b1 * g;
        v[i] = v[i] * b2 + one_b2 * g * g;
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        param[i] += -step * m[i] / denom;
    }
}

/* layers.c: the layer library on cblas_sgemm; semantics in gan_layers.h. */
#include "gan_layers.h"

#include "gan_common.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

void gan_linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                        int B, int C, int OC)
{
    gan_linear_forward_cols(out, inp, weight, B, C, OC, 0, OC);
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
        gan_linear_backward_input_cols(dinp, dout, weight, B, C, OC, 0, C);
    if (dweight)
        gan_linear_backward_weight_rows(dweight, dout, inp, B, C, OC, 0, OC, 0.0f);
    if (dbias) {
        memset(dbias, 0, sizeof(float) * (size_t)OC);
        for (int b = 0; b < B; b++) {
            const float *d = dout + (size_t)b * OC;
            for (int j = 0; j < OC; j++)
                dbias[j] += d[j];
        }
    }
}

void gan_linear_forward_cols(float *out, const float *inp, const float *weight, int B, int C,
                             int OC, int lo, int hi)
{
    if (lo < hi)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, hi - lo, C, 1.0f, inp, C,
                    weight + (size_t)lo * C, C, 0.0f, out + lo, OC);
}

void gan_linear_backward_input_cols(float *dinp, const float *dout, const float *weight, int B,
                                    int C, int OC, int lo, int hi)
{
    if (lo < hi)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, hi - lo, OC, 1.0f, dout, OC,
                    weight + lo, C, 0.0f, dinp + lo, C);
}

void gan_linear_backward_weight_rows(float *dweight, const float *dout, const float *inp, int B,
                                     int C, int OC, int lo, int hi, float beta)
{
    if (lo < hi)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, hi - lo, C, B, 1.0f, dout + lo, OC,
                    inp, C, beta, dweight + (size_t)lo * C, C);
}

void gan_linear_init(float *weight, float *bias, int C, int OC, gan_rng *rng)
{
    float bound = 1.0f / sqrtf((float)C);
    for (size_t i = 0; i < (size_t)OC * C; i++)
        weight[i] = gan_rng_uniform(rng, -bound, bound);
    for (int j = 0; j < OC; j++)
        bias[j] = gan_rng_uniform(rng, -bound, bound);
}

/* Elementwise pieces shared by the plain and the fused passes. Written
 * without branches so that the compiler vectorises them; x * 1.0f == x, so
 * LeakyReLU's select-then-multiply is exact. */
static inline float leaky(float x, float slope)
{
    return x * (x > 0.0f ? 1.0f : slope);
}

static inline float leaky_grad(float y, float slope)
{
    return y > 0.0f ? 1.0f : slope; /* y > 0 exactly where x > 0, as slope >= 0 */
}

/* tanh in float from our own expm1, so that it vectorises and gives the same
 * bits whatever the libm: with a = min(|x|, 10) (tanh(10) is 1 in float),
 * e = expm1(-2a) = 2^k (1 + p(r)) - 1, r = -2a - k ln2, |r| <= ln2/2, p the
 * degree-7 Taylor polynomial of expm1 (truncation < 6e-9; for k = 0, e = p(r)
 * directly, keeping the relative accuracy of small arguments); then
 * tanh(a) = -e / (2 + e), and the sign of x. Error a few float ulps
 * (test_layers measures it against libm). NaN stays NaN, without any
 * undefined conversion or shift on the way (a NaN's a is taken as 10). */
static inline float tanh_fast(float x)
{
    float a = fabsf(x);
    a = a <= 10.0f ? a : 10.0f; /* NaN too: the arithmetic below stays defined */
    float y = -2.0f * a;
    float kf = (y * 1.44269504f + 12582912.0f) - 12582912.0f; /* round(y / ln2) */
    float r = (y - kf * 0.693359375f) - kf * -2.12194440e-4f;
    float p = r * (1.0f + r * (0.5f + r * (1.66666667e-1f + r * (4.16666667e-2f +
              r * (8.33333333e-3f + r * (1.38888889e-3f + r * 1.98412698e-4f))))));
    union { float f; uint32_t u; } two_k; /* kf in [-29, 0]: a normal power of two */
    two_k.u = (uint32_t)((int32_t)kf + 127) << 23;
    float e = kf == 0.0f ? p : two_k.f * (1.0f + p) - 1.0f;
    float t = copysignf(-e / (2.0f + e), x);
    return x == x ? t : x; /* NaN in, NaN out */
}

static inline float sigmoid(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

void gan_leaky_forward(float *out, const float *inp, size_t n, float slope)
{
    for (size_t i = 0; i < n; i++)
        out[i] = leaky(inp[i], slope);
}

void gan_leaky_backward(float *dinp, const float *dout, const float *out, size_t n, float slope)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] = dout[i] * leaky_grad(out[i], slope);
}

void gan_tanh_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = tanh_fast(inp[i]);
}

void gan_tanh_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] = dout[i] * (1.0f - out[i] * out[i]);
}

void gan_sigmoid_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = sigmoid(inp[i]);
}

void gan_sigmoid_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] = dout[i] * out[i] * (1.0f - out[i]);
}

GAN_HOT
void gan_bias_act_forward(float *x, const float *bias, int B, int OC, int lo, int hi, gan_act act,
                          float slope)
{
    for (int b = 0; b < B; b++) {
        float *row = x + (size_t)b * OC;
        if (act == GAN_ACT_LEAKY) {
            for (int j = lo; j < hi; j++)
                row[j] = leaky(row[j] + bias[j], slope);
        } else if (act == GAN_ACT_TANH) {
            for (int j = lo; j < hi; j++)
                row[j] = tanh_fast(row[j] + bias[j]);
        } else if (act == GAN_ACT_NONE) {
            for (int j = lo; j < hi; j++)
                row[j] += bias[j];
        } else {
            for (int j = lo; j < hi; j++)
                row[j] = sigmoid(row[j] + bias[j]);
        }
    }
}

GAN_HOT
void gan_act_bias_backward(float *d, float *dbias, const float *y, int B, int OC, int lo, int hi,
                           gan_act act, float slope)
{
    if (dbias && lo < hi)
        memset(dbias + lo, 0, sizeof(float) * (size_t)(hi - lo));
    for (int b = 0; b < B; b++) {
        float *row = d + (size_t)b * OC;
        const float *yr = y + (size_t)b * OC;
        if (act == GAN_ACT_LEAKY) {
            for (int j = lo; j < hi; j++)
                row[j] *= leaky_grad(yr[j], slope);
        } else if (act == GAN_ACT_TANH) {
            for (int j = lo; j < hi; j++)
                row[j] *= 1.0f - yr[j] * yr[j];
        } else if (act == GAN_ACT_NONE) {
            /* the identity: d stays */
        } else {
            for (int j = lo; j < hi; j++)
                row[j] = row[j] * yr[j] * (1.0f - yr[j]);
        }
        if (dbias)
            for (int j = lo; j < hi; j++)
                dbias[j] += row[j];
    }
}

double gan_bce_forward(const float *p, const float *y, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double lp = log((double)p[i]);
        double lq = log1p(-(double)p[i]);
        /* clamp -inf (and anything below -100) but let NaN through, as
         * PyTorch's clamp does, so a broken model shows in its loss */
        if (lp < -100.0)
            lp = -100.0;
        if (lq < -100.0)
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

GAN_HOT
double gan_softmax_ce_forward(float *probs, const float *logits, const uint8_t *labels, int B,
                              int C)
{
    double loss = 0.0;
    for (int i = 0; i < B; i++) {
        const float *l = logits + (size_t)i * C;
        float *p = probs + (size_t)i * C;
        float mx = l[0];
        for (int c = 1; c < C; c++)
            mx = l[c] > mx ? l[c] : mx;
        double sum = 0.0;
        for (int c = 0; c < C; c++)
            sum += exp((double)l[c] - mx);
        for (int c = 0; c < C; c++)
            p[c] = (float)(exp((double)l[c] - mx) / sum);
        loss -= (double)l[labels[i]] - mx - log(sum);
    }
    return loss / B;
}

void gan_softmax_ce_backward(float *dlogits, const float *probs, const uint8_t *labels, int B,
                             int C)
{
    float inv = 1.0f / (float)B;
    for (int i = 0; i < B; i++) {
        for (int c = 0; c < C; c++)
            dlogits[(size_t)i * C + c] = (probs[(size_t)i * C + c] - (c == labels[i])) * inv;
    }
}

GAN_HOT
void gan_adam_step(float *param, const float *grad, float *m, float *v, size_t n, long t,
                   const gan_adam_cfg *cfg)
{
    /* PyTorch's p -= (lr/bc1) m / (sqrt(v)/sqrt(bc2) + eps), multiplied
     * through by c = sqrt(bc2): p -= (lr c/bc1) m / (sqrt(v) + eps c). The
     * same value within float rounding, one division fewer per parameter
     * (the loop is bound by its divisions and square roots). */
    const float b1 = (float)cfg->beta1, one_b1 = (float)(1.0 - cfg->beta1);
    const float b2 = (float)cfg->beta2, one_b2 = (float)(1.0 - cfg->beta2);
    const double c = sqrt(1.0 - pow(cfg->beta2, (double)t));
    const float step = (float)(cfg->lr * c / (1.0 - pow(cfg->beta1, (double)t)));
    const float eps = (float)(cfg->eps * c);
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        m[i] = m[i] * b1 + one_b1 * g;
        v[i] = v[i] * b2 + one_b2 * g * g;
        param[i] -= step * m[i] / (sqrtf(v[i]) + eps);
    }
}

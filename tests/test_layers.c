/*
 * test_layers.c: every layer against an independent answer: a naive loop
 * for the linear forward, central finite differences for every backward
 * (losses summed in double), closed-form values for BCE (PyTorch's clamped
 * logs) and hand-computed Adam steps.
 */
#include <math.h>
#include <string.h>

#include "gan_layers.h"
#include "gan_rng.h"
#include "test_util.h"

static gan_rng rng;

static void fill(float *a, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        a[i] = gan_rng_uniform(&rng, lo, hi);
}

/* Fills with values at least `gap` away from 0, so no finite difference of
 * step < gap crosses a ReLU kink. */
static void fill_off_zero(float *a, size_t n, float gap)
{
    for (size_t i = 0; i < n; i++) {
        float v = gan_rng_uniform(&rng, gap, 2.0f);
        a[i] = gan_rng_u32(&rng) & 1 ? v : -v;
    }
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

enum { B = 5, C = 7, OC = 4, N = 40 };

/* loss = sum(r * linear(inp; w, b)) */
static double linear_loss(const float *inp, const float *w, const float *b, const float *r)
{
    float out[B * OC];
    gan_linear_forward(out, inp, w, b, B, C, OC);
    return dot(out, r, B * OC);
}

static void check_fd(const char *what, float *x, size_t n, const float *grad, float h,
                     double atol, double rtol, double (*loss)(void *), void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        float keep = x[i];
        x[i] = keep + h;
        double lp = loss(ctx);
        x[i] = keep - h;
        double lm = loss(ctx);
        x[i] = keep;
        double fd = (lp - lm) / (2.0 * h);
        CHECK_MSG(fabs(fd - grad[i]) <= atol + rtol * fabs(fd), "%s[%zu]: analytic %.8g, fd %.8g",
                  what, i, grad[i], fd);
    }
}

typedef struct {
    float *inp, *w, *b, *r;
} lin_ctx;

static double lin_loss_cb(void *p)
{
    lin_ctx *c = p;
    return linear_loss(c->inp, c->w, c->b, c->r);
}

static void test_linear(void)
{
    float inp[B * C], w[OC * C], b[OC], r[B * OC], out[B * OC];
    float dinp[B * C], dw[OC * C], db[OC];
    fill(inp, B * C, -1, 1);
    fill(w, OC * C, -1, 1);
    fill(b, OC, -1, 1);
    fill(r, B * OC, -1, 1);

    /* forward against the naive triple loop in double */
    gan_linear_forward(out, inp, w, b, B, C, OC);
    for (int i = 0; i < B; i++)
        for (int j = 0; j < OC; j++) {
            double s = b[j];
            for (int k = 0; k < C; k++)
                s += (double)inp[i * C + k] * w[j * C + k];
            CHECK_CLOSE(out[i * OC + j], s, 1e-6, 1e-6);
        }

    /* backward: the loss is linear in each entry, so a large step is exact */
    memset(dw, 0x7f, sizeof dw); /* garbage: backward must overwrite, not add */
    memset(db, 0x7f, sizeof db);
    gan_linear_backward(dinp, dw, db, r, inp, w, B, C, OC);
    lin_ctx c = {inp, w, b, r};
    check_fd("linear dinp", inp, B * C, dinp, 0.5f, 1e-5, 1e-5, lin_loss_cb, &c);
    check_fd("linear dweight", w, OC * C, dw, 0.5f, 1e-5, 1e-5, lin_loss_cb, &c);
    check_fd("linear dbias", b, OC, db, 0.5f, 1e-5, 1e-5, lin_loss_cb, &c);

    /* NULL skips: dinp untouched */
    float sentinel[B * C];
    memcpy(sentinel, inp, sizeof sentinel);
    gan_linear_backward(NULL, NULL, db, r, inp, w, B, C, OC);
    CHECK(memcmp(sentinel, inp, sizeof sentinel) == 0);
}

typedef struct {
    int kind; /* 0 leaky, 1 tanh, 2 sigmoid */
    float slope;
    float *x, *r;
} act_ctx;

static double act_loss_cb(void *p)
{
    act_ctx *c = p;
    float y[N];
    if (c->kind == 0)
        gan_leaky_forward(y, c->x, N, c->slope);
    else if (c->kind == 1)
        gan_tanh_forward(y, c->x, N);
    else
        gan_sigmoid_forward(y, c->x, N);
    return dot(y, c->r, N);
}

static void test_activation(int kind, float slope, const char *name)
{
    float x[N], r[N], y[N], dx[N];
    if (kind == 0)
        fill_off_zero(x, N, 0.05f);
    else
        fill(x, N, -3, 3);
    fill(r, N, -1, 1);
    act_ctx c = {kind, slope, x, r};
    if (kind == 0)
        gan_leaky_forward(y, x, N, slope);
    else if (kind == 1)
        gan_tanh_forward(y, x, N);
    else
        gan_sigmoid_forward(y, x, N);
    for (int i = 0; i < N; i++) {
        double want = kind == 0 ? (x[i] > 0 ? x[i] : slope * x[i])
                      : kind == 1 ? tanh(x[i]) : 1.0 / (1.0 + exp(-(double)x[i]));
        CHECK_CLOSE(y[i], want, 1e-7, 1e-6);
    }
    if (kind == 0)
        gan_leaky_backward(dx, r, y, N, slope);
    else if (kind == 1)
        gan_tanh_backward(dx, r, y, N);
    else
        gan_sigmoid_backward(dx, r, y, N);
    /* piecewise linear: exact with a step below the gap; smooth: h = 1e-3
     * gives truncation ~1e-7 and rounding ~6e-8/2e-3 = 3e-5 */
    float h = kind == 0 ? 0.04f : 1e-3f;
    check_fd(name, x, N, dx, h, kind == 0 ? 1e-5 : 1e-4, 1e-3, act_loss_cb, &c);

    /* in place: forward out == inp, backward dinp == dout */
    float z[N], dz[N];
    memcpy(z, x, sizeof z);
    memcpy(dz, r, sizeof dz);
    if (kind == 0) {
        gan_leaky_forward(z, z, N, slope);
        gan_leaky_backward(dz, dz, z, N, slope);
    } else if (kind == 1) {
        gan_tanh_forward(z, z, N);
        gan_tanh_backward(dz, dz, z, N);
    } else {
        gan_sigmoid_forward(z, z, N);
        gan_sigmoid_backward(dz, dz, z, N);
    }
    CHECK(memcmp(z, y, sizeof z) == 0 && memcmp(dz, dx, sizeof dz) == 0);
}

typedef struct {
    float *p, *y;
    size_t n;
} bce_ctx;

static double bce_loss_cb(void *c_)
{
    bce_ctx *c = c_;
    return gan_bce_forward(c->p, c->y, c->n);
}

static void test_bce(void)
{
    /* closed form: p = 1/2 gives log 2 whatever the target */
    float half[4] = {0.5f, 0.5f, 0.5f, 0.5f}, t[4] = {1, 0, 1, 0.25f};
    CHECK_CLOSE(gan_bce_forward(half, t, 4), log(2.0), 1e-12, 0);
    /* -(log 0.8 + log 0.9) / 2 */
    float p2[2] = {0.2f, 0.9f}, y2[2] = {0.0f, 1.0f};
    CHECK_CLOSE(gan_bce_forward(p2, y2, 2), -(log(1.0 - 0.2f) + log(0.9f)) / 2, 1e-9, 0);

    /* PyTorch clamps each log at -100: fully wrong saturated outputs cost
     * exactly 100 each, fully right ones 0, and everything stays finite */
    float sat[4] = {1.0f, 0.0f, 1.0f, 0.0f}, ys[4] = {0.0f, 1.0f, 1.0f, 0.0f}, ds[4];
    CHECK_CLOSE(gan_bce_forward(sat, ys, 4), (100.0 + 100.0 + 0.0 + 0.0) / 4, 1e-12, 0);
    gan_bce_backward(ds, sat, ys, 4);
    /* (p - y) / max(p (1-p), 1e-12) / n */
    CHECK_CLOSE(ds[0], 1.0 / 1e-12 / 4, 0, 1e-6);
    CHECK_CLOSE(ds[1], -1.0 / 1e-12 / 4, 0, 1e-6);
    CHECK(ds[2] == 0.0f && ds[3] == 0.0f);
    for (int i = 0; i < 4; i++)
        CHECK(isfinite(ds[i]));

    /* NaN is not clamped away: a broken model must show in its loss */
    float nanp[2] = {NAN, 0.5f}, ny[2] = {1.0f, 0.0f};
    CHECK(isnan(gan_bce_forward(nanp, ny, 2)));

    /* finite differences, soft targets included */
    float p[N], y[N], dp[N];
    fill(p, N, 0.05f, 0.95f);
    fill(y, N, 0.0f, 1.0f);
    for (int i = 0; i < N / 2; i++)
        y[i] = (float)(i & 1);
    gan_bce_backward(dp, p, y, N);
    bce_ctx c = {p, y, N};
    check_fd("bce dp", p, N, dp, 1e-3f, 1e-5, 1e-3, bce_loss_cb, &c);
}

typedef struct {
    float *logits, *probs;
    const uint8_t *labels;
    int B, C;
} ce_ctx;

static double ce_loss_cb(void *c_)
{
    ce_ctx *c = c_;
    return gan_softmax_ce_forward(c->probs, c->logits, c->labels, c->B, c->C);
}

static void test_softmax_ce(void)
{
    enum { B = 3, C = 5 };
    float logits[B * C], probs[B * C], d[B * C];
    uint8_t labels[B] = {0, 4, 2};
    /* closed form: equal logits give log C, gradient (1/C - onehot) / B */
    for (int i = 0; i < B * C; i++)
        logits[i] = 7.0f;
    CHECK_CLOSE(gan_softmax_ce_forward(probs, logits, labels, B, C), log((double)C), 1e-7, 0);
    gan_softmax_ce_backward(d, probs, labels, B, C);
    for (int i = 0; i < B; i++)
        for (int c = 0; c < C; c++)
            CHECK_CLOSE(d[i * C + c], (0.2 - (c == labels[i])) / B, 1e-7, 0);
    /* huge logits stay finite (the max is subtracted) */
    logits[4] = 1000.0f;
    double l = gan_softmax_ce_forward(probs, logits, labels, B, C);
    CHECK(isfinite(l) && l > 300.0);
    /* finite differences */
    fill(logits, B * C, -3.0f, 3.0f);
    gan_softmax_ce_forward(probs, logits, labels, B, C);
    gan_softmax_ce_backward(d, probs, labels, B, C);
    ce_ctx c = {logits, probs, labels, B, C};
    check_fd("softmax ce", logits, B * C, d, 1e-3f, 1e-5, 1e-3, ce_loss_cb, &c);
    /* the identity activation: bias added, gradient passed through */
    float x[4] = {1, -2, 3, -4}, bias[2] = {0.5f, -0.5f}, g[4] = {1, 2, 3, 4};
    gan_bias_act_forward(x, bias, 2, 2, 0, 2, GAN_ACT_NONE, 0.0f);
    CHECK(x[0] == 1.5f && x[1] == -2.5f && x[2] == 3.5f && x[3] == -4.5f);
    float db[2];
    gan_act_bias_backward(g, db, x, 2, 2, 0, 2, GAN_ACT_NONE, 0.0f);
    CHECK(g[0] == 1 && g[3] == 4 && db[0] == 4 && db[1] == 6);
}

static void test_adam(void)
{
    /* Hand-computed with lr 0.1, betas 0.9 / 0.999, eps 1e-8:
     * step 1, g = 1:  m = 0.1, v = 0.001; m^ = 1, v^ = 1: p -= 0.1 * 1 / (1 + 1e-8)
     * step 2, g = -1: m = 0.09 - 0.1 = -0.01, m^ = -0.01 / 0.19;
     *                 v = 0.000999 + 0.001 = 0.001999, v^ = 0.001999 / 0.001999 = 1
     *                 p -= 0.1 * (-0.01 / 0.19) / (1 + 1e-8)
     * step 3, g = 0:  m = -0.009, m^ = -0.009 / 0.271;
     *                 v = 0.001997001, v^ = 0.001997001 / 0.002997001
     * A second parameter with constant g = -4 moves by exactly +lr each step
     * (m^ = g and v^ = g^2 when g never changes). */
    gan_adam_cfg cfg = {0.1, 0.9, 0.999, 1e-8};
    float p[2] = {0.5f, 0.0f}, m[2] = {0, 0}, v[2] = {0, 0};
    float g1[2] = {1.0f, -4.0f}, g2[2] = {-1.0f, -4.0f}, g3[2] = {0.0f, -4.0f};
    double want = 0.5;
    gan_adam_step(p, g1, m, v, 2, 1, &cfg);
    want -= 0.1 * 1.0 / (1.0 + 1e-8);
    CHECK_CLOSE(p[0], want, 1e-7, 0);
    CHECK_CLOSE(m[0], 0.1, 1e-8, 0);
    CHECK_CLOSE(v[0], 0.001, 1e-9, 0);
    gan_adam_step(p, g2, m, v, 2, 2, &cfg);
    want -= 0.1 * (-0.01 / 0.19) / (1.0 + 1e-8);
    CHECK_CLOSE(p[0], want, 1e-7, 0);
    gan_adam_step(p, g3, m, v, 2, 3, &cfg);
    want -= 0.1 * (-0.009 / 0.271) / (sqrt(0.001997001 / 0.002997001) + 1e-8);
    CHECK_CLOSE(p[0], want, 1e-6, 0);
    CHECK_CLOSE(p[1], 0.3, 1e-6, 0);
}

static void test_init(void)
{
    /* PyTorch's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
    enum { IN = 100, OUT = 300 };
    static float w[OUT * IN], b[OUT];
    gan_linear_init(w, b, IN, OUT, &rng);
    double bound = 1.0 / sqrt((double)IN), s = 0, s2 = 0, mx = 0;
    for (int i = 0; i < OUT * IN; i++) {
        s += w[i];
        s2 += (double)w[i] * w[i];
        if (fabs(w[i]) > mx)
            mx = fabs(w[i]);
    }
    double n = OUT * IN, var = s2 / n - (s / n) * (s / n);
    CHECK(mx <= bound && mx > 0.99 * bound);
    CHECK_CLOSE(s / n, 0.0, 4.0 * bound / sqrt(3.0 * n), 0); /* 4 standard errors */
    CHECK_CLOSE(var, bound * bound / 3.0, 0, 0.03);          /* variance of U(-a, a) */
    for (int j = 0; j < OUT; j++)
        CHECK(fabsf(b[j]) <= bound);
}

/* Every float input is defined behaviour (UBSan watches the ASan build): NaN
 * in, NaN out, for each activation alone and fused with a bias; the
 * infinities go to the activations' limits. (A NaN once reached tanh's
 * exponent bits as a shift of a negative number.) */
static void test_nonfinite(void)
{
    enum { N = 6 };
    const float inf = INFINITY;
    float x[N] = {NAN, -NAN, inf, -inf, 0.0f, 1e30f}, y[N], zero[N] = {0};
    gan_tanh_forward(y, x, N);
    CHECK(isnan(y[0]) && isnan(y[1]) && y[2] == 1.0f && y[3] == -1.0f && y[4] == 0.0f &&
          y[5] == 1.0f);
    gan_sigmoid_forward(y, x, N);
    CHECK(isnan(y[0]) && isnan(y[1]) && y[2] == 1.0f && y[3] == 0.0f && y[4] == 0.5f);
    for (int k = 0; k < 2; k++) { /* ReLU and LeakyReLU */
        float slope = k ? 0.2f : 0.0f;
        gan_leaky_forward(y, x, N, slope);
        CHECK(isnan(y[0]) && isnan(y[1]) && y[2] == inf && y[4] == 0.0f);
    }
    const gan_act acts[4] = {GAN_ACT_LEAKY, GAN_ACT_TANH, GAN_ACT_SIGMOID, GAN_ACT_NONE};
    for (int a = 0; a < 4; a++) {
        float row[N];
        memcpy(row, x, sizeof row);
        gan_bias_act_forward(row, zero, 1, N, 0, N, acts[a], 0.2f);
        CHECK_MSG(isnan(row[0]) && isnan(row[1]), "activation %d", a);
        memcpy(row, zero, sizeof row);
        gan_bias_act_forward(row, x, 1, N, 0, N, acts[a], 0.0f); /* NaN in the bias */
        CHECK_MSG(isnan(row[0]), "activation %d, NaN bias", a);
    }
}

int main(void)
{
    gan_rng_seed(&rng, 12345, 7);
    test_linear();
    test_activation(0, 0.0f, "relu");
    test_activation(0, 0.2f, "leaky");
    test_activation(1, 0.0f, "tanh");
    test_activation(2, 0.0f, "sigmoid");
    test_bce();
    test_softmax_ce();
    test_adam();
    test_init();
    test_nonfinite();
    TEST_MAIN_END();
}

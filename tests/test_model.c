/*
 * test_model.c: the whole G and D, and the trainer's step, against central
 * finite differences of the losses (accumulated in double). Points where a
 * step of +-h flips a ReLU (the activation pattern of any hidden unit
 * changes) are skipped, and the test insists that most points were checked.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "gan_model.h"
#include "gan_train.h"
#include "test_grad.h"
#include "test_util.h"

static gan_rng rng;

static void fill(float *a, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        a[i] = gan_rng_uniform(&rng, lo, hi);
}

enum { ZD = 5, H = 8, P = 6, BS = 4 };

/* ---- a lone D with BCE, and a lone G with a weighted sum ---- */
typedef struct {
    gan_mlp *m;
    float *x, *y, *r;
    int B, use_bce;
} mlp_ctx;

static double mlp_loss(void *c_, uint64_t *pat)
{
    mlp_ctx *c = c_;
    float out[BS * P];
    gan_mlp_forward(c->m, out, c->x, c->B, &GAN_SOLO);
    *pat = pattern(c->m, c->B);
    size_t n = (size_t)c->B * c->m->dims[3];
    if (c->use_bce)
        return gan_bce_forward(out, c->y, n);
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)out[i] * c->r[i];
    return s;
}

static void test_mlp(float slope, gan_act act)
{
    int in = act == GAN_ACT_TANH ? ZD : P, out = act == GAN_ACT_TANH ? P : 1;
    gan_mlp m;
    gan_err err;
    CHECK(gan_mlp_init(&m, in, H, H, out, slope, act, BS, &err) == 0);
    gan_mlp_reset(&m, &rng);
    float x[BS * P], y[BS], r[BS * P], o[BS * P], d[BS * P], dx[BS * P];
    fill(x, (size_t)BS * in, -1, 1);
    fill(r, (size_t)BS * out, -1, 1);
    for (int i = 0; i < BS; i++)
        y[i] = (float)(i & 1);
    mlp_ctx c = {&m, x, y, r, BS, act == GAN_ACT_SIGMOID};
    gan_mlp_forward(&m, o, x, BS, &GAN_SOLO);
    if (c.use_bce)
        gan_bce_backward(d, o, y, BS);
    else
        memcpy(d, r, sizeof(float) * BS * out);
    memset(m.grads, 0x7f, sizeof(float) * m.nparams); /* must be overwritten */
    gan_mlp_backward(&m, dx, d, o, x, BS, 1, &GAN_SOLO);
    float grads[4000];
    CHECK(m.nparams <= 4000);
    memcpy(grads, m.grads, sizeof(float) * m.nparams);
    int checked = 0, skipped = 0;
    check_grad("mlp params", m.params, m.nparams, grads, mlp_loss, &c, &checked, &skipped);
    check_grad("mlp input", x, (size_t)BS * in, dx, mlp_loss, &c, &checked, &skipped);
    CHECK_MSG(checked > 9 * (checked + skipped) / 10, "checked %d, skipped %d", checked, skipped);

    /* param_grads = 0 leaves the gradient block alone */
    memset(m.grads, 0, sizeof(float) * m.nparams);
    gan_mlp_forward(&m, o, x, BS, &GAN_SOLO);
    memcpy(d, r, sizeof(float) * BS * out);
    gan_mlp_backward(&m, dx, d, o, x, BS, 0, &GAN_SOLO);
    int untouched = 1;
    for (size_t i = 0; i < m.nparams; i++)
        untouched &= m.grads[i] == 0.0f;
    CHECK(untouched);
    gan_mlp_free(&m);
}

/*
 * |d l / d x_i|^2 for each of b rows of x, computed independently in double: a
 * forward through D's layers, then the input gradient of the logit by the
 * chain rule, unit by unit: d l / d x_p = sum_j W1[j][p] m1_j sum_k W2[k][j]
 * m2_k w3[k]. sq (b).
 */
static void grad_norms_sq(const gan_mlp *D, const float *x, int b, double *sq)
{
    const int in = D->dims[0], h1 = D->dims[1], h2 = D->dims[2];
    const float *W1 = D->p.w[0], *b1 = D->p.b[0], *W2 = D->p.w[1], *b2 = D->p.b[1];
    const float *w3 = D->p.w[2];
    double s = D->slope;
    for (int i = 0; i < b; i++) {
        const float *xi = x + (size_t)i * in;
        double a1[64], m1[64], m2[64], u2[64], u1[64];
        for (int j = 0; j < h1; j++) {
            double v = b1[j];
            for (int p = 0; p < in; p++)
                v += (double)W1[j * in + p] * xi[p];
            m1[j] = v > 0 ? 1.0 : s;
            a1[j] = v * m1[j];
        }
        for (int k = 0; k < h2; k++) {
            double v = b2[k];
            for (int j = 0; j < h1; j++)
                v += (double)W2[k * h1 + j] * a1[j];
            m2[k] = v > 0 ? 1.0 : s;
            u2[k] = m2[k] * w3[k];
        }
        for (int j = 0; j < h1; j++) {
            double v = 0;
            for (int k = 0; k < h2; k++)
                v += (double)W2[k * h1 + j] * u2[k];
            u1[j] = m1[j] * v;
        }
        sq[i] = 0.0;
        for (int p = 0; p < in; p++) {
            double g = 0;
            for (int j = 0; j < h1; j++)
                g += (double)W1[j * in + p] * u1[j];
            sq[i] += g * g;
        }
    }
}

/* R1: scale/2 * mean_i |d l / d x_i|^2 */
static double r1_penalty(const gan_mlp *D, const float *x, int b, double scale)
{
    double sq[16], total = 0.0;
    grad_norms_sq(D, x, b, sq);
    for (int i = 0; i < b; i++)
        total += sq[i];
    return 0.5 * scale * total / b;
}

/* WGAN-GP: lambda / b * sum_i (|d l / d x_i| - 1)^2 */
static double gp_penalty(const gan_mlp *D, const float *x, int b, double lambda)
{
    double sq[16], total = 0.0;
    grad_norms_sq(D, x, b, sq);
    for (int i = 0; i < b; i++)
        total += (sqrt(sq[i]) - 1.0) * (sqrt(sq[i]) - 1.0);
    return lambda / b * total;
}

/* ---- the gradient penalty of WGAN-GP alone: D's weight gradients against
 * central differences of the penalty computed in double ---- */
typedef struct {
    gan_mlp *m;
    const float *x;
    int b;
    double lambda;
} gp_ctx;

static double gp_loss(void *c_, uint64_t *pat)
{
    gp_ctx *c = c_;
    float out[8];
    gan_mlp_forward(c->m, out, c->x, c->b, &GAN_SOLO);
    *pat = pattern(c->m, c->b);
    return gp_penalty(c->m, c->x, c->b, c->lambda);
}

static void test_gp(float slope, float wscale)
{
    enum { IN = 6, GB = 4 };
    gan_mlp m;
    gan_err err = {""};
    CHECK(gan_mlp_init(&m, IN, H, H, 1, slope, GAN_ACT_NONE, 2 * GB, &err) == 0);
    gan_mlp_reset(&m, &rng);
    for (size_t i = 0; i < m.nparams; i++) /* |g| both below and above 1 */
        m.params[i] *= wscale;
    float x[GB * IN], out[GB], g[GB * IN], coef[GB];
    double parts[GB];
    fill(x, GB * IN, -1.0f, 1.0f);
    gp_ctx c = {&m, x, GB, 10.0};
    gan_mlp_forward(&m, out, x, GB, &GAN_SOLO);
    memset(m.grads, 0, sizeof(float) * m.nparams);
    double pen = gan_mlp_gp_backward(&m, g, GB, 10.0, parts, coef, &GAN_SOLO);
    double sq[GB], below = 0, above = 0;
    grad_norms_sq(&m, x, GB, sq);
    for (int i = 0; i < GB; i++) {
        below += sqrt(sq[i]) < 1.0;
        above += sqrt(sq[i]) > 1.0;
    }
    CHECK_CLOSE(pen, gp_penalty(&m, x, GB, 10.0), 1e-9, 1e-5);
    float grads[4000];
    CHECK(m.nparams <= 4000);
    memcpy(grads, m.grads, sizeof(float) * m.nparams);
    int checked = 0, skipped = 0;
    check_grad("gp params", m.params, m.nparams, grads, gp_loss, &c, &checked, &skipped);
    CHECK_MSG(checked > 9 * (checked + skipped) / 10, "checked %d, skipped %d", checked, skipped);
    /* the biases enter only through the masks: no gradient */
    for (int l = 0; l < 3; l++)
        for (int j = 0; j < m.dims[l + 1]; j++)
            CHECK(m.g.b[l][j] == 0.0f);
    fprintf(stderr, "gp (slope %g, weights x%g): rows with |g| below 1: %g, above: %g\n", slope,
            wscale, below, above);
    gan_mlp_free(&m);
}

/* ---- the trainer's step: D-step and G-step gradients ---- */
typedef struct {
    gan_trainer *t;
    float *x;  /* (2b, P): real rows; fake rows are recomputed */
    float *z;
    int b;
    int which; /* 0: loss_d at D's params; 1: loss_g at G's params */
    double r1; /* loss_d's R1 weight (gamma K), 0 for none */
} step_ctx;

static double step_loss(void *c_, uint64_t *pat)
{
    step_ctx *c = c_;
    gan_trainer *t = c->t;
    int b = c->b;
    float buf[2 * BS * P], p[2 * BS], y[2 * BS];
    memcpy(buf, c->x, sizeof(float) * b * P);
    gan_mlp_forward(&t->G, buf + b * P, c->z, b, &GAN_SOLO);
    uint64_t pg = pattern(&t->G, b);
    for (int i = 0; i < b; i++) {
        y[i] = 1.0f;
        y[b + i] = 0.0f;
    }
    double l;
    if (c->which == 0) {
        gan_mlp_forward(&t->D, p, buf, 2 * b, &GAN_SOLO);
        l = gan_bce_forward(p, y, 2 * (size_t)b);
        if (c->r1 > 0)
            l += r1_penalty(&t->D, buf, b, c->r1);
    } else {
        gan_mlp_forward(&t->D, p, buf + b * P, b, &GAN_SOLO);
        l = gan_bce_forward(p, y, (size_t)b);
    }
    *pat = pg ^ (pattern(&t->D, c->which ? b : 2 * b) * 31);
    return l;
}

/* One trainer step, from step number `first` (so that a lazy penalty is on
 * or off), with the R1 penalty gamma every K-th step. */
static void test_step(float slope, double gamma, int every, long first)
{
    gan_config cfg;
    gan_config_default(&cfg);
    gan_config_preset(&cfg, GAN_PRESET_SEED);
    cfg.batch = BS;
    cfg.z_dim = ZD;
    cfg.hidden = H;
    cfg.slope = slope;
    cfg.lr = 1e-2;
    cfg.r1_gamma = gamma;
    cfg.r1_every = every;
    cfg.threads = 1;
    gan_trainer t;
    gan_err err;
    CHECK(gan_trainer_init(&t, &cfg, P, 10, &err) == 0);
    t.step = first;
    int r1_on = gamma > 0 && first % every == 0;
    const int b = 3; /* a partial batch */
    float x[BS * P], z[BS * ZD];
    fill(x, (size_t)b * P, -1, 1);
    fill(z, (size_t)b * ZD, -2, 2);
    memcpy(t.x, x, sizeof(float) * b * P);
    memcpy(t.z, z, sizeof(float) * b * ZD);

    size_t ng = t.G.nparams, nd = t.D.nparams;
    float g0[2000], d0[2000], d1[2000], gg[2000], dg[2000];
    CHECK(ng <= 2000 && nd <= 2000);
    memcpy(g0, t.G.params, sizeof(float) * ng);
    memcpy(d0, t.D.params, sizeof(float) * nd);

    gan_step_stats st;
    gan_trainer_step(&t, b, &st);
    CHECK(t.step == first + 1 && t.G.adam_t == 1 && t.D.adam_t == 1);
    CHECK(st.r1_done == r1_on);
    memcpy(gg, t.G.grads, sizeof(float) * ng); /* G-step gradient */
    memcpy(dg, t.D.grads, sizeof(float) * nd); /* D-step gradient (G step adds none) */
    memcpy(d1, t.D.params, sizeof(float) * nd);

    /* D changed, G changed, and by Adam's first step (|delta| = lr per param
     * with a nonzero gradient) */
    int moved = 0;
    for (size_t i = 0; i < nd; i++)
        if (dg[i] != 0.0f) {
            moved++;
            CHECK_CLOSE(fabsf(d1[i] - d0[i]), cfg.lr, 1e-6, 1e-3);
        }
    CHECK(moved > 0);

    /* the stats are the losses at the step's parameters */
    step_ctx c = {&t, x, z, b, 0, r1_on ? gamma * every : 0.0};
    uint64_t pat;
    memcpy(t.G.params, g0, sizeof(float) * ng);
    memcpy(t.D.params, d0, sizeof(float) * nd);
    if (r1_on) {
        /* the reported penalty is gamma/2 mean |g|^2, without the K */
        double pen = r1_penalty(&t.D, x, b, gamma);
        CHECK(pen > 0);
        CHECK_CLOSE(st.r1, pen, 1e-9, 1e-5);
        CHECK_CLOSE(st.loss_d + every * st.r1, step_loss(&c, &pat), 1e-6, 1e-5);
    } else {
        CHECK_CLOSE(st.loss_d, step_loss(&c, &pat), 1e-6, 1e-6);
    }
    int checked = 0, skipped = 0;
    check_grad("D-step grad", t.D.params, nd, dg, step_loss, &c, &checked, &skipped);

    c.which = 1;
    memcpy(t.D.params, d1, sizeof(float) * nd);
    CHECK_CLOSE(st.loss_g, step_loss(&c, &pat), 1e-6, 1e-6);
    check_grad("G-step grad", t.G.params, ng, gg, step_loss, &c, &checked, &skipped);
    CHECK_MSG(checked > 9 * (checked + skipped) / 10, "slope %g, r1 %g every %d: checked %d, "
              "skipped %d", slope, gamma, every, checked, skipped);
    CHECK(st.d_real > 0 && st.d_real < 1 && st.d_fake > 0 && st.d_fake < 1);
    gan_trainer_free(&t);
}

/* PyTorch's penalty and gradients (tests/fixtures/gp.txt, autograd with
 * create_graph): the same numbers to float rounding. */
static void test_gp_pytorch(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "%s: cannot open", path);
    if (!f)
        return;
    static const char *const want[6] = {"gp", "params", "x", "norms", "penalty", "grads"};
    char key[32];
    float *v[6] = {NULL};
    size_t n[6];
    int k = 0, cases = 0;
    while (test_read_floats(f, key, sizeof key, &v[k], &n[k])) {
        CHECK_MSG(strcmp(key, want[k]) == 0, "%s: '%s' where '%s' was expected", path, key, want[k]);
        if (++k < 6)
            continue;
        int B = (int)v[0][0], IN = (int)v[0][1], HH = (int)v[0][2];
        gan_mlp m;
        gan_err err = {""};
        CHECK(gan_mlp_init(&m, IN, HH, HH, 1, v[0][3], GAN_ACT_NONE, 2 * B, &err) == 0);
        CHECK(n[1] == m.nparams && n[2] == (size_t)B * IN && n[5] == m.nparams);
        memcpy(m.params, v[1], sizeof(float) * m.nparams);
        float out[8], g[64], coef[8];
        double parts[8];
        gan_mlp_forward(&m, out, v[2], B, &GAN_SOLO);
        memset(m.grads, 0, sizeof(float) * m.nparams);
        double pen = gan_mlp_gp_backward(&m, g, B, v[0][4], parts, coef, &GAN_SOLO);
        CHECK_CLOSE(pen, v[4][0], 0, 1e-5);
        double scale = 0.0, worst = 0.0;
        for (size_t i = 0; i < m.nparams; i++)
            scale = fmax(scale, fabs(v[5][i]));
        for (size_t i = 0; i < m.nparams; i++)
            worst = fmax(worst, fabs((double)m.grads[i] - v[5][i]));
        CHECK_MSG(worst <= 1e-5 * scale, "%s case %d: gradients off by %g of %g", path, cases,
                  worst, scale);
        fprintf(stderr, "gp against PyTorch, case %d: penalty %.7g (torch %.7g), gradients within "
                "%.2g of their scale\n", cases, pen, v[4][0], worst / scale);
        gan_mlp_free(&m);
        for (int q = 0; q < 6; q++)
            free(v[q]);
        k = 0;
        cases++;
    }
    fclose(f);
    CHECK_MSG(cases == 2 && k == 0, "%s: %d cases", path, cases);
}

int main(int argc, char **argv)
{
    gan_rng_seed(&rng, 777, 9);
    test_mlp(0.0f, GAN_ACT_TANH);
    test_mlp(0.0f, GAN_ACT_SIGMOID);
    test_mlp(0.2f, GAN_ACT_TANH);
    test_mlp(0.2f, GAN_ACT_SIGMOID);
    test_step(0.0f, 0.0, 1, 0);
    test_step(0.2f, 0.0, 1, 0);
    /* R1: every step; lazily on this step (x3); lazily not on this step */
    test_step(0.0f, 10.0, 1, 0);
    test_step(0.2f, 10.0, 1, 0);
    test_step(0.2f, 5.0, 3, 6);
    test_step(0.2f, 5.0, 3, 7);
    /* WGAN-GP's penalty: small weights (|g| < 1) and large ones (|g| > 1) */
    test_gp(0.2f, 1.0f);
    test_gp(0.2f, 3.0f);
    test_gp(0.0f, 3.0f);
    if (argc > 1)
        test_gp_pytorch(argv[1]);
    TEST_MAIN_END();
}

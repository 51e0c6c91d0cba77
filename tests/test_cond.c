/*
 * test_cond.c: conditional models and training (issue 19). Each way of
 * reading the class (a class bias on a layer: the one-hot concatenated to its
 * input; the projection; the auxiliary head) against a forward written here
 * in double; their gradients and R1's against finite differences of those
 * independent losses; a trainer step with the auxiliary head against finite
 * differences of both networks' losses; a run the same to the bit on 1, 2 and
 * 3 threads, and across an interrupt, checkpoint and restore (classes and
 * names kept); the forms' names. Parity with PyTorch is test_parity's.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gan_checkpoint.h"
#include "gan_file.h"
#include "gan_model.h"
#include "gan_train.h"
#include "test_ckpt.h"
#include "test_data.h"
#include "test_grad.h"
#include "test_util.h"

enum { K = 3, ZD = 5, H = 8, P = 6, BS = 4, MAXD = 16 };

static gan_rng rng;

static void fill(float *a, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        a[i] = gan_rng_uniform(&rng, lo, hi);
}

static double act_d(double x, gan_act a, double slope)
{
    switch (a) {
    case GAN_ACT_LEAKY: return x > 0 ? x : slope * x;
    case GAN_ACT_TANH: return tanh(x);
    case GAN_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    default: return x;
    }
}

/* out (n, OUT) = m's function of x (n, IN) for classes lab, in double, from
 * the definitions: each layer W h + b + C_l[y], the projection E[y] . h2 on
 * output 0, out_act on outputs below nact. *pat: the hidden signs. */
static void naive_forward(const gan_mlp *m, const float *x, const uint8_t *lab, int n,
                          double *out, uint64_t *pat)
{
    const int *d = m->dims;
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < n; i++) {
        double cur[MAXD], next[MAXD];
        for (int c = 0; c < d[0]; c++)
            cur[c] = x[(size_t)i * d[0] + c];
        for (int l = 0; l < 3; l++) {
            for (int o = 0; o < d[l + 1]; o++) {
                double s = m->p.b[l][o];
                for (int c = 0; c < d[l]; c++)
                    s += (double)m->p.w[l][(size_t)o * d[l] + c] * cur[c];
                if (m->p.cb[l])
                    s += m->p.cb[l][(size_t)lab[i] * d[l + 1] + o];
                if (l == 2 && o == 0 && m->p.proj)
                    for (int c = 0; c < d[2]; c++)
                        s += (double)m->p.proj[(size_t)lab[i] * d[2] + c] * cur[c];
                gan_act a = l < 2 ? GAN_ACT_LEAKY : o < m->nact ? m->out_act : GAN_ACT_NONE;
                next[o] = act_d(s, a, m->slope);
                if (l < 2)
                    h = (h ^ (s > 0)) * 1099511628211ULL;
            }
            memcpy(cur, next, sizeof(double) * d[l + 1]);
        }
        for (int o = 0; o < d[3]; o++)
            out[(size_t)i * d[3] + o] = cur[o];
    }
    *pat = h;
}

/* ---- each form alone: forward, gradients ---- */
typedef struct {
    gan_mlp *m;
    float *x;
    const uint8_t *lab;
    const float *r;  /* the loss is sum r * out */
} form_ctx;

static double form_loss(void *c_, uint64_t *pat)
{
    form_ctx *c = c_;
    double out[BS * MAXD], s = 0;
    naive_forward(c->m, c->x, c->lab, BS, out, pat);
    for (int i = 0; i < BS * c->m->dims[3]; i++)
        s += out[i] * c->r[i];
    return s;
}

typedef struct {
    const char *name;
    int g;             /* G's shape (else D's) */
    gan_act act;
    gan_cond cond;
} form;

static const form FORMS[] = {
    {"G input", 1, GAN_ACT_TANH, {K, 1, 0, 0}},
    {"G all", 1, GAN_ACT_TANH, {K, 7, 0, 0}},
    {"D concat", 0, GAN_ACT_SIGMOID, {K, 1, 0, 0}},
    {"D projection", 0, GAN_ACT_SIGMOID, {K, 0, 1, 0}},
    {"D acgan", 0, GAN_ACT_SIGMOID, {K, 0, 0, 1}},
    {"D concat+projection+acgan", 0, GAN_ACT_NONE, {K, 1, 1, 1}},
};

static void test_form(const form *f, float slope)
{
    gan_mlp m;
    gan_err err = {""};
    int in = f->g ? ZD : P, out = f->g ? P : 1;
    CHECK_MSG(gan_mlp_init_cond(&m, in, H, H, out, slope, f->act, BS, &f->cond, &err) == 0, "%s",
              err.msg);
    gan_mlp_reset(&m, &rng);
    const int OD = m.dims[3];
    CHECK(OD == out + (f->cond.aux ? K : 0) && m.nact == out && m.labels);
    CHECK(m.nparams == gan_mlp_param_count(in, H, H, out, &f->cond));
    float x[BS * MAXD], r[BS * MAXD], o[BS * MAXD], d[BS * MAXD], dx[BS * MAXD];
    uint8_t lab[BS] = {2, 0, 1, 2};
    fill(x, (size_t)BS * in, -1, 1);
    fill(r, (size_t)BS * OD, -1, 1);
    memcpy(m.labels, lab, BS);
    gan_mlp_forward(&m, o, x, BS, &GAN_SOLO);
    double ref[BS * MAXD];
    uint64_t pat;
    naive_forward(&m, x, lab, BS, ref, &pat);
    for (int i = 0; i < BS * OD; i++)
        CHECK_MSG(fabs(o[i] - ref[i]) <= 1e-5 + 1e-5 * fabs(ref[i]), "%s: out[%d] %.8g, by "
                  "definition %.8g", f->name, i, o[i], ref[i]);
    memcpy(d, r, sizeof(float) * BS * OD);
    memset(m.grads, 0x7f, sizeof(float) * m.nparams); /* must be overwritten */
    gan_mlp_backward(&m, dx, d, o, x, BS, 1, &GAN_SOLO);
    float grads[4000];
    CHECK(m.nparams <= 4000);
    memcpy(grads, m.grads, sizeof(float) * m.nparams);
    form_ctx c = {&m, x, lab, r};
    int checked = 0, skipped = 0;
    check_grad(f->name, m.params, m.nparams, grads, form_loss, &c, &checked, &skipped);
    check_grad(f->name, x, (size_t)BS * in, dx, form_loss, &c, &checked, &skipped);
    CHECK_MSG(checked > 9 * (checked + skipped) / 10, "%s: checked %d, skipped %d", f->name,
              checked, skipped);
    /* a class no row has gets no gradient in its class bias or embedding */
    uint8_t two[BS] = {2, 0, 2, 0};
    memcpy(m.labels, two, BS);
    gan_mlp_forward(&m, o, x, BS, &GAN_SOLO);
    memcpy(d, r, sizeof(float) * BS * OD);
    gan_mlp_backward(&m, dx, d, o, x, BS, 1, &GAN_SOLO);
    for (int l = 0; l < 3; l++)
        for (int j = 0; m.g.cb[l] && j < m.dims[l + 1]; j++)
            CHECK(m.g.cb[l][(size_t)1 * m.dims[l + 1] + j] == 0.0f);
    for (int j = 0; m.g.proj && j < H; j++)
        CHECK(m.g.proj[H + j] == 0.0f);
    gan_mlp_free(&m);
}

/* ---- R1 on a conditional D: the image's gradient only ---- */

/* coef/2 sum_i |d l_i / d x_i|^2, the logit's input gradient by the chain rule
 * in double (w3 + E[y] as output 0's weights; the class biases only move the
 * masks) */
static double r1_naive(const gan_mlp *m, const float *x, const uint8_t *lab, int n, double coef)
{
    const int *d = m->dims;
    double total = 0;
    for (int i = 0; i < n; i++) {
        double a1[MAXD], a2[MAXD], u2[MAXD], u1[MAXD];
        for (int o = 0; o < d[1]; o++) {
            double s = m->p.b[0][o] + (m->p.cb[0] ? m->p.cb[0][(size_t)lab[i] * d[1] + o] : 0);
            for (int c = 0; c < d[0]; c++)
                s += (double)m->p.w[0][(size_t)o * d[0] + c] * x[(size_t)i * d[0] + c];
            a1[o] = s;
        }
        for (int o = 0; o < d[2]; o++) {
            double s = m->p.b[1][o];
            for (int c = 0; c < d[1]; c++)
                s += (double)m->p.w[1][(size_t)o * d[1] + c] * act_d(a1[c], GAN_ACT_LEAKY, m->slope);
            a2[o] = s;
        }
        for (int k = 0; k < d[2]; k++) {
            double w = m->p.w[2][k] + (m->p.proj ? m->p.proj[(size_t)lab[i] * d[2] + k] : 0);
            u2[k] = w * (a2[k] > 0 ? 1 : m->slope);
        }
        for (int j = 0; j < d[1]; j++) {
            double s = 0;
            for (int k = 0; k < d[2]; k++)
                s += (double)m->p.w[1][(size_t)k * d[1] + j] * u2[k];
            u1[j] = s * (a1[j] > 0 ? 1 : m->slope);
        }
        for (int c = 0; c < d[0]; c++) {
            double g = 0;
            for (int j = 0; j < d[1]; j++)
                g += (double)m->p.w[0][(size_t)j * d[0] + c] * u1[j];
            total += g * g;
        }
    }
    return 0.5 * coef * total;
}

typedef struct {
    gan_mlp *m;
    float *x;
    const uint8_t *lab;
    double coef;
} r1_ctx;

static double r1_loss(void *c_, uint64_t *pat)
{
    r1_ctx *c = c_;
    double out[BS * MAXD];
    naive_forward(c->m, c->x, c->lab, BS, out, pat);
    return r1_naive(c->m, c->x, c->lab, BS, c->coef);
}

static void test_r1(const form *f)
{
    gan_mlp m;
    gan_err err = {""};
    CHECK(gan_mlp_init_cond(&m, P, H, H, 1, 0.2f, f->act, 2 * BS, &f->cond, &err) == 0);
    gan_mlp_reset(&m, &rng);
    float x[BS * P], o[BS * MAXD], g[BS * P];
    double parts[1];
    uint8_t lab[BS] = {1, 2, 0, 1};
    fill(x, (size_t)BS * P, -1, 1);
    memcpy(m.labels, lab, BS);
    gan_mlp_forward(&m, o, x, BS, &GAN_SOLO);
    memset(m.grads, 0, sizeof(float) * m.nparams);
    const double coef = 0.7;
    double sq = gan_mlp_r1_backward(&m, g, BS, (float)coef, parts, &GAN_SOLO);
    CHECK_CLOSE(0.5 * coef * sq, r1_naive(&m, x, lab, BS, coef), 1e-9, 1e-5);
    float grads[4000];
    memcpy(grads, m.grads, sizeof(float) * m.nparams);
    r1_ctx c = {&m, x, lab, coef};
    int checked = 0, skipped = 0;
    check_grad(f->name, m.params, m.nparams, grads, r1_loss, &c, &checked, &skipped);
    CHECK_MSG(checked > 9 * (checked + skipped) / 10, "R1 %s: checked %d, skipped %d", f->name,
              checked, skipped);
    gan_mlp_free(&m);
}

/* ---- a trainer step with the auxiliary head ---- */
typedef struct {
    gan_trainer *t;
    const float *x, *z;
    const uint8_t *lab; /* (2b) real, then fake */
    int b, which;       /* 0: D's loss at D's params; 1: G's loss at G's params */
    double r1;          /* D's R1 coefficient (gamma K / b), 0 for none */
} step_ctx;

static double ce(const double *o, int OD, int y)
{
    double mx = o[1], s = 0;
    for (int c = 1; c <= K; c++)
        mx = o[c] > mx ? o[c] : mx;
    for (int c = 1; c <= K; c++)
        s += exp(o[c] - mx);
    return -(o[1 + y] - mx - log(s));
    (void)OD;
}

static double step_loss(void *c_, uint64_t *pat)
{
    step_ctx *c = c_;
    gan_trainer *t = c->t;
    const int b = c->b, OD = t->D.dims[3];
    double gout[BS * P], dout[2 * BS * MAXD];
    float buf[2 * BS * P];
    uint64_t pg, pd;
    naive_forward(&t->G, c->z, c->lab + b, b, gout, &pg);
    memcpy(buf, c->x, sizeof(float) * b * P);
    for (int i = 0; i < b * P; i++)
        buf[b * P + i] = (float)gout[i];
    double l = 0;
    if (c->which == 0) {
        naive_forward(&t->D, buf, c->lab, 2 * b, dout, &pd);
        for (int i = 0; i < 2 * b; i++) {
            double p = dout[(size_t)i * OD];
            l -= (i < b ? log(p) : log(1 - p)) / (2 * b);
        }
        for (int i = 0; i < b; i++)
            l += t->ac_weight * ce(dout + (size_t)i * OD, OD, c->lab[i]) / b;
        if (c->r1 > 0)
            l += r1_naive(&t->D, buf, c->lab, b, c->r1);
    } else {
        naive_forward(&t->D, buf + b * P, c->lab + b, b, dout, &pd);
        for (int i = 0; i < b; i++)
            l += -log(dout[(size_t)i * OD]) / b +
                 t->ac_weight * ce(dout + (size_t)i * OD, OD, c->lab[b + i]) / b;
    }
    *pat = pg ^ (pd * 31);
    return l;
}

static void test_step(unsigned cond_d, int cond_g, double gamma)
{
    gan_config cfg;
    gan_config_default(&cfg);
    gan_config_preset(&cfg, GAN_PRESET_SEED);
    cfg.batch = BS, cfg.z_dim = ZD, cfg.hidden = H, cfg.slope = 0.2f, cfg.lr = 1e-2;
    cfg.threads = 1, cfg.r1_gamma = gamma, cfg.r1_every = 1;
    cfg.conditional = 1, cfg.classes = K, cfg.cond_d = cond_d, cfg.cond_g = cond_g;
    cfg.ac_weight = 0.7;
    gan_trainer t;
    gan_err err = {""};
    CHECK_MSG(gan_trainer_init(&t, &cfg, P, 10, &err) == 0, "%s", err.msg);
    const int b = 3;
    float x[BS * P], z[BS * ZD];
    const uint8_t lab[2 * BS] = {0, 2, 1, 0, 1, 1, 0, 0}; /* 3 real rows' labels, 3 fake */
    fill(x, (size_t)b * P, -1, 1);
    fill(z, (size_t)b * ZD, -2, 2);
    memcpy(t.x, x, sizeof(float) * b * P);
    memcpy(t.z, z, sizeof(float) * b * ZD);
    memcpy(t.lab, lab, 3);
    memcpy(t.lab + b, lab + 4, 3);
    uint8_t l2[2 * BS];
    memcpy(l2, t.lab, 2 * (size_t)b);
    size_t ng = t.G.nparams, nd = t.D.nparams;
    static float g0[4000], d0[4000], d1[4000], gg[4000], dg[4000];
    CHECK(ng <= 4000 && nd <= 4000);
    memcpy(g0, t.G.params, sizeof(float) * ng);
    memcpy(d0, t.D.params, sizeof(float) * nd);
    gan_step_stats st;
    gan_trainer_step(&t, b, &st);
    memcpy(gg, t.G.grads, sizeof(float) * ng);
    memcpy(dg, t.D.grads, sizeof(float) * nd);
    memcpy(d1, t.D.params, sizeof(float) * nd);
    step_ctx c = {&t, x, z, l2, b, 0, gamma > 0 ? gamma / b : 0.0};
    uint64_t pat;
    memcpy(t.G.params, g0, sizeof(float) * ng);
    memcpy(t.D.params, d0, sizeof(float) * nd);
    double ld = step_loss(&c, &pat);
    CHECK_CLOSE(st.loss_d + (gamma > 0 ? st.r1 : 0.0), ld, 1e-6, 1e-5);
    CHECK((cond_d & GAN_COND_ACGAN) ? st.ac > 0 : st.ac == 0);
    int checked = 0, skipped = 0;
    check_grad("D-step grad", t.D.params, nd, dg, step_loss, &c, &checked, &skipped);
    c.which = 1;
    memcpy(t.D.params, d1, sizeof(float) * nd);
    CHECK_CLOSE(st.loss_g, step_loss(&c, &pat), 1e-6, 1e-5);
    check_grad("G-step grad", t.G.params, ng, gg, step_loss, &c, &checked, &skipped);
    CHECK_MSG(checked > 9 * (checked + skipped) / 10, "cond-d %u, cond-g %d: checked %d, skipped "
              "%d", cond_d, cond_g, checked, skipped);
    gan_trainer_free(&t);
}

/* ---- whole epochs: threads, the labels drawn, resume ---- */
enum { N = 52, TB = 8, TP = 24 }; /* 7 steps an epoch, the last of 4 rows */
static gan_dataset data;

static void make_data(void)
{
    static uint8_t px[N * TP], labels[N];
    test_tiny_set(&data, px, labels, N, 6, 4, K);
}

static void config(gan_config *cfg, int threads)
{
    gan_config_default(cfg);
    cfg->z_dim = ZD, cfg->hidden = 12, cfg->batch = TB, cfg->grid = 2, cfg->threads = threads;
    cfg->seed = 5;
    cfg->conditional = 1, cfg->classes = K, cfg->class_names = "zero\nun\ndeux";
    cfg->cond_d = GAN_COND_CONCAT | GAN_COND_PROJECTION | GAN_COND_ACGAN;
    cfg->cond_g = GAN_COND_G_ALL;
    cfg->r1_every = 2;
}

static void make(gan_trainer *t, const gan_config *cfg)
{
    gan_err err = {""};
    CHECK_MSG(gan_trainer_init(t, cfg, TP, N, &err) == 0, "%s", err.msg);
}

static void test_threads(void)
{
    gan_trainer t[3];
    gan_epoch_stats es[3];
    test_run_threads(t, es, config, TP, &data, 2);
    for (int k = 1; k < 3; k++)
        CHECK(memcmp(t[0].lab, t[k].lab, 2 * TB) == 0);
    /* the last step's rows: their real labels, and fake ones below K */
    for (int i = 0; i < 4; i++)
        CHECK(t[0].lab[i] == data.labels[t[0].perm[48 + i]] && t[0].lab[4 + i] < K);
    /* the grid: a row per class, a column per fixed noise vector */
    int n = gan_trainer_grid(&t[1]);
    CHECK(n == K * 2 && t[1].grid_rows == K);
    float ref[TP];
    memcpy(t[1].Gema.labels, (uint8_t[]){2}, 1);
    gan_mlp_forward(&t[1].Gema, ref, t[1].fixed_z + ZD, 1, &GAN_SOLO);
    CHECK(memcmp(ref, t[1].samples + (size_t)5 * TP, sizeof ref) == 0); /* row 2, column 1 */
    for (int k = 0; k < 3; k++)
        gan_trainer_free(&t[k]);
}

static void test_resume(void)
{
    char dir[] = "/tmp/test_cond_XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/c.gan", dir);
    gan_config cfg;
    config(&cfg, 2);
    gan_trainer a, b, c;
    make(&a, &cfg);
    make(&b, &cfg);
    gan_epoch_stats ea, eb;
    for (int e = 0; e < 2; e++)
        CHECK(gan_trainer_epoch(&a, &data, &ea) == GAN_EPOCH_DONE);
    gan_ckpt_info in;
    unsigned char *buf;
    size_t size;
    test_interrupt_save(&b, &data, 3, &cfg, path, &in, &buf, &size);
    CHECK(in.version == GAN_CKPT_VERSION && in.classes == K && in.cond_d == 7 &&
          in.cond_g == 1 && in.ac_weight == 1.0 && in.names_len == 16 && in.body == 336);
    gan_config back;
    test_restore(&c, &back, &in, buf, path, TP);
    CHECK(back.conditional && back.classes == K && back.cond_d == 7 && back.cond_g == 1 &&
          strcmp(back.class_names, "zero\nun\ndeux") == 0);
    gan_err err = {""};
    CHECK(gan_trainer_epoch(&c, &data, &eb) == GAN_EPOCH_DONE);
    CHECK(gan_trainer_epoch(&c, &data, &eb) == GAN_EPOCH_DONE);
    CHECK(c.epoch == a.epoch && c.step == a.step);
    CHECK(memcmp(a.G.params, c.G.params, 4 * a.G.nparams) == 0);
    CHECK(memcmp(a.D.params, c.D.params, 4 * a.D.nparams) == 0);
    CHECK(memcmp(a.Gema.params, c.Gema.params, 4 * a.Gema.nparams) == 0);
    /* the generator and discriminator of the file are the trainer's */
    gan_mlp g;
    CHECK(gan_checkpoint_generator(&in, buf, 4, 0, &g, &err) == 0);
    CHECK(g.cond.classes == K && g.cond.cbias == 7 && g.nparams == b.Gema.nparams &&
          memcmp(g.params, b.Gema.params, 4 * g.nparams) == 0);
    gan_mlp_free(&g);
    CHECK(gan_checkpoint_discriminator(&in, buf, 4, &g, &err) == 0);
    CHECK(g.dims[3] == 1 + K && g.p.proj && memcmp(g.params, b.D.params, 4 * g.nparams) == 0);
    gan_mlp_free(&g);
    /* a names block that says more names than classes, resealed: refused */
    buf[320 + 1] = '\n';
    gan_put32(buf + size - 4, (uint32_t)crc32(0L, buf, (uInt)(size - 4)));
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(buf, 1, size, f) == size && fclose(f) == 0);
    unsigned char *bad;
    CHECK(gan_checkpoint_read(path, &in, &bad, &size, &err) == -1 &&
          strstr(err.msg, "class names"));
    free(buf);
    gan_trainer_free(&a);
    gan_trainer_free(&b);
    gan_trainer_free(&c);
    unlink(path);
    rmdir(dir);
}

static void test_names(void)
{
    char buf[64];
    CHECK(gan_cond_d_parse("concat") == GAN_COND_CONCAT);
    CHECK(gan_cond_d_parse("concat+acgan") == (GAN_COND_CONCAT | GAN_COND_ACGAN));
    CHECK(gan_cond_d_parse("acgan+projection") == (GAN_COND_ACGAN | GAN_COND_PROJECTION));
    CHECK(gan_cond_d_parse("concat+concat") == 0 && gan_cond_d_parse("") == 0 &&
          gan_cond_d_parse("concat+") == 0 && gan_cond_d_parse("proj") == 0);
    CHECK(strcmp(gan_cond_d_name(7, buf, sizeof buf), "concat+projection+acgan") == 0);
    CHECK(strcmp(gan_class_name("zero\nun\ndeux", 1, buf, sizeof buf), "un") == 0);
    CHECK(strcmp(gan_class_name("zero\nun\ndeux", 3, buf, sizeof buf), "3") == 0);
    CHECK(strcmp(gan_class_name("", 4, buf, sizeof buf), "4") == 0);
    CHECK(gan_class_find("zero\nun\ndeux", "deux") == 2 && gan_class_find("zero\nun", "u") == -1);
    /* one draw per index, below the bound */
    gan_rng a, b;
    gan_rng_seed(&a, 3, 3);
    b = a;
    int seen[10] = {0};
    for (int i = 0; i < 1000; i++)
        seen[gan_rng_index(&a, 10)]++;
    gan_rng_advance(&b, 1000);
    CHECK(a.state == b.state);
    for (int k = 0; k < 10; k++)
        CHECK(seen[k] > 60 && seen[k] < 140);
}

int main(void)
{
    gan_rng_seed(&rng, 19, 0);
    for (size_t k = 0; k < sizeof FORMS / sizeof *FORMS; k++) {
        test_form(&FORMS[k], 0.2f);
        test_form(&FORMS[k], 0.0f);
        if (!FORMS[k].g)
            test_r1(&FORMS[k]);
    }
    test_step(GAN_COND_CONCAT | GAN_COND_ACGAN, GAN_COND_G_ALL, 0.0);
    test_step(GAN_COND_PROJECTION | GAN_COND_ACGAN, GAN_COND_G_INPUT, 2.0);
    test_step(GAN_COND_CONCAT, GAN_COND_G_INPUT, 1.0);
    make_data();
    test_threads();
    test_resume();
    test_names();
    TEST_MAIN_END();
}

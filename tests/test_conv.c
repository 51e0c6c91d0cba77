/*
 * test_conv.c: convolution and pooling (gan_conv.h) against independent
 * answers: a direct convolution loop in double; col2im as the adjoint of
 * im2col (<im2col x, y> = <x, col2im y>); central finite differences of
 * every gradient (the convolution is linear in each argument, so the
 * differences are exact but for float rounding); max pooling against a loop,
 * its ties, NaN and odd sizes; and, when given the fixture, PyTorch's
 * F.conv2d and F.max_pool2d with their gradients (tests/fixtures/conv.txt,
 * from scripts/make-reference.py --conv).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan_conv.h"
#include "gan_rng.h"
#include "test_util.h"

static gan_rng rng;

static float *rand_floats(size_t n, float lo, float hi)
{
    float *x = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        x[i] = gan_rng_uniform(&rng, lo, hi);
    return x;
}

/* out (B, OH, OW, OC) by the definition, in double */
static void conv_direct(double *out, const float *x, const float *w, const float *b,
                        const gan_conv2d_shape *s, int B)
{
    for (int n = 0; n < B; n++)
        for (int oy = 0; oy < s->OH; oy++)
            for (int ox = 0; ox < s->OW; ox++)
                for (int o = 0; o < s->OC; o++) {
                    double acc = b ? b[o] : 0.0;
                    for (int kh = 0; kh < s->KH; kh++)
                        for (int kw = 0; kw < s->KW; kw++) {
                            int y = oy * s->stride - s->pad + kh, xx = ox * s->stride - s->pad + kw;
                            if (y < 0 || y >= s->H || xx < 0 || xx >= s->W)
                                continue;
                            for (int c = 0; c < s->C; c++)
                                acc += (double)x[(((size_t)n * s->H + y) * s->W + xx) * s->C + c] *
                                       w[(((size_t)o * s->KH + kh) * s->KW + kw) * s->C + c];
                        }
                    out[(((size_t)n * s->OH + oy) * s->OW + ox) * s->OC + o] = acc;
                }
}

/* sum(conv(x) * r) in double, through the library's forward */
static double conv_loss(const float *x, const float *w, const float *b, const float *r,
                        const gan_conv2d_shape *s, int B, float *out, float *col)
{
    gan_conv2d_forward(out, col, x, w, b, s, B);
    double l = 0;
    for (size_t i = 0; i < (size_t)B * s->OH * s->OW * s->OC; i++)
        l += (double)out[i] * r[i];
    return l;
}

/* max |analytic - central difference| / scale over the entries of p */
static double fd_error(float *p, size_t n, const float *grad, const float *x, const float *w,
                       const float *b, const float *r, const gan_conv2d_shape *s, int B,
                       float *out, float *col)
{
    double worst = 0, eps = 0.125; /* a power of two: p +- eps is exact */
    for (size_t i = 0; i < n; i++) {
        float keep = p[i];
        p[i] = keep + (float)eps;
        double up = conv_loss(x, w, b, r, s, B, out, col);
        p[i] = keep - (float)eps;
        double down = conv_loss(x, w, b, r, s, B, out, col);
        p[i] = keep;
        double fd = (up - down) / (2 * eps), e = fabs(fd - grad[i]) / (1.0 + fabs(fd));
        worst = e > worst ? e : worst;
    }
    return worst;
}

static void test_conv_shape(int B, int H, int W, int C, int OC, int K, int stride, int pad)
{
    gan_conv2d_shape s;
    CHECK(gan_conv2d_shape_init(&s, H, W, C, OC, K, K, stride, pad) == 0);
    CHECK(s.OH == (H + 2 * pad - K) / stride + 1 && s.OW == (W + 2 * pad - K) / stride + 1);
    size_t nx = (size_t)B * H * W * C, nw = (size_t)OC * K * K * C;
    size_t no = (size_t)B * s.OH * s.OW * OC, ncol = gan_conv2d_col_size(&s, B);
    float *x = rand_floats(nx, -1, 1), *w = rand_floats(nw, -0.5f, 0.5f);
    float *b = rand_floats((size_t)OC, -0.5f, 0.5f), *r = rand_floats(no, -1, 1);
    float *out = malloc(sizeof(float) * no), *col = malloc(sizeof(float) * ncol);
    double *ref = malloc(sizeof(double) * no);
    /* forward against the definition */
    gan_conv2d_forward(out, col, x, w, b, &s, B);
    conv_direct(ref, x, w, b, &s, B);
    double worst = 0;
    for (size_t i = 0; i < no; i++) {
        double e = fabs(out[i] - ref[i]) / (1.0 + fabs(ref[i]));
        worst = e > worst ? e : worst;
    }
    CHECK_MSG(worst < 1e-5, "conv %dx%dx%d k%d s%d p%d: forward off by %g", H, W, C, K, stride,
              pad, worst);
    /* col2im is im2col's adjoint: <im2col x, y> = <x, col2im y> */
    float *y = rand_floats(ncol, -1, 1), *back = malloc(sizeof(float) * nx);
    gan_im2col(col, x, &s, B);
    gan_col2im(back, y, &s, B);
    double lhs = 0, rhs = 0;
    for (size_t i = 0; i < ncol; i++)
        lhs += (double)col[i] * y[i];
    for (size_t i = 0; i < nx; i++)
        rhs += (double)x[i] * back[i];
    CHECK_CLOSE(lhs, rhs, 1e-9, 1e-6);
    /* gradients against central differences of sum(out * r) */
    float *dx = malloc(sizeof(float) * nx), *dw = malloc(sizeof(float) * nw);
    float *db = malloc(sizeof(float) * (size_t)OC);
    gan_conv2d_forward(out, col, x, w, b, &s, B);
    gan_conv2d_backward(dx, dw, db, col, r, w, &s, B);
    double ex = fd_error(x, nx, dx, x, w, b, r, &s, B, out, col);
    double ew = fd_error(w, nw, dw, x, w, b, r, &s, B, out, col);
    double eb = fd_error(b, (size_t)OC, db, x, w, b, r, &s, B, out, col);
    CHECK_MSG(ex < 1e-4 && ew < 1e-4 && eb < 1e-4,
              "conv %dx%dx%d k%d s%d p%d: gradients off by %g (input), %g (weight), %g (bias)",
              H, W, C, K, stride, pad, ex, ew, eb);
    /* NULL gradients are skipped; dinp alone still right */
    float *dx2 = malloc(sizeof(float) * nx);
    gan_conv2d_forward(out, col, x, w, b, &s, B);
    gan_conv2d_backward(dx2, NULL, NULL, col, r, w, &s, B);
    CHECK(memcmp(dx, dx2, sizeof(float) * nx) == 0);
    free(x), free(w), free(b), free(r), free(out), free(col), free(ref), free(y), free(back);
    free(dx), free(dw), free(db), free(dx2);
}

static void test_maxpool(void)
{
    enum { B = 2, H = 5, W = 6, C = 3, OH = H / 2, OW = W / 2 };
    float x[B * H * W * C], out[B * OH * OW * C], d[B * OH * OW * C], dx[B * H * W * C];
    int32_t arg[B * OH * OW * C];
    /* distinct values, at least 1/64 apart, in a shuffled order */
    for (int i = 0; i < B * H * W * C; i++)
        x[i] = (float)((i * 37) % (B * H * W * C)) / 64.0f - 1.0f;
    gan_maxpool2_forward(out, arg, x, B, H, W, C);
    int bad = 0;
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int c = 0; c < C; c++) {
                    float m = -INFINITY;
                    for (int k = 0; k < 4; k++) {
                        float v = x[((b * H + 2 * oy + k / 2) * W + 2 * ox + k % 2) * C + c];
                        m = v > m ? v : m;
                    }
                    int o = ((b * OH + oy) * OW + ox) * C + c;
                    bad += out[o] != m || x[arg[o]] != m;
                }
    CHECK_MSG(bad == 0, "%d pooled values wrong", bad); /* row 4 (odd H) is dropped */
    for (int i = 0; i < B * OH * OW * C; i++)
        d[i] = (float)(i + 1);
    gan_maxpool2_backward(dx, d, arg, B, H, W, C);
    double sd = 0, sdx = 0;
    int nonzero = 0;
    for (int i = 0; i < B * OH * OW * C; i++)
        sd += d[i];
    for (int i = 0; i < B * H * W * C; i++) {
        sdx += dx[i];
        nonzero += dx[i] != 0.0f;
    }
    CHECK(sd == sdx && nonzero == B * OH * OW * C);
    /* the gradient by finite differences: moving a winner moves its output */
    int o = 7;
    float keep = x[arg[o]];
    x[arg[o]] = keep + 1.0f / 256;
    float out2[B * OH * OW * C];
    int32_t arg2[B * OH * OW * C];
    gan_maxpool2_forward(out2, arg2, x, B, H, W, C);
    x[arg[o]] = keep;
    CHECK(out2[o] - out[o] == 1.0f / 256 && dx[arg[o]] == d[o]);
    /* ties: the first of the window; a NaN wins */
    float t[1 * 2 * 2 * 1] = {3.0f, 3.0f, 3.0f, 2.0f}, to;
    int32_t ta;
    gan_maxpool2_forward(&to, &ta, t, 1, 2, 2, 1);
    CHECK(to == 3.0f && ta == 0);
    t[2] = NAN;
    gan_maxpool2_forward(&to, &ta, t, 1, 2, 2, 1);
    CHECK(isnan(to) && ta == 2);
}

static void test_shapes(void)
{
    gan_conv2d_shape s;
    CHECK(gan_conv2d_shape_init(&s, 28, 28, 1, 32, 5, 5, 1, 2) == 0 && s.OH == 28 && s.OW == 28);
    CHECK(gan_conv2d_shape_init(&s, 28, 28, 3, 8, 5, 5, 1, 0) == 0 && s.OH == 24);
    CHECK(gan_conv2d_col_size(&s, 2) == (size_t)2 * 24 * 24 * 5 * 5 * 3);
    CHECK(gan_conv2d_shape_init(&s, 4, 4, 1, 1, 5, 5, 1, 0) == -1); /* kernel larger than input */
    CHECK(gan_conv2d_shape_init(&s, 4, 4, 1, 1, 3, 3, 0, 0) == -1); /* stride 0 */
    CHECK(gan_conv2d_shape_init(&s, 4, 4, 1, 1, 3, 3, 1, 3) == -1); /* padding >= kernel */
}

/* ---- the PyTorch fixture (scripts/make-reference.py --conv) ---- */

/* Looks up `name` among the arrays read. */
typedef struct {
    char key[32];
    float *v;
    size_t n;
} fx_entry;

static const fx_entry *fx_get(const fx_entry *e, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(e[i].key, name) == 0)
            return &e[i];
    return NULL;
}


/* One case: its header "conv B H W C OC K stride pad" or "pool B H W C" and
 * the arrays x, w, b, r, out, dx, dw, db (NHWC, weights OHWI, as written). */
static void fixture_case(const fx_entry *e, int n)
{
    const fx_entry *h = &e[0];
    int is_conv = strcmp(h->key, "conv") == 0;
    const fx_entry *x = fx_get(e, n, "x"), *r = fx_get(e, n, "r"), *out = fx_get(e, n, "out"),
                   *dx = fx_get(e, n, "dx");
    CHECK(x && r && out && dx);
    if (!x || !r || !out || !dx)
        return;
    int B = (int)h->v[0], H = (int)h->v[1], W = (int)h->v[2], C = (int)h->v[3];
    float *o = malloc(sizeof(float) * out->n), *g = malloc(sizeof(float) * x->n);
    if (is_conv) {
        gan_conv2d_shape s;
        CHECK(gan_conv2d_shape_init(&s, H, W, C, (int)h->v[4], (int)h->v[5], (int)h->v[5],
                                    (int)h->v[6], (int)h->v[7]) == 0);
        const fx_entry *w = fx_get(e, n, "w"), *b = fx_get(e, n, "b"), *dw = fx_get(e, n, "dw"),
                       *db = fx_get(e, n, "db");
        CHECK(w && b && dw && db && out->n == (size_t)B * s.OH * s.OW * s.OC);
        float *col = malloc(sizeof(float) * gan_conv2d_col_size(&s, B));
        float *gw = malloc(sizeof(float) * w->n), *gb = malloc(sizeof(float) * b->n);
        gan_conv2d_forward(o, col, x->v, w->v, b->v, &s, B);
        gan_conv2d_backward(g, gw, gb, col, r->v, w->v, &s, B);
        double eo = test_max_rel(o, out->v, out->n), ex = test_max_rel(g, dx->v, dx->n),
               ew = test_max_rel(gw, dw->v, dw->n), eb = test_max_rel(gb, db->v, db->n);
        CHECK_MSG(eo < 1e-5 && ex < 1e-5 && ew < 1e-5 && eb < 1e-5,
                  "conv %dx%dx%d k%d s%d p%d against PyTorch: out %g, dx %g, dw %g, db %g", H, W,
                  C, (int)h->v[5], (int)h->v[6], (int)h->v[7], eo, ex, ew, eb);
        free(col), free(gw), free(gb);
    } else {
        int32_t *arg = malloc(sizeof(int32_t) * out->n);
        CHECK(out->n == (size_t)B * (H / 2) * (W / 2) * C);
        gan_maxpool2_forward(o, arg, x->v, B, H, W, C);
        gan_maxpool2_backward(g, r->v, arg, B, H, W, C);
        CHECK_MSG(memcmp(o, out->v, sizeof(float) * out->n) == 0 &&
                  memcmp(g, dx->v, sizeof(float) * dx->n) == 0,
                  "max pool %dx%dx%d against PyTorch", H, W, C);
        free(arg);
    }
    free(o), free(g);
}

static int test_fixture(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return -1;
    }
    fx_entry e[16];
    int n = 0, cases = 0;
    char key[32];
    float *v;
    size_t cnt;
    for (;;) {
        char *k = test_read_floats(f, key, sizeof key, &v, &cnt);
        int end = k && strcmp(key, "cnn") == 0; /* test_cnn's part of the file */
        if (end)
            free(v);
        if (!k || end || strcmp(key, "conv") == 0 || strcmp(key, "pool") == 0) {
            if (n > 0) {
                fixture_case(e, n);
                cases++;
            }
            for (int i = 0; i < n; i++)
                free(e[i].v);
            n = 0;
        }
        if (!k || end)
            break;
        if (n < 16) {
            snprintf(e[n].key, sizeof e[n].key, "%s", key);
            e[n].v = v;
            e[n++].n = cnt;
        } else {
            free(v);
        }
    }
    fclose(f);
    CHECK_MSG(cases >= 4, "%s: %d cases", path, cases);
    return 0;
}

int main(int argc, char **argv)
{
    gan_rng_seed(&rng, 2024, 11);
    test_shapes();
    test_conv_shape(2, 6, 5, 2, 3, 3, 1, 1);  /* same size out */
    test_conv_shape(2, 7, 6, 3, 4, 3, 2, 0);  /* stride 2, no padding */
    test_conv_shape(1, 8, 8, 1, 2, 5, 1, 2);  /* 5 x 5, padding 2 (the classifier's) */
    test_conv_shape(3, 5, 5, 2, 1, 1, 1, 0);  /* 1 x 1 */
    test_conv_shape(1, 4, 9, 3, 2, 3, 3, 2);  /* stride 3, wide */
    test_maxpool();
    if (argc > 1 && test_fixture(argv[1]) != 0)
        return 1;
    TEST_MAIN_END();
}

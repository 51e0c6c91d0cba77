/* model.c: the MLP of gan_model.h, composed from the layer library. */
#include "gan_model.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void point_view(gan_mlp_view *v, float *base, const int *dims, const gan_cond *c)
{
    for (int l = 0; l < 3; l++) {
        v->w[l] = base;
        base += (size_t)dims[l + 1] * dims[l];
        v->b[l] = base;
        base += dims[l + 1];
    }
    for (int l = 0; l < 3; l++) {
        v->cb[l] = c->cbias >> l & 1u ? base : NULL;
        base += c->cbias >> l & 1u ? (size_t)c->classes * dims[l + 1] : 0;
    }
    v->proj = c->project ? base : NULL;
}

int gan_mlp_init(gan_mlp *m, int in, int h1, int h2, int out, float slope,
                 gan_act out_act, int cap, gan_err *err)
{
    return gan_mlp_init_cond(m, in, h1, h2, out, slope, out_act, cap, NULL, err);
}

int gan_mlp_init_cond(gan_mlp *m, int in, int h1, int h2, int out, float slope,
                      gan_act out_act, int cap, const gan_cond *cond, gan_err *err)
{
    memset(m, 0, sizeof *m);
    if (cond && cond->classes > 0)
        m->cond = *cond;
    const int K = m->cond.classes;
    assert(K <= 256 && (K > 0 || (!m->cond.cbias && !m->cond.project && !m->cond.aux)));
    m->dims[0] = in;
    m->dims[1] = h1;
    m->dims[2] = h2;
    m->dims[3] = out + (m->cond.aux ? K : 0);
    m->nact = out;
    m->slope = slope;
    m->out_act = out_act;
    m->cap = cap;
    size_t n = gan_mlp_param_count(in, h1, h2, out, &m->cond);
    m->nparams = n;
    /* 64-byte aligned, so the pool's slices of whole lines never share one */
    size_t bytes = (4 * n * sizeof(float) + 63) & ~(size_t)63;
    m->block = aligned_alloc(64, bytes);
    if (m->block)
        memset(m->block, 0, bytes);
    m->work = malloc(sizeof(float) * (size_t)cap * 2 * ((size_t)h1 + h2));
    m->labels = K > 0 ? calloc((size_t)cap, 1) : NULL;
    if (!m->block || !m->work || (K > 0 && !m->labels)) {
        gan_mlp_free(m);
        return gan_err_set(err, "out of memory for a %d-%d-%d-%d model", in, h1, h2, out);
    }
    m->params = m->block;
    m->grads = m->block + n;
    m->adam_m = m->block + 2 * n;
    m->adam_v = m->block + 3 * n;
    point_view(&m->p, m->params, m->dims, &m->cond);
    point_view(&m->g, m->grads, m->dims, &m->cond);
    m->a1 = m->work;
    m->a2 = m->a1 + (size_t)cap * h1;
    m->d1 = m->a2 + (size_t)cap * h2;
    m->d2 = m->d1 + (size_t)cap * h1;
    return 0;
}

void gan_mlp_free(gan_mlp *m)
{
    free(m->block);
    free(m->work);
    free(m->labels);
    memset(m, 0, sizeof *m);
}

size_t gan_mlp_operand_max(const gan_mlp *m)
{
    size_t most = 0;
    for (int l = 0; l < 3; l++) {
        size_t in = (size_t)m->cap * m->dims[l], out = (size_t)m->cap * m->dims[l + 1];
        size_t w = (size_t)m->dims[l] * m->dims[l + 1];
        most = in > most ? in : most;
        most = out > most ? out : most;
        most = w > most ? w : most;
    }
    return most;
}

/* The products of gan_layers.h's column cuts, in fp32 or, with m->bf16, in
 * bfloat16 on the scratch of the team's part: the one place that chooses. */
static void mm_forward(const gan_mlp *m, const gan_team *team, float *out, const float *inp,
                       const float *weight, int B, int C, int OC, int lo, int hi)
{
    if (m->bf16)
        gan_bf16_forward_cols(m->bf16, team->part, out, inp, weight, B, C, OC, lo, hi);
    else
        gan_linear_forward_cols(out, inp, weight, B, C, OC, lo, hi);
}

static void mm_input(const gan_mlp *m, const gan_team *team, float *dinp, const float *dout,
                     const float *weight, int B, int C, int OC, int lo, int hi)
{
    if (m->bf16)
        gan_bf16_backward_input_cols(m->bf16, team->part, dinp, dout, weight, B, C, OC, lo, hi);
    else
        gan_linear_backward_input_cols(dinp, dout, weight, B, C, OC, lo, hi);
}

static void mm_weight(const gan_mlp *m, const gan_team *team, float *dweight, const float *dout,
                      const float *inp, int B, int C, int OC, int lo, int hi, float beta)
{
    if (m->bf16)
        gan_bf16_backward_weight_rows(m->bf16, team->part, dweight, dout, inp, B, C, OC, lo, hi,
                                      beta);
    else
        gan_linear_backward_weight_rows(dweight, dout, inp, B, C, OC, lo, hi, beta);
}

static void fill_uniform(float *x, size_t n, float bound, gan_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i] = gan_rng_uniform(rng, -bound, bound);
}

void gan_mlp_reset(gan_mlp *m, gan_rng *rng)
{
    const int K = m->cond.classes;
    for (int l = 0; l < 3; l++) {
        if (!m->p.cb[l]) {
            gan_linear_init(m->p.w[l], m->p.b[l], m->dims[l], m->dims[l + 1], rng);
            continue;
        }
        /* nn.Linear(IN + K, OUT)'s bound over all of it */
        float bound = 1.0f / sqrtf((float)(m->dims[l] + K));
        fill_uniform(m->p.w[l], (size_t)m->dims[l + 1] * m->dims[l], bound, rng);
        fill_uniform(m->p.b[l], (size_t)m->dims[l + 1], bound, rng);
    }
    for (int l = 0; l < 3; l++)
        if (m->p.cb[l])
            fill_uniform(m->p.cb[l], (size_t)K * m->dims[l + 1],
                         1.0f / sqrtf((float)(m->dims[l] + K)), rng);
    if (m->p.proj)
        fill_uniform(m->p.proj, (size_t)K * m->dims[2], 1.0f / sqrtf((float)m->dims[2]), rng);
    memset(m->adam_m, 0, sizeof(float) * 2 * m->nparams);
    m->adam_t = 0;
}

static void cols(const gan_team *team, int n, int *lo, int *hi)
{
    size_t a, b;
    gan_team_range(team, (size_t)n, GAN_COL_ALIGN, &a, &b);
    *lo = (int)a;
    *hi = (int)b;
}

void gan_mlp_forward(gan_mlp *m, float *out, const float *inp, int B, const gan_team *team)
{
    gan_mlp_forward_rows(m, out, inp, 0, B, team);
}

/* Layer l's conditional terms over its columns [lo, hi) of rows lab[0, B):
 * the class bias, and at the last layer the projection E[y] . h (h (B, H2))
 * on output 0. */
static void cond_forward(const gan_mlp *m, int l, float *y, const float *h, const uint8_t *lab,
                         int B, int lo, int hi)
{
    const int OC = m->dims[l + 1], H2 = m->dims[2];
    const float *cb = m->p.cb[l];
    if (cb)
        for (int i = 0; i < B; i++) {
            float *yr = y + (size_t)i * OC;
            const float *c = cb + (size_t)lab[i] * OC;
            for (int j = lo; j < hi; j++)
                yr[j] += c[j];
        }
    if (l == 2 && m->p.proj && lo == 0 && hi > 0)
        for (int i = 0; i < B; i++) {
            const float *e = m->p.proj + (size_t)lab[i] * H2, *hr = h + (size_t)i * H2;
            float s = 0.0f;
            for (int j = 0; j < H2; j++)
                s += e[j] * hr[j];
            y[(size_t)i * OC] += s;
        }
}

/* The output layer's columns [lo, hi): bias and out_act on the outputs below
 * nact, bias alone on the auxiliary logits past them; forward, or backward
 * (activation derivative and bias gradient into dbias unless NULL). */
static void out_pass(const gan_mlp *m, float *x, float *dbias, const float *y, int B, int lo,
                     int hi, int backward)
{
    const int OC = m->dims[3], na = m->nact;
    const int split = hi < na ? hi : na, rest = lo > na ? lo : na;
    if (!backward) {
        if (lo < split)
            gan_bias_act_forward(x, m->p.b[2], B, OC, lo, split, m->out_act, m->slope);
        if (rest < hi)
            gan_bias_act_forward(x, m->p.b[2], B, OC, rest, hi, GAN_ACT_NONE, m->slope);
        return;
    }
    if (lo < split)
        gan_act_bias_backward(x, dbias, y, B, OC, lo, split, m->out_act, m->slope);
    if (rest < hi)
        gan_act_bias_backward(x, dbias, y, B, OC, rest, hi, GAN_ACT_NONE, m->slope);
}

void gan_mlp_forward_rows(gan_mlp *m, float *out, const float *inp, int row0, int B,
                          const gan_team *team)
{
    assert(B >= 1 && row0 >= 0 && row0 + B <= m->cap);
    const int *d = m->dims;
    float *a1 = m->a1 + (size_t)row0 * d[1], *a2 = m->a2 + (size_t)row0 * d[2];
    const float *in[3] = {inp, a1, a2};
    const uint8_t *lab = m->labels ? m->labels + row0 : NULL;
    float *y[3] = {a1, a2, out};
    for (int l = 0; l < 3; l++) {
        int lo, hi;
        gan_team_barrier(team); /* the layer's input is complete */
        cols(team, d[l + 1], &lo, &hi);
        mm_forward(m, team, y[l], in[l], m->p.w[l], B, d[l], d[l + 1], lo, hi);
        if (lab)
            cond_forward(m, l, y[l], in[l], lab, B, lo, hi);
        if (l < 2)
            gan_bias_act_forward(y[l], m->p.b[l], B, d[l + 1], lo, hi, GAN_ACT_LEAKY, m->slope);
        else
            out_pass(m, y[l], NULL, NULL, B, lo, hi, 0);
    }
    gan_team_barrier(team);
}

/* dcb (K, OC) columns [lo, hi) = the sums of d's rows (B, OC) by class */
static void class_sums(float *dcb, const float *d, const uint8_t *lab, int K, int B, int OC,
                       int lo, int hi)
{
    for (int c = 0; c < K; c++)
        for (int j = lo; j < hi; j++)
            dcb[(size_t)c * OC + j] = 0.0f;
    for (int i = 0; i < B; i++) {
        float *g = dcb + (size_t)lab[i] * OC;
        const float *dr = d + (size_t)i * OC;
        for (int j = lo; j < hi; j++)
            g[j] += dr[j];
    }
}

/* The projection's backward over H2 columns [lo, hi), from the logit's
 * gradient dl_i = dout[i, 0]: dh (B, H2) += dl_i E[y_i] (unless NULL), and
 * with param_grads dE[c] = sum over rows of class c of dl_i h_i. */
static void proj_backward(gan_mlp *m, float *dh, const float *dout, int B, int param_grads,
                          int lo, int hi)
{
    const int H2 = m->dims[2], OC = m->dims[3];
    const uint8_t *lab = m->labels;
    if (dh)
        for (int i = 0; i < B; i++) {
            const float dl = dout[(size_t)i * OC], *e = m->p.proj + (size_t)lab[i] * H2;
            float *r = dh + (size_t)i * H2;
            for (int j = lo; j < hi; j++)
                r[j] += dl * e[j];
        }
    if (!param_grads)
        return;
    for (int c = 0; c < m->cond.classes; c++)
        for (int j = lo; j < hi; j++)
            m->g.proj[(size_t)c * H2 + j] = 0.0f;
    for (int i = 0; i < B; i++) {
        const float dl = dout[(size_t)i * OC], *h = m->a2 + (size_t)i * H2;
        float *g = m->g.proj + (size_t)lab[i] * H2;
        for (int j = lo; j < hi; j++)
            g[j] += dl * h[j];
    }
}

void gan_mlp_backward(gan_mlp *m, float *dinp, float *dout, const float *out, const float *inp,
                      int B, int param_grads, const gan_team *team)
{
    assert(B >= 1 && B <= m->cap);
    const int *d = m->dims;
    const float *in[3] = {inp, m->a1, m->a2};
    const float *y[3] = {m->a1, m->a2, out};
    float *dcur[3] = {m->d1, m->d2, dout};
    gan_team_barrier(team); /* dout is complete */
    for (int l = 2; l >= 0; l--) {
        int lo, hi;
        /* this thread's columns of the layer's output gradient: activation
         * derivative, bias gradient, and the matching rows of dW */
        cols(team, d[l + 1], &lo, &hi);
        float *dbias = param_grads ? m->g.b[l] : NULL;
        if (l < 2)
            gan_act_bias_backward(dcur[l], dbias, y[l], B, d[l + 1], lo, hi, GAN_ACT_LEAKY,
                                  m->slope);
        else
            out_pass(m, dcur[l], dbias, y[l], B, lo, hi, 1);
        if (param_grads && m->g.cb[l])
            class_sums(m->g.cb[l], dcur[l], m->labels, m->cond.classes, B, d[l + 1], lo, hi);
        if (param_grads)
            mm_weight(m, team, m->g.w[l], dcur[l], in[l], B, d[l], d[l + 1], lo, hi, 0.0f);
        float *target = l > 0 ? dcur[l - 1] : dinp;
        if (!target && !(l == 2 && m->p.proj))
            continue;
        /* the input gradient needs every column of dcur[l]; its own columns
         * are then the next layer's output columns of this thread */
        gan_team_barrier(team);
        cols(team, d[l], &lo, &hi);
        if (target)
            mm_input(m, team, target, dcur[l], m->p.w[l], B, d[l], d[l + 1], lo, hi);
        if (l == 2 && m->p.proj)
            proj_backward(m, target, dcur[l], B, param_grads, lo, hi);
    }
    gan_team_barrier(team);
}

/* Flushes the parameter lines outside [lo, hi) from every cache (CLFLUSHOPT):
 * both parts read every weight matrix in a step, so the other part holds
 * copies of the lines this part's Adam is about to write, and where the two
 * CPUs are far apart, taking each back costs far more than fetching it from
 * memory (README: "The 2-thread Adam anomaly"). */
static void flush_others(const gan_mlp *m, size_t lo, size_t hi)
{
#if defined(__x86_64__)
    for (size_t i = 0; i < m->nparams; i += 16) /* 16 floats: a 64-byte line */
        if (i + 16 <= lo || i >= hi)
            __asm__ volatile("clflushopt %0" : "+m"(*(volatile char *)(m->params + i)));
    __asm__ volatile("sfence" ::: "memory");
#else
    (void)m, (void)lo, (void)hi;
#endif
}

void gan_mlp_adam(gan_mlp *m, const gan_adam_cfg *cfg, const gan_team *team)
{
    size_t lo, hi;
    gan_team_range(team, m->nparams, 16, &lo, &hi);
    if (m->flush_shared && team->nparts == 2) {
        flush_others(m, lo, hi);
        gan_team_barrier(team);
    }
    if (lo < hi)
        gan_adam_step(m->params + lo, m->grads + lo, m->adam_m + lo, m->adam_v + lo, hi - lo,
                      m->adam_t + 1, cfg);
    gan_team_barrier(team);
    if (team->part == 0)
        m->adam_t++;
    gan_team_barrier(team);
}

/* x[:, lo:hi] (B, n) *= coef * act'(y[:, lo:hi]): LeakyReLU's derivative from its output */
static void scale_by_mask(float *x, const float *y, int B, int n, int lo, int hi, float slope,
                          float coef)
{
    float on = coef, off = coef * slope;
    for (int i = 0; i < B; i++) {
        float *xr = x + (size_t)i * n;
        const float *yr = y + (size_t)i * n;
        for (int j = lo; j < hi; j++)
            xr[j] *= yr[j] > 0.0f ? on : off;
    }
}

/* u2 = m2 * w3, u1 = m1 * (u2 @ W2), g (B, IN) = u1 @ W1: the input gradient of
 * the logit at rows [0, B) of the last forward (gan_mlp_r1_backward's terms). */
static void logit_input_grad(gan_mlp *m, float *g, int B, const gan_team *team)
{
    const int *d = m->dims;
    const int IN = d[0], H1 = d[1], H2 = d[2];
    float *u1 = m->d1, *u2 = m->d2;
    const float *w3 = m->p.w[2]; /* (1, H2) */
    int lo, hi;
    gan_team_barrier(team); /* the forward, and any backward using d1/d2, are done */
    cols(team, H2, &lo, &hi);
    for (int i = 0; i < B; i++) {
        const float *y = m->a2 + (size_t)i * H2;
        float *u = u2 + (size_t)i * H2;
        if (m->p.proj) { /* output 0's weights are w3 + E[y_i] */
            const float *e = m->p.proj + (size_t)m->labels[i] * H2;
            for (int j = lo; j < hi; j++)
                u[j] = (w3[j] + e[j]) * (y[j] > 0.0f ? 1.0f : m->slope);
        } else {
            for (int j = lo; j < hi; j++)
                u[j] = w3[j] * (y[j] > 0.0f ? 1.0f : m->slope);
        }
    }
    gan_team_barrier(team);
    cols(team, H1, &lo, &hi);
    mm_input(m, team, u1, u2, m->p.w[1], B, H1, H2, lo, hi);
    scale_by_mask(u1, m->a1, B, H1, lo, hi, m->slope, 1.0f);
    gan_team_barrier(team);
    cols(team, IN, &lo, &hi);
    mm_input(m, team, g, u1, m->p.w[0], B, IN, H1, lo, hi);
}

/* The weight gradients of a penalty whose gradient with respect to g is
 * coef * psi (psi (B, IN): g itself for R1), added to m->grads:
 *   s1 (B, H1) = coef m1 * (psi @ W1^T);  dW1 += (coef u1)^T @ psi
 *   t2 (B, H2) = s1 @ W2^T;  dW2 += u2^T @ s1;  dw3 += column sums of m2 * t2 */
static void penalty_weight_grads(gan_mlp *m, const float *psi, int B, float coef,
                                 const gan_team *team)
{
    const int *d = m->dims;
    const int IN = d[0], H1 = d[1], H2 = d[2];
    float *u1 = m->d1, *s1 = m->d1 + (size_t)B * H1; /* (B, H1) each */
    float *u2 = m->d2, *t2 = m->d2 + (size_t)B * H2; /* (B, H2) each */
    int lo, hi;
    gan_team_barrier(team);
    cols(team, H1, &lo, &hi);
    mm_forward(m, team, s1, psi, m->p.w[0], B, IN, H1, lo, hi);
    scale_by_mask(s1, m->a1, B, H1, lo, hi, m->slope, coef);
    scale_by_mask(u1, m->a1, B, H1, lo, hi, 1.0f, coef); /* slope 1: a plain scaling */
    mm_weight(m, team, m->g.w[0], u1, psi, B, IN, H1, lo, hi, 1.0f);
    gan_team_barrier(team);
    cols(team, H2, &lo, &hi);
    mm_forward(m, team, t2, s1, m->p.w[1], B, H1, H2, lo, hi);
    mm_weight(m, team, m->g.w[1], u2, s1, B, H1, H2, lo, hi, 1.0f);
    float *dw3 = m->g.w[2];
    for (int i = 0; i < B; i++) {
        const float *y = m->a2 + (size_t)i * H2, *t = t2 + (size_t)i * H2;
        for (int j = lo; j < hi; j++)
            dw3[j] += t[j] * (y[j] > 0.0f ? 1.0f : m->slope);
    }
    if (m->p.proj) /* E[y_i] stands beside w3 in row i's logit: the same term */
        for (int i = 0; i < B; i++) {
            const float *y = m->a2 + (size_t)i * H2, *t = t2 + (size_t)i * H2;
            float *de = m->g.proj + (size_t)m->labels[i] * H2;
            for (int j = lo; j < hi; j++)
                de[j] += t[j] * (y[j] > 0.0f ? 1.0f : m->slope);
        }
    gan_team_barrier(team);
}

double gan_mlp_r1_backward(gan_mlp *m, float *g, int B, float coef, double *part_sums,
                           const gan_team *team)
{
    assert(B >= 1 && 2 * B <= m->cap && m->nact == 1);
    const int IN = m->dims[0];
    int lo, hi;
    logit_input_grad(m, g, B, team);
    /* this thread's part of sum |g|^2 */
    cols(team, IN, &lo, &hi);
    double sq = 0.0;
    for (int i = 0; i < B; i++) {
        const float *gr = g + (size_t)i * IN;
        for (int j = lo; j < hi; j++)
            sq += (double)gr[j] * gr[j];
    }
    part_sums[team->part] = sq;
    penalty_weight_grads(m, g, B, coef, team);
    double total = 0.0;
    for (int p = 0; p < team->nparts; p++)
        total += part_sums[p];
    return total;
}

double gan_mlp_gp_backward(gan_mlp *m, float *g, int B, double lambda, double *row_sq,
                           float *row_coef, const gan_team *team)
{
    assert(B >= 1 && 2 * B <= m->cap && m->nact == 1);
    const int IN = m->dims[0];
    size_t rlo, rhi;
    int lo, hi;
    logit_input_grad(m, g, B, team);
    gan_team_barrier(team); /* g is complete */
    /* each row's |g_i|^2 whole, by one thread, in column order: the same bits
     * on any number of threads; dR/dg_i = 2 lambda / B (|g_i| - 1) g_i / |g_i| */
    gan_team_range(team, (size_t)B, 1, &rlo, &rhi);
    for (size_t i = rlo; i < rhi; i++) {
        const float *gr = g + i * IN;
        double sq = 0.0;
        for (int j = 0; j < IN; j++)
            sq += (double)gr[j] * gr[j];
        double n = sqrt(sq);
        row_sq[i] = sq;
        row_coef[i] = n > 0.0 ? (float)(2.0 * lambda / B * (n - 1.0) / n) : 0.0f;
    }
    gan_team_barrier(team);
    /* every thread sums the rows in the same order: the same penalty */
    double pen = 0.0;
    for (int i = 0; i < B; i++) {
        double n = sqrt(row_sq[i]);
        pen += (n - 1.0) * (n - 1.0);
    }
    cols(team, IN, &lo, &hi);
    /* psi = the rows of g scaled by their coefficients, in place */
    for (int i = 0; i < B; i++) {
        float *gr = g + (size_t)i * IN;
        for (int j = lo; j < hi; j++)
            gr[j] *= row_coef[i];
    }
    penalty_weight_grads(m, g, B, 1.0f, team);
    return lambda / B * pen;
}

int gan_mlp_layout(int in, int h1, int h2, int out, const gan_cond *cond, size_t *sizes,
                   const char **names)
{
    static const char *const cb_names[3] = {"main.0.weight's class columns",
                                            "main.2.weight's class columns",
                                            "main.4.weight's class columns"};
    gan_cond none = {0, 0, 0, 0};
    const gan_cond *c = cond && cond->classes > 0 ? cond : &none;
    const size_t K = (size_t)c->classes;
    const size_t d[4] = {(size_t)in, (size_t)h1, (size_t)h2, (size_t)out + (c->aux ? K : 0)};
    int n = 0;
    for (int l = 0; l < 3; l++) {
        names[n] = gan_mlp_tensor_name(2 * l);
        sizes[n++] = d[l + 1] * d[l];
        names[n] = gan_mlp_tensor_name(2 * l + 1);
        sizes[n++] = d[l + 1];
    }
    for (int l = 0; l < 3; l++)
        if (c->cbias >> l & 1u) {
            names[n] = cb_names[l];
            sizes[n++] = K * d[l + 1];
        }
    if (c->project) {
        names[n] = "embed.weight";
        sizes[n++] = K * d[2];
    }
    return n;
}

size_t gan_mlp_param_count(int in, int h1, int h2, int out, const gan_cond *cond)
{
    size_t sizes[GAN_MLP_MAX_TENSORS], total = 0;
    const char *names[GAN_MLP_MAX_TENSORS];
    int n = gan_mlp_layout(in, h1, h2, out, cond, sizes, names);
    for (int k = 0; k < n; k++)
        total += sizes[k];
    return total;
}

const char *gan_mlp_tensor_name(int k)
{
    static const char *const names[6] = {"main.0.weight", "main.0.bias", "main.2.weight",
                                         "main.2.bias",   "main.4.weight", "main.4.bias"};
    assert(k >= 0 && k < 6);
    return names[k];
}

/* model.c: the MLP of gan_model.h, composed from the layer library. */
#include "gan_model.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static void point_view(gan_mlp_view *v, float *base, const int *dims)
{
    for (int l = 0; l < 3; l++) {
        v->w[l] = base;
        base += (size_t)dims[l + 1] * dims[l];
        v->b[l] = base;
        base += dims[l + 1];
    }
}

int gan_mlp_init(gan_mlp *m, int in, int h1, int h2, int out, float slope,
                 gan_out_act out_act, int cap, gan_err *err)
{
    memset(m, 0, sizeof *m);
    m->dims[0] = in;
    m->dims[1] = h1;
    m->dims[2] = h2;
    m->dims[3] = out;
    m->slope = slope;
    m->out_act = out_act;
    m->cap = cap;
    size_t n = 0;
    for (int l = 0; l < 3; l++)
        n += (size_t)m->dims[l + 1] * m->dims[l] + m->dims[l + 1];
    m->nparams = n;
    m->block = calloc(4 * n, sizeof(float));
    m->work = malloc(sizeof(float) * (size_t)cap * 2 * ((size_t)h1 + h2));
    if (!m->block || !m->work) {
        gan_mlp_free(m);
        return gan_err_set(err, "out of memory for a %d-%d-%d-%d model", in, h1, h2, out);
    }
    m->params = m->block;
    m->grads = m->block + n;
    m->adam_m = m->block + 2 * n;
    m->adam_v = m->block + 3 * n;
    point_view(&m->p, m->params, m->dims);
    point_view(&m->g, m->grads, m->dims);
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
    memset(m, 0, sizeof *m);
}

void gan_mlp_reset(gan_mlp *m, gan_rng *rng)
{
    for (int l = 0; l < 3; l++)
        gan_linear_init(m->p.w[l], m->p.b[l], m->dims[l], m->dims[l + 1], rng);
    memset(m->adam_m, 0, sizeof(float) * 2 * m->nparams);
    m->adam_t = 0;
}

void gan_mlp_forward(gan_mlp *m, float *out, const float *inp, int B)
{
    assert(B >= 1 && B <= m->cap);
    const int *d = m->dims;
    gan_linear_forward(m->a1, inp, m->p.w[0], m->p.b[0], B, d[0], d[1]);
    gan_leaky_forward(m->a1, m->a1, (size_t)B * d[1], m->slope);
    gan_linear_forward(m->a2, m->a1, m->p.w[1], m->p.b[1], B, d[1], d[2]);
    gan_leaky_forward(m->a2, m->a2, (size_t)B * d[2], m->slope);
    gan_linear_forward(out, m->a2, m->p.w[2], m->p.b[2], B, d[2], d[3]);
    if (m->out_act == GAN_OUT_TANH)
        gan_tanh_forward(out, out, (size_t)B * d[3]);
    else
        gan_sigmoid_forward(out, out, (size_t)B * d[3]);
}

void gan_mlp_backward(gan_mlp *m, float *dinp, float *dout, const float *out,
                      const float *inp, int B, int param_grads)
{
    assert(B >= 1 && B <= m->cap);
    const int *d = m->dims;
    gan_mlp_view none = {{NULL, NULL, NULL}, {NULL, NULL, NULL}};
    const gan_mlp_view *g = param_grads ? &m->g : &none;
    if (m->out_act == GAN_OUT_TANH)
        gan_tanh_backward(dout, dout, out, (size_t)B * d[3]);
    else
        gan_sigmoid_backward(dout, dout, out, (size_t)B * d[3]);
    gan_linear_backward(m->d2, g->w[2], g->b[2], dout, m->a2, m->p.w[2], B, d[2], d[3]);
    gan_leaky_backward(m->d2, m->d2, m->a2, (size_t)B * d[2], m->slope);
    gan_linear_backward(m->d1, g->w[1], g->b[1], m->d2, m->a1, m->p.w[1], B, d[1], d[2]);
    gan_leaky_backward(m->d1, m->d1, m->a1, (size_t)B * d[1], m->slope);
    gan_linear_backward(dinp, g->w[0], g->b[0], m->d1, inp, m->p.w[0], B, d[0], d[1]);
}

void gan_mlp_adam(gan_mlp *m, const gan_adam_cfg *cfg)
{
    m->adam_t++;
    gan_adam_step(m->params, m->grads, m->adam_m, m->adam_v, m->nparams, m->adam_t, cfg);
}

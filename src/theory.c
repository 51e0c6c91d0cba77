/* theory.c: 1-D densities and discriminator fitting (see gan_theory.h). */
#include "gan_theory.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>

double gan_mix1d_pdf(const gan_mix1d *m, double x)
{
    const double inv_sqrt_2pi = 0.39894228040143267793994605993438;
    double p = 0.0;
    for (int i = 0; i < m->k; i++) {
        double u = (x - m->mu[i]) / m->sigma[i];
        p += m->w[i] * inv_sqrt_2pi / m->sigma[i] * exp(-0.5 * u * u);
    }
    return p;
}

void gan_mix1d_sample(const gan_mix1d *m, gan_rng *rng, float *out, int n)
{
    gan_rng_normal_fill(rng, out, (size_t)n);
    for (int i = 0; i < n; i++) {
        double u = gan_rng_uniform(rng, 0.0f, 1.0f), acc = 0.0;
        int c = 0;
        while (c < m->k - 1 && u >= (acc += m->w[c]))
            c++;
        out[i] = (float)(m->mu[c] + m->sigma[c] * out[i]);
    }
}

double gan_optimal_d(const gan_mix1d *data, const gan_mix1d *g, double x)
{
    double a = gan_mix1d_pdf(data, x), b = gan_mix1d_pdf(g, x);
    return a + b > 0.0 ? a / (a + b) : 0.5;
}

int gan_fit_discriminator(gan_mlp *d, const gan_mix1d *data, const gan_mix1d *g,
                          const gan_dfit_cfg *cfg, gan_rng *rng, double *last_loss, gan_err *err)
{
    int B = cfg->batch;
    if (d->dims[0] != 1 || d->dims[3] != 1 || d->out_act != GAN_ACT_SIGMOID || d->cap < 2 * B)
        return gan_err_set(err, "fit_discriminator: needs a 1-input sigmoid model for %d rows", 2 * B);
    float *buf = malloc(sizeof(float) * 8 * (size_t)B);
    if (!buf)
        return gan_err_set(err, "out of memory");
    float *x = buf, *p = buf + 2 * B, *y = buf + 4 * B, *dp = buf + 6 * B;
    for (int i = 0; i < B; i++) {
        y[i] = 1.0f;
        y[B + i] = 0.0f;
    }
    gan_adam_cfg adam = cfg->adam;
    openblas_set_num_threads(1); /* tiny products; the library threads itself */
    int tail = cfg->steps / 10 > 0 ? cfg->steps / 10 : 1;
    double loss_sum = 0.0;
    for (int s = 0; s < cfg->steps; s++) {
        gan_mix1d_sample(data, rng, x, B);
        gan_mix1d_sample(g, rng, x + B, B);
        gan_mlp_forward(d, p, x, 2 * B, &GAN_SOLO);
        /* (mean over real + mean over fake) / 2 = mean over the 2B rows */
        double loss = gan_bce_forward(p, y, 2 * (size_t)B);
        if (s >= cfg->steps - tail)
            loss_sum += loss;
        gan_bce_backward(dp, p, y, 2 * (size_t)B);
        gan_mlp_backward(d, NULL, dp, p, x, 2 * B, 1, &GAN_SOLO);
        adam.lr = cfg->adam.lr * (1.0 - (double)s / cfg->steps);
        gan_mlp_adam(d, &adam, &GAN_SOLO);
    }
    free(buf);
    *last_loss = loss_sum / tail;
    return 0;
}

void gan_mlp_eval1d(gan_mlp *d, const float *x, float *out, int n)
{
    for (int s = 0; s < n; s += d->cap) {
        int b = n - s < d->cap ? n - s : d->cap;
        gan_mlp_forward(d, out + s, x + s, b, &GAN_SOLO);
    }
}

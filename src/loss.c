/* loss.c: the adversarial losses of gan_loss.h. */
#include "gan_loss.h"

#include <math.h>
#include <string.h>

static double mean_sigmoid(const float *l, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += 1.0 / (1.0 + exp(-(double)l[i]));
    return s / n;
}

static double mean_of(const float *a, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += a[i];
    return s / n;
}

/* ---- bce: the seed's, on D's sigmoid output, exactly as before ---- */

static void bce_d(const float *p, int b, float *dout, float *y, gan_loss_d_stats *st)
{
    for (int i = 0; i < b; i++) {
        y[i] = 1.0f;
        y[b + i] = 0.0f;
    }
    st->p_real = mean_of(p, b);
    st->p_fake = mean_of(p + b, b);
    st->real = gan_bce_forward(p, y, (size_t)b);
    st->fake = gan_bce_forward(p + b, y + b, (size_t)b);
    st->loss = 0.5 * (st->real + st->fake);
    /* over all 2b rows: each gets 1/(2b), the seed's (1/2)(1/b) */
    gan_bce_backward(dout, p, y, 2 * (size_t)b);
}

static double bce_g(const float *p, int b, float *dout, float *y)
{
    for (int i = 0; i < b; i++)
        y[i] = 1.0f;
    double loss = gan_bce_forward(p, y, (size_t)b);
    gan_bce_backward(dout, p, y, (size_t)b);
    return loss;
}

/* ---- hinge, on the logit ---- */

static void hinge_d(const float *l, int b, float *dout, float *y, gan_loss_d_stats *st)
{
    (void)y;
    double real = 0.0, fake = 0.0;
    for (int i = 0; i < b; i++) {
        double r = 1.0 - l[i], f = 1.0 + l[b + i];
        real += r > 0.0 ? r : 0.0;
        fake += f > 0.0 ? f : 0.0;
        dout[i] = r > 0.0 ? -1.0f / (float)b : 0.0f;
        dout[b + i] = f > 0.0 ? 1.0f / (float)b : 0.0f;
    }
    st->real = real / b;
    st->fake = fake / b;
    st->loss = st->real + st->fake;
    st->p_real = mean_sigmoid(l, b);
    st->p_fake = mean_sigmoid(l + b, b);
}

static double hinge_g(const float *l, int b, float *dout, float *y)
{
    (void)y;
    for (int i = 0; i < b; i++)
        dout[i] = -1.0f / (float)b;
    return -mean_of(l, b);
}

/* ---- least squares, on the logit ---- */

static void lsgan_d(const float *l, int b, float *dout, float *y, gan_loss_d_stats *st)
{
    (void)y;
    double real = 0.0, fake = 0.0;
    for (int i = 0; i < b; i++) {
        double r = (double)l[i] - 1.0, f = l[b + i];
        real += r * r;
        fake += f * f;
        dout[i] = (float)(r / b);
        dout[b + i] = (float)(f / b);
    }
    st->real = 0.5 * real / b;
    st->fake = 0.5 * fake / b;
    st->loss = st->real + st->fake;
    st->p_real = mean_sigmoid(l, b);
    st->p_fake = mean_sigmoid(l + b, b);
}

static double lsgan_g(const float *l, int b, float *dout, float *y)
{
    (void)y;
    double s = 0.0;
    for (int i = 0; i < b; i++) {
        double r = (double)l[i] - 1.0;
        s += r * r;
        dout[i] = (float)(r / b);
    }
    return 0.5 * s / b;
}

/* ---- the Wasserstein critic, on the logit (its penalty is the trainer's) ---- */

static void wgan_d(const float *l, int b, float *dout, float *y, gan_loss_d_stats *st)
{
    (void)y;
    for (int i = 0; i < b; i++) {
        dout[i] = -1.0f / (float)b;
        dout[b + i] = 1.0f / (float)b;
    }
    st->real = -mean_of(l, b);
    st->fake = mean_of(l + b, b);
    st->loss = st->real + st->fake;
    st->p_real = mean_sigmoid(l, b);
    st->p_fake = mean_sigmoid(l + b, b);
}

/* hinge's and WGAN's generator loss are the same, -E[l(G(z))] */
static const gan_loss_spec SPECS[GAN_LOSS_COUNT] = {
    {"bce", GAN_ACT_SIGMOID, 1, 0, bce_d, bce_g},
    {"hinge", GAN_ACT_NONE, 1, 0, hinge_d, hinge_g},
    {"lsgan", GAN_ACT_NONE, 1, 0, lsgan_d, lsgan_g},
    {"wgan-gp", GAN_ACT_NONE, 5, 1, wgan_d, hinge_g},
};

const gan_loss_spec *gan_loss_get(int kind) { return &SPECS[kind]; }

int gan_loss_find(const char *name)
{
    for (int k = 0; k < GAN_LOSS_COUNT; k++)
        if (strcmp(SPECS[k].name, name) == 0)
            return k;
    return -1;
}

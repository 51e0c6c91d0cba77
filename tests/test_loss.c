/*
 * test_loss.c: the adversarial losses (gan_loss.h) against closed forms
 * worked by hand, their gradients against central differences (in double,
 * away from the hinge's kinks), the mean sigmoid they report, their names;
 * and a trainer on each: D's output activation from the spec, a step with
 * finite results, the loss kept by a checkpoint.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gan_checkpoint.h"
#include "gan_loss.h"
#include "gan_train.h"
#include "test_ckpt.h"
#include "test_util.h"

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-6 * (1.0 + fabs(b)))

static double sig(double l) { return 1.0 / (1.0 + exp(-l)); }

static void test_closed_forms(void)
{
    /* logits: 3 real rows, then 3 fake rows */
    const float l[6] = {2.0f, 0.5f, -1.0f, -2.0f, 0.0f, 1.5f};
    float d[6], y[6];
    gan_loss_d_stats st;
    const gan_loss_spec *h = gan_loss_get(GAN_LOSS_HINGE);
    h->d_loss(l, 3, d, y, &st);
    /* max(0, 1 - l): 0, 0.5, 2; max(0, 1 + l): 0, 1, 2.5 */
    CHECK(NEAR(st.real, 2.5 / 3) && NEAR(st.fake, 3.5 / 3) && NEAR(st.loss, 2.0));
    CHECK(NEAR(st.p_real, (sig(2) + sig(0.5) + sig(-1)) / 3) &&
          NEAR(st.p_fake, (sig(-2) + sig(0) + sig(1.5)) / 3));
    CHECK(d[0] == 0.0f && NEAR(d[1], -1.0 / 3) && NEAR(d[2], -1.0 / 3));
    CHECK(d[3] == 0.0f && NEAR(d[4], 1.0 / 3) && NEAR(d[5], 1.0 / 3));
    double g = h->g_loss(l + 3, 3, d, y);
    CHECK(NEAR(g, 0.5 / 3) && NEAR(d[0], -1.0 / 3) && NEAR(d[2], -1.0 / 3));

    const gan_loss_spec *q = gan_loss_get(GAN_LOSS_LSGAN);
    q->d_loss(l, 3, d, y, &st);
    /* (l - 1)^2: 1, 0.25, 4; l^2: 4, 0, 2.25; halves of the means */
    CHECK(NEAR(st.real, 5.25 / 6) && NEAR(st.fake, 6.25 / 6) && NEAR(st.loss, 11.5 / 6));
    CHECK(NEAR(d[0], 1.0 / 3) && NEAR(d[2], -2.0 / 3) && NEAR(d[3], -2.0 / 3) && d[4] == 0.0f);
    g = q->g_loss(l + 3, 3, d, y);
    /* (l - 1)^2: 9, 1, 0.25 */
    CHECK(NEAR(g, 10.25 / 6) && NEAR(d[0], -1.0) && NEAR(d[2], 0.5 / 3));

    /* bce on probabilities, the seed's: the mean of the two halves */
    const float p[6] = {0.9f, 0.5f, 0.2f, 0.1f, 0.5f, 0.7f};
    const gan_loss_spec *b = gan_loss_get(GAN_LOSS_BCE);
    b->d_loss(p, 3, d, y, &st);
    double real = -(log(0.9f) + log(0.5f) + log(0.2f)) / 3;
    double fake = -(log(1 - 0.1f) + log(1 - 0.5f) + log(1 - 0.7f)) / 3;
    CHECK(fabs(st.real - real) < 1e-6 && fabs(st.fake - fake) < 1e-6 &&
          fabs(st.loss - (real + fake) / 2) < 1e-6);
    CHECK(NEAR(st.p_real, (0.9 + 0.5 + 0.2) / 3));
    CHECK(b->d_out == GAN_ACT_SIGMOID && h->d_out == GAN_ACT_NONE && q->d_out == GAN_ACT_NONE);

    /* the critic: E[l(G(z))] - E[l(x)], its gradient -1/b and +1/b */
    const gan_loss_spec *w = gan_loss_get(GAN_LOSS_WGAN_GP);
    w->d_loss(l, 3, d, y, &st);
    CHECK(NEAR(st.real, -1.5 / 3) && NEAR(st.fake, -0.5 / 3) && NEAR(st.loss, -2.0 / 3));
    CHECK(NEAR(d[0], -1.0 / 3) && NEAR(d[2], -1.0 / 3) && NEAR(d[3], 1.0 / 3) && NEAR(d[5], 1.0 / 3));
    g = w->g_loss(l + 3, 3, d, y);
    CHECK(NEAR(g, 0.5 / 3) && NEAR(d[1], -1.0 / 3));
    CHECK(w->d_out == GAN_ACT_NONE && w->gp && w->n_critic == 5);
    CHECK(!b->gp && !h->gp && !q->gp && b->n_critic == 1 && h->n_critic == 1 && q->n_critic == 1);
}

/* Each gradient against central differences of the loss in double. */
static void test_gradients(void)
{
    enum { B = 4 };
    const float base[2 * B] = {0.3f, -0.7f, 1.6f, 0.45f, -0.2f, 0.8f, -1.4f, 0.05f};
    for (int k = 0; k < GAN_LOSS_COUNT; k++) {
        const gan_loss_spec *s = gan_loss_get(k);
        float x[2 * B], d[2 * B], y[2 * B], dd[2 * B];
        for (int i = 0; i < 2 * B; i++) /* bce takes probabilities */
            x[i] = k == GAN_LOSS_BCE ? (float)sig(base[i]) : base[i];
        gan_loss_d_stats st;
        s->d_loss(x, B, d, y, &st);
        s->g_loss(x, 2 * B, dd, y);
        for (int i = 0; i < 2 * B; i++) {
            const double h = 1e-3;
            float keep = x[i];
            double up, down, gup, gdown;
            x[i] = (float)(keep + h);
            s->d_loss(x, B, dd, y, &st);
            up = st.loss;
            gup = s->g_loss(x, 2 * B, dd, y);
            x[i] = (float)(keep - h);
            s->d_loss(x, B, dd, y, &st);
            down = st.loss;
            gdown = s->g_loss(x, 2 * B, dd, y);
            double step = (double)(float)(keep + h) - (double)(float)(keep - h);
            x[i] = keep;
            s->d_loss(x, B, d, y, &st);
            double fd = (up - down) / step;
            CHECK_MSG(fabs(fd - d[i]) <= 2e-3 * (1.0 + fabs(fd)), "%s D row %d: %g against %g",
                      s->name, i, d[i], fd);
            s->g_loss(x, 2 * B, dd, y);
            fd = (gup - gdown) / step;
            CHECK_MSG(fabs(fd - dd[i]) <= 2e-3 * (1.0 + fabs(fd)), "%s G row %d: %g against %g",
                      s->name, i, dd[i], fd);
        }
    }
}

static void test_names(void)
{
    CHECK(gan_loss_find("bce") == GAN_LOSS_BCE && gan_loss_find("hinge") == GAN_LOSS_HINGE &&
          gan_loss_find("lsgan") == GAN_LOSS_LSGAN && gan_loss_find("wgan-gp") == GAN_LOSS_WGAN_GP &&
          gan_loss_find("wgan") == -1 &&
          gan_loss_find("") == -1 && gan_loss_find("Hinge") == -1);
    for (int k = 0; k < GAN_LOSS_COUNT; k++)
        CHECK(gan_loss_find(gan_loss_get(k)->name) == k);
}

/* A trainer on each loss: D from the spec, finite steps, the loss in its checkpoint. */
static void test_trainer(void)
{
    char dir[] = "/tmp/test_loss_XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/c.gan", dir);
    for (int k = 0; k < GAN_LOSS_COUNT; k++) {
        gan_config cfg;
        gan_config_default(&cfg);
        cfg.z_dim = 5, cfg.hidden = 12, cfg.batch = 8, cfg.grid = 2, cfg.threads = 1;
        cfg.loss = k;
        /* R1 on every 2nd step, or wgan-gp's own penalty */
        cfg.r1_gamma = gan_loss_get(k)->gp ? 0.0 : 10.0, cfg.r1_every = 2;
        gan_trainer t;
        gan_err err = {""};
        CHECK_MSG(gan_trainer_init(&t, &cfg, 24, 40, &err) == 0, "%s", err.msg);
        CHECK(t.loss == gan_loss_get(k) && t.D.out_act == gan_loss_get(k)->d_out);
        gan_step_stats st;
        for (int s = 0; s < 4; s++) {
            for (int i = 0; i < 8 * 24; i++)
                t.x[i] = (float)((i * 29 + s) % 13) / 6.0f - 1.0f;
            gan_rng_normal_fill(&t.rng, t.z, 8 * 5);
            gan_trainer_step(&t, 8, &st);
            CHECK(isfinite(st.loss_d) && isfinite(st.loss_g) && st.d_real > 0 && st.d_real < 1 &&
                  st.d_fake > 0 && st.d_fake < 1);
        }
        gan_ckpt_info in;
        unsigned char *data;
        size_t size;
        ckpt_save_read(&t, &cfg, path, &in, &data, &size);
        CHECK(in.loss == (uint32_t)k);
        gan_config back;
        gan_config_default(&back);
        gan_checkpoint_config(&in, data, &back);
        CHECK(back.loss == k);
        free(data);
        gan_trainer_free(&t);
    }
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    test_closed_forms();
    test_gradients();
    test_names();
    test_trainer();
    TEST_MAIN_END();
}

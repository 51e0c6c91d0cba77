/*
 * test_theory.c: the seed's derivation of the optimal discriminator, as tests.
 * For a fixed G, the D that maximises V(D, G) is
 *     D*(x) = p_data(x) / (p_data(x) + p_g(x)),
 * and when p_g = p_data, D* = 1/2 and V = -log 4 (loss_d = log 2)
 * (Goodfellow et al. 2014, Proposition 1 and Theorem 1). Discriminators built
 * from the library's layers and trained with its BCE and Adam on samples must
 * land there. All runs are seeded, so the results are fixed; the tolerances
 * leave room for the sampling noise of the final steps (measured margins are
 * printed).
 */
#include <math.h>
#include <string.h>

#include "gan_theory.h"
#include "test_util.h"

/* Two Gaussians of equal variance: the log-odds of D* is linear,
 *   log(p_data / p_g) = (m1 - m2)/s^2 x + (m2^2 - m1^2)/(2 s^2),
 * so a one-input logistic D (Linear 1->1, sigmoid) can represent D* exactly. */
static void test_logistic(void)
{
    const double m1 = 2.0, m2 = 0.5, s = 1.5;
    const double want_slope = (m1 - m2) / (s * s), want_icept = (m2 * m2 - m1 * m1) / (2 * s * s);
    gan_mix1d pd = {1, {1}, {m1}, {s}}, pg = {1, {1}, {m2}, {s}};
    enum { B = 1024, STEPS = 4000 };
    static float x[2 * B], logit[2 * B], p[2 * B], y[2 * B], dp[2 * B], dlogit[2 * B];
    float param[2], grad[2], m[2] = {0, 0}, v[2] = {0, 0}; /* weight, bias */
    gan_rng rng;
    gan_rng_seed(&rng, 2024, 11);
    gan_linear_init(&param[0], &param[1], 1, 1, &rng);
    for (int i = 0; i < B; i++) {
        y[i] = 1.0f;
        y[B + i] = 0.0f;
    }
    gan_adam_cfg adam = {0.05, 0.9, 0.999, 1e-8};
    for (int t = 1; t <= STEPS; t++) {
        gan_mix1d_sample(&pd, &rng, x, B);
        gan_mix1d_sample(&pg, &rng, x + B, B);
        gan_linear_forward(logit, x, &param[0], &param[1], 2 * B, 1, 1);
        gan_sigmoid_forward(p, logit, 2 * B);
        gan_bce_backward(dp, p, y, 2 * B);
        gan_sigmoid_backward(dlogit, dp, p, 2 * B);
        gan_linear_backward(NULL, &grad[0], &grad[1], dlogit, x, &param[0], 2 * B, 1, 1);
        gan_adam_cfg a = adam;
        a.lr = adam.lr * (1.0 - (double)(t - 1) / STEPS);
        gan_adam_step(param, grad, m, v, 2, t, &a);
    }
    fprintf(stderr, "logistic D: slope %.4f (D* %.4f), intercept %.4f (D* %.4f)\n", param[0],
            want_slope, param[1], want_icept);
    CHECK_CLOSE(param[0], want_slope, 0.02, 0);
    CHECK_CLOSE(param[1], want_icept, 0.02, 0);
}

static gan_mix1d two_bumps(void)
{
    gan_mix1d m = {2, {0.5, 0.5}, {-2.0, 2.0}, {0.5, 0.5}};
    return m;
}

/* Largest |D(x) - D*(x)| over a grid of x where the two densities together
 * carry weight (p_data + p_g >= 0.05), and the mean there. */
static void compare_grid(gan_mlp *d, const gan_mix1d *pd, const gan_mix1d *pg, double *worst,
                         double *mean)
{
    enum { N = 141 };
    float x[N], out[N];
    for (int i = 0; i < N; i++)
        x[i] = -3.5f + 0.05f * (float)i;
    gan_mlp_eval1d(d, x, out, N);
    *worst = 0.0;
    *mean = 0.0;
    int used = 0;
    for (int i = 0; i < N; i++) {
        if (gan_mix1d_pdf(pd, x[i]) + gan_mix1d_pdf(pg, x[i]) < 0.05)
            continue;
        double e = fabs(out[i] - gan_optimal_d(pd, pg, x[i]));
        *worst = fmax(*worst, e);
        *mean += e;
        used++;
    }
    CHECK(used > N / 2);
    *mean /= used;
}

/* A mixture of two bumps against one wide Gaussian: D* is a non-monotone
 * curve, high on the bumps and low between them; a small MLP learns it. */
static void test_mlp_mixture(float slope, const char *name)
{
    gan_mix1d pd = two_bumps(), pg = {1, {1}, {0.0}, {1.5}};
    gan_dfit_cfg cfg = {3000, 256, {3e-3, 0.9, 0.999, 1e-8}};
    gan_mlp d;
    gan_err err = {""};
    gan_rng rng;
    gan_rng_seed(&rng, 99, 5);
    CHECK(gan_mlp_init(&d, 1, 32, 32, 1, slope, GAN_ACT_SIGMOID, 2 * cfg.batch, &err) == 0);
    gan_mlp_reset(&d, &rng);
    double loss, worst, mean;
    CHECK_MSG(gan_fit_discriminator(&d, &pd, &pg, &cfg, &rng, &loss, &err) == 0, "%s", err.msg);
    compare_grid(&d, &pd, &pg, &worst, &mean);
    fprintf(stderr, "MLP D (%s) on a mixture: max |D - D*| %.4f, mean %.4f\n", name, worst, mean);
    CHECK(worst < 0.06);
    CHECK(mean < 0.02);
    gan_mlp_free(&d);
}

/* p_g = p_data: the best D cannot tell them apart; D = 1/2, loss_d = log 2,
 * V(D, G) = -log 4. */
static void test_identical(void)
{
    gan_mix1d pd = two_bumps();
    gan_dfit_cfg cfg = {2000, 256, {3e-3, 0.9, 0.999, 1e-8}};
    gan_mlp d;
    gan_err err = {""};
    gan_rng rng;
    gan_rng_seed(&rng, 7, 5);
    CHECK(gan_mlp_init(&d, 1, 32, 32, 1, 0.0f, GAN_ACT_SIGMOID, 2 * cfg.batch, &err) == 0);
    gan_mlp_reset(&d, &rng);
    double loss, worst, mean;
    CHECK(gan_fit_discriminator(&d, &pd, &pd, &cfg, &rng, &loss, &err) == 0);
    compare_grid(&d, &pd, &pd, &worst, &mean); /* D* = 1/2 here */
    /* V on fresh samples */
    enum { M = 20000 };
    static float xs[M], ps[M];
    gan_mix1d_sample(&pd, &rng, xs, M);
    gan_mlp_eval1d(&d, xs, ps, M);
    double v_real = 0, v_fake = 0;
    for (int i = 0; i < M; i++)
        v_real += log(ps[i]) / M;
    gan_mix1d_sample(&pd, &rng, xs, M);
    gan_mlp_eval1d(&d, xs, ps, M);
    for (int i = 0; i < M; i++)
        v_fake += log(1.0 - ps[i]) / M;
    fprintf(stderr, "identical densities: max |D - 1/2| %.4f, loss_d %.5f (log 2 = %.5f), "
                    "V %.5f (-log 4 = %.5f)\n", worst, loss, log(2.0), v_real + v_fake, -log(4.0));
    CHECK(worst < 0.02);
    CHECK_CLOSE(loss, log(2.0), 0.003, 0);
    CHECK_CLOSE(v_real + v_fake, -log(4.0), 0.004, 0);
    gan_mlp_free(&d);
}

static void test_closed_forms(void)
{
    /* the pdf integrates to 1, and D* of the two Gaussians is the logistic */
    gan_mix1d pd = two_bumps(), a = {1, {1}, {2.0}, {1.5}}, b = {1, {1}, {0.5}, {1.5}};
    double integral = 0.0;
    for (double x = -10; x < 10; x += 0.001)
        integral += gan_mix1d_pdf(&pd, x) * 0.001;
    CHECK_CLOSE(integral, 1.0, 1e-6, 0);
    for (double x = -3; x <= 3; x += 0.5) {
        double logit = (2.0 - 0.5) / 2.25 * x + (0.25 - 4.0) / 4.5;
        CHECK_CLOSE(gan_optimal_d(&a, &b, x), 1.0 / (1.0 + exp(-logit)), 1e-12, 0);
    }
    /* samples follow the mixture: mean 0, variance 0.25 + 4 */
    gan_rng rng;
    gan_rng_seed(&rng, 3, 3);
    enum { M = 100000 };
    static float xs[M];
    gan_mix1d_sample(&pd, &rng, xs, M);
    double s1 = 0, s2 = 0;
    for (int i = 0; i < M; i++) {
        s1 += xs[i];
        s2 += (double)xs[i] * xs[i];
    }
    CHECK_CLOSE(s1 / M, 0.0, 0.03, 0);
    CHECK_CLOSE(s2 / M, 4.25, 0.05, 0);
}

int main(void)
{
    test_closed_forms();
    test_logistic();
    test_mlp_mixture(0.0f, "relu");
    test_mlp_mixture(0.2f, "leaky");
    test_identical();
    TEST_MAIN_END();
}

/*
 * optimal_d.c: gan-optimal-d, the seed's optimal discriminator shown on 1-D
 * densities. Trains a small MLP D (1-32-32-1, ReLU, sigmoid; BCE and Adam from
 * the library, as in the GAN's D step) between p_data = 0.5 N(-2, 0.5^2) +
 * 0.5 N(2, 0.5^2) and p_g = N(0, 1.5^2), then prints a table for plotting:
 *     x  p_data(x)  p_g(x)  D*(x) = p_data/(p_data+p_g)  D(x) learned
 * Usage: gan-optimal-d [SEED]   (scripts/optimal-d.sh draws it with gnuplot)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan_theory.h"

int main(int argc, char **argv)
{
    unsigned long long seed = 99;
    char *end = NULL;
    if (argc == 2) {
        errno = 0;
        seed = strtoull(argv[1], &end, 10);
    }
    if (argc > 2 || (argc == 2 && (end == argv[1] || *end != '\0' || errno || argv[1][0] == '-'))) {
        fprintf(stderr, "usage: gan-optimal-d [SEED] > table.tsv\n");
        return 2;
    }
    gan_mix1d pd = {2, {0.5, 0.5}, {-2.0, 2.0}, {0.5, 0.5}}, pg = {1, {1}, {0.0}, {1.5}};
    gan_dfit_cfg cfg = {3000, 256, {3e-3, 0.9, 0.999, 1e-8}};
    gan_mlp d;
    gan_err err = {""};
    gan_rng rng;
    gan_rng_seed(&rng, seed, 5);
    double loss;
    if (gan_mlp_init(&d, 1, 32, 32, 1, 0.0f, GAN_ACT_SIGMOID, 2 * cfg.batch, &err) != 0) {
        fprintf(stderr, "gan-optimal-d: %s\n", err.msg);
        return 1;
    }
    gan_mlp_reset(&d, &rng);
    if (gan_fit_discriminator(&d, &pd, &pg, &cfg, &rng, &loss, &err) != 0) {
        fprintf(stderr, "gan-optimal-d: %s\n", err.msg);
        gan_mlp_free(&d);
        return 1;
    }
    enum { N = 401 };
    float x[N], out[N];
    for (int i = 0; i < N; i++)
        x[i] = -5.0f + 0.025f * (float)i;
    gan_mlp_eval1d(&d, x, out, N);
    printf("# x\tp_data\tp_g\tD_star\tD_learned\t(final loss_d %.4f)\n", loss);
    for (int i = 0; i < N; i++)
        printf("%.3f\t%.6f\t%.6f\t%.6f\t%.6f\n", x[i], gan_mix1d_pdf(&pd, x[i]),
               gan_mix1d_pdf(&pg, x[i]), gan_optimal_d(&pd, &pg, x[i]), out[i]);
    gan_mlp_free(&d);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "gan-optimal-d: standard output: %s\n", strerror(errno ? errno : EIO));
        return 1;
    }
    return 0;
}

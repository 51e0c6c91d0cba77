/*
 * gan_theory.h: the seed's optimal-discriminator result, D*(x) =
 * p_data(x) / (p_data(x) + p_g(x)), on 1-D densities where it has a closed
 * form: Gaussian mixtures to sample from and evaluate, and a trainer that
 * fits a discriminator between two of them with the library's own layers
 * (BCE + Adam), the way the GAN's D step does.
 */
#ifndef GAN_THEORY_H
#define GAN_THEORY_H

#include "gan_common.h"
#include "gan_layers.h"
#include "gan_model.h"
#include "gan_rng.h"

#define GAN_MIX_MAX 4

/** A 1-D Gaussian mixture: k components, weights summing to 1. */
typedef struct {
    int k;
    double w[GAN_MIX_MAX], mu[GAN_MIX_MAX], sigma[GAN_MIX_MAX];
} gan_mix1d;

double gan_mix1d_pdf(const gan_mix1d *m, double x);
/** n samples: a component by weight, then mu + sigma * N(0, 1). */
void gan_mix1d_sample(const gan_mix1d *m, gan_rng *rng, float *out, int n);
/** D*(x) = p_data(x) / (p_data(x) + p_g(x)) (1/2 where both vanish). */
double gan_optimal_d(const gan_mix1d *data, const gan_mix1d *g, double x);

/** How to fit a discriminator: `steps` Adam steps on `batch` fresh samples
 *  of each density; the learning rate falls linearly from adam.lr to 0. */
typedef struct {
    int steps, batch;
    gan_adam_cfg adam;
} gan_dfit_cfg;

/**
 * Trains d (an MLP with 1 input and a sigmoid output, cap >= 2 * batch)
 * between p_data (label 1) and p_g (label 0) with the seed's D loss,
 * (BCE(D(x), 1) + BCE(D(G(z)), 0)) / 2. *last_loss is the mean loss over the
 * last tenth of the steps.
 */
int gan_fit_discriminator(gan_mlp *d, const gan_mix1d *data, const gan_mix1d *g,
                          const gan_dfit_cfg *cfg, gan_rng *rng, double *last_loss, gan_err *err);

/** D(x) of a 1-input model for n points x (one forward of at most cap rows
 *  at a time). */
void gan_mlp_eval1d(gan_mlp *d, const float *x, float *out, int n);

#endif

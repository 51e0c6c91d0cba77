/*
 * gan_loss.h: the adversarial losses, as data the trainer reads (issue 18).
 * With l the logit of D (its last linear layer's output) and p = sigmoid(l):
 *
 *   bce    (the seed's; D ends in a sigmoid and its output is p)
 *          L_D = (BCE(p(x), 1) + BCE(p(G(z)), 0)) / 2,  L_G = BCE(p(G(z)), 1)
 *   hinge  (Lim and Ye 2017; Miyato et al. 2018; D's output is l)
 *          L_D = E[max(0, 1 - l(x))] + E[max(0, 1 + l(G(z)))],  L_G = -E[l(G(z))]
 *   lsgan  (Mao et al. 2017; D's output is l)
 *          L_D = E[(l(x) - 1)^2] / 2 + E[l(G(z))^2] / 2,  L_G = E[(l(G(z)) - 1)^2] / 2
 *   wgan-gp (Gulrajani et al. 2017; D is a critic, its output l)
 *          L_D = E[l(G(z))] - E[l(x)] + the gradient penalty (gan_model.h's
 *          gan_mlp_gp_backward, which the trainer adds),  L_G = -E[l(G(z))]
 *
 * E is the mean over the batch's b rows. Each spec computes, from D's
 * outputs, the loss and its gradient with respect to those outputs (what
 * gan_mlp_backward takes), in double where it sums.
 */
#ifndef GAN_LOSS_H
#define GAN_LOSS_H

#include "gan_layers.h"

typedef enum {
    GAN_LOSS_BCE = 0,
    GAN_LOSS_HINGE = 1,
    GAN_LOSS_LSGAN = 2,
    GAN_LOSS_WGAN_GP = 3,
    GAN_LOSS_COUNT
} gan_loss_kind;

/** D's two halves of one loss evaluation. */
typedef struct {
    double loss;            /* L_D */
    double real, fake;      /* its two terms (bce: BCE(p(x), 1) and BCE(p(G(z)), 0);
                               wgan-gp: -E[l(x)] and E[l(G(z))]) */
    double p_real, p_fake;  /* mean sigmoid of D's logit on each half */
} gan_loss_d_stats;

typedef struct {
    const char *name;
    gan_act d_out;          /* D's output activation: GAN_ACT_SIGMOID (bce) or GAN_ACT_NONE */
    int n_critic;           /* D steps per G step unless --n-critic says (wgan-gp: 5) */
    int gp;                 /* 1: WGAN-GP's penalty at interpolates takes R1's place, and
                               the CSV gets the Wasserstein estimate E[l(x)] - E[l(G(z))] */
    /* out (2b): D's outputs on b real rows, then b fake ones; dout (2b): the
     * gradient of L_D with respect to them; y (2b) scratch */
    void (*d_loss)(const float *out, int b, float *dout, float *y, gan_loss_d_stats *st);
    /* out (b): D's outputs on b fake rows; dout (b): the gradient of L_G; y (b)
     * scratch. Returns L_G. */
    double (*g_loss)(const float *out, int b, float *dout, float *y);
} gan_loss_spec;

/** The spec of a kind (0 <= kind < GAN_LOSS_COUNT). */
const gan_loss_spec *gan_loss_get(int kind);
/** The kind of that name ("bce", "hinge", "lsgan", "wgan-gp"), or -1. */
int gan_loss_find(const char *name);

#endif

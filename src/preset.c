/* preset.c: the named recipes of gan_train.h, and a recipe in words. */
#include "gan_train.h"

#include <stdio.h>
#include <string.h>

static const char *const NAMES[GAN_PRESET_COUNT] = {"default", "seed", "wgan-gp"};

void gan_config_preset(gan_config *cfg, int preset)
{
    /* all: the seed's model, batch and learning rate */
    cfg->batch = 64;
    cfg->z_dim = 100;
    cfg->hidden = 256;
    cfg->lr = 2e-4;
    cfg->beta2 = 0.999;
    cfg->preset = preset;
    cfg->gp = 10.0;
    cfg->n_critic = 0; /* the loss's own */
    /* a conditional run's forms (--conditional itself is no part of a recipe):
     * the projection read best among the forms that drew no worse than the
     * unconditional default (README, "Classes") */
    cfg->cond_d = GAN_COND_PROJECTION;
    cfg->cond_g = GAN_COND_G_INPUT;
    cfg->ac_weight = 1.0;
    if (preset == GAN_PRESET_SEED) {
        cfg->slope = 0.0f; /* ReLU */
        cfg->beta1 = 0.9;
        cfg->r1_gamma = 0.0;
        cfg->r1_every = 1;
        cfg->loss = GAN_LOSS_BCE;
        cfg->ema = 0.0;
        return;
    }
    /* measured best on data/mnist, Fashion-MNIST and the icons (README,
     * "Recipes"): LeakyReLU, Adam beta1 0.5, sampling from an EMA of G */
    cfg->slope = 0.2f;
    cfg->beta1 = 0.5;
    cfg->ema = 0.999;
    if (preset == GAN_PRESET_WGAN_GP) {
        /* WGAN-GP (Gulrajani et al. 2017): its own penalty in R1's place; one
         * critic step per G step at lr 8e-4 measured best in 20 epochs */
        cfg->loss = GAN_LOSS_WGAN_GP;
        cfg->lr = 8e-4;
        cfg->n_critic = 1;
        cfg->r1_gamma = 0.0;
        cfg->r1_every = 1;
    } else {
        /* the seed's BCE, with R1 on one D step in 4 */
        cfg->loss = GAN_LOSS_BCE;
        cfg->r1_gamma = 10.0;
        cfg->r1_every = 4;
    }
}

int gan_preset_find(const char *name)
{
    for (int p = 0; p < GAN_PRESET_COUNT; p++)
        if (strcmp(name, NAMES[p]) == 0)
            return p;
    return -1;
}

const char *gan_preset_name(int preset)
{
    return preset >= 0 && preset < GAN_PRESET_COUNT ? NAMES[preset] : "unknown";
}

void gan_recipe_describe(const gan_config *cfg, char *buf, size_t len)
{
    gan_config p;
    memset(&p, 0, sizeof p);
    gan_config_preset(&p, cfg->preset);
    size_t n = (size_t)snprintf(buf, len, "%s", gan_preset_name(cfg->preset));
    const char *sep = ",";
#define ADD(...)                                                                \
    do {                                                                       \
        if (n < len)                                                           \
            n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);              \
        sep = "";                                                              \
    } while (0)
    if (cfg->z_dim != p.z_dim)
        ADD("%s --z-dim %d", sep, cfg->z_dim);
    if (cfg->hidden != p.hidden)
        ADD("%s --hidden %d", sep, cfg->hidden);
    if (cfg->slope != p.slope) {
        if (cfg->slope > 0.0f)
            ADD("%s --activation leaky --leaky-slope %g", sep, cfg->slope);
        else
            ADD("%s --activation relu", sep);
    }
    if (cfg->batch != p.batch)
        ADD("%s --batch-size %d", sep, cfg->batch);
    if (cfg->lr != p.lr)
        ADD("%s --lr %g", sep, cfg->lr);
    if (cfg->beta1 != p.beta1)
        ADD("%s --beta1 %g", sep, cfg->beta1);
    if (cfg->beta2 != p.beta2)
        ADD("%s --beta2 %g", sep, cfg->beta2);
    /* wgan-gp's own penalty turns R1 off: no --r1 0 to say */
    int gp = gan_loss_get(cfg->loss)->gp;
    if (cfg->r1_gamma != p.r1_gamma && !(gp && cfg->r1_gamma == 0.0))
        ADD("%s --r1 %g", sep, cfg->r1_gamma);
    if (cfg->r1_gamma > 0.0 && cfg->r1_every != p.r1_every)
        ADD("%s --r1-every %d", sep, cfg->r1_every);
    if (cfg->loss != p.loss)
        ADD("%s --loss %s", sep, gan_loss_get(cfg->loss)->name);
    if (cfg->ema != p.ema)
        ADD("%s --ema %g", sep, cfg->ema);
    /* critic steps against the preset's, or else the loss's own */
    int k = cfg->n_critic > 0 ? cfg->n_critic : gan_loss_get(cfg->loss)->n_critic;
    if (k != (p.n_critic > 0 ? p.n_critic : gan_loss_get(cfg->loss)->n_critic))
        ADD("%s --n-critic %d", sep, k);
    if (gp && cfg->gp != p.gp)
        ADD("%s --gp %g", sep, cfg->gp);
    if (cfg->conditional) {
        char d[64];
        ADD("%s --conditional", sep);
        if (cfg->cond_d != p.cond_d)
            ADD(" --cond-d %s", gan_cond_d_name(cfg->cond_d, d, sizeof d));
        if (cfg->cond_g != p.cond_g)
            ADD(" --cond-g %s", gan_cond_g_name(cfg->cond_g));
        if ((cfg->cond_d & GAN_COND_ACGAN) && cfg->ac_weight != p.ac_weight)
            ADD(" --ac-weight %g", cfg->ac_weight);
    }
    if (cfg->precision == GAN_PREC_BF16)
        ADD("%s --precision bf16", sep);
#undef ADD
}

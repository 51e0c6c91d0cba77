/* checkpoint_restore.c: what is made from a checkpoint read and checked by
 * checkpoint.c (gan_checkpoint.h): a run's settings, a trainer's state, and
 * its networks alone. */
#include "gan_checkpoint.h"

#include <stdlib.h>
#include <string.h>

#include "gan_file.h"

const char *gan_checkpoint_class_names(const gan_ckpt_info *in, const unsigned char *data)
{
    return in->classes ? (const char *)data + in->header : NULL;
}

void gan_checkpoint_config(const gan_ckpt_info *in, const unsigned char *data, gan_config *cfg)
{
    cfg->conditional = in->classes > 0;
    cfg->classes = (int)in->classes;
    cfg->class_names = gan_checkpoint_class_names(in, data);
    if (in->classes) {
        cfg->cond_d = in->cond_d;
        cfg->cond_g = (int)in->cond_g;
        if (in->cond_d & GAN_COND_ACGAN)
            cfg->ac_weight = in->ac_weight;
    }
    cfg->z_dim = (int)in->z_dim;
    cfg->hidden = (int)in->hidden;
    cfg->batch = (int)in->batch;
    cfg->grid = (int)in->grid;
    cfg->slope = in->activation ? in->slope : 0.0f;
    cfg->lr = in->lr;
    cfg->beta1 = in->beta1;
    cfg->beta2 = in->beta2;
    cfg->seed = in->seed;
    cfg->r1_gamma = in->r1_gamma;
    cfg->r1_every = (int)in->r1_every;
    cfg->preset = (int)in->preset;
    cfg->loss = (int)in->loss;
    cfg->ema = in->ema;
    cfg->n_critic = (int)in->n_critic;
    if (in->gp > 0.0)
        cfg->gp = in->gp;
    cfg->limit = (int)in->limit;
    cfg->precision = (int)in->precision;
}

static const unsigned char *read_floats(float *x, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++, p += 4)
        x[i] = gan_getf32(p);
    return p;
}

int gan_checkpoint_restore(gan_trainer *t, const gan_ckpt_info *in, const unsigned char *data,
                           const char *path, gan_err *err)
{
    if ((uint32_t)t->z_dim != in->z_dim || (uint32_t)t->G.dims[1] != in->hidden ||
        (uint32_t)t->batch != in->batch || (uint32_t)t->grid != in->grid ||
        (uint32_t)t->pixels != in->rows * in->cols * in->channels || t->G.nparams != in->nparams_g ||
        t->D.nparams != in->nparams_d)
        return gan_err_set(err, "%s: checkpoint does not fit this model", path);
    if ((uint32_t)t->n_critic != in->n_critic || t->gp != in->gp)
        return gan_err_set(err, "%s: checkpoint does not fit this model (its critic steps or "
                           "penalty)", path);
    if (t->ema_decay != in->ema)
        return gan_err_set(err, "%s: checkpoint does not fit this model (its EMA)", path);
    if ((uint32_t)t->classes != in->classes || t->ac_weight != in->ac_weight)
        return gan_err_set(err, "%s: checkpoint does not fit this model (its classes)", path);
    if (t->count != in->count)
        return gan_err_set(err, "%s: checkpoint was trained on %u images, this data has %u", path,
                           in->count, t->count);
    const unsigned char *p = data + in->body;
    p = read_floats(t->fixed_z, p, (size_t)in->nfixed * in->z_dim);
    gan_mlp *nets[2] = {&t->G, &t->D};
    for (int k = 0; k < 2; k++) {
        p = read_floats(nets[k]->params, p, nets[k]->nparams);
        p = read_floats(nets[k]->adam_m, p, nets[k]->nparams);
        p = read_floats(nets[k]->adam_v, p, nets[k]->nparams);
    }
    if (in->ema > 0.0)
        p = read_floats(t->Gema.params, p, t->Gema.nparams);
    /* the order must be a permutation of the images */
    unsigned char *seen = calloc((t->count + 7) / 8, 1);
    if (!seen)
        return gan_err_set(err, "%s: out of memory", path);
    int perm_ok = 1;
    for (uint32_t i = 0; i < t->count; i++, p += 4) {
        uint32_t v = gan_get32(p);
        perm_ok &= v < t->count && !(seen[v / 8] >> (v % 8) & 1);
        if (v < t->count)
            seen[v / 8] |= (unsigned char)(1u << (v % 8));
        t->perm[i] = v;
    }
    free(seen);
    if (!perm_ok)
        return gan_err_set(err, "%s: corrupt checkpoint (the image order is not a permutation)",
                           path);
    t->pos = in->pos;
    t->sums = in->sums;
    t->G.adam_t = (long)in->adam_t_g;
    t->D.adam_t = (long)in->adam_t_d;
    t->rng.state = in->rng_state;
    t->rng.inc = in->rng_inc;
    t->step = (long)in->step;
    t->epoch = (int)in->epoch;
    t->track = in->track;
    return 0;
}

/* Makes network k (0: G, 1: D, 2: the EMA of G) of the checkpoint's shape and
 * reads its parameters (they follow the fixed noise: G's, G's Adam moments,
 * D's and its moments, then, with an EMA, its parameters). */
static int make_net(const gan_ckpt_info *in, const unsigned char *data, int k, int cap,
                    gan_mlp *m, gan_err *err)
{
    float slope = in->activation ? in->slope : 0.0f;
    int d[4];
    gan_cond c;
    gan_checkpoint_net_shape(in, k == 1, d, &c);
    gan_act act = k == 1 ? gan_loss_get((int)in->loss)->d_out : GAN_ACT_TANH;
    if (gan_mlp_init_cond(m, d[0], d[1], d[2], d[3], slope, act, cap, &c, err) != 0)
        return -1;
    size_t skip[3] = {0, 3 * (size_t)in->nparams_g,
                      3 * (size_t)in->nparams_g + 3 * (size_t)in->nparams_d};
    const unsigned char *p = data + in->body + 4 * (size_t)in->nfixed * in->z_dim + 4 * skip[k];
    read_floats(m->params, p, m->nparams);
    return 0;
}

int gan_checkpoint_generator(const gan_ckpt_info *in, const unsigned char *data, int cap,
                             int raw, gan_mlp *G, gan_err *err)
{
    return make_net(in, data, in->ema > 0.0 && !raw ? 2 : 0, cap, G, err);
}

int gan_checkpoint_discriminator(const gan_ckpt_info *in, const unsigned char *data, int cap,
                                 gan_mlp *D, gan_err *err)
{
    return make_net(in, data, 1, cap, D, err);
}

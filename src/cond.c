/* cond.c: the conditional forms of issue 19: their names, the gan_cond of G
 * and D that each means, and the losses of a step with an auxiliary head. */
#include "gan_train.h"

#include <stdio.h>
#include <string.h>

#include "gan_layers.h"

static const char *const D_PARTS[3] = {"concat", "projection", "acgan"};

const char *gan_cond_d_name(unsigned cond_d, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int k = 0; k < 3; k++)
        if (cond_d >> k & 1u && n < len)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "+" : "", D_PARTS[k]);
    return buf;
}

unsigned gan_cond_d_parse(const char *name)
{
    unsigned bits = 0;
    const char *s = name;
    for (;;) {
        size_t len = strcspn(s, "+");
        unsigned bit = 0;
        for (int k = 0; k < 3; k++)
            if (strlen(D_PARTS[k]) == len && strncmp(s, D_PARTS[k], len) == 0)
                bit = 1u << k;
        if (!bit || bits & bit)
            return 0;
        bits |= bit;
        if (!s[len])
            return bits;
        s += len + 1;
    }
}

const char *gan_cond_g_name(int cond_g) { return cond_g == GAN_COND_G_ALL ? "all" : "input"; }

void gan_cond_specs(int classes, unsigned cond_d, int cond_g, gan_cond *g, gan_cond *d)
{
    memset(g, 0, sizeof *g);
    memset(d, 0, sizeof *d);
    if (classes <= 0)
        return;
    g->classes = d->classes = classes;
    g->cbias = cond_g == GAN_COND_G_ALL ? 7u : 1u;
    d->cbias = cond_d & GAN_COND_CONCAT ? 1u : 0u;
    d->project = (cond_d & GAN_COND_PROJECTION) != 0;
    d->aux = (cond_d & GAN_COND_ACGAN) != 0;
}

/* The head's cross-entropy on rows [0, b) of q (outputs 1..K of each) against
 * lab; its gradient, times w, into those outputs of dq. */
static double aux_ce(gan_trainer *t, const float *q, float *dq, const uint8_t *lab, int b,
                     double w)
{
    const int K = t->classes, OD = t->D.dims[3];
    float *logits = t->probs, *probs = t->probs + (size_t)b * K; /* (b, K) each */
    for (int i = 0; i < b; i++)
        memcpy(logits + (size_t)i * K, q + (size_t)i * OD + 1, sizeof(float) * K);
    double ce = gan_softmax_ce_forward(probs, logits, lab, b, K);
    gan_softmax_ce_backward(logits, probs, lab, b, K);
    for (int i = 0; i < b; i++)
        for (int c = 0; c < K; c++)
            dq[(size_t)i * OD + 1 + c] = (float)w * logits[(size_t)i * K + c];
    return ce;
}

void gan_cond_d_loss(gan_trainer *t, int b, gan_loss_d_stats *ls, double *ac)
{
    const int OD = t->D.dims[3];
    *ac = 0.0;
    if (OD == 1) {
        t->loss->d_loss(t->p, b, t->dp, t->y, ls);
        return;
    }
    for (int i = 0; i < 2 * b; i++)
        t->p[i] = t->q[(size_t)i * OD];
    t->loss->d_loss(t->p, b, t->dp, t->y, ls);
    for (int i = 0; i < 2 * b; i++)
        t->dq[(size_t)i * OD] = t->dp[i];
    /* the head learns the classes from the real rows only; the fake rows'
     * outputs past the logit get no gradient */
    *ac = aux_ce(t, t->q, t->dq, t->lab, b, t->ac_weight);
    memset(t->dq + (size_t)b * OD, 0, sizeof(float) * (size_t)b * OD);
    for (int i = b; i < 2 * b; i++)
        t->dq[(size_t)i * OD] = t->dp[i];
    ls->loss += t->ac_weight * *ac;
}

double gan_cond_g_loss(gan_trainer *t, int b)
{
    const int OD = t->D.dims[3];
    if (OD == 1)
        return t->loss->g_loss(t->p, b, t->dp, t->y);
    for (int i = 0; i < b; i++)
        t->p[i] = t->q[(size_t)i * OD];
    double lg = t->loss->g_loss(t->p, b, t->dp, t->y);
    for (int i = 0; i < b; i++)
        t->dq[(size_t)i * OD] = t->dp[i];
    return lg + t->ac_weight * aux_ce(t, t->q, t->dq, t->lab + b, b, t->ac_weight);
}

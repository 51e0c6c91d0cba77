/* train_cond.c: the losses of a conditional step with an auxiliary head
 * (issue 19; the forms themselves are cond_forms.c's). */
#include "gan_train.h"

#include <string.h>

#include "gan_layers.h"

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
    for (int i = b; i < 2 * b; i++)
        memset(t->dq + (size_t)i * OD + 1, 0, sizeof(float) * (size_t)(OD - 1));
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

/*
 * test_grad.h: central finite differences of a loss against an analytic
 * gradient, skipping points where a step of +-h flips a ReLU (the activation
 * pattern of a hidden unit changes). Used by test_model.c and test_cond.c.
 */
#ifndef GAN_TEST_GRAD_H
#define GAN_TEST_GRAD_H

#include <math.h>
#include <stdint.h>

#include "gan_model.h"
#include "test_util.h"

/* The sign pattern of a model's hidden outputs after its last forward. */
static inline uint64_t pattern(const gan_mlp *m, int B)
{
    uint64_t h = 1469598103934665603ULL;
    size_t n1 = (size_t)B * m->dims[1], n2 = (size_t)B * m->dims[2];
    for (size_t i = 0; i < n1; i++)
        h = (h ^ (m->a1[i] > 0.0f)) * 1099511628211ULL;
    for (size_t i = 0; i < n2; i++)
        h = (h ^ (m->a2[i] > 0.0f)) * 1099511628211ULL;
    return h;
}

/* loss(ctx) also returns the activation patterns it ran through */
typedef double (*loss_fn)(void *ctx, uint64_t *pat);

static inline void check_grad(const char *what, float *x, size_t n, const float *grad, loss_fn loss,
                       void *ctx, int *checked, int *skipped)
{
    const float h = 4e-3f;
    uint64_t p0, pp, pm;
    loss(ctx, &p0);
    double scale = 0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(grad[i]));
    for (size_t i = 0; i < n; i++) {
        float keep = x[i];
        x[i] = keep + h;
        double lp = loss(ctx, &pp);
        x[i] = keep - h;
        double lm = loss(ctx, &pm);
        x[i] = keep;
        if (pp != p0 || pm != p0) {
            (*skipped)++;
            continue;
        }
        (*checked)++;
        double fd = (lp - lm) / (2.0 * h);
        /* float forward: rounding ~1e-7 / 2h; truncation ~h^2 */
        CHECK_MSG(fabs(fd - grad[i]) <= 2e-3 * scale + 2e-2 * fabs(fd),
                  "%s[%zu]: analytic %.7g, fd %.7g (scale %.3g)", what, i, grad[i], fd, scale);
    }
}

#endif

/* cond_forms.c: the conditional forms of issue 19 (gan_model.h): their names,
 * and the gan_cond of G and D that each means. */
#include "gan_model.h"

#include <stdio.h>
#include <string.h>

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

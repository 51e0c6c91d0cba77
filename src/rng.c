/* rng.c: PCG32 and the samplers built on it; the exact rules are in gan_rng.h. */
#include "gan_rng.h"

#include "gan_common.h"

#include <assert.h>
#include <math.h>

void gan_rng_seed(gan_rng *rng, uint64_t seed, uint64_t stream)
{
    rng->state = 0;
    rng->inc = (stream << 1u) | 1u;
    gan_rng_u32(rng);
    rng->state += seed;
    gan_rng_u32(rng);
}

uint32_t gan_rng_u32(gan_rng *rng)
{
    uint64_t old = rng->state;
    rng->state = old * 6364136223846793005ULL + rng->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

void gan_rng_advance(gan_rng *rng, uint64_t delta)
{
    uint64_t mult = 6364136223846793005ULL, plus = rng->inc;
    uint64_t acc_mult = 1u, acc_plus = 0u;
    while (delta > 0) {
        if (delta & 1u) {
            acc_mult *= mult;
            acc_plus = acc_plus * mult + plus;
        }
        plus = (mult + 1u) * plus;
        mult *= mult;
        delta >>= 1;
    }
    rng->state = acc_mult * rng->state + acc_plus;
}

uint32_t gan_rng_index(gan_rng *rng, uint32_t bound)
{
    assert(bound >= 1);
    return (uint32_t)(((uint64_t)gan_rng_u32(rng) * bound) >> 32);
}

uint32_t gan_rng_below(gan_rng *rng, uint32_t bound)
{
    assert(bound >= 1);
    uint32_t threshold = (uint32_t)(-bound) % bound;
    for (;;) {
        uint32_t r = gan_rng_u32(rng);
        if (r >= threshold)
            return r % bound;
    }
}

float gan_rng_uniform(gan_rng *rng, float lo, float hi)
{
    float u = (float)(gan_rng_u32(rng) >> 8) * (1.0f / 16777216.0f);
    return lo + (hi - lo) * u;
}

/*
 * Box-Muller in float, from two 24-bit integers a, c per pair:
 *   u1 = (a + 1) 2^-24 in (0, 1],  r = sqrt(-2 log u1)
 *   theta = 2 pi c 2^-24,          out = r cos theta, r sin theta
 * Both functions by our own polynomials, so that the loop vectorises and
 * gives the same bits on every machine (scripts/make-reference.py repeats
 * it step for step in numpy):
 *   log: (a + 1) = 2^e m, m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s),
 *     s = (m - 1)/(m + 1), by its series to s^11 (|s| <= 0.172);
 *     log u1 = (e - 24) ln2 + log m, ln2 in two parts.
 *   sin, cos: the angle is reduced exactly in integers to the nearest
 *     quarter turn q and a rest f in [-2^21, 2^21), phi = f 2 pi 2^-24 in
 *     [-pi/4, pi/4]; Taylor series to phi^11 and phi^10; then rotated by q.
 * Errors of a few float ulps; the samples' moments are tested.
 */
GAN_HOT
static void normal_pairs(const uint32_t *a, const uint32_t *c, float *x, float *y, int n)
{
    for (int i = 0; i < n; i++) {
        /* log u1 */
        float k = (float)(a[i] + 1u);
        union { float f; uint32_t u; } kb = {k}, mb;
        int e = (int)(kb.u >> 23) - 127;
        mb.u = (kb.u & 0x007fffffu) | 0x3f800000u;
        float m = mb.f;
        int big = m > 1.41421356f;
        m = big ? m * 0.5f : m;
        e = big ? e + 1 : e;
        float s = (m - 1.0f) / (m + 1.0f), z = s * s;
        float lm = s * (2.0f + z * (0.666666667f + z * (0.4f + z * (0.285714286f +
                   z * (0.222222222f + z * 0.181818182f)))));
        float fe = (float)(e - 24);
        float lu = fe * 0.693359375f + (fe * -2.12194440e-4f + lm);
        float r = sqrtf(-2.0f * lu);
        /* sin and cos of 2 pi c 2^-24 */
        uint32_t q = (c[i] + (1u << 21)) >> 22;
        float phi = (float)((int32_t)c[i] - (int32_t)(q << 22)) * 3.74507039e-7f;
        float p2 = phi * phi;
        float sn = phi + phi * p2 * (-0.166666667f + p2 * (8.33333333e-3f + p2 * (-1.98412698e-4f +
                   p2 * (2.75573192e-6f + p2 * -2.50521084e-8f))));
        float cs = 1.0f + p2 * (-0.5f + p2 * (4.16666667e-2f + p2 * (-1.38888889e-3f +
                   p2 * (2.48015873e-5f + p2 * -2.75573192e-7f))));
        q &= 3u;
        float sin_t = q == 0 ? sn : q == 1 ? cs : q == 2 ? -sn : -cs;
        float cos_t = q == 0 ? cs : q == 1 ? -sn : q == 2 ? -cs : sn;
        x[i] = r * cos_t;
        y[i] = r * sin_t;
    }
}

void gan_rng_normal_fill(gan_rng *rng, float *out, size_t n)
{
    enum { CHUNK = 64 };
    uint32_t a[CHUNK], c[CHUNK];
    float x[CHUNK], y[CHUNK];
    size_t pairs = (n + 1) / 2;
    for (size_t p0 = 0; p0 < pairs; p0 += CHUNK) {
        int m = pairs - p0 < CHUNK ? (int)(pairs - p0) : CHUNK;
        for (int i = 0; i < m; i++) {
            a[i] = gan_rng_u32(rng) >> 8;
            c[i] = gan_rng_u32(rng) >> 8;
        }
        normal_pairs(a, c, x, y, m);
        for (int i = 0; i < m; i++) {
            size_t o = 2 * (p0 + (size_t)i);
            out[o] = x[i];
            if (o + 1 < n)
                out[o + 1] = y[i];
        }
    }
}

void gan_rng_shuffle(gan_rng *rng, uint32_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        uint32_t j = gan_rng_below(rng, (uint32_t)i);
        uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

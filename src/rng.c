/* rng.c: PCG32 and the samplers built on it; the exact rules are in gan_rng.h. */
#include "gan_rng.h"

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

void gan_rng_normal_fill(gan_rng *rng, float *out, size_t n)
{
    const double two_pi = 6.283185307179586476925286766559;
    for (size_t i = 0; i < n; i += 2) {
        double u1 = ((double)(gan_rng_u32(rng) >> 8) + 1.0) * (1.0 / 16777216.0);
        double u2 = (double)(gan_rng_u32(rng) >> 8) * (1.0 / 16777216.0);
        double r = sqrt(-2.0 * log(u1));
        out[i] = (float)(r * cos(two_pi * u2));
        if (i + 1 < n)
            out[i + 1] = (float)(r * sin(two_pi * u2));
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

/*
 * gan_rng.h: the random numbers of gan-train, documented so that a run can be
 * reproduced (and checkpointed) exactly.
 *
 * Generator: PCG32 (PCG-XSH-RR 64/32, M. O'Neill, pcg-random.org), state and
 * stream increment as two uint64_t. Seeding follows pcg32_srandom_r:
 *   state = 0; inc = (stream << 1) | 1; step; state += seed; step.
 * Uniform float in [0,1): (u32 >> 8) * 2^-24.
 * Normal: Box-Muller on two draws a, c (each u32 >> 8): u1 = (a + 1) 2^-24
 * (in (0,1], so log(u1) is finite), theta = 2 pi c 2^-24; each pair gives
 * r cos(theta), r sin(theta) with r = sqrt(-2 log u1), in that order, all in
 * float by the polynomials of rng.c (the same bits on every machine).
 * Bounded integer: rejection as in pcg32_boundedrand_r (unbiased).
 */
#ifndef GAN_RNG_H
#define GAN_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t state;
    uint64_t inc;
} gan_rng;

/** Seeds rng on one of 2^63 streams. */
void gan_rng_seed(gan_rng *rng, uint64_t seed, uint64_t stream);
/** Jumps ahead as if gan_rng_u32 had been called `delta` times (O(log delta),
 *  the LCG jump of pcg32_advance_r). Lets threads draw disjoint parts of one
 *  stream: each normal pair uses exactly two draws. */
void gan_rng_advance(gan_rng *rng, uint64_t delta);
/** Next 32 random bits. */
uint32_t gan_rng_u32(gan_rng *rng);
/** Uniform in [0, bound), bound >= 1, without modulo bias. */
uint32_t gan_rng_below(gan_rng *rng, uint32_t bound);
/** An index in [0, bound) from exactly one draw: (u32 * bound) >> 32 (a bias
 *  below bound / 2^32), so that threads can jump over each other's draws. */
uint32_t gan_rng_index(gan_rng *rng, uint32_t bound);
/** Uniform float in [lo, hi). */
float gan_rng_uniform(gan_rng *rng, float lo, float hi);
/** Fills out[0..n) with standard normal floats (pairs; an odd tail draws a
 *  whole pair and keeps its first value). */
void gan_rng_normal_fill(gan_rng *rng, float *out, size_t n);
/** Fisher-Yates shuffle of idx[0..n), from the last element down. */
void gan_rng_shuffle(gan_rng *rng, uint32_t *idx, size_t n);

#endif

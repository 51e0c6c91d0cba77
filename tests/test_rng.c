/*
 * test_rng.c: PCG32 against the reference implementation's published demo
 * output (pcg32-demo, seed 42, stream 54), and the samplers against their
 * distributions.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "gan_rng.h"
#include "test_util.h"

int main(void)
{
    gan_rng r;
    gan_rng_seed(&r, 42u, 54u);
    const uint32_t want[6] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u,
                              0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
    for (int i = 0; i < 6; i++) {
        uint32_t got = gan_rng_u32(&r);
        CHECK_MSG(got == want[i], "output %d: 0x%08x, want 0x%08x", i, got, want[i]);
    }

    /* advancing by k is k draws; a normal fill in two parts, each jumped to
     * its place, is the fill in one go */
    for (uint64_t k = 0; k < 300; k += 37) {
        gan_rng a1, a2;
        gan_rng_seed(&a1, 99, 4);
        a2 = a1;
        for (uint64_t i = 0; i < k; i++)
            gan_rng_u32(&a1);
        gan_rng_advance(&a2, k);
        CHECK(a1.state == a2.state && gan_rng_u32(&a1) == gan_rng_u32(&a2));
    }
    {
        float whole[101], split[101];
        gan_rng a1, a2;
        gan_rng_seed(&a1, 5, 6);
        a2 = a1;
        gan_rng_normal_fill(&a1, whole, 101);
        gan_rng part = a2;
        gan_rng_normal_fill(&part, split, 40); /* pairs 0..19 */
        part = a2;
        gan_rng_advance(&part, 40);           /* two draws a pair */
        gan_rng_normal_fill(&part, split + 40, 61);
        CHECK(memcmp(whole, split, sizeof whole) == 0);
        gan_rng_advance(&a2, 102);
        CHECK(a1.state == a2.state);
    }

    /* streams differ; the same seed and stream repeat */
    gan_rng a, b;
    gan_rng_seed(&a, 7, 1);
    gan_rng_seed(&b, 7, 2);
    CHECK(gan_rng_u32(&a) != gan_rng_u32(&b));
    gan_rng_seed(&a, 7, 1);
    gan_rng_seed(&b, 7, 1);
    CHECK(gan_rng_u32(&a) == gan_rng_u32(&b));

    /* normals: mean 0, variance 1, E x^4 = 3 (standard errors 0.0022, 0.0045, 0.03) */
    enum { M = 200001 };
    static float z[M];
    gan_rng_seed(&r, 1, 3);
    gan_rng_normal_fill(&r, z, M);
    double s1 = 0, s2 = 0, s4 = 0;
    int finite = 1;
    for (int i = 0; i < M; i++) {
        s1 += z[i];
        s2 += (double)z[i] * z[i];
        s4 += (double)z[i] * z[i] * z[i] * z[i];
        finite &= isfinite(z[i]);
    }
    CHECK(finite);
    CHECK_CLOSE(s1 / M, 0.0, 0.011, 0);
    CHECK_CLOSE(s2 / M, 1.0, 0.02, 0);
    CHECK_CLOSE(s4 / M, 3.0, 0.12, 0);
    /* each pair against Box-Muller in double on the same draws */
    {
        gan_rng a1, a2;
        gan_rng_seed(&a1, 77, 8);
        a2 = a1;
        static float zz[100000];
        gan_rng_normal_fill(&a1, zz, 100000);
        double worst = 0.0;
        for (int i = 0; i < 100000; i += 2) {
            double u1 = ((double)(gan_rng_u32(&a2) >> 8) + 1.0) / 16777216.0;
            double u2 = (double)(gan_rng_u32(&a2) >> 8) / 16777216.0;
            double r = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
            worst = fmax(worst, fabs(zz[i] - r * cos(th)) / (1.0 + r));
            worst = fmax(worst, fabs(zz[i + 1] - r * sin(th)) / (1.0 + r));
        }
        fprintf(stderr, "normal sampler: largest error %.3g (relative to 1 + r)\n", worst);
        CHECK(worst < 1e-6);
    }
    /* an odd count leaves the element after it alone */
    float three[4] = {0, 0, 0, 42.0f};
    gan_rng_normal_fill(&r, three, 3);
    CHECK(three[3] == 42.0f && three[2] != 0.0f);

    /* uniform in range; bounded integers cover the range evenly */
    int in_range = 1, counts[7] = {0};
    for (int i = 0; i < 70000; i++) {
        float u = gan_rng_uniform(&r, -0.5f, 0.25f);
        in_range &= u >= -0.5f && u < 0.25f;
        counts[gan_rng_below(&r, 7)]++;
    }
    CHECK(in_range);
    for (int k = 0; k < 7; k++)
        CHECK_CLOSE(counts[k], 10000, 400, 0); /* 4 standard errors */

    /* shuffle is a permutation, and not the identity */
    enum { P = 1000 };
    uint32_t idx[P];
    int seen[P];
    for (int i = 0; i < P; i++)
        idx[i] = (uint32_t)i;
    gan_rng_shuffle(&r, idx, P);
    memset(seen, 0, sizeof seen);
    int moved = 0;
    for (int i = 0; i < P; i++) {
        seen[idx[i]]++;
        moved += idx[i] != (uint32_t)i;
    }
    int perm = 1;
    for (int i = 0; i < P; i++)
        perm &= seen[i] == 1;
    CHECK(perm);
    CHECK(moved > P / 2);
    TEST_MAIN_END();
}

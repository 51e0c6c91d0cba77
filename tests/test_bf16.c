/* test_bf16.c: the bf16 products (gan_bf16.h) equal fp32 products of the
 * inputs rounded to bfloat16 (the accumulation is fp32, so only its order
 * may differ), over the shapes and column cuts the MLP uses; the rounding
 * itself against hand-made values. Exit 77 (skipped) where bf16 products
 * cannot run: a build without oneDNN or a CPU without AVX512-BF16. */
#include "gan_bf16.h"
#include "gan_rng.h"
#include "test_util.h"

#include <cblas.h>
#include <stdint.h>

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static void test_round(void)
{
    float x[] = {1.0f, from_bits(0x3f808000u), from_bits(0x3f818000u), from_bits(0x3f808001u),
                 from_bits(0x00000001u), from_bits(0x80400000u), -2.5f,
                 from_bits(0x7f7fffffu), from_bits(0x7fc00001u)};
    uint32_t want[] = {0x3f800000u, 0x3f800000u /* tie to even */, 0x3f820000u /* tie up */,
                       0x3f810000u, 0x00000000u /* subnormal */, 0x80000000u, 0xc0200000u,
                       0x7f800000u /* rounds over to infinity */, 0x7fc00000u};
    gan_bf16_round(x, sizeof x / sizeof *x);
    for (size_t i = 0; i < sizeof x / sizeof *x; i++)
        CHECK_MSG(bits(x[i]) == want[i], "value %zu: %08x, want %08x", i, bits(x[i]), want[i]);
}

/* One shape: the three products, cut into `cuts` column ranges as threads
 * cut them (all on part 0 and part 1 in turn), against cblas_sgemm on the
 * rounded inputs. */
static void test_shape(gan_bf16 *ctx, int B, int C, int OC, int cuts, gan_rng *rng)
{
    size_t nx = (size_t)B * C, nw = (size_t)OC * C, nd = (size_t)B * OC;
    float *x = malloc(4 * nx), *w = malloc(4 * nw), *d = malloc(4 * nd);
    float *xr = malloc(4 * nx), *wr = malloc(4 * nw), *dr = malloc(4 * nd);
    float *out = malloc(4 * nd), *ref = malloc(4 * nd), *di = malloc(4 * nx), *dir = malloc(4 * nx);
    float *dw = malloc(4 * nw), *dwr = malloc(4 * nw);
    gan_rng_normal_fill(rng, x, nx);
    gan_rng_normal_fill(rng, w, nw);
    gan_rng_normal_fill(rng, d, nd);
    memcpy(xr, x, 4 * nx);
    memcpy(wr, w, 4 * nw);
    memcpy(dr, d, 4 * nd);
    gan_bf16_round(xr, nx);
    gan_bf16_round(wr, nw);
    gan_bf16_round(dr, nd);
    for (int k = 0; k < cuts; k++) {
        int lo = (int)((long)OC * k / cuts), hi = (int)((long)OC * (k + 1) / cuts);
        gan_bf16_forward_cols(ctx, k % 2, out, x, w, B, C, OC, lo, hi);
        gan_bf16_backward_weight_rows(ctx, k % 2, dw, d, x, B, C, OC, lo, hi, 0.0f);
        lo = (int)((long)C * k / cuts), hi = (int)((long)C * (k + 1) / cuts);
        gan_bf16_backward_input_cols(ctx, k % 2, di, d, w, B, C, OC, lo, hi);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, OC, C, 1.0f, xr, C, wr, C, 0.0f, ref,
                OC);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, C, OC, 1.0f, dr, OC, wr, C, 0.0f,
                dir, C);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, B, 1.0f, dr, OC, xr, C, 0.0f, dwr,
                C);
    CHECK_MSG(test_max_rel(out, ref, nd) < 1e-5, "forward %dx%dx%d in %d: %g", B, C, OC, cuts,
              test_max_rel(out, ref, nd));
    CHECK_MSG(test_max_rel(di, dir, nx) < 1e-5, "input grad %dx%dx%d in %d: %g", B, C, OC, cuts,
              test_max_rel(di, dir, nx));
    CHECK_MSG(test_max_rel(dw, dwr, nw) < 1e-5, "weight grad %dx%dx%d in %d: %g", B, C, OC, cuts,
              test_max_rel(dw, dwr, nw));
    /* beta 1 adds a second term (the R1 penalty's) */
    for (int k = 0; k < cuts; k++) {
        int lo = (int)((long)OC * k / cuts), hi = (int)((long)OC * (k + 1) / cuts);
        gan_bf16_backward_weight_rows(ctx, k % 2, dw, d, x, B, C, OC, lo, hi, 1.0f);
    }
    for (size_t i = 0; i < nw; i++)
        dwr[i] *= 2.0f;
    CHECK_MSG(test_max_rel(dw, dwr, nw) < 1e-5, "weight grad, beta 1: %g", test_max_rel(dw, dwr, nw));
    /* and the rounding is what makes them differ from fp32's: not nothing */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, OC, C, 1.0f, x, C, w, C, 0.0f, ref,
                OC);
    CHECK(test_max_rel(out, ref, nd) > 1e-4);
    free(x), free(w), free(d), free(xr), free(wr), free(dr), free(out), free(ref);
    free(di), free(dir), free(dw), free(dwr);
}

int main(void)
{
    test_round();
    gan_err err = {0};
    if (gan_bf16_available(&err) != 0) {
        printf("skipped: %s\n", err.msg);
        return test_failures ? 1 : 77;
    }
    gan_bf16 *ctx = gan_bf16_new(2, 64 * 800, &err);
    CHECK_MSG(ctx != NULL, "%s", err.msg);
    if (!ctx)
        return 1;
    gan_rng rng;
    gan_rng_seed(&rng, 20, 1);
    test_shape(ctx, 8, 20, 12, 1, &rng);     /* tails shorter than a vector */
    test_shape(ctx, 64, 100, 256, 2, &rng);  /* G's first layer, two threads */
    test_shape(ctx, 32, 784, 17, 3, &rng);   /* odd cuts */
    test_shape(ctx, 64, 256, 1, 1, &rng);    /* D's logit */
    CHECK(gan_bf16_error(ctx, &err) == 0);
    gan_bf16_free(ctx);
    printf("%d checks, %d failed\n", test_checks, test_failures);
    return test_failures ? 1 : 0;
}

/* test_faults.c: the known faults of gan_faults.h against closed forms:
 * speckle's rate within binomial bounds, half of it white, reproducible by
 * seed and whole pixels at a time; the blur of a constant and of a single
 * bright pixel; the shift moving every pixel exactly, black coming in. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan_faults.h"
#include "test_util.h"

static void test_speckle(void)
{
    enum { N = 50, R = 28, C = 28, CH = 3 };
    size_t px = (size_t)N * R * C;
    uint8_t *a = malloc(px * CH), *b = malloc(px * CH);
    memset(a, 100, px * CH);
    memset(b, 100, px * CH);
    gan_fault_speckle(a, N, R, C, CH, 0.10, 7);
    gan_fault_speckle(b, N, R, C, CH, 0.10, 7);
    CHECK(memcmp(a, b, px * CH) == 0); /* the seed decides */
    size_t hit = 0, white = 0, split = 0;
    for (size_t i = 0; i < px; i++) {
        const uint8_t *p = a + i * CH;
        if (p[0] != 100) {
            hit++;
            white += p[0] == 255;
        }
        split += p[0] != p[1] || p[1] != p[2]; /* a pixel is hit whole */
    }
    double sd = sqrt(px * 0.1 * 0.9);
    CHECK_MSG(fabs((double)hit - 0.1 * px) < 5 * sd, "%zu of %zu pixels hit", hit, px);
    CHECK_MSG(fabs((double)white - hit / 2.0) < 5 * sqrt(hit / 4.0), "%zu of %zu white", white, hit);
    CHECK(split == 0);
    memset(b, 100, px * CH);
    gan_fault_speckle(b, N, R, C, CH, 0.0, 7);
    CHECK(b[0] == 100 && memchr(b, 0, px * CH) == NULL && memchr(b, 255, px * CH) == NULL);
    free(a);
    free(b);
}

static void test_blur_shift(void)
{
    enum { R = 5, C = 6 };
    uint8_t img[R * C], tmp[R * C];
    memset(img, 90, sizeof img);
    gan_fault_blur3(img, 1, R, C, 1, tmp);
    int same = 1;
    for (int i = 0; i < R * C; i++)
        same &= img[i] == 90;
    CHECK(same); /* a constant stays */
    memset(img, 0, sizeof img);
    img[2 * C + 3] = 180; /* one bright pixel: 180 / 9 = 20 on its 3 x 3 block */
    gan_fault_blur3(img, 1, R, C, 1, tmp);
    int ok = 1;
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++)
            ok &= img[r * C + c] == ((abs(r - 2) <= 1 && abs(c - 3) <= 1) ? 20 : 0);
    CHECK(ok);
    uint8_t rgb[R * C * 3];
    for (int i = 0; i < R * C * 3; i++)
        rgb[i] = (uint8_t)(i + 1);
    uint8_t orig[R * C * 3];
    memcpy(orig, rgb, sizeof rgb);
    gan_fault_shift(rgb, 1, R, C, 3, 2, 1);
    ok = 1;
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++)
            for (int k = 0; k < 3; k++) {
                int want = r >= 1 && c >= 2 ? orig[((r - 1) * C + c - 2) * 3 + k] : 0;
                ok &= rgb[(r * C + c) * 3 + k] == want;
            }
    CHECK(ok);
}

int main(void)
{
    test_speckle();
    test_blur_shift();
    TEST_MAIN_END();
}

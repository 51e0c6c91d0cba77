/*
 * test_png.c: sample grids written as PNG and read back with stb_image:
 * expected size, padding, grey levels (save_image's rounding) and scaling;
 * a failed write names the file and leaves nothing behind.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb_image.h>

#include "gan_image.h"
#include "test_util.h"

enum { R = 3, C = 2, N = 5, NROW = 2 };

static int expect_pixel(const float *x, int k, int r, int c)
{
    float v = x[k * R * C + r * C + c];
    if (!(v == v))
        return 0;
    double g = floor((v + 1.0) / 2.0 * 255.0 + 0.5);
    return g < 0 ? 0 : g > 255 ? 255 : (int)g;
}

static void check_grid(const char *path, const float *x, int scale)
{
    int w, h, comp;
    unsigned char *img = stbi_load(path, &w, &h, &comp, 0);
    CHECK_MSG(img != NULL, "stb_image cannot read %s", path);
    if (!img)
        return;
    /* make_grid: min(nrow, n) = 2 columns, ceil(5/2) = 3 rows, 2-pixel padding */
    CHECK(comp == 1);
    CHECK(w == (2 * (C + 2) + 2) * scale && h == (3 * (R + 2) + 2) * scale);
    int bad = 0, cells = 0;
    for (int yy = 0; yy < h; yy++)
        for (int xx = 0; xx < w; xx++) {
            int gy = yy / scale, gx = xx / scale, want = 0;
            int cy = (gy - 2) / (R + 2), ry = (gy - 2) % (R + 2);
            int cx = (gx - 2) / (C + 2), rx = (gx - 2) % (C + 2);
            if (gy >= 2 && gx >= 2 && ry < R && rx < C && cy * NROW + cx < N) {
                want = expect_pixel(x, cy * NROW + cx, ry, rx);
                cells++;
            }
            bad += img[yy * w + xx] != want;
        }
    CHECK_MSG(bad == 0, "%d pixels differ in %s", bad, path);
    CHECK(cells == N * R * C * scale * scale);
    stbi_image_free(img);
}

int main(void)
{
    char dir[64];
    if (test_tmpdir(dir, sizeof dir, "png") != 0)
        return 1;
    float x[N * R * C];
    for (int i = 0; i < N * R * C; i++)
        x[i] = -1.0f + 2.0f * (float)i / (N * R * C - 1);
    x[1] = 0.0f;      /* 127.5 + 0.5 -> 128 */
    x[2] = 1.5f;      /* clamps to 255 */
    x[3] = -7.0f;     /* clamps to 0 */
    x[4] = NAN;       /* drawn black, not undefined */
    CHECK(expect_pixel(x, 0, 0, 1) == 128);

    char path[256];
    gan_err err = {""};
    for (int scale = 1; scale <= 3; scale += 2) {
        int w, h;
        gan_grid_size(N, NROW, R, C, scale, &w, &h);
        unsigned char *img = malloc((size_t)w * h);
        memset(img, 0x55, (size_t)w * h); /* drawing must cover everything */
        gan_grid_draw(img, x, N, NROW, R, C, scale);
        snprintf(path, sizeof path, "%s/grid-%d.png", dir, scale);
        CHECK_MSG(gan_png_write(path, img, w, h, &err) == 0, "%s", err.msg);
        check_grid(path, x, scale);
        free(img);
    }

    /* a grid with fewer images than nrow is one row of n */
    int w, h;
    gan_grid_size(3, 4, 28, 28, 1, &w, &h);
    CHECK(w == 3 * 30 + 2 && h == 32);
    gan_grid_size(16, 4, 28, 28, 2, &w, &h);
    CHECK(w == 2 * 122 && h == 2 * 122);

    /* failure: missing folder; the message names the file; no temp left */
    unsigned char one = 0;
    snprintf(path, sizeof path, "%s/missing/x.png", dir);
    CHECK(gan_png_write(path, &one, 1, 1, &err) == -1);
    CHECK_MSG(strstr(err.msg, path) != NULL, "%s", err.msg);

    /* replacing: the new file lands whole, no temporary file stays */
    snprintf(path, sizeof path, "%s/grid-1.png", dir);
    CHECK(gan_png_write(path, &one, 1, 1, &err) == 0);
    int ww, hh, cc;
    unsigned char *back = stbi_load(path, &ww, &hh, &cc, 0);
    CHECK(back && ww == 1 && hh == 1 && back[0] == 0);
    stbi_image_free(back);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", dir);
    CHECK(system(cmd) != 0);
    test_rmdir(dir);
    TEST_MAIN_END();
}

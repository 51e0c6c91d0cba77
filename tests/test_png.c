/*
 * test_png.c: sample grids written as PNG and read back with libpng
 * (gan_decode.h): expected size, padding, grey levels (save_image's
 * rounding) and scaling, in grey and in colour (each pixel's R, G, B from its
 * three values, the PNG of colour type RGB); a failed write names the file
 * and leaves nothing behind.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gan_decode.h"
#include "gan_file.h"
#include "gan_image.h"
#include "test_util.h"

enum { R = 3, C = 2, N = 5, NROW = 2 };

/* channel j of pixel (r, c) of image k of x (N, R, C, ch) */
static int expect_pixel(const float *x, int k, int r, int c, int ch, int j)
{
    float v = x[((k * R + r) * C + c) * ch + j];
    if (!(v == v))
        return 0;
    double g = floor((v + 1.0) / 2.0 * 255.0 + 0.5);
    return g < 0 ? 0 : g > 255 ? 255 : (int)g;
}

/* Reads a PNG back: its pixels in ch channels, and its colour type (byte 25:
 * 0 grey, 2 RGB). */
static unsigned char *read_png(const char *path, int ch, int *w, int *h, int *type)
{
    unsigned char *file, *px = NULL;
    size_t n;
    char why[256];
    if (gan_read_file(path, 1u << 24, &file, &n, why, sizeof why) != 0)
        return NULL;
    *type = n > 25 ? file[25] : -1;
    if (gan_decode_pixels(file, n, ch, 0, w, h, &px, why, sizeof why) != 0)
        fprintf(stderr, "%s: %s\n", path, why);
    free(file);
    return px;
}

static void check_grid(const char *path, const float *x, int ch, int scale)
{
    int w, h, type;
    unsigned char *img = read_png(path, ch, &w, &h, &type);
    CHECK_MSG(img != NULL, "cannot read %s", path);
    if (!img)
        return;
    /* make_grid: min(nrow, n) = 2 columns, ceil(5/2) = 3 rows, 2-pixel padding */
    CHECK(type == (ch == 1 ? 0 : 2));
    CHECK(w == (2 * (C + 2) + 2) * scale && h == (3 * (R + 2) + 2) * scale);
    int bad = 0, cells = 0;
    for (int yy = 0; yy < h; yy++)
        for (int xx = 0; xx < w; xx++) {
            int gy = yy / scale, gx = xx / scale, in = 0;
            int cy = (gy - 2) / (R + 2), ry = (gy - 2) % (R + 2);
            int cx = (gx - 2) / (C + 2), rx = (gx - 2) % (C + 2);
            if (gy >= 2 && gx >= 2 && ry < R && rx < C && cy * NROW + cx < N) {
                in = 1;
                cells++;
            }
            for (int j = 0; j < ch; j++)
                bad += img[(yy * w + xx) * ch + j] !=
                       (in ? expect_pixel(x, cy * NROW + cx, ry, rx, ch, j) : 0);
        }
    CHECK_MSG(bad == 0, "%d values differ in %s", bad, path);
    CHECK(cells == N * R * C * scale * scale);
    free(img);
}

int main(void)
{
    char dir[64];
    if (test_tmpdir(dir, sizeof dir, "png") != 0)
        return 1;
    float x[N * R * C * 3];
    for (int i = 0; i < N * R * C * 3; i++)
        x[i] = -1.0f + 2.0f * (float)i / (N * R * C * 3 - 1);
    x[1] = 0.0f;      /* 127.5 + 0.5 -> 128 */
    x[2] = 1.5f;      /* clamps to 255 */
    x[3] = -7.0f;     /* clamps to 0 */
    x[4] = NAN;       /* drawn black, not undefined */
    CHECK(expect_pixel(x, 0, 0, 1, 1, 0) == 128);

    char path[256];
    gan_err err = {""};
    for (int ch = 1; ch <= 3; ch += 2)
        for (int scale = 1; scale <= 3; scale += 2) {
            int w, h;
            gan_grid_size(N, NROW, R, C, scale, &w, &h);
            unsigned char *img = malloc((size_t)w * h * ch);
            memset(img, 0x55, (size_t)w * h * ch); /* drawing must cover everything */
            gan_grid_draw(img, x, N, NROW, R, C, ch, scale);
            snprintf(path, sizeof path, "%s/grid-%d-%d.png", dir, ch, scale);
            CHECK_MSG(gan_png_write(path, img, w, h, ch, &err) == 0, "%s", err.msg);
            check_grid(path, x, ch, scale);
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
    CHECK(gan_png_write(path, &one, 1, 1, 1, &err) == -1);
    CHECK_MSG(strstr(err.msg, path) != NULL, "%s", err.msg);

    /* replacing: the new file lands whole, no temporary file stays */
    snprintf(path, sizeof path, "%s/grid-1-1.png", dir);
    CHECK(gan_png_write(path, &one, 1, 1, 1, &err) == 0);
    int ww, hh, type;
    unsigned char *back = read_png(path, 1, &ww, &hh, &type);
    CHECK(back && ww == 1 && hh == 1 && back[0] == 0);
    free(back);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", dir);
    CHECK(system(cmd) != 0);
    test_rmdir(dir);
    TEST_MAIN_END();
}

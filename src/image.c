/* image.c: sample grids and PNG output through stb_image_write. */
#include "gan_image.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <stb_image_write.h>

#include "gan_file.h"

static inline uint8_t to_pixel(float x)
{
    float v = (x + 1.0f) * 0.5f * 255.0f + 0.5f;
    return v >= 255.0f ? 255 : v > 0.0f ? (uint8_t)v : 0; /* NaN -> 0 */
}

void gan_to_pixels(uint8_t *out, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = to_pixel(x[i]);
}

static void grid_cells(int n, int nrow, int *xmaps, int *ymaps)
{
    *xmaps = n < nrow ? n : nrow;
    *ymaps = (n + *xmaps - 1) / *xmaps;
}

void gan_grid_size(int n, int nrow, int rows, int cols, int scale, int *w, int *h)
{
    int xmaps, ymaps;
    grid_cells(n, nrow, &xmaps, &ymaps);
    *w = (xmaps * (cols + GAN_GRID_PAD) + GAN_GRID_PAD) * scale;
    *h = (ymaps * (rows + GAN_GRID_PAD) + GAN_GRID_PAD) * scale;
}

/* The grid from floats (xf) or from pixel values already made (xb). */
static void grid_draw(uint8_t *img, const float *xf, const uint8_t *xb, int n, int nrow,
                      int rows, int cols, int ch, int scale)
{
    int xmaps, ymaps, w, h;
    grid_cells(n, nrow, &xmaps, &ymaps);
    gan_grid_size(n, nrow, rows, cols, scale, &w, &h);
    memset(img, 0, (size_t)w * h * ch);
    for (int k = 0; k < n; k++) {
        int y0 = (k / xmaps) * (rows + GAN_GRID_PAD) + GAN_GRID_PAD;
        int x0 = (k % xmaps) * (cols + GAN_GRID_PAD) + GAN_GRID_PAD;
        size_t base = (size_t)k * rows * cols * ch;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                size_t i = base + ((size_t)r * cols + c) * ch;
                uint8_t v[3];
                for (int j = 0; j < ch; j++)
                    v[j] = xf ? to_pixel(xf[i + j]) : xb[i + j];
                for (int sy = 0; sy < scale; sy++) {
                    uint8_t *row = img + ((size_t)((y0 + r) * scale + sy) * w +
                                          (size_t)(x0 + c) * scale) * ch;
                    for (int sx = 0; sx < scale; sx++)
                        memcpy(row + (size_t)sx * ch, v, (size_t)ch);
                }
            }
        }
    }
}

typedef struct {
    FILE *f;
    int failed;
} png_sink;

static void png_put(void *ctx, void *data, int size)
{
    png_sink *s = ctx;
    if (!s->failed && fwrite(data, 1, (size_t)size, s->f) != (size_t)size)
        s->failed = errno ? errno : EIO;
}

void gan_grid_draw(uint8_t *img, const float *x, int n, int nrow, int rows, int cols,
                   int channels, int scale)
{
    grid_draw(img, x, NULL, n, nrow, rows, cols, channels, scale);
}

void gan_grid_draw_bytes(uint8_t *img, const uint8_t *px, int n, int nrow, int rows, int cols,
                         int channels, int scale)
{
    grid_draw(img, NULL, px, n, nrow, rows, cols, channels, scale);
}

int gan_png_write(const char *path, const uint8_t *img, int w, int h, int channels,
                  gan_err *err)
{
    gan_atomic a;
    if (gan_atomic_open(&a, path, err) != 0)
        return -1;
    png_sink s = {a.f, 0};
    if (!stbi_write_png_to_func(png_put, &s, w, h, channels, img, w * channels)) {
        gan_atomic_abort(&a);
        return gan_err_set(err, "%s: PNG encoding failed", path);
    }
    if (s.failed) {
        gan_atomic_abort(&a);
        return gan_err_set(err, "%s: write failed: %s", path, strerror(s.failed));
    }
    return gan_atomic_commit(&a, err);
}

/*
 * timeline.c: OUT/progress.png, the whole run at a glance: one row per
 * epoch of the first GAN_TIMELINE_PER fixed-noise samples (those of the
 * grids), rewritten atomically after every epoch (see gan_run.h). A resumed
 * run reads its earlier rows back through libpng (gan_decode.h), as any file
 * that may have been changed since.
 */
#include "gan_run.h"

#include <stdlib.h>
#include <string.h>

#include "gan_decode.h"
#include "gan_file.h"
#include "gan_image.h"

int gan_timeline_init(gan_timeline *tl, const gan_config *cfg, int rows, int cols, int channels,
                      const char *out, int resume_epoch, gan_err *err)
{
    memset(tl, 0, sizeof *tl);
    int n = cfg->grid * cfg->grid, w, h;
    tl->per = n < GAN_TIMELINE_PER ? n : GAN_TIMELINE_PER;
    tl->pick = 1;
    if (cfg->conditional) { /* the grid's first column: a sample of each class shown */
        tl->per = cfg->classes < 10 ? cfg->classes : 10;
        tl->pick = cfg->grid;
    }
    tl->rows = rows;
    tl->cols = cols;
    tl->channels = channels;
    tl->scale = cfg->png_scale;
    tl->stride = (cfg->epochs + GAN_TIMELINE_ROWS - 1) / GAN_TIMELINE_ROWS;
    tl->epochs = cfg->epochs / tl->stride; /* rows */
    snprintf(tl->path, sizeof tl->path, "%s/progress.png", out);
    size_t P = (size_t)rows * cols * channels;
    gan_grid_size(tl->epochs * tl->per, tl->per, rows, cols, tl->scale, &w, &h);
    tl->px = calloc((size_t)tl->epochs * tl->per, P);
    tl->img = malloc((size_t)w * h * channels);
    if (!tl->px || !tl->img)
        return gan_err_set(err, "out of memory for the %d x %d timeline image", w, h);
    int done_rows = resume_epoch / tl->stride;
    if (done_rows <= 0)
        return 0;
    int fw, fh, ew, eh;
    gan_grid_size(done_rows * tl->per, tl->per, rows, cols, tl->scale, &ew, &eh);
    unsigned char *file;
    size_t len;
    uint8_t *old = NULL;
    char why[256];
    if (gan_read_file(tl->path, 1u << 30, &file, &len, why, sizeof why) == 0) {
        gan_decode_pixels(file, len, channels, (uint64_t)ew * eh, &fw, &fh, &old, why, sizeof why);
        free(file);
    }
    if (old && fw == ew && fh == eh) {
        for (int k = 0; k < done_rows * tl->per; k++) {
            int y0 = (k / tl->per) * (rows + GAN_GRID_PAD) + GAN_GRID_PAD;
            int x0 = (k % tl->per) * (cols + GAN_GRID_PAD) + GAN_GRID_PAD;
            for (int r = 0; r < rows; r++) /* a pixel of each scale x scale block */
                for (int c = 0; c < cols; c++)
                    memcpy(tl->px + (size_t)k * P + ((size_t)r * cols + c) * channels,
                           old + ((size_t)(y0 + r) * tl->scale * fw + (size_t)(x0 + c) * tl->scale) *
                                     channels,
                           (size_t)channels);
        }
    }
    free(old);
    return 0;
}

int gan_timeline_add(gan_timeline *tl, const float *samples, int epoch, gan_err *err)
{
    size_t P = (size_t)tl->rows * tl->cols * tl->channels;
    int w, h, row = epoch / tl->stride;
    if (epoch % tl->stride != 0 || row > tl->epochs)
        return 0;
    for (int k = 0; k < tl->per; k++)
        gan_to_pixels(tl->px + ((size_t)(row - 1) * tl->per + k) * P,
                      samples + (size_t)k * tl->pick * P, P);
    gan_grid_size(row * tl->per, tl->per, tl->rows, tl->cols, tl->scale, &w, &h);
    gan_grid_draw_bytes(tl->img, tl->px, row * tl->per, tl->per, tl->rows, tl->cols, tl->channels,
                        tl->scale);
    return gan_png_write(tl->path, tl->img, w, h, tl->channels, err);
}

void gan_timeline_free(gan_timeline *tl)
{
    free(tl->px);
    free(tl->img);
}

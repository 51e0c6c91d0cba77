/*
 * timeline.c: OUT/progress.png, the whole run at a glance: one row per
 * epoch of the first GAN_TIMELINE_PER fixed-noise samples (those of the
 * grids), rewritten atomically after every epoch (see gan_run.h).
 */
#include "gan_run.h"

#include <stdlib.h>
#include <string.h>

#include "gan_image.h"

#include <stb_image.h>

int gan_timeline_init(gan_timeline *tl, const gan_config *cfg, int rows, int cols,
                      const char *out, int resume_epoch, gan_err *err)
{
    memset(tl, 0, sizeof *tl);
    int n = cfg->grid * cfg->grid, w, h;
    tl->per = n < GAN_TIMELINE_PER ? n : GAN_TIMELINE_PER;
    tl->rows = rows;
    tl->cols = cols;
    tl->scale = cfg->png_scale;
    tl->stride = (cfg->epochs + GAN_TIMELINE_ROWS - 1) / GAN_TIMELINE_ROWS;
    tl->epochs = cfg->epochs / tl->stride; /* rows */
    snprintf(tl->path, sizeof tl->path, "%s/progress.png", out);
    size_t P = (size_t)rows * cols;
    gan_grid_size(tl->epochs * tl->per, tl->per, rows, cols, tl->scale, &w, &h);
    tl->px = calloc((size_t)tl->epochs * tl->per, P);
    tl->img = malloc((size_t)w * h);
    if (!tl->px || !tl->img)
        return gan_err_set(err, "out of memory for the %d x %d timeline image", w, h);
    int done_rows = resume_epoch / tl->stride;
    if (done_rows <= 0)
        return 0;
    int fw, fh, ch, ew, eh;
    gan_grid_size(done_rows * tl->per, tl->per, rows, cols, tl->scale, &ew, &eh);
    uint8_t *old = stbi_load(tl->path, &fw, &fh, &ch, 1);
    if (old && fw == ew && fh == eh) {
        for (int k = 0; k < done_rows * tl->per; k++) {
            int y0 = (k / tl->per) * (rows + GAN_GRID_PAD) + GAN_GRID_PAD;
            int x0 = (k % tl->per) * (cols + GAN_GRID_PAD) + GAN_GRID_PAD;
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                    tl->px[(size_t)k * P + (size_t)r * cols + c] =
                        old[(size_t)(y0 + r) * tl->scale * fw + (size_t)(x0 + c) * tl->scale];
        }
    }
    stbi_image_free(old);
    return 0;
}

/* Takes epoch's row (if it has one) from samples (the grids' samples,
 * (>= per, P)) and rewrites the file with the rows so far. */
int gan_timeline_add(gan_timeline *tl, const float *samples, int epoch, gan_err *err)
{
    size_t P = (size_t)tl->rows * tl->cols;
    int w, h, row = epoch / tl->stride;
    if (epoch % tl->stride != 0 || row > tl->epochs)
        return 0;
    gan_to_pixels(tl->px + (size_t)(row - 1) * tl->per * P, samples, (size_t)tl->per * P);
    gan_grid_size(row * tl->per, tl->per, tl->rows, tl->cols, tl->scale, &w, &h);
    gan_grid_draw_bytes(tl->img, tl->px, row * tl->per, tl->per, tl->rows, tl->cols, tl->scale);
    return gan_png_write(tl->path, tl->img, w, h, err);
}

void gan_timeline_free(gan_timeline *tl)
{
    free(tl->px);
    free(tl->img);
}

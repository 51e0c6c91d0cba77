/*
 * gan_image.h: sample grids and PNG files.
 * The grid follows torchvision's make_grid(nrow=N, padding=2, pad_value=0):
 * min(N, n) images a row, 2 black pixels around and between them; a sample
 * x in [-1, 1] becomes the grey level clamp((x + 1) / 2 * 255 + 0.5, 0, 255)
 * (save_image's rounding); each pixel may be enlarged to a scale x scale block.
 * Images have 1 (grey) or 3 (R, G, B) channels, each pixel's values together
 * ("HWC"); a grid and its PNG have the images' channels.
 */
#ifndef GAN_IMAGE_H
#define GAN_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "gan_common.h"

#define GAN_GRID_PAD 2

/** out (n) = the grey levels of samples x (n), as the grids draw them. */
void gan_to_pixels(uint8_t *out, const float *x, size_t n);
/** Width and height in pixels of the grid of n images of rows x cols. */
void gan_grid_size(int n, int nrow, int rows, int cols, int scale, int *w, int *h);
/** Draws samples x (n, rows*cols*channels) into img (h, w, channels). */
void gan_grid_draw(uint8_t *img, const float *x, int n, int nrow, int rows, int cols,
                   int channels, int scale);
/** The same from pixel values px (n, rows*cols*channels) made by gan_to_pixels. */
void gan_grid_draw_bytes(uint8_t *img, const uint8_t *px, int n, int nrow, int rows, int cols,
                         int channels, int scale);
/** Writes an 8-bit PNG of img (h, w, channels: 1 grey, 3 RGB) atomically
 *  (temporary file, then rename). */
int gan_png_write(const char *path, const uint8_t *img, int w, int h, int channels,
                  gan_err *err);

#endif

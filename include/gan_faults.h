/*
 * gan_faults.h: sample sets with known faults, made from real images, to show
 * what an evaluation notices (issue 17, item 4; gan-faults and
 * scripts/faults.sh). Images are bytes (n, rows, cols, channels), HWC, changed
 * in place:
 *   speckle: each pixel, with probability `rate`, set to black or white (half
 *            each; all its channels), from PCG32 stream 7 of the seed: the
 *            salt and pepper a person sees in a noisy grid;
 *   blur:    each value the mean of its 3 x 3 neighbourhood (clamped at the
 *            edges), rounded: soft strokes;
 *   shift:   the image moved right by dx and down by dy pixels (both >= 0),
 *            black coming in: digits off centre.
 */
#ifndef GAN_FAULTS_H
#define GAN_FAULTS_H

#include <stddef.h>
#include <stdint.h>

void gan_fault_speckle(uint8_t *px, size_t n, int rows, int cols, int channels, double rate,
                       uint64_t seed);
/* tmp: rows * cols * channels bytes of workspace */
void gan_fault_blur3(uint8_t *px, size_t n, int rows, int cols, int channels, uint8_t *tmp);
void gan_fault_shift(uint8_t *px, size_t n, int rows, int cols, int channels, int dx, int dy);

#endif

/* faults.c: known faults made in real images (see gan_faults.h). */
#include "gan_faults.h"

#include <assert.h>
#include <string.h>

#include "gan_rng.h"

void gan_fault_speckle(uint8_t *px, size_t n, int rows, int cols, int channels, double rate,
                       uint64_t seed)
{
    gan_rng rng;
    gan_rng_seed(&rng, seed, 7);
    /* a pixel is hit when u < rate, u uniform in [0, 1) from 24 bits */
    uint32_t bound = (uint32_t)(rate * 16777216.0 + 0.5);
    size_t pixels = n * (size_t)rows * cols;
    for (size_t i = 0; i < pixels; i++) {
        uint32_t u = gan_rng_u32(&rng);
        if ((u >> 8) < bound)
            memset(px + i * channels, (u & 1) ? 255 : 0, (size_t)channels);
    }
}

void gan_fault_blur3(uint8_t *px, size_t n, int rows, int cols, int channels, uint8_t *tmp)
{
    size_t size = (size_t)rows * cols * channels;
    for (size_t k = 0; k < n; k++) {
        uint8_t *img = px + k * size;
        memcpy(tmp, img, size);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                for (int ch = 0; ch < channels; ch++) {
                    unsigned sum = 0;
                    for (int dr = -1; dr <= 1; dr++)
                        for (int dc = -1; dc <= 1; dc++) {
                            int y = r + dr < 0 ? 0 : r + dr >= rows ? rows - 1 : r + dr;
                            int x = c + dc < 0 ? 0 : c + dc >= cols ? cols - 1 : c + dc;
                            sum += tmp[((size_t)y * cols + x) * channels + ch];
                        }
                    img[((size_t)r * cols + c) * channels + ch] = (uint8_t)((sum + 4) / 9);
                }
    }
}

void gan_fault_shift(uint8_t *px, size_t n, int rows, int cols, int channels, int dx, int dy)
{
    size_t size = (size_t)rows * cols * channels, row = (size_t)cols * channels;
    assert(dx >= 0 && dy >= 0);
    for (size_t k = 0; k < n; k++) {
        uint8_t *img = px + k * size;
        /* from the far corner backwards, so that no source is overwritten first */
        for (int r = rows - 1; r >= 0; r--)
            for (int c = cols - 1; c >= 0; c--) {
                int y = r - dy, x = c - dx;
                uint8_t *dst = img + (size_t)r * row + (size_t)c * channels;
                if (y < 0 || x < 0 || y >= rows || x >= cols)
                    memset(dst, 0, (size_t)channels);
                else
                    memcpy(dst, img + (size_t)y * row + (size_t)x * channels, (size_t)channels);
            }
    }
}

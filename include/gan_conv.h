/*
 * gan_conv.h: convolution and pooling for the layer library (gan_layers.h),
 * over images in "HWC" order, as every image of gan-train is (gan_idx.h):
 * a batch is (B, H, W, C), each pixel's channels together.
 *
 * conv2d: weight (OC, KH, KW, C) ("OHWI"), bias (OC), stride S, zero padding
 * P on every side; out (B, OH, OW, OC) with OH = (H + 2P - KH) / S + 1 (and
 * OW likewise), the numbers of PyTorch's F.conv2d once its weight (OC, C,
 * KH, KW) is permuted to (OC, KH, KW, C) and its NCHW tensors to NHWC. It
 * runs as im2col and one cblas_sgemm: col (B OH OW, KH KW C) holds every
 * patch, out = col weight^T + bias. The caller owns col (gan_conv2d_col_size
 * floats, sized once at init): no allocation per call.
 *
 * maxpool2: 2 x 2 windows, stride 2 (F.max_pool2d(x, 2)): out (B, H/2, W/2,
 * C), rows and columns past an even size dropped, as PyTorch does; the first
 * largest value of a window wins (in the order (0,0), (0,1), (1,0), (1,1)),
 * and a NaN wins over any number, as in PyTorch.
 *
 * flatten: a (B, H, W, C) tensor is (B, H W C) as it lies in memory, so no
 * function is needed; a PyTorch linear layer after nn.Flatten of NCHW has its
 * weight's columns in (C, H, W) order, which becomes (H, W, C) here.
 *
 * As in gan_layers.h, gradients are written, not added, and a NULL gradient
 * pointer skips that work.
 */
#ifndef GAN_CONV_H
#define GAN_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "gan_rng.h"

/** The sizes of one convolution. */
typedef struct {
    int H, W, C;          /* input */
    int OC, KH, KW;       /* output channels, kernel */
    int stride, pad;
    int OH, OW;           /* output (from the above) */
} gan_conv2d_shape;

/** Fills s; -1 where the sizes make no output (every size must be >= 1, the
 *  padding >= 0 and below the kernel, the padded input at least the kernel). */
int gan_conv2d_shape_init(gan_conv2d_shape *s, int H, int W, int C, int OC, int KH, int KW,
                          int stride, int pad);
/** Floats of the col workspace for a batch of B: B OH OW KH KW C. */
size_t gan_conv2d_col_size(const gan_conv2d_shape *s, int B);

/* col (B OH OW, KH KW C) = every patch of inp (B, H, W, C), zeros where the
 * padding is, each patch in (kh, kw, c) order */
void gan_im2col(float *col, const float *inp, const gan_conv2d_shape *s, int B);
/* dinp (B, H, W, C) = each patch of dcol (B OH OW, KH KW C) added back where it
 * was taken from (written: dinp is cleared first) */
void gan_col2im(float *dinp, const float *dcol, const gan_conv2d_shape *s, int B);

/* out (B, OH, OW, OC) = conv(inp (B, H, W, C)) with weight (OC, KH KW C) and
 * bias (OC; NULL: none); col (workspace) is left holding im2col(inp) */
void gan_conv2d_forward(float *out, float *col, const float *inp, const float *weight,
                        const float *bias, const gan_conv2d_shape *s, int B);
/* From dout (B, OH, OW, OC), with col holding im2col(inp) as forward left it:
 *   dweight (OC, KH KW C) = dout^T col          (skipped if NULL)
 *   dbias (OC) = column sums of dout            (skipped if NULL)
 *   dinp (B, H, W, C) = col2im(dout weight)     (skipped if NULL; col is
 *                                                overwritten then) */
void gan_conv2d_backward(float *dinp, float *dweight, float *dbias, float *col, const float *dout,
                         const float *weight, const gan_conv2d_shape *s, int B);
/* PyTorch's nn.Conv2d default initialisation (kaiming_uniform with a = sqrt(5)):
 * weight and bias each U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C KH KW;
 * the weight drawn in (OC, KH, KW, C) order, then the bias (as
 * gan_linear_init of a fan_in-wide layer). */
void gan_conv2d_init(float *weight, float *bias, const gan_conv2d_shape *s, gan_rng *rng);

/* out (B, H/2, W/2, C) = the largest of each 2 x 2 window of inp (B, H, W, C);
 * arg (B, H/2, W/2, C) = where in inp each came from (an index into inp) */
void gan_maxpool2_forward(float *out, int32_t *arg, const float *inp, int B, int H, int W, int C);
/* dinp (B, H, W, C) = dout (B, H/2, W/2, C) routed to the winners arg (written:
 * dinp is cleared first) */
void gan_maxpool2_backward(float *dinp, const float *dout, const int32_t *arg, int B, int H, int W,
                           int C);

#endif

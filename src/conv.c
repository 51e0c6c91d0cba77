/* conv.c: convolution (im2col and cblas_sgemm) and 2 x 2 max pooling over
 * HWC images; semantics in gan_conv.h. */
#include "gan_conv.h"

#include <cblas.h>
#include <string.h>

#include "gan_layers.h"

int gan_conv2d_shape_init(gan_conv2d_shape *s, int H, int W, int C, int OC, int KH, int KW,
                          int stride, int pad)
{
    memset(s, 0, sizeof *s);
    if (H < 1 || W < 1 || C < 1 || OC < 1 || KH < 1 || KW < 1 || stride < 1 || pad < 0 ||
        pad >= KH || pad >= KW || H + 2 * pad < KH || W + 2 * pad < KW)
        return -1;
    *s = (gan_conv2d_shape){H, W, C, OC, KH, KW, stride, pad, (H + 2 * pad - KH) / stride + 1,
                            (W + 2 * pad - KW) / stride + 1};
    return 0;
}

size_t gan_conv2d_col_size(const gan_conv2d_shape *s, int B)
{
    return (size_t)B * s->OH * s->OW * s->KH * s->KW * s->C;
}

/* The patch of output pixel (b, oy, ox): for each kernel row, the input row
 * it reads (or none: padding) and the run of kernel columns inside the image,
 * which in HWC is one contiguous run of floats (x steps by 1 with kw). */
void gan_im2col(float *col, const float *inp, const gan_conv2d_shape *s, int B)
{
    const int C = s->C, KW = s->KW, K = s->KH * s->KW * s->C;
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < s->OH; oy++)
            for (int ox = 0; ox < s->OW; ox++) {
                float *row = col + (((size_t)b * s->OH + oy) * s->OW + ox) * K;
                int x0 = ox * s->stride - s->pad; /* the image column of kw = 0 */
                int lo = x0 < 0 ? -x0 : 0;        /* kernel columns [lo, hi) are inside */
                int hi = s->W - x0 < KW ? s->W - x0 : KW;
                for (int kh = 0; kh < s->KH; kh++) {
                    int y = oy * s->stride - s->pad + kh;
                    float *dst = row + (size_t)kh * KW * C;
                    if (y < 0 || y >= s->H || hi <= lo) {
                        memset(dst, 0, sizeof(float) * (size_t)KW * C);
                        continue;
                    }
                    memset(dst, 0, sizeof(float) * (size_t)lo * C);
                    memcpy(dst + (size_t)lo * C,
                           inp + (((size_t)b * s->H + y) * s->W + x0 + lo) * C,
                           sizeof(float) * (size_t)(hi - lo) * C);
                    memset(dst + (size_t)hi * C, 0, sizeof(float) * (size_t)(KW - hi) * C);
                }
            }
}

void gan_col2im(float *dinp, const float *dcol, const gan_conv2d_shape *s, int B)
{
    const int C = s->C, KW = s->KW, K = s->KH * s->KW * s->C;
    memset(dinp, 0, sizeof(float) * (size_t)B * s->H * s->W * C);
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < s->OH; oy++)
            for (int ox = 0; ox < s->OW; ox++) {
                const float *row = dcol + (((size_t)b * s->OH + oy) * s->OW + ox) * K;
                for (int kh = 0; kh < s->KH; kh++) {
                    int y = oy * s->stride - s->pad + kh;
                    if (y < 0 || y >= s->H)
                        continue;
                    for (int kw = 0; kw < KW; kw++) {
                        int x = ox * s->stride - s->pad + kw;
                        if (x < 0 || x >= s->W)
                            continue;
                        const float *src = row + ((size_t)kh * KW + kw) * C;
                        float *dst = dinp + (((size_t)b * s->H + y) * s->W + x) * C;
                        for (int c = 0; c < C; c++)
                            dst[c] += src[c];
                    }
                }
            }
}

void gan_conv2d_forward(float *out, float *col, const float *inp, const float *weight,
                        const float *bias, const gan_conv2d_shape *s, int B)
{
    const int M = B * s->OH * s->OW, K = s->KH * s->KW * s->C;
    gan_im2col(col, inp, s, B);
    /* out (M, OC) = col (M, K) weight (OC, K)^T, the linear layer's product */
    gan_linear_forward(out, col, weight, bias, M, K, s->OC);
}

void gan_conv2d_backward(float *dinp, float *dweight, float *dbias, float *col, const float *dout,
                         const float *weight, const gan_conv2d_shape *s, int B)
{
    const int M = B * s->OH * s->OW, K = s->KH * s->KW * s->C;
    /* dweight and dbias from col (im2col(inp)) first, then col becomes dcol */
    gan_linear_backward(NULL, dweight, dbias, dout, col, weight, M, K, s->OC);
    if (!dinp)
        return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, K, s->OC, 1.0f, dout, s->OC, weight,
                K, 0.0f, col, K); /* dcol (M, K) = dout (M, OC) weight (OC, K) */
    gan_col2im(dinp, col, s, B);
}

void gan_conv2d_init(float *weight, float *bias, const gan_conv2d_shape *s, gan_rng *rng)
{
    gan_linear_init(weight, bias, s->KH * s->KW * s->C, s->OC, rng);
}

void gan_maxpool2_forward(float *out, int32_t *arg, const float *inp, int B, int H, int W, int C)
{
    const int OH = H / 2, OW = W / 2;
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                /* the window's pixels in the order (0,0), (0,1), (1,0), (1,1) */
                size_t at[4];
                at[0] = (((size_t)b * H + 2 * oy) * W + 2 * ox) * C;
                at[1] = at[0] + (size_t)C;
                at[2] = at[0] + (size_t)W * C;
                at[3] = at[2] + (size_t)C;
                size_t o = (((size_t)b * OH + oy) * OW + ox) * C;
                for (int c = 0; c < C; c++) {
                    size_t best = at[0] + (size_t)c;
                    float v = inp[best];
                    for (int k = 1; k < 4; k++) {
                        float u = inp[at[k] + (size_t)c];
                        if (u > v || (u != u && v == v)) { /* a NaN wins, as in PyTorch */
                            v = u;
                            best = at[k] + (size_t)c;
                        }
                    }
                    out[o + (size_t)c] = v;
                    arg[o + (size_t)c] = (int32_t)best;
                }
            }
}

void gan_maxpool2_backward(float *dinp, const float *dout, const int32_t *arg, int B, int H, int W,
                           int C)
{
    size_t n = (size_t)B * (H / 2) * (W / 2) * C;
    memset(dinp, 0, sizeof(float) * (size_t)B * H * W * C);
    for (size_t o = 0; o < n; o++)
        dinp[arg[o]] += dout[o];
}

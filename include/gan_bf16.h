/*
 * gan_bf16.h: the MLP's products with bfloat16 inputs and fp32 accumulation
 * (--precision bf16, issue 20), through oneDNN's matmul where gan-train was
 * built with it (libdnnl-dev) and the CPU has AVX512-BF16 or AMX.
 *
 * Each product takes fp32 operands, rounds the parts it reads to bfloat16
 * (round to nearest even, as VCVTNE2PS2BF16 does: subnormals to zero) into
 * the calling thread's scratch, and has oneDNN multiply them with fp32
 * accumulation into the fp32 output. Master weights, gradients' outputs,
 * Adam and the losses stay fp32: only the products' inputs are rounded.
 *
 * The three products are gan_layers.h's column-cut ones, with the same
 * arguments and meaning, plus the context and the thread's part:
 *   out[:, lo:hi] (B, OC) = inp (B, C) @ weight[lo:hi, :]^T
 *   dinp[:, lo:hi] (B, C) = dout (B, OC) @ weight[:, lo:hi]
 *   dweight[lo:hi, :] (OC, C) = dout[:, lo:hi]^T @ inp (B, C) + beta dweight[lo:hi, :]
 * (beta 0 or 1: the layers' products use no other)
 * A product's oneDNN primitive is made on its shape's first call (the first
 * training step) and kept; afterwards a call allocates nothing. A failure of
 * oneDNN inside a product cannot stop the pass that called it: it is kept
 * (the product writes zeros) and gan_bf16_error reports it after the step.
 */
#ifndef GAN_BF16_H
#define GAN_BF16_H

#include <stddef.h>

#include "gan_common.h"

typedef struct gan_bf16 gan_bf16;

/** 0 when bf16 products can run here; else -1 and err says why: gan-train
 *  was built without oneDNN, or the CPU has neither AVX512-BF16 nor AMX
 *  (as oneDNN sees it: ONEDNN_MAX_CPU_ISA lowers what it sees). */
int gan_bf16_available(gan_err *err);
/** A context for `threads` parts whose operands hold at most `elems` floats
 *  each (a product reads two); NULL with err set when it cannot be made. */
gan_bf16 *gan_bf16_new(int threads, size_t elems, gan_err *err);
void gan_bf16_free(gan_bf16 *ctx);
/** 0, or -1 with err set to the first failure of a product since the last call. */
int gan_bf16_error(gan_bf16 *ctx, gan_err *err);

void gan_bf16_forward_cols(gan_bf16 *ctx, int part, float *out, const float *inp,
                           const float *weight, int B, int C, int OC, int lo, int hi);
void gan_bf16_backward_input_cols(gan_bf16 *ctx, int part, float *dinp, const float *dout,
                                  const float *weight, int B, int C, int OC, int lo, int hi);
void gan_bf16_backward_weight_rows(gan_bf16 *ctx, int part, float *dweight, const float *dout,
                                   const float *inp, int B, int C, int OC, int lo, int hi,
                                   float beta);

/** x (n) rounded to bfloat16 and back, as the products round their inputs
 *  (the tests' reference; any CPU). */
void gan_bf16_round(float *x, size_t n);

#endif

/* bf16.c: the MLP's products in bfloat16 through oneDNN (gan_bf16.h). */
#include "gan_bf16.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void gan_bf16_round(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        if ((u & 0x7f800000u) == 0)
            u &= 0x80000000u; /* subnormal: signed zero */
        else if ((u & 0x7fffffffu) > 0x7f800000u)
            u |= 0x00400000u; /* NaN: quiet */
        else
            u += 0x7fffu + ((u >> 16) & 1u);
        u &= 0xffff0000u;
        memcpy(&x[i], &u, 4);
    }
}

#ifndef GAN_HAVE_DNNL

int gan_bf16_available(gan_err *err)
{
    return gan_err_set(err, "--precision bf16: this gan-train was built without oneDNN "
                       "(apt-get install libdnnl-dev, then build again)");
}

gan_bf16 *gan_bf16_new(int threads, size_t elems, gan_err *err)
{
    (void)threads;
    (void)elems;
    gan_bf16_available(err);
    return NULL;
}

void gan_bf16_free(gan_bf16 *ctx)
{
    (void)ctx;
}

int gan_bf16_error(gan_bf16 *ctx, gan_err *err)
{
    (void)ctx;
    (void)err;
    return 0;
}

/* Never reached: no context can be made without oneDNN. */
void gan_bf16_forward_cols(gan_bf16 *ctx, int part, float *out, const float *inp,
                           const float *weight, int B, int C, int OC, int lo, int hi)
{
    (void)ctx, (void)part, (void)out, (void)inp, (void)weight, (void)B, (void)C, (void)OC;
    (void)lo, (void)hi;
}

void gan_bf16_backward_input_cols(gan_bf16 *ctx, int part, float *dinp, const float *dout,
                                  const float *weight, int B, int C, int OC, int lo, int hi)
{
    (void)ctx, (void)part, (void)dinp, (void)dout, (void)weight, (void)B, (void)C, (void)OC;
    (void)lo, (void)hi;
}

void gan_bf16_backward_weight_rows(gan_bf16 *ctx, int part, float *dweight, const float *dout,
                                   const float *inp, int B, int C, int OC, int lo, int hi,
                                   float beta)
{
    (void)ctx, (void)part, (void)dweight, (void)dout, (void)inp, (void)B, (void)C, (void)OC;
    (void)lo, (void)hi, (void)beta;
}

#else

#include <assert.h>
#include <immintrin.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdio.h>

enum { KIND_FORWARD, KIND_INPUT, KIND_WEIGHT };
#define MAX_PRIMS 64 /* shapes a part meets: 3 layers x 3 products x a few batches */

typedef struct {
    int kind, M, N, K, ldc, sum;
    dnnl_primitive_t prim;
    dnnl_memory_t src, wei, dst;
} prim_entry;

typedef struct {
    uint16_t *a, *b;             /* (elems) each: the operands in bfloat16 */
    float *c;                    /* (elems) a column cut's output, compact */
    dnnl_stream_t stream;
    prim_entry prims[MAX_PRIMS];
    int nprims;
    char failed[200];            /* the first failure, "" while none */
} part_state;

struct gan_bf16 {
    dnnl_engine_t engine;
    int nparts;
    part_state *parts;
};

int gan_bf16_available(gan_err *err)
{
    if (!__builtin_cpu_supports("avx512bf16"))
        return gan_err_set(err, "--precision bf16: this CPU has neither AVX512-BF16 nor AMX; "
                           "use --precision fp32");
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    if (((unsigned)isa & dnnl_cpu_isa_avx512_core_bf16) != dnnl_cpu_isa_avx512_core_bf16)
        return gan_err_set(err, "--precision bf16: oneDNN may not use this CPU's AVX512-BF16 "
                           "(ONEDNN_MAX_CPU_ISA?); use --precision fp32");
    return 0;
}

void gan_bf16_free(gan_bf16 *ctx)
{
    if (!ctx)
        return;
    for (int p = 0; ctx->parts && p < ctx->nparts; p++) {
        part_state *s = &ctx->parts[p];
        for (int i = 0; i < s->nprims; i++) {
            dnnl_primitive_destroy(s->prims[i].prim);
            dnnl_memory_destroy(s->prims[i].src);
            dnnl_memory_destroy(s->prims[i].wei);
            dnnl_memory_destroy(s->prims[i].dst);
        }
        if (s->stream)
            dnnl_stream_destroy(s->stream);
        free(s->a);
        free(s->b);
        free(s->c);
    }
    free(ctx->parts);
    if (ctx->engine)
        dnnl_engine_destroy(ctx->engine);
    free(ctx);
}

gan_bf16 *gan_bf16_new(int threads, size_t elems, gan_err *err)
{
    if (gan_bf16_available(err) != 0)
        return NULL;
    gan_bf16 *ctx = calloc(1, sizeof *ctx);
    if (!ctx || !(ctx->parts = calloc((size_t)threads, sizeof *ctx->parts))) {
        free(ctx);
        gan_err_set(err, "out of memory for the bf16 products");
        return NULL;
    }
    ctx->nparts = threads;
    if (dnnl_engine_create(&ctx->engine, dnnl_cpu, 0) != dnnl_success) {
        gan_bf16_free(ctx);
        gan_err_set(err, "--precision bf16: oneDNN could not open the CPU engine");
        return NULL;
    }
    for (int p = 0; p < threads; p++) {
        part_state *s = &ctx->parts[p];
        /* 64-byte aligned, whole vectors */
        size_t bytes = ((elems * 2 + 63) / 64) * 64;
        s->a = aligned_alloc(64, bytes);
        s->b = aligned_alloc(64, bytes);
        s->c = aligned_alloc(64, bytes * 2);
        if (!s->a || !s->b || !s->c ||
            dnnl_stream_create(&s->stream, ctx->engine, dnnl_stream_default_flags) != dnnl_success) {
            gan_bf16_free(ctx);
            gan_err_set(err, "out of memory for the bf16 products");
            return NULL;
        }
    }
    return ctx;
}

int gan_bf16_error(gan_bf16 *ctx, gan_err *err)
{
    for (int p = 0; ctx && p < ctx->nparts; p++)
        if (ctx->parts[p].failed[0]) {
            gan_err_set(err, "--precision bf16: %s", ctx->parts[p].failed);
            ctx->parts[p].failed[0] = '\0';
            return -1;
        }
    return 0;
}

/* dst (rows * cols, compact) = src's rows (row stride ld) rounded to bfloat16.
 * VCVTNEPS2BF16 rounds as gan_bf16_round does. */
__attribute__((target("avx512f,avx512bf16"))) static void to_bf16(uint16_t *dst, const float *src,
                                                                  int rows, int cols, size_t ld)
{
    for (int r = 0; r < rows; r++) {
        const float *s = src + (size_t)r * ld;
        uint16_t *d = dst + (size_t)r * cols;
        int j = 0;
        for (; j + 32 <= cols; j += 32) {
            __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(s + j + 16), _mm512_loadu_ps(s + j));
            _mm512_storeu_si512((void *)(d + j), (__m512i)v);
        }
        for (; j + 16 <= cols; j += 16) {
            __m256bh v = _mm512_cvtneps_pbh(_mm512_loadu_ps(s + j));
            _mm256_storeu_si256((__m256i *)(void *)(d + j), (__m256i)v);
        }
        if (j < cols) {
            __mmask16 k = (__mmask16)((1u << (cols - j)) - 1u);
            __m256bh v = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(k, s + j));
            uint16_t tail[16];
            _mm256_storeu_si256((__m256i *)(void *)tail, (__m256i)v);
            memcpy(d + j, tail, sizeof(uint16_t) * (size_t)(cols - j));
        }
    }
}

static int mem_2d(dnnl_memory_t *m, dnnl_engine_t eng, dnnl_dim_t d0, dnnl_dim_t d1,
                  dnnl_dim_t s0, dnnl_dim_t s1, dnnl_data_type_t dt, void *handle)
{
    dnnl_memory_desc_t md;
    dnnl_dims_t dims = {d0, d1}, strides = {s0, s1};
    if (dnnl_memory_desc_init_by_strides(&md, 2, dims, dt, strides) != dnnl_success)
        return -1;
    return dnnl_memory_create(m, &md, eng, handle) == dnnl_success ? 0 : -1;
}

/* The matmul dst (M, N) [row stride ldc] (+)= src (M, K) @ wei (K, N), src
 * and wei the part's scratch in bfloat16: src compact (M, K), or for
 * KIND_WEIGHT compact (K, M) read transposed; wei compact (K, N), or for
 * KIND_FORWARD compact (N, K) read transposed. */
static prim_entry *make_prim(gan_bf16 *ctx, part_state *s, const prim_entry *key)
{
    if (s->nprims == MAX_PRIMS) {
        snprintf(s->failed, sizeof s->failed, "more than %d product shapes", MAX_PRIMS);
        return NULL;
    }
    prim_entry *e = &s->prims[s->nprims];
    *e = *key;
    e->prim = NULL;
    e->src = e->wei = e->dst = NULL;
    const int M = key->M, N = key->N, K = key->K;
    dnnl_memory_desc_t src, wei, dst;
    dnnl_dims_t ds = {M, K}, dw = {K, N}, dd = {M, N};
    dnnl_dims_t ss = {K, 1}, sw = {N, 1}, sd = {key->ldc, 1};
    if (key->kind == KIND_WEIGHT)
        ss[0] = 1, ss[1] = M;
    if (key->kind == KIND_FORWARD)
        sw[0] = 1, sw[1] = K;
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    int ok = dnnl_memory_desc_init_by_strides(&src, 2, ds, dnnl_bf16, ss) == dnnl_success &&
             dnnl_memory_desc_init_by_strides(&wei, 2, dw, dnnl_bf16, sw) == dnnl_success &&
             dnnl_memory_desc_init_by_strides(&dst, 2, dd, dnnl_f32, sd) == dnnl_success &&
             dnnl_matmul_desc_init(&desc, &src, &wei, NULL, &dst) == dnnl_success &&
             dnnl_primitive_attr_create(&attr) == dnnl_success;
    if (ok && key->sum)
        ok = dnnl_post_ops_create(&ops) == dnnl_success &&
             dnnl_post_ops_append_sum(ops, 1.0f) == dnnl_success &&
             dnnl_primitive_attr_set_post_ops(attr, ops) == dnnl_success;
    ok = ok && dnnl_primitive_desc_create(&pd, &desc, attr, ctx->engine, NULL) == dnnl_success &&
         dnnl_primitive_create(&e->prim, pd) == dnnl_success;
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    if (ops)
        dnnl_post_ops_destroy(ops);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    ok = ok && mem_2d(&e->src, ctx->engine, M, K, ss[0], ss[1], dnnl_bf16, s->a) == 0 &&
         mem_2d(&e->wei, ctx->engine, K, N, sw[0], sw[1], dnnl_bf16, s->b) == 0 &&
         mem_2d(&e->dst, ctx->engine, M, N, sd[0], sd[1], dnnl_f32, DNNL_MEMORY_NONE) == 0;
    if (!ok) {
        dnnl_primitive_destroy(e->prim); /* each NULL-safe: what was made before the failure */
        dnnl_memory_destroy(e->src);
        dnnl_memory_destroy(e->wei);
        dnnl_memory_destroy(e->dst);
        snprintf(s->failed, sizeof s->failed, "oneDNN could not make a %d x %d x %d product", M,
                 N, K);
        return NULL;
    }
    s->nprims++;
    return e;
}

/* Runs the product of this key on the part's scratch into dst; zeros on
 * failure. A column cut (ldc > N) is computed compact and copied into place:
 * oneDNN then runs the same kernel, summing in the same order, for a cut as
 * for the whole, so a run gives the same bits on any thread count. */
static void run(gan_bf16 *ctx, int part, const prim_entry *whole, float *out)
{
    part_state *s = &ctx->parts[part];
    prim_entry k = *whole;
    float *dst = out;
    if (k.ldc > k.N && !k.sum) {
        k.ldc = k.N;
        dst = s->c;
    }
    prim_entry *e = NULL;
    for (int i = 0; i < s->nprims && !e; i++) {
        prim_entry *c = &s->prims[i];
        if (c->kind == k.kind && c->M == k.M && c->N == k.N && c->K == k.K && c->ldc == k.ldc &&
            c->sum == k.sum)
            e = c;
    }
    /* oneDNN runs on OpenMP: one thread inside each of ours (a per-thread setting) */
    omp_set_num_threads(1);
    if (!e && !s->failed[0])
        e = make_prim(ctx, s, &k);
    if (e) {
        dnnl_exec_arg_t args[3] = {
            {DNNL_ARG_SRC, e->src}, {DNNL_ARG_WEIGHTS, e->wei}, {DNNL_ARG_DST, e->dst}};
        if (dnnl_memory_set_data_handle(e->dst, dst) == dnnl_success &&
            dnnl_primitive_execute(e->prim, s->stream, 3, args) == dnnl_success) {
            for (int i = 0; dst != out && i < k.M; i++)
                memcpy(out + (size_t)i * whole->ldc, dst + (size_t)i * k.N,
                       sizeof(float) * (size_t)k.N);
            return;
        }
        if (!s->failed[0])
            snprintf(s->failed, sizeof s->failed, "a %d x %d x %d product failed in oneDNN", k.M,
                     k.N, k.K);
    }
    for (int i = 0; i < whole->M; i++)
        memset(out + (size_t)i * whole->ldc, 0, sizeof(float) * (size_t)whole->N);
}

void gan_bf16_forward_cols(gan_bf16 *ctx, int part, float *out, const float *inp,
                           const float *weight, int B, int C, int OC, int lo, int hi)
{
    if (lo >= hi)
        return;
    part_state *s = &ctx->parts[part];
    to_bf16(s->a, inp, B, C, (size_t)C);
    to_bf16(s->b, weight + (size_t)lo * C, hi - lo, C, (size_t)C);
    prim_entry key = {.kind = KIND_FORWARD, .M = B, .N = hi - lo, .K = C, .ldc = OC};
    run(ctx, part, &key, out + lo);
}

void gan_bf16_backward_input_cols(gan_bf16 *ctx, int part, float *dinp, const float *dout,
                                  const float *weight, int B, int C, int OC, int lo, int hi)
{
    if (lo >= hi)
        return;
    part_state *s = &ctx->parts[part];
    to_bf16(s->a, dout, B, OC, (size_t)OC);
    to_bf16(s->b, weight + lo, OC, hi - lo, (size_t)C);
    prim_entry key = {.kind = KIND_INPUT, .M = B, .N = hi - lo, .K = OC, .ldc = C};
    run(ctx, part, &key, dinp + lo);
}

void gan_bf16_backward_weight_rows(gan_bf16 *ctx, int part, float *dweight, const float *dout,
                                   const float *inp, int B, int C, int OC, int lo, int hi,
                                   float beta)
{
    assert(beta == 0.0f || beta == 1.0f); /* oneDNN's sum post-op adds dweight once */
    if (lo >= hi)
        return;
    part_state *s = &ctx->parts[part];
    to_bf16(s->a, dout + lo, B, hi - lo, (size_t)OC);
    to_bf16(s->b, inp, B, C, (size_t)C);
    prim_entry key = {.kind = KIND_WEIGHT, .M = hi - lo, .N = C, .K = B, .ldc = C,
                      .sum = beta != 0.0f};
    run(ctx, part, &key, dweight + (size_t)lo * C);
}

#endif

/*
 * bench_cuts.c: gan-bench --cut-bits. With N threads each thread computes its
 * columns of a product (gan_model.h's cuts, at multiples of GAN_COL_ALIGN)
 * with its own cblas_sgemm call, and OpenBLAS picks the kernel of a call by
 * its shape: a narrow cut can go to another kernel (a small-matrix or a
 * "direct" one) than the whole product, which sums in another order. This
 * says, for every product a training step of this model runs, at which
 * thread counts from 2 to GAN_POOL_MAX_DEFAULT the cut product keeps the
 * bits of the whole one (what one thread computes): the full batch and the
 * epoch's last, partial one (D runs on both its real and fake rows, 2b).
 * Random inputs; a sum in another order differs in some of its elements.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan_layers.h"
#include "gan_model.h"
#include "gan_rng.h"
#include "gan_train.h"

#include "bench_cuts.h"

enum { P_FORWARD, P_INPUT, P_WEIGHT, P_WEIGHT_ADD, P_KINDS };
static const char *const product_name[P_KINDS] = {"forward", "input_grad", "weight_grad",
                                                  "weight_grad_add"};

typedef struct {
    float *x, *w, *d, *init, *whole, *cut; /* inputs, the output's start, two outputs */
    int differ[GAN_POOL_MAX_DEFAULT + 1];  /* products that differ, per thread count */
    int products;
} cut_work;

/* Columns (or weight rows) [lo, hi) of product `kind` of a layer C -> OC on B rows. */
static void product(const cut_work *k, int kind, float *out, int B, int C, int OC, int lo, int hi)
{
    if (kind == P_FORWARD)
        gan_linear_forward_cols(out, k->x, k->w, B, C, OC, lo, hi);
    else if (kind == P_INPUT)
        gan_linear_backward_input_cols(out, k->d, k->w, B, C, OC, lo, hi);
    else
        gan_linear_backward_weight_rows(out, k->d, k->x, B, C, OC, lo, hi,
                                        kind == P_WEIGHT_ADD ? 1.0f : 0.0f);
}

/* One product at every thread count; prints its line. */
static void check_product(cut_work *k, const char *net, int l, int kind, int B, int C, int OC)
{
    size_t n = kind == P_FORWARD ? (size_t)B * OC
               : kind == P_INPUT ? (size_t)B * C
                                 : (size_t)OC * C;
    int width = kind == P_INPUT ? C : OC;
    memcpy(k->whole, k->init, sizeof(float) * n);
    product(k, kind, k->whole, B, C, OC, 0, width);
    printf("cut_bits net=%s layer=%d product=%s rows=%d in=%d out=%d differ_threads=", net, l,
           product_name[kind], B, C, OC);
    int any = 0;
    for (int t = 2; t <= GAN_POOL_MAX_DEFAULT; t++) {
        memcpy(k->cut, k->init, sizeof(float) * n);
        for (int p = 0; p < t; p++) {
            gan_team team = {NULL, p, t};
            size_t lo, hi;
            gan_team_range(&team, (size_t)width, GAN_COL_ALIGN, &lo, &hi);
            product(k, kind, k->cut, B, C, OC, (int)lo, (int)hi);
        }
        if (memcmp(k->whole, k->cut, sizeof(float) * n)) {
            printf("%s%d", any ? "," : "", t);
            any = 1;
            k->differ[t]++;
        }
    }
    printf("%s\n", any ? "" : "none");
    k->products++;
}

/* Net m's products on B rows: G's (d = 0) need no input gradient at layer 0
 * (z) and no penalty's weight gradients added into its own. */
static void check_net(cut_work *k, const gan_mlp *m, const char *net, int is_d, int B)
{
    for (int l = 0; l < 3; l++)
        for (int kind = 0; kind < P_KINDS; kind++)
            if (is_d || (kind != P_WEIGHT_ADD && !(kind == P_INPUT && l == 0)))
                check_product(k, net, l, kind, B, m->dims[l], m->dims[l + 1]);
}

static int report(const gan_mlp *G, const gan_mlp *D, int batch, uint32_t count, gan_err *err)
{
    int rest = (int)(count % (uint32_t)batch);
    /* every operand and output of a product fits the largest of either net
     * at its cap rows (G's b, D's 2b) */
    size_t g = gan_mlp_operand_max(G), d = gan_mlp_operand_max(D), o = g > d ? g : d;
    cut_work k;
    memset(&k, 0, sizeof k);
    float **buf[6] = {&k.x, &k.d, &k.w, &k.init, &k.whole, &k.cut};
    int rc = 0;
    for (int i = 0; i < 6; i++)
        if (!(*buf[i] = malloc(sizeof(float) * o)))
            rc = gan_err_set(err, "out of memory for the products of --cut-bits");
    if (rc != 0)
        goto done;
    gan_rng rng;
    gan_rng_seed(&rng, 7, 11);
    for (int i = 0; i < 4; i++) /* x, d, w, init */
        for (size_t j = 0; j < o; j++)
            (*buf[i])[j] = gan_rng_uniform(&rng, -1.0f, 1.0f);
    int sizes[2] = {batch, rest};
    for (int s = 0; s < 2 && sizes[s] > 0; s++) {
        check_net(&k, G, "G", 0, sizes[s]);
        check_net(&k, D, "D", 1, sizes[s]);
        check_net(&k, D, "D", 1, 2 * sizes[s]);
    }
    printf("cut_bits_products=%d\ncut_bits_last_batch=%d\ncut_bits_same_threads=", k.products,
           rest);
    int any = 0;
    for (int t = 2; t <= GAN_POOL_MAX_DEFAULT; t++)
        if (!k.differ[t]) {
            printf("%s%d", any ? "," : "", t);
            any = 1;
        }
    printf("%s\ncut_bits_differing=", any ? "" : "none");
    for (int t = 2; t <= GAN_POOL_MAX_DEFAULT; t++)
        printf("%d:%d%s", t, k.differ[t], t < GAN_POOL_MAX_DEFAULT ? "," : "\n");
done:
    for (int i = 0; i < 6; i++)
        free(*buf[i]);
    return rc;
}

int bench_cut_bits(const gan_config *cfg_in, gan_dataset *ds)
{
    gan_err err = {""};
    gan_config cfg = *cfg_in;
    cfg.threads = 1;
    cfg.precision = GAN_PREC_FP32;
    gan_trainer t;
    int rc = gan_trainer_init(&t, &cfg, (int)gan_dataset_image_size(ds), ds->count, &err);
    if (rc == 0) {
        printf("kernel=%s\nbatch=%d\nimages=%u\n", openblas_get_corename(), cfg.batch,
               ds->count);
        rc = report(&t.G, &t.D, cfg.batch, ds->count, &err);
        gan_trainer_free(&t);
    }
    gan_dataset_free(ds);
    if (rc != 0)
        fprintf(stderr, "gan-bench: %s\n", err.msg);
    return rc != 0;
}

/* oracle.c: eval.sh's helper, a conditional generator whose answer is known.
 *   oracle DATA SHIFT OUT   writes OUT, a G.safetensors (conditional, 10
 *                           classes, the one-hot at every layer) that draws for
 *                           class k, whatever z, the first test image of DATA
 *                           of class (k + SHIFT) mod 10: every weight 0, the
 *                           last layer's class bias atanh of that image. So
 *                           with SHIFT 0 a classifier reads every sample as
 *                           asked, with SHIFT 1 none. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gan_idx.h"
#include "gan_model.h"
#include "gan_safetensors.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: oracle DATA SHIFT OUT\n");
        return 2;
    }
    gan_dataset test;
    gan_err err = {""};
    if (gan_dataset_load(&test, argv[1], "t10k", 0, 0, &err) != 0) {
        fprintf(stderr, "oracle: %s\n", err.msg);
        return 1;
    }
    const int K = 10, P = (int)gan_dataset_image_size(&test), shift = atoi(argv[2]);
    gan_cond c = {K, 7u, 0, 0};
    gan_mlp G;
    if (gan_mlp_init_cond(&G, 4, 4, 4, P, 0.0f, GAN_ACT_TANH, 1, &c, &err) != 0) {
        fprintf(stderr, "oracle: %s\n", err.msg);
        return 1;
    }
    float *x = malloc(sizeof(float) * (size_t)P);
    int found = 0;
    for (int k = 0; k < K && x; k++) {
        uint32_t i = 0;
        while (i < test.count && test.labels[i] != (k + shift) % K)
            i++;
        if (i == test.count)
            break;
        gan_dataset_batch(&test, &i, 1, x);
        for (int p = 0; p < P; p++) {
            float v = x[p] < -0.9999f ? -0.9999f : x[p] > 0.9999f ? 0.9999f : x[p];
            G.p.cb[2][(size_t)k * P + p] = atanhf(v);
        }
        found++;
    }
    char rs[16], cs[16];
    snprintf(rs, sizeof rs, "%u", test.rows);
    snprintf(cs, sizeof cs, "%u", test.cols);
    const char *meta[] = {"network", "generator", "conditional", "true", "classes", "10",
                          "cond_g", "all", "rows", rs, "cols", cs};
    int rc = found == K && gan_st_write(argv[3], &G, meta, 6, &err) == 0 ? 0 : 1;
    if (rc)
        fprintf(stderr, "oracle: %s\n", err.msg[0] ? err.msg : "a class has no test image");
    free(x);
    gan_mlp_free(&G);
    gan_dataset_free(&test);
    return rc;
}

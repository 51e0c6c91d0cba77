/*
 * faults_main.c: gan-faults, sample sets with known faults from real images,
 * for judging an evaluation (scripts/faults.sh; gan_faults.h):
 *   gan-faults DATA OUT [N] [SEED]
 * takes the first N (default 10,000) images of DATA's training split and
 * writes, as IDX files of the data's shape, OUT/clean.idx (them), speckle1,
 * speckle3, speckle10 (1%, 3%, 10% of the pixels black or white), blur (3 x 3
 * mean), shift (3 pixels to the right), low (the first N of the digits 0-4,
 * again from the start where there are fewer) and one (likewise digit 1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan_faults.h"
#include "gan_file.h"
#include "gan_idx.h"

/* The first n images of ds whose label is at most `hi` and at least `lo`,
 * cycling; -1 when there is none. */
static int pick(uint8_t *out, const gan_dataset *ds, size_t n, int lo, int hi)
{
    size_t size = gan_dataset_image_size(ds), got = 0;
    for (int pass = 0; got < n && pass < 1000; pass++) {
        size_t before = got;
        for (uint32_t i = 0; i < ds->count && got < n; i++)
            if (ds->labels[i] >= lo && ds->labels[i] <= hi)
                memcpy(out + got++ * size, ds->pixels + (size_t)i * size, size);
        if (got == before)
            return -1;
    }
    return 0;
}

static int save(const char *dir, const char *name, const uint8_t *px, size_t n,
                const gan_dataset *ds, gan_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.idx", dir, name);
    return gan_idx_write_images(path, (uint32_t)n, ds->rows, ds->cols, ds->channels, px, err);
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: gan-faults DATA OUT [N] [SEED]\n");
        return 2;
    }
    long n = argc > 3 ? strtol(argv[3], NULL, 10) : 10000;
    unsigned long long seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
    if (n < 10 || n > 1000000) {
        fprintf(stderr, "gan-faults: N must be 10 to 1000000\n");
        return 2;
    }
    gan_dataset ds;
    gan_err err = {""};
    if (gan_dataset_load(&ds, argv[1], "train", 0, 0, &err) != 0 || gan_make_dirs(argv[2], &err) != 0) {
        fprintf(stderr, "gan-faults: %s\n", err.msg);
        return 1;
    }
    if ((size_t)n > ds.count) {
        fprintf(stderr, "gan-faults: %s holds %u training images, fewer than %ld\n", argv[1],
                ds.count, n);
        gan_dataset_free(&ds);
        return 1;
    }
    size_t size = gan_dataset_image_size(&ds);
    int R = (int)ds.rows, C = (int)ds.cols, CH = (int)ds.channels, rc = 0;
    uint8_t *px = malloc((size_t)n * size), *tmp = malloc(size);
    if (!px || !tmp) {
        fprintf(stderr, "gan-faults: out of memory\n");
        return 1;
    }
    static const double rates[3] = {0.01, 0.03, 0.10};
    static const char *const speck[3] = {"speckle1", "speckle3", "speckle10"};
    rc |= save(argv[2], "clean", ds.pixels, (size_t)n, &ds, &err);
    for (int k = 0; k < 3 && rc == 0; k++) {
        memcpy(px, ds.pixels, (size_t)n * size);
        gan_fault_speckle(px, (size_t)n, R, C, CH, rates[k], seed);
        rc |= save(argv[2], speck[k], px, (size_t)n, &ds, &err);
    }
    memcpy(px, ds.pixels, (size_t)n * size);
    gan_fault_blur3(px, (size_t)n, R, C, CH, tmp);
    rc |= rc ? 0 : save(argv[2], "blur", px, (size_t)n, &ds, &err);
    memcpy(px, ds.pixels, (size_t)n * size);
    gan_fault_shift(px, (size_t)n, R, C, CH, 3, 0);
    rc |= rc ? 0 : save(argv[2], "shift", px, (size_t)n, &ds, &err);
    if (rc == 0 && pick(px, &ds, (size_t)n, 0, 4) == 0)
        rc |= save(argv[2], "low", px, (size_t)n, &ds, &err);
    if (rc == 0 && pick(px, &ds, (size_t)n, 1, 1) == 0)
        rc |= save(argv[2], "one", px, (size_t)n, &ds, &err);
    if (rc)
        fprintf(stderr, "gan-faults: %s\n", err.msg);
    free(px);
    free(tmp);
    gan_dataset_free(&ds);
    return rc ? 1 : 0;
}

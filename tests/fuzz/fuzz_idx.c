/* fuzz_idx.c: the IDX reader (raw and gzip) on any bytes, as grey images,
 * colour images and labels, and as an image file of either kind (eval
 * --samples): it must return an error or a consistent result, never crash. */
#include "fuzz_common.h" /* first: it sets _GNU_SOURCE */
#include <stdlib.h>
#include <string.h>

#include "gan_idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    const uint32_t magics[3] = {GAN_IDX_MAGIC_IMAGES, GAN_IDX_MAGIC_LABELS, GAN_IDX_MAGIC_IMAGES4};
    for (int k = 0; k < 3; k++) {
        gan_idx idx;
        gan_err err = {""};
        if (gan_idx_load(path, magics[k], &idx, &err) == 0) {
            size_t n = 1;
            for (int d = 0; d < idx.ndims; d++)
                n *= idx.dims[d];
            if (n != idx.size || !idx.data)
                abort();
            volatile uint8_t sink = idx.data[idx.size - 1]; /* the whole buffer is there */
            (void)sink;
            gan_idx_free(&idx);
        } else if (!err.msg[0]) {
            abort(); /* an error must say what is wrong */
        }
    }
    /* one image file alone, grey or colour by its magic (eval --samples) */
    gan_dataset ds;
    gan_err err = {""};
    if (gan_dataset_load_file(&ds, path, 0, &err) == 0) {
        if (!ds.pixels || ds.count == 0 || (ds.channels != 1 && ds.channels != 3) || ds.labels)
            abort();
        volatile uint8_t sink = ds.pixels[(size_t)ds.count * gan_dataset_image_size(&ds) - 1];
        (void)sink;
        gan_dataset_free(&ds);
    } else if (!err.msg[0]) {
        abort();
    }
    close(fd);
    return 0;
}

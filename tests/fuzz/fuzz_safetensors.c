/* fuzz_safetensors.c: the safetensors reader (gan_safetensors.h) on any
 * bytes: it must accept or refuse with a message, never read outside the
 * buffer; what it accepts must be consistent (the six main tensors and any
 * conditional ones inside the data, sizes >= 1) and load into a model of its
 * shapes and classes. */
#include "fuzz_common.h" /* first: it sets _GNU_SOURCE */
#include <stdlib.h>
#include <string.h>

#include "gan_safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = fuzz_copy(data, size);
    if (!buf)
        return 0;
    gan_st_file f;
    gan_err err = {""};
    if (gan_st_parse(&f, buf, size, "fuzz", &err) != 0) {
        if (!err.msg[0])
            abort(); /* a refusal always says why */
        free(buf);
        return 0;
    }
    for (int k = 0; k < 4; k++)
        if (f.dims[k] < 1)
            abort();
    for (int k = 0; k < GAN_ST_TENSORS; k++)
        if (f.data[k] && (f.data[k] < buf + 8 || f.data[k] > buf + size))
            abort();
    for (int k = 0; k < 6; k++)
        if (!f.data[k])
            abort();
    size_t n = (size_t)f.dims[1] * f.dims[0] + (size_t)f.dims[2] * f.dims[1] +
               (size_t)f.dims[3] * f.dims[2];
    if (n < (1u << 20)) {
        gan_mlp m;
        if (gan_mlp_init_cond(&m, f.dims[0], f.dims[1], f.dims[2], f.dims[3], 0.0f, GAN_ACT_TANH,
                              1, &f.cond, &err) == 0) {
            if (gan_st_to_mlp(&f, &m, "fuzz", &err) != 0)
                abort(); /* its own shapes always fit */
            gan_mlp_free(&m);
        }
    }
    free(buf);
    return 0;
}

/* fuzz_checkpoint.c: the checkpoint reader on any bytes. Half the inputs get
 * a correct CRC-32 put in their last four bytes, so that the fuzzer also
 * reaches what lies behind the CRC check: the header's consistency and the
 * restore (parameters, the image order). */
#include "fuzz_common.h" /* first: it sets _GNU_SOURCE */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gan_checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = fuzz_copy(data, size); /* (its CRC may be rewritten) */
    if (!buf)
        return 0;
    if (size >= 5 && (data[size - 1] & 1)) {
        uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(size - 4));
        for (int i = 0; i < 4; i++)
            buf[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    }
    char path[64];
    int fd = fuzz_file(buf, size, path, sizeof path);
    free(buf);
    if (fd < 0)
        return 0;
    gan_ckpt_info in;
    unsigned char *ck = NULL;
    size_t n;
    gan_err err = {""};
    if (gan_checkpoint_read(path, &in, &ck, &n, &err) == 0) {
        gan_config cfg;
        gan_config_default(&cfg);
        gan_checkpoint_config(&in, ck, &cfg);
        cfg.threads = 1;
        gan_trainer t;
        if (gan_trainer_init(&t, &cfg, (int)(in.rows * in.cols), in.count, &err) == 0) {
            gan_checkpoint_restore(&t, &in, ck, path, &err);
            gan_trainer_free(&t);
        }
        free(ck);
    } else if (!err.msg[0] || ck) {
        abort();
    }
    close(fd);
    return 0;
}

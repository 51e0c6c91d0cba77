/* fuzz_decode.c: the image decoder of `gan-train import` (gan_decode.h) on
 * any bytes, PNG and JPEG alike, into a grey 28 x 28 target or (an odd
 * number of bytes) a colour 20 x 12 one, with the fit size / 2 % 3 picks: it must
 * return 0 with the target written, or a reason, never crash or read out of
 * bounds. The pixel limit is lowered to 2^20 so that a claimed large image
 * is refused as it would be at the real limit, only sooner. */
#include "fuzz_common.h" /* first: it sets _GNU_SOURCE */
#include <stdlib.h>
#include <string.h>

#include "gan_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = fuzz_copy(data, size);
    if (!buf)
        return 0;
    int colour = size & 1;
    gan_decode_opts o = {colour ? 20 : 28, colour ? 12 : 28, colour ? 3 : 1,
                         (gan_fit)(size / 2 % 3), 1u << 20};
    size_t n = (size_t)o.width * o.height * o.channels;
    uint8_t *out = malloc(n);
    char why[256] = "";
    int w = -1, h = -1;
    if (out) {
        memset(out, 0xA5, n);
        int rc = gan_decode_image(out, buf, size, &o, &w, &h, why, sizeof why);
        if (rc == GAN_DECODE_BAD && !why[0])
            abort(); /* a refusal says why */
        if (rc == 0 && (w < 1 || h < 1 || (uint64_t)w * h > o.max_pixels))
            abort(); /* what was decoded was within the limit */
        volatile uint8_t sink = 0;
        for (size_t i = 0; rc == 0 && i < n; i++)
            sink ^= out[i]; /* every target byte is readable (and initialised) */
        (void)sink;
        free(out);
    }
    free(buf);
    return 0;
}

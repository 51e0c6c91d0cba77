/*
 * gan_decode.h: one image file's bytes into pixels of a data set, for
 * `gan-train import`. Files from users are untrusted: they are decoded only
 * by libraries maintained and fuzzed for that, libpng and libjpeg-turbo,
 * and recognised by their first bytes, never by a name:
 *   PNG   89 50 4E 47 0D 0A 1A 0A: any bit depth, grey, palette (with tRNS),
 *         RGB, alpha, interlaced; the file's own sample values (as PIL reads
 *         them: no gamma applied), 16 bits scaled to 8 (v 255 / 65535,
 *         rounded); a bad CRC of a critical chunk, or a file cut before
 *         IEND, is an error;
 *   JPEG  FF D8 FF: baseline, progressive, grey, YCbCr, and CMYK/YCCK (taken
 *         as Adobe writes it, inverted: R = C K / 255, ...). A warning of
 *         libjpeg (truncated or corrupt data it would paper over with grey)
 *         counts as an error, but for stray bytes between two markers, which
 *         touch no pixel; more than GAN_DECODE_MAX_SCANS progressive
 *         scans are refused (a known way to make a decoder spin).
 * The size is checked against a pixel limit after the header and before any
 * pixel is decoded, so a small file that claims a huge image (a
 * decompression bomb) costs nothing.
 *
 * Then, in this order: alpha composited over black (c a / 255, rounded, on
 * the 8-bit values); for one channel, grey from colour by the Rec. 601 luma
 * weights, Y = (299 R + 587 G + 114 B) / 1000, rounded (a grey pixel keeps
 * its value exactly); the geometry (gan_fit) by stb_image_resize (Mitchell
 * filter down, Catmull-Rom up, edges clamped, in sRGB space). An image
 * already of the target size is copied with no resampling, so a grey PNG of
 * 28 x 28 gives back its own bytes.
 */
#ifndef GAN_DECODE_H
#define GAN_DECODE_H

#include <stddef.h>
#include <stdint.h>

/** Largest image accepted by default: 2^26 pixels (8192 x 8192, a 64
 *  megapixel photograph), width and height each at most 65,535. */
#define GAN_DECODE_MAX_PIXELS (1ull << 26)
#define GAN_DECODE_MAX_SIDE 65535u
#define GAN_DECODE_MAX_SCANS 1000

/** How an image of another shape is made the target's. */
typedef enum {
    GAN_FIT_PAD,     /* keep the aspect: scale to fit inside, centre, black around */
    GAN_FIT_CROP,    /* keep the aspect: scale to cover, centre, cut what sticks out */
    GAN_FIT_STRETCH  /* scale each side on its own */
} gan_fit;

typedef struct {
    int width, height;     /* the target, >= 1 */
    int channels;          /* 1 (grey) or 3 (R, G, B) */
    gan_fit fit;
    uint64_t max_pixels;   /* images with more are refused (0: GAN_DECODE_MAX_PIXELS) */
} gan_decode_opts;

/* What the decoders return besides 0 (done). */
enum { GAN_DECODE_BAD = 1 /* not a usable image: why says so */, GAN_DECODE_NOMEM = -1 };

/**
 * Decodes bytes[0..n) into *px (malloc'd, the caller frees it): *w x *h
 * pixels of `channels` (1 or 3) bytes each, row by row ("HWC"), alpha
 * composited and grey made as above, in the image's own size. Returns 0, or
 * GAN_DECODE_BAD with a short reason in why (e.g. "PNG: IDAT: CRC error",
 * "not a PNG or JPEG file"), or GAN_DECODE_NOMEM; *px is NULL then.
 */
int gan_decode_pixels(const unsigned char *bytes, size_t n, int channels, uint64_t max_pixels,
                      int *w, int *h, uint8_t **px, char *why, size_t why_len);

/**
 * Decodes bytes[0..n) into out (o->height, o->width, o->channels), fitted as
 * o->fit says. Returns 0, GAN_DECODE_BAD (why) or GAN_DECODE_NOMEM; out is
 * untouched unless it returns 0. If src_w and src_h are not NULL they get the
 * image's own size (when its header could be read).
 */
int gan_decode_image(uint8_t *out, const unsigned char *bytes, size_t n, const gan_decode_opts *o,
                     int *src_w, int *src_h, char *why, size_t why_len);

/** Resamples src (sw, sh, c) into dst (dw, dh, c) as o->fit says (dst's
 *  size and o->channels == c); -1 when out of memory. */
int gan_fit_pixels(uint8_t *dst, int dw, int dh, const uint8_t *src, int sw, int sh, int c,
                   gan_fit fit);

#endif

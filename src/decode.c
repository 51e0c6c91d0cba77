/* decode.c: PNG and JPEG bytes into a data set's pixels (gan_decode.h), by
 * libpng and libjpeg-turbo, resampled by stb_image_resize. */
#include "gan_decode.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <stb_image_resize.h>

static const unsigned char PNG_SIG[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

/* Whether a w x h image is within the limits; else why says which. */
static int size_ok(uint64_t w, uint64_t h, uint64_t max_pixels, const char *fmt, char *why,
                   size_t len)
{
    if (w == 0 || h == 0) {
        snprintf(why, len, "%s: an image of %llu x %llu pixels", fmt, (unsigned long long)w,
                 (unsigned long long)h);
        return 0;
    }
    if (w > GAN_DECODE_MAX_SIDE || h > GAN_DECODE_MAX_SIDE || w * h > max_pixels) {
        snprintf(why, len, "%s: %llu x %llu pixels, over the limit of %llu pixels (refused "
                 "before decoding)", fmt, (unsigned long long)w, (unsigned long long)h,
                 (unsigned long long)max_pixels);
        return 0;
    }
    return 1;
}

/* 8-bit c over black with alpha a, rounded. */
static inline uint8_t over_black(unsigned c, unsigned a)
{
    return (uint8_t)((c * a + 127) / 255);
}

/* Rec. 601 luma, rounded; exact for R = G = B. */
static inline uint8_t luma(unsigned r, unsigned g, unsigned b)
{
    return (uint8_t)((299 * r + 587 * g + 114 * b + 500) / 1000);
}

/* RGB(A) pixels (n of them, `in` channels: 3 or 4) into `channels` (1 or 3),
 * in place (the output is never longer than the input). */
static void to_channels(uint8_t *px, size_t n, int in, int channels)
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t *s = px + i * (size_t)in;
        unsigned a = in == 4 ? s[3] : 255, r = s[0], g = s[1], b = s[2];
        if (a != 255) {
            r = over_black(r, a);
            g = over_black(g, a);
            b = over_black(b, a);
        }
        uint8_t *d = px + i * (size_t)channels;
        if (channels == 1) {
            d[0] = luma(r, g, b);
        } else {
            d[0] = (uint8_t)r;
            d[1] = (uint8_t)g;
            d[2] = (uint8_t)b;
        }
    }
}

/* libpng reads from memory through this; its errors end in longjmp with
 * the message kept. */
typedef struct {
    const unsigned char *bytes;
    size_t n, at;
    char msg[128];
} png_source;

static void png_from_memory(png_structp p, png_bytep out, size_t len)
{
    png_source *src = png_get_io_ptr(p);
    if (len > src->n - src->at)
        png_error(p, "truncated file");
    memcpy(out, src->bytes + src->at, len);
    src->at += len;
}

static void png_fail(png_structp p, png_const_charp msg)
{
    png_source *src = png_get_error_ptr(p);
    snprintf(src->msg, sizeof src->msg, "%s", msg);
    png_longjmp(p, 1);
}

static void png_quiet(png_structp p, png_const_charp msg)
{
    (void)p; /* warnings (an ancillary chunk's bad CRC, say): the chunk is dropped */
    (void)msg;
}

/* The file's own sample values, as PIL and browsers without colour
 * management read them: palettes and low bit depths expanded, 16 bits
 * scaled to 8 (v 255 / 65535, rounded), no gamma applied. */
static int decode_png(const unsigned char *bytes, size_t n, int channels, uint64_t max_pixels,
                      int *w, int *h, uint8_t **px, char *why, size_t len)
{
    png_source src = {bytes, n, 0, ""};
    png_structp p = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_fail, png_quiet);
    png_infop info = p ? png_create_info_struct(p) : NULL;
    uint8_t *volatile buf = NULL;
    png_bytep *volatile rows = NULL;
    if (!p || !info) {
        png_destroy_read_struct(&p, &info, NULL);
        return GAN_DECODE_NOMEM;
    }
    if (setjmp(png_jmpbuf(p))) {
        snprintf(why, len, "PNG: %s", src.msg[0] ? src.msg : "corrupt");
        png_destroy_read_struct(&p, &info, NULL);
        free(buf);
        free(rows);
        return GAN_DECODE_BAD;
    }
    png_set_read_fn(p, &src, png_from_memory);
    png_read_info(p, info);
    png_uint_32 iw = png_get_image_width(p, info), ih = png_get_image_height(p, info);
    if (!size_ok(iw, ih, max_pixels, "PNG", why, len)) {
        png_destroy_read_struct(&p, &info, NULL);
        return GAN_DECODE_BAD;
    }
    png_set_expand(p); /* palette to RGB, grey below 8 bits to 8, tRNS to alpha */
    png_set_scale_16(p);
    png_set_gray_to_rgb(p);
    png_set_add_alpha(p, 0xff, PNG_FILLER_AFTER);
    png_set_interlace_handling(p);
    png_read_update_info(p, info);
    if (png_get_rowbytes(p, info) != (size_t)iw * 4)
        png_error(p, "unexpected row layout");
    buf = malloc((size_t)iw * ih * 4);
    rows = malloc(sizeof *rows * ih);
    if (!buf || !rows) {
        png_destroy_read_struct(&p, &info, NULL);
        free(buf);
        free(rows);
        return GAN_DECODE_NOMEM;
    }
    for (png_uint_32 y = 0; y < ih; y++)
        rows[y] = buf + (size_t)y * iw * 4;
    png_read_image(p, rows);
    png_read_end(p, NULL); /* the chunks after the image, to IEND: a cut file is refused */
    png_destroy_read_struct(&p, &info, NULL);
    free(rows);
    *w = (int)iw;
    *h = (int)ih;
    to_channels(buf, (size_t)iw * ih, 4, channels);
    *px = buf;
    return 0;
}

/* libjpeg's errors, warnings and the scan limit end the decoding through
 * longjmp; what was allocated is in here, to be freed after. */
typedef struct {
    struct jpeg_error_mgr pub; /* first: libjpeg's pointer is to this */
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
    struct jpeg_progress_mgr progress;
    uint8_t *buf;
} jpeg_guard;

static void jpeg_fail(j_common_ptr c)
{
    jpeg_guard *g = (jpeg_guard *)c->err;
    c->err->format_message(c, g->msg);
    longjmp(g->jump, 1);
}

static void jpeg_message(j_common_ptr c, int level)
{
    /* a warning: data libjpeg would paper over; but for stray bytes between
     * two markers (common in cameras' files), which touch no pixel */
    if (level < 0 && c->err->msg_code != JWRN_EXTRANEOUS_DATA)
        jpeg_fail(c);
}

static void jpeg_scans(j_common_ptr c)
{
    jpeg_guard *g = (jpeg_guard *)c->err;
    if (c->is_decompressor &&
        ((j_decompress_ptr)c)->input_scan_number > GAN_DECODE_MAX_SCANS) {
        snprintf(g->msg, sizeof g->msg, "more than %d progressive scans", GAN_DECODE_MAX_SCANS);
        longjmp(g->jump, 1);
    }
}

static int decode_jpeg(const unsigned char *bytes, size_t n, int channels, uint64_t max_pixels,
                       int *w, int *h, uint8_t **px, char *why, size_t len)
{
    struct jpeg_decompress_struct d;
    jpeg_guard g;
    memset(&g, 0, sizeof g);
    d.err = jpeg_std_error(&g.pub);
    g.pub.error_exit = jpeg_fail;
    g.pub.emit_message = jpeg_message;
    if (setjmp(g.jump)) {
        snprintf(why, len, "JPEG: %s", g.msg);
        jpeg_destroy_decompress(&d);
        free(g.buf);
        return GAN_DECODE_BAD;
    }
    jpeg_create_decompress(&d);
    g.progress.progress_monitor = jpeg_scans;
    d.progress = &g.progress;
    /* progressive images hold every coefficient: 2 bytes a sample */
    d.mem->max_memory_to_use = (long)(max_pixels * 4 * 2 + (64l << 20));
    jpeg_mem_src(&d, bytes, (unsigned long)n);
    jpeg_read_header(&d, TRUE);
    if (!size_ok(d.image_width, d.image_height, max_pixels, "JPEG", why, len)) {
        jpeg_destroy_decompress(&d);
        return GAN_DECODE_BAD;
    }
    int cmyk = d.jpeg_color_space == JCS_CMYK || d.jpeg_color_space == JCS_YCCK;
    int adobe = d.saw_Adobe_marker;
    d.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(&d);
    int in = cmyk ? 4 : 3;
    if ((int)d.output_components != in) {
        snprintf(g.msg, sizeof g.msg, "%d colour components", d.output_components);
        longjmp(g.jump, 1);
    }
    *w = (int)d.output_width;
    *h = (int)d.output_height;
    g.buf = malloc((size_t)*w * *h * in);
    if (!g.buf) {
        jpeg_destroy_decompress(&d);
        return GAN_DECODE_NOMEM;
    }
    while (d.output_scanline < d.output_height) {
        JSAMPROW row = g.buf + (size_t)d.output_scanline * *w * in;
        jpeg_read_scanlines(&d, &row, 1);
    }
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    uint8_t *buf = g.buf;
    if (cmyk) { /* to RGB, in place; Adobe stores the inks inverted */
        for (size_t i = 0; i < (size_t)*w * *h; i++) {
            const uint8_t *s = buf + 4 * i;
            unsigned k = adobe ? s[3] : 255u - s[3], rgb[3];
            for (int j = 0; j < 3; j++)
                rgb[j] = ((adobe ? s[j] : 255u - s[j]) * k + 127) / 255;
            buf[3 * i] = (uint8_t)rgb[0];
            buf[3 * i + 1] = (uint8_t)rgb[1];
            buf[3 * i + 2] = (uint8_t)rgb[2];
        }
    }
    to_channels(buf, (size_t)*w * *h, 3, channels);
    *px = buf;
    return 0;
}

int gan_decode_pixels(const unsigned char *bytes, size_t n, int channels, uint64_t max_pixels,
                      int *w, int *h, uint8_t **px, char *why, size_t why_len)
{
    *px = NULL;
    *w = *h = 0;
    if (max_pixels == 0)
        max_pixels = GAN_DECODE_MAX_PIXELS;
    if (n == 0) {
        snprintf(why, why_len, "empty file");
        return GAN_DECODE_BAD;
    }
    if (n >= 8 && memcmp(bytes, PNG_SIG, 8) == 0)
        return decode_png(bytes, n, channels, max_pixels, w, h, px, why, why_len);
    if (n >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
        return decode_jpeg(bytes, n, channels, max_pixels, w, h, px, why, why_len);
    snprintf(why, why_len, "not a PNG or JPEG file");
    return GAN_DECODE_BAD;
}

static int resize(const uint8_t *src, int sw, int sh, int sstride, uint8_t *dst, int dw, int dh,
                  int dstride, int c)
{
    if (sw == dw && sh == dh) {
        for (int y = 0; y < dh; y++)
            memcpy(dst + (size_t)y * dstride, src + (size_t)y * sstride, (size_t)dw * c);
        return 0;
    }
    return stbir_resize_uint8_generic(src, sw, sh, sstride, dst, dw, dh, dstride, c,
                                      STBIR_ALPHA_CHANNEL_NONE, 0, STBIR_EDGE_CLAMP,
                                      STBIR_FILTER_DEFAULT, STBIR_COLORSPACE_SRGB, NULL)
               ? 0 : -1;
}

static int clamp_round(double v, int lo, int hi)
{
    int r = (int)(v + 0.5);
    return r < lo ? lo : r > hi ? hi : r;
}

int gan_fit_pixels(uint8_t *dst, int dw, int dh, const uint8_t *src, int sw, int sh, int c,
                   gan_fit fit)
{
    double sx = (double)dw / sw, sy = (double)dh / sh;
    if (fit == GAN_FIT_PAD) {
        double s = sx < sy ? sx : sy;
        int nw = clamp_round(sw * s, 1, dw), nh = clamp_round(sh * s, 1, dh);
        memset(dst, 0, (size_t)dw * dh * c);
        uint8_t *at = dst + ((size_t)((dh - nh) / 2) * dw + (size_t)((dw - nw) / 2)) * c;
        return resize(src, sw, sh, sw * c, at, nw, nh, dw * c, c);
    }
    if (fit == GAN_FIT_CROP) {
        double s = sx > sy ? sx : sy;
        int cw = clamp_round(dw / s, 1, sw), ch = clamp_round(dh / s, 1, sh);
        const uint8_t *at = src + ((size_t)((sh - ch) / 2) * sw + (size_t)((sw - cw) / 2)) * c;
        return resize(at, cw, ch, sw * c, dst, dw, dh, dw * c, c);
    }
    return resize(src, sw, sh, sw * c, dst, dw, dh, dw * c, c);
}

int gan_decode_image(uint8_t *out, const unsigned char *bytes, size_t n, const gan_decode_opts *o,
                     int *src_w, int *src_h, char *why, size_t why_len)
{
    int w, h;
    uint8_t *px;
    int rc = gan_decode_pixels(bytes, n, o->channels, o->max_pixels, &w, &h, &px, why, why_len);
    if (src_w)
        *src_w = w;
    if (src_h)
        *src_h = h;
    if (rc != 0)
        return rc;
    rc = gan_fit_pixels(out, o->width, o->height, px, w, h, o->channels, o->fit);
    free(px);
    return rc == 0 ? 0 : GAN_DECODE_NOMEM;
}

/*
 * img_write.h: writes the PNG and JPEG files the import tests read, with
 * libpng's full API (every bit depth, palettes with transparency, Adam7
 * interlacing) and libjpeg (baseline, progressive, grey, CMYK), so that each
 * kind of file is made on the spot from known pixels.
 */
#ifndef GAN_TEST_IMG_WRITE_H
#define GAN_TEST_IMG_WRITE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

/* A PNG of w x h: rows holds h rows of the PNG's own sample layout
 * (color_type, bit_depth; 16-bit samples big-endian, sub-byte packed).
 * palette/trns: n_pal entries (NULL: none). 0 on success. */
static inline int img_write_png(const char *path, int w, int h, int color_type, int bit_depth,
                         int interlace, const uint8_t *rows, size_t row_bytes,
                         const png_color *palette, int n_pal, const uint8_t *trns, int n_trns)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = p ? png_create_info_struct(p) : NULL;
    png_bytep *rp = malloc(sizeof *rp * (size_t)h);
    if (!p || !info || !rp || setjmp(png_jmpbuf(p))) {
        png_destroy_write_struct(&p, &info);
        free(rp);
        fclose(f);
        return -1;
    }
    png_init_io(p, f);
    png_set_IHDR(p, info, (png_uint_32)w, (png_uint_32)h, bit_depth, color_type,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (palette)
        png_set_PLTE(p, info, palette, n_pal);
    if (trns)
        png_set_tRNS(p, info, trns, n_trns, NULL);
    for (int y = 0; y < h; y++)
        rp[y] = (png_bytep)(rows + (size_t)y * row_bytes);
    png_set_rows(p, info, rp);
    png_write_png(p, info, PNG_TRANSFORM_IDENTITY, NULL);
    png_destroy_write_struct(&p, &info);
    free(rp);
    return fclose(f) == 0 ? 0 : -1;
}

/* An 8-bit grey PNG of px (h, w). */
static inline int img_write_grey(const char *path, const uint8_t *px, int w, int h)
{
    return img_write_png(path, w, h, PNG_COLOR_TYPE_GRAY, 8, 0, px, (size_t)w, NULL, 0, NULL, 0);
}

/* An 8-bit RGB PNG of px (h, w, 3). */
static inline int img_write_rgb(const char *path, const uint8_t *px, int w, int h)
{
    return img_write_png(path, w, h, PNG_COLOR_TYPE_RGB, 8, 0, px, (size_t)w * 3, NULL, 0, NULL,
                         0);
}

static inline void img_jpeg_error(j_common_ptr c)
{
    jmp_buf *jb = (jmp_buf *)c->client_data;
    longjmp(*jb, 1);
}

/* A JPEG of px (h, w, components) in space (JCS_GRAYSCALE, JCS_RGB or
 * JCS_CMYK), progressive or baseline, at quality q. */
static inline int img_write_jpeg(const char *path, const uint8_t *px, int w, int h, int components,
                          J_COLOR_SPACE space, int progressive, int q)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    jmp_buf jb;
    c.err = jpeg_std_error(&e);
    e.error_exit = img_jpeg_error;
    c.client_data = &jb;
    if (setjmp(jb)) {
        jpeg_destroy_compress(&c);
        fclose(f);
        return -1;
    }
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = components;
    c.in_color_space = space;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, q, TRUE);
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(px + (size_t)c.next_scanline * w * components);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    return fclose(f) == 0 ? 0 : -1;
}

/* The whole of a file into a malloc'd buffer (NULL on failure). */
static inline unsigned char *img_slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(len > 0 ? (size_t)len : 1);
    *n = b && len >= 0 ? fread(b, 1, (size_t)len, f) : 0;
    fclose(f);
    return b;
}

static inline int img_spit(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(b, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

#endif

/* test_import.c: the decoder of `gan-train import` (gan_decode.h) against
 * pixels known in advance: every PNG kind, JPEG kinds, alpha over black, the
 * luma weights, the fits, and files that must be refused with their reason. */
#include <math.h>
#include <string.h>
#include <zlib.h>

#include "gan_decode.h"
#include "img_write.h"
#include "test_util.h"

static char dir[64];

static const char *at(const char *name)
{
    return test_path(dir, name);
}

/* Decodes a file in its own size: 0 and the pixels, or the status and why. */
static int decode_file(const char *name, int channels, int *w, int *h, uint8_t **px, char *why)
{
    size_t n;
    unsigned char *b = img_slurp(at(name), &n);
    CHECK(b != NULL);
    int rc = gan_decode_pixels(b, n, channels, 0, w, h, px, why, 256);
    free(b);
    return rc;
}

static void expect_bad_bytes(const unsigned char *b, size_t n, const char *want, const char *what)
{
    int w, h;
    uint8_t *px = (uint8_t *)"x";
    char why[256] = "";
    int rc = gan_decode_pixels(b, n, 3, 0, &w, &h, &px, why, sizeof why);
    CHECK_MSG(rc == GAN_DECODE_BAD && px == NULL, "%s: rc %d", what, rc);
    CHECK_MSG(strstr(why, want), "%s: got '%s', want '%s'", what, why, want);
}

static void test_png_kinds(void)
{
    int w, h;
    uint8_t *px;
    char why[256];
    /* 8-bit grey: exact, and replicated to three channels */
    uint8_t g[4 * 5];
    for (int i = 0; i < 20; i++)
        g[i] = (uint8_t)(i * 13 + 1);
    CHECK(img_write_grey(at("grey.png"), g, 5, 4) == 0);
    CHECK(decode_file("grey.png", 1, &w, &h, &px, why) == 0 && w == 5 && h == 4);
    CHECK(memcmp(px, g, 20) == 0);
    free(px);
    CHECK(decode_file("grey.png", 3, &w, &h, &px, why) == 0);
    int ok = 1;
    for (int i = 0; i < 20; i++)
        ok &= px[3 * i] == g[i] && px[3 * i + 1] == g[i] && px[3 * i + 2] == g[i];
    CHECK(ok);
    free(px);
    /* 16-bit grey: v * 257 is v */
    uint8_t g16[2 * 3 * 2];
    for (int i = 0; i < 6; i++)
        g16[2 * i] = g16[2 * i + 1] = (uint8_t)(i * 50);
    CHECK(img_write_png(at("grey16.png"), 3, 2, PNG_COLOR_TYPE_GRAY, 16, 0, g16, 6, NULL, 0, NULL,
                        0) == 0);
    CHECK(decode_file("grey16.png", 1, &w, &h, &px, why) == 0 && w == 3 && h == 2);
    for (int i = 0; i < 6; i++)
        CHECK_MSG(px[i] == i * 50, "16-bit grey %d: %d", i * 50, px[i]);
    free(px);
    /* 2-bit grey, packed: 0..3 are 0, 85, 170, 255 */
    uint8_t g2[1] = {0x1B}; /* 00 01 10 11 */
    CHECK(img_write_png(at("grey2.png"), 4, 1, PNG_COLOR_TYPE_GRAY, 2, 0, g2, 1, NULL, 0, NULL, 0) == 0);
    CHECK(decode_file("grey2.png", 1, &w, &h, &px, why) == 0 && w == 4 && h == 1);
    CHECK(px[0] == 0 && px[1] == 85 && px[2] == 170 && px[3] == 255);
    free(px);
    /* a palette with transparency: each alpha over black */
    png_color pal[4] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};
    uint8_t trns[4] = {255, 128, 0, 255};
    uint8_t idx[4] = {0, 1, 2, 3};
    CHECK(img_write_png(at("palette.png"), 4, 1, PNG_COLOR_TYPE_PALETTE, 8, 0, idx, 4, pal, 4,
                        trns, 4) == 0);
    CHECK(decode_file("palette.png", 3, &w, &h, &px, why) == 0 && w == 4);
    const uint8_t want[12] = {255, 0, 0, 0, 128, 0, 0, 0, 0, 255, 255, 255};
    CHECK_MSG(memcmp(px, want, 12) == 0, "palette: %d %d %d | %d %d %d | %d %d %d", px[0], px[1],
              px[2], px[3], px[4], px[5], px[6], px[7], px[8]);
    free(px);
    /* grey from colour by Rec. 601: red 255 is 76, green 255*0.587 = 150, blue 29 */
    CHECK(decode_file("palette.png", 1, &w, &h, &px, why) == 0);
    CHECK_MSG(px[0] == 76 && px[1] == 75 && px[2] == 0 && px[3] == 255, "luma %d %d %d %d", px[0],
              px[1], px[2], px[3]);
    free(px);
    /* RGBA: (200, 100, 50) at alpha 51 is (40, 20, 10) over black */
    uint8_t rgba[8] = {200, 100, 50, 51, 9, 8, 7, 255};
    CHECK(img_write_png(at("rgba.png"), 2, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, rgba, 8, NULL, 0,
                        NULL, 0) == 0);
    CHECK(decode_file("rgba.png", 3, &w, &h, &px, why) == 0);
    CHECK_MSG(px[0] == 40 && px[1] == 20 && px[2] == 10 && px[3] == 9 && px[4] == 8 && px[5] == 7,
              "rgba: %d %d %d", px[0], px[1], px[2]);
    free(px);
    /* interlaced (Adam7) gives the pixels of the plain file */
    enum { W = 13, H = 11 };
    uint8_t rgb[W * H * 3];
    for (int i = 0; i < W * H * 3; i++)
        rgb[i] = (uint8_t)(i * 7 + i / 3);
    CHECK(img_write_png(at("adam7.png"), W, H, PNG_COLOR_TYPE_RGB, 8, 1, rgb, W * 3, NULL, 0,
                        NULL, 0) == 0);
    CHECK(decode_file("adam7.png", 3, &w, &h, &px, why) == 0 && w == W && h == H);
    CHECK(memcmp(px, rgb, sizeof rgb) == 0);
    free(px);
    /* a single pixel */
    uint8_t one = 200;
    CHECK(img_write_grey(at("tiny.png"), &one, 1, 1) == 0);
    CHECK(decode_file("tiny.png", 1, &w, &h, &px, why) == 0 && w == 1 && h == 1 && px[0] == 200);
    free(px);
}

/* Whether every pixel of px (n, c) is within tol of v (c values). */
static int flat(const uint8_t *px, int n, int c, const int *v, int tol)
{
    for (int i = 0; i < n; i++)
        for (int k = 0; k < c; k++)
            if (abs(px[i * c + k] - v[k]) > tol)
                return 0;
    return 1;
}

static void test_jpeg_kinds(void)
{
    enum { W = 16, H = 16 };
    static uint8_t img[W * H * 4];
    int w, h;
    uint8_t *px;
    char why[256];
    for (int i = 0; i < W * H; i++)
        img[i] = 77;
    CHECK(img_write_jpeg(at("grey.jpg"), img, W, H, 1, JCS_GRAYSCALE, 0, 100) == 0);
    CHECK(decode_file("grey.jpg", 1, &w, &h, &px, why) == 0 && w == W && h == H);
    CHECK(flat(px, W * H, 1, (int[]){77}, 1));
    free(px);
    for (int i = 0; i < W * H; i++) {
        img[3 * i] = 200;
        img[3 * i + 1] = 30;
        img[3 * i + 2] = 60;
    }
    for (int prog = 0; prog < 2; prog++) {
        const char *name = prog ? "progressive.jpg" : "baseline.jpg";
        CHECK(img_write_jpeg(at(name), img, W, H, 3, JCS_RGB, prog, 100) == 0);
        CHECK_MSG(decode_file(name, 3, &w, &h, &px, why) == 0 && w == W, "%s: %s", name, why);
        CHECK_MSG(flat(px, W * H, 3, (int[]){200, 30, 60}, 3), "%s: %d %d %d", name, px[0], px[1],
                  px[2]);
        free(px);
    }
    /* CMYK, stored inverted as Adobe writes it: R = C K / 255 */
    for (int i = 0; i < W * H; i++) {
        img[4 * i] = 255;
        img[4 * i + 1] = 128;
        img[4 * i + 2] = 0;
        img[4 * i + 3] = 255;
    }
    CHECK(img_write_jpeg(at("cmyk.jpg"), img, W, H, 4, JCS_CMYK, 0, 100) == 0);
    CHECK_MSG(decode_file("cmyk.jpg", 3, &w, &h, &px, why) == 0, "cmyk: %s", why);
    CHECK_MSG(flat(px, W * H, 3, (int[]){255, 128, 0}, 3), "cmyk: %d %d %d", px[0], px[1], px[2]);
    free(px);
}

static void test_fit(void)
{
    enum { SW = 8, SH = 4 };
    uint8_t src[SW * SH], dst[64];
    for (int y = 0; y < SH; y++)
        for (int x = 0; x < SW; x++)
            src[y * SW + x] = (uint8_t)(10 * x + y);
    /* the same size: copied */
    CHECK(gan_fit_pixels(dst, SW, SH, src, SW, SH, 1, GAN_FIT_STRETCH) == 0);
    CHECK(memcmp(dst, src, sizeof src) == 0);
    /* crop to 4 x 4: scale 1, the centre columns 2..5 as they are */
    CHECK(gan_fit_pixels(dst, 4, 4, src, SW, SH, 1, GAN_FIT_CROP) == 0);
    int ok = 1;
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            ok &= dst[y * 4 + x] == src[y * SW + x + 2];
    CHECK(ok);
    /* pad an 8 x 4 flat image to 4 x 4: a 4 x 2 band in rows 1 and 2, black
     * above and below (a constant stays constant through the filter) */
    uint8_t flat100[SW * SH];
    memset(flat100, 100, sizeof flat100);
    CHECK(gan_fit_pixels(dst, 4, 4, flat100, SW, SH, 1, GAN_FIT_PAD) == 0);
    ok = 1;
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            ok &= dst[y * 4 + x] == (y == 1 || y == 2 ? 100 : 0);
    CHECK_MSG(ok, "pad: %d %d %d %d", dst[0], dst[4], dst[8], dst[12]);
    /* pad 4 x 2 to 8 x 8 (scale 2): an 8 x 4 band in rows 2..5 */
    CHECK(gan_fit_pixels(dst, 8, 8, flat100, 4, 2, 1, GAN_FIT_PAD) == 0);
    ok = 1;
    for (int y = 0; y < 8; y++)
        ok &= dst[y * 8] == (y >= 2 && y < 6 ? 100 : 0);
    CHECK(ok);
    /* stretch 8 x 4 to 2 x 6: every pixel written, a constant stays */
    memset(dst, 1, sizeof dst);
    CHECK(gan_fit_pixels(dst, 2, 6, flat100, SW, SH, 1, GAN_FIT_STRETCH) == 0);
    ok = 1;
    for (int i = 0; i < 12; i++)
        ok &= dst[i] == 100;
    CHECK(ok && dst[12] == 1);
    /* colour: the channels stay apart */
    uint8_t rgb[4 * 4 * 3], out[2 * 2 * 3];
    for (int i = 0; i < 16; i++) {
        rgb[3 * i] = 255;
        rgb[3 * i + 1] = 0;
        rgb[3 * i + 2] = 40;
    }
    CHECK(gan_fit_pixels(out, 2, 2, rgb, 4, 4, 3, GAN_FIT_STRETCH) == 0);
    CHECK(flat(out, 4, 3, (int[]){255, 0, 40}, 0));
    /* gan_decode_image: a grey PNG of the target size is its own bytes */
    uint8_t g[28 * 28], back[28 * 28];
    for (int i = 0; i < 28 * 28; i++)
        g[i] = (uint8_t)(i % 251);
    CHECK(img_write_grey(at("digit.png"), g, 28, 28) == 0);
    size_t n;
    unsigned char *b = img_slurp(at("digit.png"), &n);
    gan_decode_opts o = {28, 28, 1, GAN_FIT_PAD, 0};
    char why[256];
    int sw, sh;
    CHECK(gan_decode_image(back, b, n, &o, &sw, &sh, why, sizeof why) == 0 && sw == 28 && sh == 28);
    CHECK(memcmp(back, g, sizeof g) == 0);
    free(b);
}

/* A PNG signature and IHDR claiming w x h, an IDAT of two bytes and IEND
 * (sound CRCs): a header to refuse before any data is decoded. */
static size_t png_header_only(unsigned char *b, uint32_t w, uint32_t h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memcpy(b, sig, 8);
    unsigned char *c = b + 8;
    c[0] = c[1] = c[2] = 0;
    c[3] = 13;
    memcpy(c + 4, "IHDR", 4);
    for (int i = 0; i < 4; i++) {
        c[8 + i] = (unsigned char)(w >> (24 - 8 * i));
        c[12 + i] = (unsigned char)(h >> (24 - 8 * i));
    }
    c[16] = 8;
    c[17] = 0;
    c[18] = c[19] = c[20] = 0;
    uLong crc = crc32(0, c + 4, 17);
    for (int i = 0; i < 4; i++)
        c[21 + i] = (unsigned char)(crc >> (24 - 8 * i));
    unsigned char *d = c + 25;
    d[0] = d[1] = d[2] = 0;
    d[3] = 2;
    memcpy(d + 4, "IDAT\x78\x9c", 6);
    crc = crc32(0, d + 4, 6);
    for (int i = 0; i < 4; i++)
        d[10 + i] = (unsigned char)(crc >> (24 - 8 * i));
    static const unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
    memcpy(d + 14, iend, 12);
    return 8 + 25 + 14 + 12;
}

static void test_bad(void)
{
    unsigned char b[256];
    size_t n = png_header_only(b, 100000, 100000);
    expect_bad_bytes(b, n, "PNG: 100000 x 100000 pixels, over the limit", "PNG bomb (sides)");
    n = png_header_only(b, 20000, 20000);
    expect_bad_bytes(b, n, "PNG: 20000 x 20000 pixels, over the limit of 67108864 pixels (refused "
                           "before decoding)", "PNG bomb (pixels)");
    n = png_header_only(b, 3, 3);
    expect_bad_bytes(b, n, "PNG: ", "PNG without data");
    expect_bad_bytes(b, n - 12, "PNG: ", "PNG without IEND");
    expect_bad_bytes(b, 0, "empty file", "empty");
    expect_bad_bytes((const unsigned char *)"hello, world\n", 13, "not a PNG or JPEG file", "text");
    const unsigned char junk[16] = {0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    expect_bad_bytes(junk, sizeof junk, "JPEG: ", "JPEG garbage");
    /* truncated, and a bad CRC in the image data */
    size_t len;
    unsigned char *png = img_slurp(at("adam7.png"), &len);
    expect_bad_bytes(png, len / 2, "PNG: ", "truncated PNG");
    unsigned char *idat = memmem(png, len, "IDAT", 4);
    CHECK(idat != NULL);
    if (idat) {
        uint32_t dlen = (uint32_t)idat[-4] << 24 | (uint32_t)idat[-3] << 16 | idat[-2] << 8 | idat[-1];
        idat[4 + dlen + 3] ^= 0x55; /* the chunk's CRC no longer matches its bytes */
        expect_bad_bytes(png, len, "PNG: IDAT: CRC error", "PNG with a bad CRC");
        idat[4 + dlen + 3] ^= 0x55;
        idat[6] ^= 0x55; /* corrupt compressed data */
        expect_bad_bytes(png, len, "PNG: ", "PNG with corrupt data");
    }
    free(png);
    unsigned char *jpg = img_slurp(at("baseline.jpg"), &len);
    expect_bad_bytes(jpg, len - 40, "JPEG: ", "truncated JPEG");
    /* stray bytes between two markers (after the APP0 segment): libjpeg
     * warns, and no pixel changes */
    {
        unsigned char *more = malloc(len + 3);
        size_t cut = 4 + ((size_t)jpg[4] << 8 | jpg[5]); /* SOI, then FF E0 and its length */
        CHECK(jpg[2] == 0xFF && jpg[3] == 0xE0);
        memcpy(more, jpg, cut);
        memcpy(more + cut, "\x01\x02\x03", 3);
        memcpy(more + cut + 3, jpg + cut, len - cut);
        int w0, h0, w1, h1;
        uint8_t *p0, *p1;
        char why2[256];
        CHECK(gan_decode_pixels(jpg, len, 3, 0, &w0, &h0, &p0, why2, sizeof why2) == 0);
        CHECK_MSG(gan_decode_pixels(more, len + 3, 3, 0, &w1, &h1, &p1, why2, sizeof why2) == 0,
                  "stray bytes: %s", why2);
        CHECK(w0 == w1 && h0 == h1 && memcmp(p0, p1, (size_t)w0 * h0 * 3) == 0);
        free(p0);
        free(p1);
        free(more);
    }
    /* a JPEG whose frame header claims 60000 x 60000 */
    unsigned char *sof = memmem(jpg, len, "\xFF\xC0", 2);
    CHECK(sof != NULL);
    if (sof) {
        sof[5] = sof[7] = 0xEA;
        sof[6] = sof[8] = 0x60;
        expect_bad_bytes(jpg, len, "JPEG: 60000 x 60000 pixels, over the limit", "JPEG bomb");
    }
    free(jpg);
    /* a lower limit of the caller's */
    int w, h;
    uint8_t *px;
    char why[256];
    n = png_header_only(b, 64, 64);
    CHECK(gan_decode_pixels(b, n, 1, 1000, &w, &h, &px, why, sizeof why) == GAN_DECODE_BAD &&
          strstr(why, "64 x 64 pixels, over the limit of 1000"));
}

int main(void)
{
    if (test_tmpdir(dir, sizeof dir, "import") != 0)
        return 1;
    test_png_kinds();
    test_jpeg_kinds();
    test_fit();
    test_bad();
    test_rmdir(dir);
    TEST_MAIN_END();
}

/* imgtool.c: the import test's helper (tests/import.sh).
 *   imgtool mnist DATA N OUT     the first N digits of DATA (a slice: tests
 *                                never load the whole MNIST under the
 *                                sanitizers) as 8-bit grey PNGs
 *                                OUT/LABEL/NNNNN.png (NNNNN: the digit's index)
 *   imgtool verify DIR DATA [name]  every index of the imported DIR (by its
 *                                import.txt) holds the bytes and label of the
 *                                digit of DATA its source names; with `name`,
 *                                also that the order is by label, then by index
 *   imgtool kinds OUT            PNGs and JPEGs of every kind, of odd sizes
 *   imgtool bad OUT              files that are no usable image
 *   imgtool discs OUT N SIZE     N colour images a class: a disc of pure red,
 *                                green or blue on black, OUT/red, green, blue
 *   imgtool big OUT N SIDE       N JPEGs of SIDE x SIDE (slow to decode)
 *   imgtool channels PNG         "R G B" means of an RGB PNG's non-black pixels */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "gan_decode.h"
#include "gan_idx.h"
#include "img_write.h"

static int made(const char *path)
{
    return mkdir(path, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

static int cmd_mnist(const char *data, int n, const char *out)
{
    gan_dataset ds;
    gan_err err = {""};
    if (gan_dataset_load(&ds, data, "train", (uint32_t)n, 0, &err) != 0) {
        fprintf(stderr, "imgtool: %s\n", err.msg);
        return 1;
    }
    char path[4096];
    made(out);
    for (uint32_t i = 0; i < ds.count; i++) {
        snprintf(path, sizeof path, "%s/%u", out, ds.labels[i]);
        made(path);
        snprintf(path, sizeof path, "%s/%u/%05u.png", out, ds.labels[i], i);
        if (img_write_grey(path, ds.pixels + (size_t)i * 784, 28, 28) != 0) {
            fprintf(stderr, "imgtool: %s: cannot write\n", path);
            gan_dataset_free(&ds);
            return 1;
        }
    }
    gan_dataset_free(&ds);
    return 0;
}

static int cmd_verify(const char *dir, const char *data, int name_order)
{
    gan_dataset ds[2], mn;
    gan_err err = {""};
    int has_test = 0;
    if (gan_dataset_load(&ds[0], dir, "train", 0, 0, &err) != 0) {
        fprintf(stderr, "imgtool: %s\n", err.msg);
        return 1;
    }
    if (gan_dataset_load(&mn, data, "train", 0, 0, &err) != 0) {
        fprintf(stderr, "imgtool: %s\n", err.msg);
        gan_dataset_free(&ds[0]);
        return 1;
    }
    if (gan_dataset_load(&ds[1], dir, "t10k", 0, 0, &err) == 0)
        has_test = 1;
    char path[4096], line[8192];
    snprintf(path, sizeof path, "%s/import.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 1;
    }
    int in_index = 0, bad = 0, last_label = -1;
    long seen[2] = {0, 0}, last_num = -1;
    while (fgets(line, sizeof line, f)) {
        if (!in_index) {
            in_index = strcmp(line, "index:\n") == 0;
            continue;
        }
        char split[16], src[4096];
        long idx;
        if (sscanf(line, "%15[^\t]\t%ld\t%4095[^\n]", split, &idx, src) != 3) {
            fprintf(stderr, "imgtool: bad index line: %s", line);
            bad++;
            continue;
        }
        int sp = strcmp(split, "t10k") == 0;
        const char *base = strrchr(src, '/');
        long num = strtol(base ? base + 1 : src, NULL, 10);
        if (sp && !has_test) {
            fprintf(stderr, "imgtool: t10k rows but no t10k files\n");
            return 1;
        }
        if (idx != seen[sp] || (uint32_t)idx >= ds[sp].count || num < 0 || (uint32_t)num >= mn.count) {
            fprintf(stderr, "imgtool: index %ld of %s out of step\n", idx, split);
            bad++;
            continue;
        }
        seen[sp]++;
        if (memcmp(ds[sp].pixels + (size_t)idx * 784, mn.pixels + (size_t)num * 784, 784) != 0 ||
            ds[sp].labels[idx] != mn.labels[num]) {
            fprintf(stderr, "imgtool: %s %ld differs from digit %ld (%s)\n", split, idx, num, src);
            bad++;
        }
        if (name_order && !sp) {
            int l = ds[sp].labels[idx];
            if (l < last_label || (l == last_label && num <= last_num)) {
                fprintf(stderr, "imgtool: %s %ld out of name order\n", split, idx);
                bad++;
            }
            last_label = l;
            last_num = num;
        }
    }
    fclose(f);
    if ((uint32_t)seen[0] != ds[0].count || (has_test && (uint32_t)seen[1] != ds[1].count)) {
        fprintf(stderr, "imgtool: import.txt lists %ld + %ld images, the files hold %u + %u\n",
                seen[0], seen[1], ds[0].count, has_test ? ds[1].count : 0);
        bad++;
    }
    printf("verified %ld + %ld images, %d wrong\n", seen[0], seen[1], bad);
    gan_dataset_free(&ds[0]);
    if (has_test)
        gan_dataset_free(&ds[1]);
    gan_dataset_free(&mn);
    return bad ? 1 : 0;
}

static int cmd_kinds(const char *out)
{
    enum { W = 37, H = 23 };
    static uint8_t rgb[W * H * 4], g16[W * H * 2];
    char p[4096];
    made(out);
    for (int i = 0; i < W * H; i++) {
        int x = i % W, y = i / W;
        rgb[4 * i] = (uint8_t)(x * 6);
        rgb[4 * i + 1] = (uint8_t)(y * 10);
        rgb[4 * i + 2] = (uint8_t)((x + y) * 4);
        rgb[4 * i + 3] = (uint8_t)(255 - x * 3);
        g16[2 * i] = (uint8_t)(x * 6);
        g16[2 * i + 1] = (uint8_t)y;
    }
    int rc = 0;
    snprintf(p, sizeof p, "%s/rgba.png", out);
    rc |= img_write_png(p, W, H, PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, rgb, W * 4, NULL, 0, NULL, 0);
    snprintf(p, sizeof p, "%s/grey16.png", out);
    rc |= img_write_png(p, W, H, PNG_COLOR_TYPE_GRAY, 16, 0, g16, W * 2, NULL, 0, NULL, 0);
    snprintf(p, sizeof p, "%s/adam7.png", out);
    rc |= img_write_png(p, W / 2, H, PNG_COLOR_TYPE_RGB, 8, 1, rgb, (W / 2) * 3, NULL, 0, NULL, 0);
    png_color pal[3] = {{255, 0, 0}, {0, 200, 0}, {10, 20, 250}};
    uint8_t trns[3] = {255, 100, 255}, idx[W * H];
    for (int i = 0; i < W * H; i++)
        idx[i] = (uint8_t)(i % 3);
    snprintf(p, sizeof p, "%s/palette.png", out);
    rc |= img_write_png(p, W, H, PNG_COLOR_TYPE_PALETTE, 8, 0, idx, W, pal, 3, trns, 3);
    uint8_t one[3] = {250, 120, 5};
    snprintf(p, sizeof p, "%s/tiny.png", out);
    rc |= img_write_png(p, 1, 1, PNG_COLOR_TYPE_RGB, 8, 0, one, 3, NULL, 0, NULL, 0);
    for (int i = 0; i < W * H; i++) { /* RGB for the JPEGs */
        rgb[3 * i] = (uint8_t)((i % W) * 6);
        rgb[3 * i + 1] = (uint8_t)((i / W) * 10);
        rgb[3 * i + 2] = 90;
    }
    snprintf(p, sizeof p, "%s/photo.jpg", out);
    rc |= img_write_jpeg(p, rgb, W, H, 3, JCS_RGB, 0, 90);
    snprintf(p, sizeof p, "%s/progressive.jpg", out);
    rc |= img_write_jpeg(p, rgb, W, H, 3, JCS_RGB, 1, 90);
    snprintf(p, sizeof p, "%s/grey.jpg", out);
    rc |= img_write_jpeg(p, idx, W, H, 1, JCS_GRAYSCALE, 0, 90);
    static uint8_t cmyk[W * H * 4];
    for (int i = 0; i < W * H * 4; i++)
        cmyk[i] = (uint8_t)(255 - (i % 7) * 9);
    snprintf(p, sizeof p, "%s/cmyk.jpg", out);
    rc |= img_write_jpeg(p, cmyk, W, H, 4, JCS_CMYK, 0, 90);
    snprintf(p, sizeof p, "%s/named-as-text.txt", out); /* a PNG is known by its bytes */
    rc |= img_write_grey(p, idx, 5, 5);
    return rc ? 1 : 0;
}

static int cmd_bad(const char *out)
{
    char p[4096];
    made(out);
    uint8_t g[28 * 28];
    for (int i = 0; i < 28 * 28; i++)
        g[i] = (uint8_t)(i * 31);
    snprintf(p, sizeof p, "%s/whole.tmp", out);
    if (img_write_grey(p, g, 28, 28) != 0)
        return 1;
    size_t n;
    unsigned char *b = img_slurp(p, &n);
    remove(p);
    int rc = 0;
    snprintf(p, sizeof p, "%s/truncated.png", out);
    rc |= img_spit(p, b, n / 2);
    unsigned char *idat = memmem(b, n, "IDAT", 4);
    if (!idat)
        return 1;
    size_t dlen = (size_t)idat[-2] << 8 | idat[-1];
    idat[4 + dlen + 3] ^= 0x40; /* the chunk's CRC */
    snprintf(p, sizeof p, "%s/badcrc.png", out);
    rc |= img_spit(p, b, n);
    idat[4 + dlen + 3] ^= 0x40;
    idat[4] ^= 0x40; /* the compressed data (the CRC made to match) */
    uLong crc = crc32(0, idat, (uInt)(4 + dlen));
    for (int i = 0; i < 4; i++)
        idat[4 + dlen + i] = (unsigned char)(crc >> (24 - 8 * i));
    snprintf(p, sizeof p, "%s/corrupt.png", out);
    rc |= img_spit(p, b, n);
    /* the file with an IHDR of 30000 x 30000, its CRC sound */
    unsigned char *bomb = b + 8;
    bomb[10] = bomb[14] = 0x75;
    bomb[11] = bomb[15] = 0x30;
    crc = crc32(0, bomb + 4, 17);
    for (int i = 0; i < 4; i++)
        bomb[21 + i] = (unsigned char)(crc >> (24 - 8 * i));
    snprintf(p, sizeof p, "%s/bomb.png", out);
    rc |= img_spit(p, b, n);
    free(b);
    snprintf(p, sizeof p, "%s/empty.png", out);
    rc |= img_spit(p, "", 0);
    snprintf(p, sizeof p, "%s/text.png", out);
    rc |= img_spit(p, "this is not a picture\n", 22);
    unsigned char junk[300] = {0xFF, 0xD8, 0xFF, 0xDB};
    for (int i = 4; i < 300; i++)
        junk[i] = (unsigned char)(i * 37 + 11);
    snprintf(p, sizeof p, "%s/garbage.jpg", out);
    rc |= img_spit(p, junk, sizeof junk);
    snprintf(p, sizeof p, "%s/whole.jpg", out);
    rc |= img_write_jpeg(p, g, 28, 28, 1, JCS_GRAYSCALE, 0, 90);
    b = img_slurp(p, &n);
    remove(p);
    snprintf(p, sizeof p, "%s/truncated.jpg", out);
    rc |= img_spit(p, b, n - 30);
    free(b);
    return rc ? 1 : 0;
}

static int cmd_discs(const char *out, int n, int size)
{
    static const char *const names[3] = {"red", "green", "blue"};
    uint8_t *px = malloc((size_t)size * size * 3);
    char p[4096];
    made(out);
    unsigned s = 12345;
    int rc = 0;
    for (int k = 0; k < 3 && px; k++) {
        snprintf(p, sizeof p, "%s/%s", out, names[k]);
        made(p);
        for (int i = 0; i < n; i++) {
            s = s * 1103515245u + 12345u;
            double r = size * (0.2 + 0.15 * ((s >> 16) % 100) / 100.0);
            s = s * 1103515245u + 12345u;
            double cx = size / 2.0 + (((s >> 16) % 100) / 100.0 - 0.5) * (size - 2 * r);
            s = s * 1103515245u + 12345u;
            double cy = size / 2.0 + (((s >> 16) % 100) / 100.0 - 0.5) * (size - 2 * r);
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++) {
                    int in = (x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy) <= r * r;
                    for (int c = 0; c < 3; c++)
                        px[((size_t)y * size + x) * 3 + c] = in && c == k ? 255 : 0;
                }
            snprintf(p, sizeof p, "%s/%s/%03d.png", out, names[k], i);
            rc |= img_write_rgb(p, px, size, size);
        }
    }
    free(px);
    return rc || !px ? 1 : 0;
}

static int cmd_big(const char *out, int n, int side)
{
    uint8_t *px = malloc((size_t)side * side * 3);
    char p[4096];
    if (!px)
        return 1;
    made(out);
    made(strcat(strcpy(p, out), "/all"));
    for (size_t i = 0; i < (size_t)side * side * 3; i++)
        px[i] = (uint8_t)((i * 2654435761u) >> 24);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        snprintf(p, sizeof p, "%s/all/%03d.jpg", out, i);
        rc = img_write_jpeg(p, px, side, side, 3, JCS_RGB, 0, 95);
    }
    free(px);
    return rc ? 1 : 0;
}

static int cmd_channels(const char *path)
{
    size_t n;
    unsigned char *b = img_slurp(path, &n);
    int w, h;
    uint8_t *px;
    char why[256];
    if (!b || gan_decode_pixels(b, n, 3, 0, &w, &h, &px, why, sizeof why) != 0) {
        fprintf(stderr, "imgtool: %s: %s\n", path, b ? why : "cannot read");
        return 1;
    }
    double sum[3] = {0, 0, 0};
    long lit = 0;
    for (long i = 0; i < (long)w * h; i++)
        if (px[3 * i] || px[3 * i + 1] || px[3 * i + 2]) {
            lit++;
            for (int c = 0; c < 3; c++)
                sum[c] += px[3 * i + c];
        }
    printf("%.1f %.1f %.1f\n", lit ? sum[0] / lit : 0, lit ? sum[1] / lit : 0,
           lit ? sum[2] / lit : 0);
    free(b);
    free(px);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && !strcmp(argv[1], "mnist"))
        return cmd_mnist(argv[2], atoi(argv[3]), argv[4]);
    if (argc >= 4 && !strcmp(argv[1], "verify"))
        return cmd_verify(argv[2], argv[3], argc > 4 && !strcmp(argv[4], "name"));
    if (argc >= 3 && !strcmp(argv[1], "kinds"))
        return cmd_kinds(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "bad"))
        return cmd_bad(argv[2]);
    if (argc >= 5 && !strcmp(argv[1], "discs"))
        return cmd_discs(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc >= 5 && !strcmp(argv[1], "big"))
        return cmd_big(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc >= 3 && !strcmp(argv[1], "channels"))
        return cmd_channels(argv[2]);
    fprintf(stderr, "usage: see the comment at the top of tests/imgtool.c\n");
    return 2;
}

/*
 * test_idx.c: the IDX loader on files made here, raw and gzip, good and bad;
 * each bad file must give its own error naming the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gan_idx.h"
#include "test_util.h"

static char dir[256];

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Header + data into buf; returns its length. */
static size_t make_idx(unsigned char *buf, uint32_t magic, int ndims, const uint32_t *dims,
                       const unsigned char *data, size_t n)
{
    put32(buf, magic);
    for (int d = 0; d < ndims; d++)
        put32(buf + 4 + 4 * d, dims[d]);
    size_t h = 4 + 4 * (size_t)ndims;
    memcpy(buf + h, data, n);
    return h + n;
}

static const char *path_of(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static void write_raw(const char *name, const void *buf, size_t n)
{
    FILE *f = fopen(path_of(name), "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK(fwrite(buf, 1, n, f) == n);
    CHECK(fclose(f) == 0);
}

static void write_gz(const char *name, const void *buf, size_t n)
{
    gzFile g = gzopen(path_of(name), "wb");
    CHECK(g != NULL);
    if (!g)
        return;
    CHECK(gzwrite(g, buf, (unsigned)n) == (int)n);
    CHECK(gzclose(g) == Z_OK);
}

static unsigned char *read_all(const char *name, size_t *n)
{
    FILE *f = fopen(path_of(name), "rb");
    static unsigned char buf[1 << 16];
    *n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    return buf;
}

/* Loading `name` must fail with a message containing `want` and the path. */
static void expect_error(const char *name, uint32_t magic, const char *want)
{
    gan_idx idx;
    gan_err err = {""};
    int rc = gan_idx_load(path_of(name), magic, &idx, &err);
    CHECK_MSG(rc == -1, "%s loaded but should not", name);
    CHECK_MSG(strstr(err.msg, want) != NULL, "%s: got '%s', want '%s'", name, err.msg, want);
    CHECK_MSG(strstr(err.msg, name) != NULL, "message '%s' does not name the file", err.msg);
    CHECK(idx.data == NULL);
}

enum { N = 10, R = 4, C = 3 };
static unsigned char pixels[N * R * C], labels[N];

static void test_good(void)
{
    unsigned char buf[1024];
    uint32_t idims[3] = {N, R, C}, ldims[1] = {N};
    size_t ni = make_idx(buf, GAN_IDX_MAGIC_IMAGES, 3, idims, pixels, sizeof pixels);
    write_raw("raw-images", buf, ni);
    write_gz("gz-images", buf, ni);
    /* the magic bytes decide, not the name */
    write_gz("gz-named-raw", buf, ni);
    write_raw("raw-named.gz", buf, ni);
    const char *names[] = {"raw-images", "gz-images", "gz-named-raw", "raw-named.gz"};
    for (int k = 0; k < 4; k++) {
        gan_idx idx;
        gan_err err = {""};
        CHECK_MSG(gan_idx_load(path_of(names[k]), GAN_IDX_MAGIC_IMAGES, &idx, &err) == 0, "%s",
                  err.msg);
        CHECK(idx.ndims == 3 && idx.dims[0] == N && idx.dims[1] == R && idx.dims[2] == C);
        CHECK(idx.size == sizeof pixels && idx.data && memcmp(idx.data, pixels, sizeof pixels) == 0);
        gan_idx_free(&idx);
    }

    /* a dataset folder: gz images, raw labels */
    CHECK(mkdir(path_of("set"), 0777) == 0);
    write_gz("set/train-images-idx3-ubyte.gz", buf, ni);
    size_t nl = make_idx(buf, GAN_IDX_MAGIC_LABELS, 1, ldims, labels, sizeof labels);
    write_raw("set/train-labels-idx1-ubyte", buf, nl);
    gan_dataset ds;
    gan_err err = {""};
    CHECK_MSG(gan_dataset_load(&ds, path_of("set"), "train", 0, 0, &err) == 0, "%s", err.msg);
    CHECK(ds.count == N && ds.rows == R && ds.cols == C);
    CHECK(memcmp(ds.labels, labels, N) == 0 && memcmp(ds.pixels, pixels, sizeof pixels) == 0);
    /* scaling: ToTensor then Normalize(0.5, 0.5) */
    uint32_t pick[2] = {9, 0};
    float out[2 * R * C];
    gan_dataset_batch(&ds, pick, 2, out);
    for (int j = 0; j < R * C; j++) {
        CHECK_CLOSE(out[j], pixels[9 * R * C + j] / 127.5 - 1.0, 1e-6, 0);
        CHECK_CLOSE(out[R * C + j], pixels[j] / 127.5 - 1.0, 1e-6, 0);
    }
    CHECK(out[0] >= -1.0f && out[0] <= 1.0f);
    gan_dataset_free(&ds);

    /* the writer round-trips */
    CHECK(gan_idx_write(path_of("written"), GAN_IDX_MAGIC_IMAGES, 3, idims, pixels, &err) == 0);
    size_t n;
    unsigned char *w = read_all("written", &n);
    ni = make_idx(buf, GAN_IDX_MAGIC_IMAGES, 3, idims, pixels, sizeof pixels);
    CHECK(n == ni && memcmp(w, buf, ni) == 0);
    gan_idx idx;
    CHECK(gan_idx_load(path_of("written"), GAN_IDX_MAGIC_IMAGES, &idx, &err) == 0);
    CHECK(idx.data && memcmp(idx.data, pixels, sizeof pixels) == 0);
    gan_idx_free(&idx);
}

static void test_bad(void)
{
    unsigned char buf[2048];
    uint32_t idims[3] = {N, R, C}, ldims[1] = {N};
    size_t ni = make_idx(buf, GAN_IDX_MAGIC_IMAGES, 3, idims, pixels, sizeof pixels);

    /* a label file where images are expected */
    unsigned char lb[64];
    size_t nl = make_idx(lb, GAN_IDX_MAGIC_LABELS, 1, ldims, labels, sizeof labels);
    write_raw("labels-as-images", lb, nl);
    expect_error("labels-as-images", GAN_IDX_MAGIC_IMAGES,
                 "not an IDX image file (magic 0x00000801, expected 0x00000803)");
    write_raw("text", "hello, world\n", 13);
    expect_error("text", GAN_IDX_MAGIC_IMAGES, "not an IDX image file (magic 0x68656c6c");

    write_raw("empty", "", 0);
    expect_error("empty", GAN_IDX_MAGIC_IMAGES, "empty file");
    write_gz("empty-gz", "", 0);
    expect_error("empty-gz", GAN_IDX_MAGIC_LABELS, "empty file");

    write_raw("short-header", buf, 10);
    expect_error("short-header", GAN_IDX_MAGIC_IMAGES, "truncated header");
    write_raw("short-magic", buf, 3);
    expect_error("short-magic", GAN_IDX_MAGIC_IMAGES, "truncated header");

    write_raw("truncated", buf, ni - 5);
    expect_error("truncated", GAN_IDX_MAGIC_IMAGES,
                 "truncated: header announces 120 data bytes, file holds 115");
    write_gz("truncated-gz", buf, ni - 5);
    expect_error("truncated-gz", GAN_IDX_MAGIC_IMAGES,
                 "truncated: header announces 120 data bytes, file holds 115");

    unsigned char big[sizeof buf + 8];
    memcpy(big, buf, ni);
    memset(big + ni, 7, 8);
    write_raw("trailing", big, ni + 8);
    expect_error("trailing", GAN_IDX_MAGIC_IMAGES, "8 trailing bytes");
    write_gz("trailing-gz", big, ni + 8);
    expect_error("trailing-gz", GAN_IDX_MAGIC_IMAGES, "trailing bytes");

    /* huge sizes: overflowing and merely enormous; neither may allocate */
    uint32_t huge[3] = {0xffffffffu, 0xffffffffu, 0xffffffffu};
    size_t nh = make_idx(big, GAN_IDX_MAGIC_IMAGES, 3, huge, pixels, 16);
    write_raw("huge", big, nh);
    expect_error("huge", GAN_IDX_MAGIC_IMAGES, "header sizes are too large");
    uint32_t many[3] = {1000000000u, 28, 28}; /* 784 GB: over the limit */
    nh = make_idx(big, GAN_IDX_MAGIC_IMAGES, 3, many, pixels, 16);
    write_gz("huge-gz", big, nh);
    expect_error("huge-gz", GAN_IDX_MAGIC_IMAGES, "header sizes are too large");
    uint32_t lots[3] = {10000000u, 28, 28}; /* 7.8 GB announced, 16 bytes there */
    nh = make_idx(big, GAN_IDX_MAGIC_IMAGES, 3, lots, pixels, 16);
    write_raw("lying", big, nh);
    expect_error("lying", GAN_IDX_MAGIC_IMAGES, "truncated: header announces 7840000000 data bytes");
    write_gz("lying-gz", big, nh);
    expect_error("lying-gz", GAN_IDX_MAGIC_IMAGES, "truncated: header announces 7840000000 data bytes, file holds 16");

    uint32_t zero[3] = {N, 0, C};
    nh = make_idx(big, GAN_IDX_MAGIC_IMAGES, 3, zero, pixels, 0);
    write_raw("zero-dim", big, nh);
    expect_error("zero-dim", GAN_IDX_MAGIC_IMAGES, "dimension 2 of the header is 0");

    /* corrupt and cut gzip streams */
    write_gz("good-gz", buf, ni);
    size_t ng;
    unsigned char *g = read_all("good-gz", &ng);
    unsigned char gz[4096];
    memcpy(gz, g, ng);
    gz[ng - 6] ^= 0xff; /* inside the CRC32 trailer */
    write_raw("bad-crc-gz", gz, ng);
    expect_error("bad-crc-gz", GAN_IDX_MAGIC_IMAGES, "corrupt gzip data");
    memcpy(gz, g, ng);
    for (size_t i = 12; i < ng - 8; i++)
        gz[i] ^= 0x5a; /* scramble the deflate data */
    write_raw("scrambled-gz", gz, ng);
    expect_error("scrambled-gz", GAN_IDX_MAGIC_IMAGES, "gzip data");
    memcpy(gz, g, ng);
    write_raw("cut-gz", gz, ng / 2);
    expect_error("cut-gz", GAN_IDX_MAGIC_IMAGES, "gzip data");

    expect_error("no-such-file", GAN_IDX_MAGIC_IMAGES, "cannot open");

    /* a folder: missing, not a folder, count mismatch */
    gan_dataset ds;
    gan_err err = {""};
    CHECK(gan_dataset_load(&ds, path_of("nowhere"), "train", 0, 0, &err) == -1);
    CHECK_MSG(strstr(err.msg, "data folder not found") != NULL, "%s", err.msg);
    CHECK(gan_dataset_load(&ds, path_of("text"), "train", 0, 0, &err) == -1);
    CHECK_MSG(strstr(err.msg, "not a folder") != NULL, "%s", err.msg);
    CHECK(mkdir(path_of("odd"), 0777) == 0);
    write_gz("odd/train-images-idx3-ubyte.gz", buf, ni);
    uint32_t ldims9[1] = {N - 1};
    nl = make_idx(lb, GAN_IDX_MAGIC_LABELS, 1, ldims9, labels, N - 1);
    write_gz("odd/train-labels-idx1-ubyte.gz", lb, nl);
    CHECK(gan_dataset_load(&ds, path_of("odd"), "train", 0, 0, &err) == -1);
    CHECK_MSG(strstr(err.msg, "10 images in") && strstr(err.msg, "but 9 labels in"), "%s", err.msg);
    CHECK(mkdir(path_of("nolabels"), 0777) == 0);
    write_gz("nolabels/train-images-idx3-ubyte.gz", buf, ni);
    CHECK(gan_dataset_load(&ds, path_of("nolabels"), "train", 0, 0, &err) == -1);
    CHECK_MSG(strstr(err.msg, "train-labels-idx1-ubyte: cannot open"), "%s", err.msg);
    /* labels optional: the images alone load */
    CHECK_MSG(gan_dataset_load(&ds, path_of("nolabels"), "train", 0, GAN_DATA_LABELS_OPTIONAL,
                               &err) == 0, "%s", err.msg);
    CHECK(ds.count == N && ds.labels == NULL && ds.pixels[1] == 255);
    gan_dataset_free(&ds);
    /* ... but a labels file that is there and wrong is still an error */
    CHECK(gan_dataset_load(&ds, path_of("odd"), "train", 0, GAN_DATA_LABELS_OPTIONAL, &err) == -1);
    CHECK_MSG(strstr(err.msg, "but 9 labels in"), "%s", err.msg);
}

/* --limit: the first N images and labels, the file still checked whole */
static void test_limit(void)
{
    gan_dataset ds;
    gan_err err = {""};
    CHECK_MSG(gan_dataset_load(&ds, path_of("set"), "train", 3, 0, &err) == 0, "%s", err.msg);
    CHECK(ds.count == 3 && ds.total == N && ds.rows == R && ds.cols == C);
    CHECK(memcmp(ds.pixels, pixels, 3 * R * C) == 0 && memcmp(ds.labels, labels, 3) == 0);
    gan_dataset_free(&ds);
    CHECK(gan_dataset_load(&ds, path_of("set"), "train", 1000, 0, &err) == 0);
    CHECK(ds.count == N && ds.total == N);
    gan_dataset_free(&ds);
}

/* Colour: N x R x C x 3 (idx4) from gan_idx_write_gz, with labels, and a
 * limit; an idx3 file beside it comes first; 4 channels are refused. */
static void test_colour(void)
{
    static unsigned char rgb[N * R * C * 3];
    for (int i = 0; i < N * R * C * 3; i++)
        rgb[i] = (unsigned char)(i * 7 + 3);
    mkdir(path_of("colour"), 0777);
    gan_err err = {""};
    uint32_t d4[4] = {N, R, C, 3}, dl[1] = {N};
    CHECK_MSG(gan_idx_write_gz(path_of("colour/train-images-idx4-ubyte.gz"), 4, d4, rgb,
                               sizeof rgb, NULL, &err) == 0, "%s", err.msg);
    write_raw("colour/labels.raw", labels, N); /* the labels streamed from a raw file */
    char raw[512];
    snprintf(raw, sizeof raw, "%s", path_of("colour/labels.raw"));
    CHECK_MSG(gan_idx_write_gz(path_of("colour/train-labels-idx1-ubyte.gz"), 1, dl, NULL, 0, raw,
                               &err) == 0, "%s", err.msg);
    /* no time stamp in the gzip header: the same data, the same bytes */
    size_t n;
    unsigned char *b = read_all("colour/train-images-idx4-ubyte.gz", &n);
    CHECK(n > 10 && b[0] == 0x1f && b[1] == 0x8b && b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 0);
    gan_dataset ds;
    CHECK_MSG(gan_dataset_load(&ds, path_of("colour"), "train", 0, 0, &err) == 0, "%s", err.msg);
    CHECK(ds.count == N && ds.rows == R && ds.cols == C && ds.channels == 3);
    CHECK(gan_dataset_image_size(&ds) == (size_t)R * C * 3);
    CHECK(memcmp(ds.pixels, rgb, sizeof rgb) == 0 && memcmp(ds.labels, labels, N) == 0);
    float x[2 * R * C * 3];
    uint32_t idx[2] = {3, 0};
    gan_dataset_batch(&ds, idx, 2, x); /* whole images of all three channels */
    CHECK(x[0] == ((float)rgb[3 * R * C * 3] / 255.0f - 0.5f) / 0.5f);
    CHECK(x[2 * R * C * 3 - 1] == ((float)rgb[R * C * 3 - 1] / 255.0f - 0.5f) / 0.5f);
    gan_dataset_free(&ds);
    CHECK(gan_dataset_load(&ds, path_of("colour"), "train", 2, 0, &err) == 0);
    CHECK(ds.count == 2 && memcmp(ds.pixels, rgb, 2 * R * C * 3) == 0);
    gan_dataset_free(&ds);
    /* an idx3 file beside it is the one taken */
    uint32_t d3[3] = {N, R, C};
    CHECK(gan_idx_write_gz(path_of("colour/train-images-idx3-ubyte.gz"), 3, d3, pixels,
                           sizeof pixels, NULL, &err) == 0);
    CHECK(gan_dataset_load(&ds, path_of("colour"), "train", 0, 0, &err) == 0);
    CHECK(ds.channels == 1 && memcmp(ds.pixels, pixels, sizeof pixels) == 0);
    gan_dataset_free(&ds);
    /* four channels: refused, naming the file */
    mkdir(path_of("four"), 0777);
    uint32_t d44[4] = {1, 2, 2, 4};
    CHECK(gan_idx_write_gz(path_of("four/train-images-idx4-ubyte.gz"), 4, d44, rgb, 16, NULL,
                           &err) == 0);
    CHECK(gan_dataset_load(&ds, path_of("four"), "train", 0, GAN_DATA_LABELS_OPTIONAL, &err) == -1);
    CHECK_MSG(strstr(err.msg, "four/train-images-idx4-ubyte.gz: images of 4 channels; a colour "
                              "IDX file has 3 (R, G, B)"), "%s", err.msg);
    CHECK(gan_idx_write_gz(path_of("five.gz"), 5, d44, rgb, 16, NULL, &err) == -1);
}

int main(void)
{
    if (test_tmpdir(dir, sizeof dir, "idx") != 0)
        return 1;
    for (int i = 0; i < N * R * C; i++)
        pixels[i] = (unsigned char)(i * 37 + 11);
    pixels[0] = 0;
    pixels[1] = 255;
    for (int i = 0; i < N; i++)
        labels[i] = (unsigned char)(i % 10);
    test_good();
    test_limit();
    test_colour();
    test_bad();
    test_rmdir(dir);
    TEST_MAIN_END();
}

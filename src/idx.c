/*
 * idx.c: IDX reader (raw or gzip) and writer, and the dataset on top.
 * Every size from a header is distrusted: products are checked for overflow,
 * raw files are compared with their size on disk before any allocation, and
 * gzip data is read into a buffer that only grows as real bytes arrive, so a
 * lying header cannot make us allocate more than the file actually inflates to.
 */
#define _POSIX_C_SOURCE 200809L
#include "gan_idx.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gan_file.h"

/* A byte source that is a plain FILE or a gzip stream. */
typedef struct {
    const char *path;
    FILE *f;
    gzFile gz;
} idx_reader;

static int reader_open(idx_reader *r, const char *path, gan_err *err)
{
    r->path = path;
    r->f = NULL;
    r->gz = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return gan_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    unsigned char m[2];
    size_t got = fread(m, 1, 2, f);
    if (ferror(f)) {
        fclose(f);
        return gan_err_set(err, "%s: read error: %s", path, strerror(errno));
    }
    if (got == 2 && m[0] == 0x1f && m[1] == 0x8b) {
        fclose(f);
        r->gz = gzopen(path, "rb");
        if (!r->gz)
            return gan_err_set(err, "%s: cannot open: %s", path, strerror(errno ? errno : ENOMEM));
        gzbuffer(r->gz, 1 << 17);
        return 0;
    }
    if (fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return gan_err_set(err, "%s: cannot seek: %s", path, strerror(errno));
    }
    r->f = f;
    return 0;
}

static void reader_close(idx_reader *r)
{
    if (r->f)
        fclose(r->f);
    if (r->gz)
        gzclose(r->gz);
    r->f = NULL;
    r->gz = NULL;
}

/* Reads up to n bytes; returns how many (short only at end of data), or -1
 * with err set on a read error or corrupt/truncated gzip data. */
static long long reader_read(idx_reader *r, void *buf, size_t n, gan_err *err)
{
    size_t total = 0;
    while (total < n) {
        size_t want = n - total;
        if (want > (1u << 30))
            want = 1u << 30;
        size_t got;
        if (r->f) {
            got = fread((char *)buf + total, 1, want, r->f);
            if (ferror(r->f))
                return gan_err_set(err, "%s: read error: %s", r->path, strerror(errno));
        } else {
            int g = gzread(r->gz, (char *)buf + total, (unsigned)want);
            int zerr = Z_OK;
            const char *zmsg = gzerror(r->gz, &zerr);
            if (g < 0 || (zerr != Z_OK && zerr != Z_BUF_ERROR))
                return gan_err_set(err, "%s: corrupt gzip data (zlib: %s)", r->path, zmsg);
            if (zerr == Z_BUF_ERROR)
                return gan_err_set(err, "%s: truncated gzip data (zlib: %s)", r->path, zmsg);
            got = (size_t)g;
        }
        total += got;
        if (got < want)
            break;
    }
    return (long long)total;
}

static uint32_t be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static const char *idx_kind(uint32_t magic)
{
    return magic == GAN_IDX_MAGIC_IMAGES    ? "an IDX image file"
           : magic == GAN_IDX_MAGIC_IMAGES4 ? "an IDX colour image file"
                                            : "an IDX label file";
}

/* The header: the magic, the dimensions into out, their product into *size;
 * a raw file's length must match it. */
static int idx_read_header(idx_reader *r, gan_idx *out, uint64_t *size_out, gan_err *err)
{
    unsigned char hdr[4 + 4 * 4];
    int ndims = (int)(out->magic & 0xff);
    size_t hdr_len = 4 + 4 * (size_t)ndims;
    long long got = reader_read(r, hdr, 4, err);
    if (got < 0)
        return -1;
    if (got == 0)
        return gan_err_set(err, "%s: empty file, expected %s", r->path, idx_kind(out->magic));
    if (got < 4)
        return gan_err_set(err, "%s: truncated header (%lld of 4 magic bytes)", r->path, got);
    uint32_t magic = be32(hdr);
    if (magic != out->magic)
        return gan_err_set(err, "%s: not %s (magic 0x%08x, expected 0x%08x)", r->path,
                           idx_kind(out->magic), magic, out->magic);
    got = reader_read(r, hdr + 4, hdr_len - 4, err);
    if (got < 0)
        return -1;
    if ((size_t)got < hdr_len - 4)
        return gan_err_set(err, "%s: truncated header (%lld of %zu bytes)", r->path, got + 4,
                           hdr_len);
    uint64_t size = 1;
    for (int d = 0; d < ndims; d++) {
        out->dims[d] = be32(hdr + 4 + 4 * d);
        if (out->dims[d] == 0)
            return gan_err_set(err, "%s: dimension %d of the header is 0", r->path, d + 1);
        if (size > GAN_IDX_MAX_BYTES / out->dims[d])
            return gan_err_set(err, "%s: header sizes are too large (over the %llu-byte limit)",
                               r->path, (unsigned long long)GAN_IDX_MAX_BYTES);
        size *= out->dims[d];
    }
    out->ndims = ndims;
    if (size > SIZE_MAX)
        return gan_err_set(err, "%s: header sizes are too large for this machine", r->path);

    if (r->f) {
        /* Raw: the file size must match before we allocate anything. */
        struct stat st;
        if (fstat(fileno(r->f), &st) == 0 && S_ISREG(st.st_mode)) {
            uint64_t have = (uint64_t)st.st_size - hdr_len;
            if (have < size)
                return gan_err_set(err, "%s: truncated: header announces %llu data bytes, file holds %llu",
                                   r->path, (unsigned long long)size, (unsigned long long)have);
            if (have > size)
                return gan_err_set(err, "%s: %llu trailing bytes after the %llu data bytes the header announces",
                                   r->path, (unsigned long long)(have - size),
                                   (unsigned long long)size);
        }
    }
    *size_out = size;
    return 0;
}

/* The data, size bytes of it and nothing after, into out. */
static int idx_read_data(idx_reader *r, gan_idx *out, uint64_t size, gan_err *err)
{
    long long got;
    /* Grow as data arrives: at most twice what the file really holds. */
    size_t cap = size < (1u << 20) ? (size_t)size : (1u << 20), have = 0;
    uint8_t *data = malloc(cap);
    if (!data)
        return gan_err_set(err, "%s: out of memory for %zu bytes", r->path, cap);
    for (;;) {
        got = reader_read(r, data + have, cap - have, err);
        if (got < 0) {
            free(data);
            return -1;
        }
        have += (size_t)got;
        if (have < cap || cap == size)
            break;
        size_t ncap = cap * 2 < size ? cap * 2 : (size_t)size;
        uint8_t *nd = realloc(data, ncap);
        if (!nd) {
            free(data);
            return gan_err_set(err, "%s: out of memory for %zu bytes", r->path, ncap);
        }
        data = nd;
        cap = ncap;
    }
    if (have < size) {
        free(data);
        return gan_err_set(err, "%s: truncated: header announces %llu data bytes, file holds %zu",
                           r->path, (unsigned long long)size, have);
    }
    unsigned char extra[4096];
    got = reader_read(r, extra, sizeof extra, err);
    if (got != 0) {
        free(data);
        if (got < 0)
            return -1;
        return gan_err_set(err, "%s: trailing bytes after the %llu data bytes the header announces",
                           r->path, (unsigned long long)size);
    }
    out->data = data;
    out->size = (size_t)size;
    return 0;
}

static int idx_read_body(idx_reader *r, gan_idx *out, gan_err *err)
{
    uint64_t size = 0;
    if (idx_read_header(r, out, &size, err) != 0)
        return -1;
    return idx_read_data(r, out, size, err);
}

int gan_idx_load(const char *path, uint32_t magic, gan_idx *out, gan_err *err)
{
    memset(out, 0, sizeof *out);
    out->magic = magic;
    idx_reader r;
    if (reader_open(&r, path, err) != 0)
        return -1;
    int rc = idx_read_body(&r, out, err);
    reader_close(&r);
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}

void gan_idx_free(gan_idx *idx)
{
    free(idx->data);
    idx->data = NULL;
    idx->size = 0;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* An IDX header into hdr (4 + 4 ndims bytes, ndims <= 4): the magic, then
 * the sizes, big-endian; returns its length. */
static size_t put_header(unsigned char *hdr, uint32_t magic, int ndims, const uint32_t *dims)
{
    put_be32(hdr, magic);
    for (int d = 0; d < ndims; d++)
        put_be32(hdr + 4 + 4 * d, dims[d]);
    return 4 + 4 * (size_t)ndims;
}

int gan_idx_write(const char *path, uint32_t magic, int ndims, const uint32_t *dims,
                  const uint8_t *data, gan_err *err)
{
    if (ndims < 1 || ndims > 4)
        return gan_err_set(err, "%s: an IDX file of %d dimensions", path, ndims);
    unsigned char hdr[4 + 4 * 4];
    size_t size = 1;
    for (int d = 0; d < ndims; d++)
        size *= dims[d];
    size_t hlen = put_header(hdr, magic, ndims, dims);
    gan_atomic a;
    if (gan_atomic_open(&a, path, err) != 0)
        return -1;
    if (gan_write_all(a.f, hdr, hlen, path, err) != 0 ||
        gan_write_all(a.f, data, size, path, err) != 0) {
        gan_atomic_abort(&a);
        return -1;
    }
    return gan_atomic_commit(&a, err);
}

int gan_idx_write_images(const char *path, uint32_t n, uint32_t rows, uint32_t cols,
                         uint32_t channels, const uint8_t *data, gan_err *err)
{
    uint32_t dims[4] = {n, rows, cols, channels};
    return channels == 1 ? gan_idx_write(path, GAN_IDX_MAGIC_IMAGES, 3, dims, data, err)
                         : gan_idx_write(path, GAN_IDX_MAGIC_IMAGES4, 4, dims, data, err);
}

int gan_idx_write_gz(const char *path, int ndims, const uint32_t *dims, const uint8_t *data,
                     size_t n, const char *from, gan_err *err)
{
    if (ndims < 1 || ndims > 4)
        return gan_err_set(err, "%s: an IDX file of %d dimensions", path, ndims);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return gan_err_set(err, "%s: cannot create: %s", path, strerror(errno));
    int fd2 = dup(fd);
    gzFile gz = fd2 >= 0 ? gzdopen(fd2, "wb6") : NULL;
    if (!gz) {
        if (fd2 >= 0)
            close(fd2);
        close(fd);
        return gan_err_set(err, "%s: cannot start gzip", path);
    }
    unsigned char head[4 + 4 * 4];
    unsigned hlen = (unsigned)put_header(head, 0x0800u | (uint32_t)ndims, ndims, dims);
    int ok = gzwrite(gz, head, hlen) == (int)hlen;
    if (ok && data) {
        for (size_t off = 0; ok && off < n; off += 1u << 20) {
            unsigned k = (unsigned)(n - off < (1u << 20) ? n - off : (1u << 20));
            ok = gzwrite(gz, data + off, k) == (int)k;
        }
    } else if (ok) {
        FILE *in = fopen(from, "rb");
        static const size_t CH = 1u << 16;
        unsigned char buf[1u << 16];
        size_t got;
        ok = in != NULL;
        while (ok && (got = fread(buf, 1, CH, in)) > 0)
            ok = gzwrite(gz, buf, (unsigned)got) == (int)got;
        if (in) {
            ok = ok && !ferror(in);
            fclose(in);
        }
    }
    ok = gzclose(gz) == Z_OK && ok;
    ok = ok && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    return ok ? 0 : gan_err_set(err, "%s: write failed", path);
}

/* DIR/NAME.gz if it exists, else DIR/NAME. */
static void find_file(char *buf, size_t len, const char *dir, const char *name)
{
    snprintf(buf, len, "%s/%s.gz", dir, name);
    if (access(buf, F_OK) == 0)
        return;
    snprintf(buf, len, "%s/%s", dir, name);
}

/* The images of a split: DIR/SPLIT-images-idx3-ubyte[.gz] (grey) or, where
 * there is none, -idx4-ubyte[.gz] (colour), into path with its magic; 0 when
 * neither exists (path then names the grey raw file, for the message). */
static int find_images(const char *dir, const char *split, char *path, size_t len,
                       uint32_t *magic)
{
    char name[64];
    snprintf(name, sizeof name, "%s-images-idx4-ubyte", split);
    find_file(path, len, dir, name);
    *magic = GAN_IDX_MAGIC_IMAGES4;
    int colour = access(path, F_OK) == 0;
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", split);
    char grey[4096];
    find_file(grey, sizeof grey, dir, name);
    if (access(grey, F_OK) == 0 || !colour) {
        snprintf(path, len, "%s", grey);
        *magic = GAN_IDX_MAGIC_IMAGES;
        return access(grey, F_OK) == 0;
    }
    return 1;
}

int gan_dataset_exists(const char *dir, const char *split)
{
    char path[4096];
    uint32_t magic;
    return find_images(dir, split, path, sizeof path, &magic);
}

/* The images of an IDX file of that magic into ds (no labels): a colour file
 * must have 3 channels; with limit > 0 only the first `limit` are kept. */
static int load_images(gan_dataset *ds, const char *path, uint32_t magic, uint32_t limit,
                       gan_err *err)
{
    gan_idx im;
    if (gan_idx_load(path, magic, &im, err) != 0)
        return -1;
    if (magic == GAN_IDX_MAGIC_IMAGES4 && im.dims[3] != 3) {
        gan_idx_free(&im);
        return gan_err_set(err, "%s: images of %u channels; a colour IDX file has 3 (R, G, B)",
                           path, im.dims[3]);
    }
    ds->total = ds->count = im.dims[0];
    ds->rows = im.dims[1];
    ds->cols = im.dims[2];
    ds->channels = magic == GAN_IDX_MAGIC_IMAGES4 ? 3 : 1;
    ds->pixels = im.data;
    if (limit > 0 && limit < ds->count) {
        /* keep the first `limit` images; shrinking never fails in practice,
         * and the larger block is still valid if it does */
        ds->count = limit;
        uint8_t *px = realloc(ds->pixels, (size_t)limit * gan_dataset_image_size(ds));
        if (px)
            ds->pixels = px;
    }
    return 0;
}

int gan_dataset_load(gan_dataset *ds, const char *dir, const char *split, uint32_t limit,
                     unsigned flags, gan_err *err)
{
    memset(ds, 0, sizeof *ds);
    struct stat st;
    if (stat(dir, &st) != 0)
        return gan_err_set(err, "%s: data folder not found: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return gan_err_set(err, "%s: not a folder (--data wants a folder of IDX files)", dir);
    char ipath[4096], lpath[4096], name[64];
    uint32_t magic;
    find_images(dir, split, ipath, sizeof ipath, &magic);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", split);
    find_file(lpath, sizeof lpath, dir, name);
    if (load_images(ds, ipath, magic, limit, err) != 0)
        return -1;
    gan_idx lb;
    int no_labels = (flags & GAN_DATA_LABELS_OPTIONAL) && access(lpath, F_OK) != 0 &&
                    errno == ENOENT;
    if (no_labels)
        return 0;
    if (gan_idx_load(lpath, GAN_IDX_MAGIC_LABELS, &lb, err) != 0) {
        gan_dataset_free(ds);
        return -1;
    }
    if (ds->total != lb.dims[0]) {
        gan_err_set(err, "%s: %u images in %s but %u labels in %s", dir, ds->total, ipath,
                    lb.dims[0], lpath);
        gan_idx_free(&lb);
        gan_dataset_free(ds);
        return -1;
    }
    ds->labels = lb.data;
    return 0;
}

int gan_dataset_load_file(gan_dataset *ds, const char *path, uint32_t limit, gan_err *err)
{
    memset(ds, 0, sizeof *ds);
    idx_reader r;
    if (reader_open(&r, path, err) != 0)
        return -1;
    unsigned char m[4];
    long long got = reader_read(&r, m, 4, err);
    reader_close(&r);
    if (got < 0)
        return -1;
    uint32_t magic = got == 4 ? be32(m) : 0;
    if (magic != GAN_IDX_MAGIC_IMAGES && magic != GAN_IDX_MAGIC_IMAGES4)
        return gan_err_set(err, "%s: not an IDX image file (magic 0x%08x; expected 0x%08x grey or "
                           "0x%08x colour)", path, magic, GAN_IDX_MAGIC_IMAGES,
                           GAN_IDX_MAGIC_IMAGES4);
    return load_images(ds, path, magic, limit, err);
}

void gan_dataset_free(gan_dataset *ds)
{
    free(ds->pixels);
    free(ds->labels);
    memset(ds, 0, sizeof *ds);
}

void gan_dataset_batch(const gan_dataset *ds, const uint32_t *idx, int n, float *out)
{
    /* the 256 possible values, each computed exactly as the formula says */
    float lut[256];
    for (int v = 0; v < 256; v++)
        lut[v] = ((float)v / 255.0f - 0.5f) / 0.5f;
    size_t p = gan_dataset_image_size(ds);
    for (int i = 0; i < n; i++) {
        const uint8_t *src = ds->pixels + (size_t)idx[i] * p;
        float *dst = out + (size_t)i * p;
        for (size_t j = 0; j < p; j++)
            dst[j] = lut[src[j]];
    }
}

int gan_idx_load_f32(const char *path, uint32_t *n, uint32_t *d, float **out, gan_err *err)
{
    *out = NULL;
    idx_reader r;
    if (reader_open(&r, path, err) != 0)
        return -1;
    unsigned char hdr[12];
    int rc = 0;
    long long got = reader_read(&r, hdr, sizeof hdr, err);
    if (got < 0)
        rc = -1;
    else if (got >= 4 && be32(hdr) != GAN_IDX_MAGIC_F32_2D)
        rc = gan_err_set(err, "%s: not an IDX float32 matrix (magic 0x%08x, expected 0x%08x)", path,
                         be32(hdr), GAN_IDX_MAGIC_F32_2D);
    else if (got < 12)
        rc = gan_err_set(err, "%s: truncated header (%lld of 12 bytes)", path, got);
    uint64_t count = 0;
    if (rc == 0) {
        *n = be32(hdr + 4);
        *d = be32(hdr + 8);
        count = (uint64_t)*n * *d;
        if (*n == 0 || *d == 0 || count > (64u << 20))
            rc = gan_err_set(err, "%s: sizes %u x %u out of range (1 to 64 Mi values)", path, *n,
                             *d);
    }
    unsigned char *raw = rc == 0 ? malloc((size_t)count * 4 + 1) : NULL;
    float *v = rc == 0 ? malloc(sizeof(float) * (size_t)count) : NULL;
    if (rc == 0 && (!raw || !v))
        rc = gan_err_set(err, "%s: out of memory", path);
    if (rc == 0) {
        /* one byte more than announced: trailing data is an error */
        got = reader_read(&r, raw, (size_t)count * 4 + 1, err);
        if (got < 0)
            rc = -1;
        else if ((uint64_t)got < count * 4)
            rc = gan_err_set(err, "%s: truncated: header announces %llu values, file holds %lld bytes",
                             path, (unsigned long long)count, got);
        else if ((uint64_t)got > count * 4)
            rc = gan_err_set(err, "%s: trailing bytes after the %llu values", path,
                             (unsigned long long)count);
    }
    for (uint64_t i = 0; rc == 0 && i < count; i++) {
        uint32_t u = be32(raw + 4 * i);
        memcpy(&v[i], &u, 4);
        if (!isfinite(v[i]))
            rc = gan_err_set(err, "%s: value %llu is not finite", path, (unsigned long long)i);
    }
    reader_close(&r);
    free(raw);
    if (rc != 0) {
        free(v);
        return -1;
    }
    *out = v;
    return 0;
}

int gan_idx_write_f32(const char *path, uint32_t n, uint32_t d, const float *v, gan_err *err)
{
    unsigned char hdr[12];
    put_header(hdr, GAN_IDX_MAGIC_F32_2D, 2, (const uint32_t[2]){n, d});
    gan_atomic a;
    if (gan_atomic_open(&a, path, err) != 0)
        return -1;
    int rc = gan_write_all(a.f, hdr, sizeof hdr, path, err);
    for (size_t i = 0; rc == 0 && i < (size_t)n * d; i++) {
        uint32_t u;
        unsigned char b[4];
        memcpy(&u, &v[i], 4);
        put_be32(b, u);
        rc = gan_write_all(a.f, b, 4, path, err);
    }
    if (rc != 0) {
        gan_atomic_abort(&a);
        return -1;
    }
    return gan_atomic_commit(&a, err);
}

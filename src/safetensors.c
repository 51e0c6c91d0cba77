/* safetensors.c: the weights files of gan_safetensors.h, JSON by cJSON. */
#define _POSIX_C_SOURCE 200809L
#include "gan_safetensors.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gan_file.h"

/* The shape tensor k must have in a model of dims d: weights (out, in), biases (out). */
static void shape_of(int k, const int *d, int *rank, long *s)
{
    int l = k / 2;
    if (k % 2 == 0) {
        *rank = 2;
        s[0] = d[l + 1];
        s[1] = d[l];
    } else {
        *rank = 1;
        s[0] = d[l + 1];
    }
}

static void fmt_shape(char *buf, size_t len, int rank, const long *s)
{
    if (rank == 2)
        snprintf(buf, len, "[%ld, %ld]", s[0], s[1]);
    else
        snprintf(buf, len, "[%ld]", s[0]);
}

/* A JSON number that is a whole number in [0, max]. */
static int whole(const cJSON *n, double max, long long *out)
{
    if (!cJSON_IsNumber(n))
        return 0;
    double v = n->valuedouble;
    if (!(v >= 0.0) || v > max || v != floor(v))
        return 0;
    *out = (long long)v;
    return 1;
}

int gan_st_parse(gan_st_file *f, const unsigned char *buf, size_t size, const char *path,
                 gan_err *err)
{
    memset(f, 0, sizeof *f);
    if (size < 8)
        return gan_err_set(err, "%s: %zu bytes, too short for a safetensors file", path, size);
    uint64_t hlen = gan_get64(buf);
    if (hlen < 2 || hlen > GAN_ST_MAX_HEADER)
        return gan_err_set(err, "%s: not a safetensors file (header length %llu; at most %u)", path,
                           (unsigned long long)hlen, GAN_ST_MAX_HEADER);
    if (hlen > size - 8)
        return gan_err_set(err, "%s: truncated: header length %llu, the file holds %zu bytes", path,
                           (unsigned long long)hlen, size);
    const char *h = (const char *)buf + 8, *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(h, (size_t)hlen, &end, 0);
    if (!root)
        return gan_err_set(err, "%s: the header is not valid JSON (near byte %ld of it)", path,
                           cJSON_GetErrorPtr() ? (long)(cJSON_GetErrorPtr() - h) : 0L);
    int rc = 0;
    /* after the JSON only the padding: spaces (or a NUL-free nothing) */
    for (const char *p = end; p && p < h + hlen && rc == 0; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            rc = gan_err_set(err, "%s: bytes after the JSON header", path);
    if (rc == 0 && !cJSON_IsObject(root))
        rc = gan_err_set(err, "%s: the header is not a JSON object", path);
    uint64_t data_size = size - 8 - hlen;
    long long off[6][2];
    long shape[6][2];
    int rank[6], seen[6] = {0};
    const cJSON *item = NULL;
    for (item = rc == 0 ? root->child : NULL; item && rc == 0; item = item->next) {
        const char *name = item->string ? item->string : "";
        if (strcmp(name, "__metadata__") == 0) {
            if (!cJSON_IsObject(item)) {
                rc = gan_err_set(err, "%s: __metadata__ is not an object", path);
                break;
            }
            for (const cJSON *m = item->child; m && rc == 0; m = m->next) {
                if (!cJSON_IsString(m))
                    rc = gan_err_set(err, "%s: __metadata__ '%.60s' is not a string", path,
                                     m->string ? m->string : "");
                else if (f->nmeta == GAN_ST_MAX_META)
                    rc = gan_err_set(err, "%s: more than %d metadata entries", path,
                                     GAN_ST_MAX_META);
                else if (strlen(m->string) >= sizeof f->meta_key[0] ||
                         strlen(m->valuestring) >= sizeof f->meta_val[0])
                    rc = gan_err_set(err, "%s: __metadata__ '%.60s' is too long", path, m->string);
                else {
                    snprintf(f->meta_key[f->nmeta], sizeof f->meta_key[0], "%s", m->string);
                    snprintf(f->meta_val[f->nmeta], sizeof f->meta_val[0], "%s", m->valuestring);
                    f->nmeta++;
                }
            }
            continue;
        }
        int k = 0;
        while (k < 6 && strcmp(name, gan_mlp_tensor_name(k)) != 0)
            k++;
        if (k == 6) {
            rc = gan_err_set(err, "%s: unexpected tensor '%.60s' (a 3-layer MLP has main.0, main.2 "
                             "and main.4 .weight and .bias)", path, name);
            break;
        }
        if (seen[k]) {
            rc = gan_err_set(err, "%s: tensor %s appears twice", path, name);
            break;
        }
        seen[k] = 1;
        const cJSON *dt = cJSON_GetObjectItemCaseSensitive(item, "dtype");
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(item, "shape");
        const cJSON *of = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
        if (!cJSON_IsObject(item) || !cJSON_IsString(dt) || !cJSON_IsArray(sh) ||
            !cJSON_IsArray(of)) {
            rc = gan_err_set(err, "%s: tensor %s lacks a dtype, shape or data_offsets", path, name);
            break;
        }
        if (strcmp(dt->valuestring, "F32") != 0) {
            rc = gan_err_set(err, "%s: tensor %s is %.20s; gan-train reads F32", path, name,
                             dt->valuestring);
            break;
        }
        int want_rank = k % 2 == 0 ? 2 : 1, r = cJSON_GetArraySize(sh);
        if (r != want_rank) {
            rc = gan_err_set(err, "%s: tensor %s has %d dimensions, expected %d", path, name, r,
                             want_rank);
            break;
        }
        uint64_t count = 1;
        for (int d = 0; d < r && rc == 0; d++) {
            long long v;
            if (!whole(cJSON_GetArrayItem(sh, d), 65536.0, &v) || v < 1)
                rc = gan_err_set(err, "%s: tensor %s: shape entry %d is not a size from 1 to 65536",
                                 path, name, d);
            else {
                shape[k][d] = (long)v;
                count *= (uint64_t)v;
            }
        }
        if (rc != 0)
            break;
        rank[k] = r;
        long long b, e;
        if (cJSON_GetArraySize(of) != 2 || !whole(cJSON_GetArrayItem(of, 0), 9e15, &b) ||
            !whole(cJSON_GetArrayItem(of, 1), 9e15, &e) || b > e) {
            rc = gan_err_set(err, "%s: tensor %s: data_offsets is not [begin, end] with begin <= end",
                             path, name);
            break;
        }
        if ((uint64_t)e > data_size) {
            rc = gan_err_set(err, "%s: tensor %s: data_offsets [%lld, %lld] past the data's %llu "
                             "bytes (truncated?)", path, name, b, e, (unsigned long long)data_size);
            break;
        }
        if ((uint64_t)(e - b) != 4 * count) {
            rc = gan_err_set(err, "%s: tensor %s: %lld data bytes for %llu F32 values", path, name,
                             e - b, (unsigned long long)count);
            break;
        }
        off[k][0] = b;
        off[k][1] = e;
    }
    for (int k = 0; k < 6 && rc == 0; k++)
        if (!seen[k])
            rc = gan_err_set(err, "%s: tensor %s is missing", path, gan_mlp_tensor_name(k));
    /* the shapes chain: IN -> H1 -> H2 -> OUT */
    if (rc == 0) {
        f->dims[0] = (int)shape[0][1];
        f->dims[1] = (int)shape[0][0];
        f->dims[2] = (int)shape[2][0];
        f->dims[3] = (int)shape[4][0];
        for (int k = 0; k < 6 && rc == 0; k++) {
            int wr;
            long ws[2] = {0, 0};
            shape_of(k, f->dims, &wr, ws);
            if (shape[k][0] != ws[0] || (wr == 2 && shape[k][1] != ws[1])) {
                char a[48], b[48];
                fmt_shape(a, sizeof a, rank[k], shape[k]);
                fmt_shape(b, sizeof b, wr, ws);
                rc = gan_err_set(err, "%s: tensor %s has shape %s, the other layers make it %s",
                                 path, gan_mlp_tensor_name(k), a, b);
            }
        }
    }
    /* contiguous and non-overlapping, covering the data exactly */
    if (rc == 0) {
        int order[6] = {0, 1, 2, 3, 4, 5};
        for (int i = 1; i < 6; i++)
            for (int j = i; j > 0 && off[order[j]][0] < off[order[j - 1]][0]; j--) {
                int t = order[j];
                order[j] = order[j - 1];
                order[j - 1] = t;
            }
        long long at = 0;
        for (int i = 0; i < 6 && rc == 0; i++) {
            const long long *o = off[order[i]];
            if (o[0] < at)
                rc = gan_err_set(err, "%s: tensor %s overlaps another", path,
                                 gan_mlp_tensor_name(order[i]));
            else if (o[0] > at)
                rc = gan_err_set(err, "%s: a gap of %lld bytes before tensor %s", path, o[0] - at,
                                 gan_mlp_tensor_name(order[i]));
            at = o[1];
        }
        if (rc == 0 && (uint64_t)at != data_size)
            rc = gan_err_set(err, "%s: %llu bytes after the last tensor", path,
                             (unsigned long long)(data_size - (uint64_t)at));
    }
    if (rc == 0)
        for (int k = 0; k < 6; k++)
            f->data[k] = buf + 8 + hlen + off[k][0];
    /* weights that are not numbers make nothing but NaN images: refused */
    for (int k = 0; k < 6 && rc == 0; k++) {
        long long n = (off[k][1] - off[k][0]) / 4;
        for (long long i = 0; i < n && rc == 0; i++)
            if (!isfinite(gan_getf32(f->data[k] + 4 * i)))
                rc = gan_err_set(err, "%s: tensor %s holds a value that is not finite (NaN or "
                                 "Inf) at index %lld; refusing these weights", path,
                                 gan_mlp_tensor_name(k), i);
    }
    cJSON_Delete(root);
    return rc;
}

int gan_st_read(gan_st_file *f, const char *path, gan_err *err)
{
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return gan_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return gan_err_set(err, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > (512ull << 20)) {
        fclose(fp);
        return gan_err_set(err, "%s: %lld bytes, larger than a gan-train model file can be", path,
                           (long long)st.st_size);
    }
    size_t size = (size_t)st.st_size;
    unsigned char *buf = malloc(size ? size : 1);
    if (!buf) {
        fclose(fp);
        return gan_err_set(err, "%s: out of memory", path);
    }
    size_t got = fread(buf, 1, size, fp);
    int rerr = ferror(fp);
    fclose(fp);
    if (got != size) {
        free(buf);
        return gan_err_set(err, "%s: %s", path, rerr ? "read error" : "changed while read");
    }
    if (gan_st_parse(f, buf, size, path, err) != 0) {
        free(buf);
        return -1;
    }
    f->buf = buf;
    f->size = size;
    return 0;
}

void gan_st_free(gan_st_file *f)
{
    free(f->buf);
    memset(f, 0, sizeof *f);
}

const char *gan_st_meta(const gan_st_file *f, const char *key)
{
    for (int i = 0; i < f->nmeta; i++)
        if (strcmp(f->meta_key[i], key) == 0)
            return f->meta_val[i];
    return NULL;
}

int gan_st_to_mlp(const gan_st_file *f, gan_mlp *m, const char *path, gan_err *err)
{
    for (int k = 0; k < 6; k++) {
        int r, wr;
        long s[2] = {0, 0}, ws[2] = {0, 0};
        shape_of(k, f->dims, &r, s);
        shape_of(k, m->dims, &wr, ws);
        if (s[0] != ws[0] || (r == 2 && s[1] != ws[1])) {
            char a[48], b[48];
            fmt_shape(a, sizeof a, r, s);
            fmt_shape(b, sizeof b, wr, ws);
            return gan_err_set(err, "%s: tensor %s has shape %s, this model needs %s", path,
                               gan_mlp_tensor_name(k), a, b);
        }
    }
    for (int k = 0; k < 6; k++) {
        int l = k / 2;
        float *dst = k % 2 == 0 ? m->p.w[l] : m->p.b[l];
        size_t n = k % 2 == 0 ? (size_t)m->dims[l + 1] * m->dims[l] : (size_t)m->dims[l + 1];
        for (size_t i = 0; i < n; i++)
            dst[i] = gan_getf32(f->data[k] + 4 * i);
    }
    return 0;
}

int gan_st_write(const char *path, const gan_mlp *m, const char *const *meta, int nmeta,
                 gan_err *err)
{
    cJSON *root = cJSON_CreateObject(), *md = cJSON_CreateObject();
    if (!root || !md) {
        cJSON_Delete(root);
        cJSON_Delete(md);
        return gan_err_set(err, "out of memory");
    }
    cJSON_AddItemToObject(root, "__metadata__", md);
    for (int i = 0; i < nmeta; i++)
        cJSON_AddStringToObject(md, meta[2 * i], meta[2 * i + 1]);
    long long at = 0;
    for (int k = 0; k < 6; k++) {
        int r;
        long s[2] = {0, 0};
        shape_of(k, m->dims, &r, s);
        double shape[2] = {(double)s[0], (double)s[1]};
        long long n = r == 2 ? (long long)s[0] * s[1] : s[0];
        double offs[2] = {(double)at, (double)(at + 4 * n)};
        cJSON *t = cJSON_CreateObject();
        cJSON_AddItemToObject(root, gan_mlp_tensor_name(k), t);
        cJSON_AddStringToObject(t, "dtype", "F32");
        cJSON_AddItemToObject(t, "shape", cJSON_CreateDoubleArray(shape, r));
        cJSON_AddItemToObject(t, "data_offsets", cJSON_CreateDoubleArray(offs, 2));
        at += 4 * n;
    }
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!json)
        return gan_err_set(err, "out of memory");
    size_t jl = strlen(json), hl = (jl + 7) / 8 * 8;
    unsigned char head[8];
    gan_put64(head, hl);
    gan_atomic a;
    if (gan_atomic_open(&a, path, err) != 0) {
        free(json);
        return -1;
    }
    int rc = gan_write_all(a.f, head, 8, path, err);
    if (rc == 0)
        rc = gan_write_all(a.f, json, jl, path, err);
    if (rc == 0 && hl > jl)
        rc = gan_write_all(a.f, "       ", hl - jl, path, err);
    unsigned char buf[4096];
    for (int k = 0; k < 6 && rc == 0; k++) {
        int l = k / 2;
        const float *src = k % 2 == 0 ? m->p.w[l] : m->p.b[l];
        size_t n = k % 2 == 0 ? (size_t)m->dims[l + 1] * m->dims[l] : (size_t)m->dims[l + 1];
        for (size_t i = 0; i < n && rc == 0;) {
            size_t c = n - i < sizeof buf / 4 ? n - i : sizeof buf / 4;
            for (size_t q = 0; q < c; q++)
                gan_putf32(buf + 4 * q, src[i + q]);
            rc = gan_write_all(a.f, buf, 4 * c, path, err);
            i += c;
        }
    }
    free(json);
    if (rc != 0) {
        gan_atomic_abort(&a);
        return -1;
    }
    return gan_atomic_commit(&a, err);
}

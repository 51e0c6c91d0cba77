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

static const char *const NAMES[GAN_ST_TENSORS] = {
    "main.0.weight", "main.0.bias", "main.2.weight", "main.2.bias", "main.4.weight",
    "main.4.bias",   "embed.weight", "aux.weight",  "aux.bias"};

/* The shape tensor k must have in a network of dims d (IN, H1, H2, OUT)
 * reading classes as c says: weights (out, in + the class columns), biases
 * (out), the projection and the head (K, H2), the head's bias (K); rank 0
 * where the network has no such tensor. */
static void shape_of(int k, const int *d, const gan_cond *c, int *rank, long *s)
{
    const int K = c->classes;
    *rank = 0;
    if (k < 6 && k % 2 == 0) {
        *rank = 2;
        s[0] = d[k / 2 + 1];
        s[1] = d[k / 2] + (c->cbias >> (k / 2) & 1u ? K : 0);
    } else if (k < 6) {
        *rank = 1;
        s[0] = d[k / 2 + 1];
    } else if ((k == 6 && c->project) || (k == 7 && c->aux)) {
        *rank = 2;
        s[0] = K;
        s[1] = d[2];
    } else if (k == 8 && c->aux) {
        *rank = 1;
        s[0] = K;
    }
}

/* A model's dims as the file has them: the logit alone, without the head. */
static void file_dims(const gan_mlp *m, int *d)
{
    d[0] = m->dims[0];
    d[1] = m->dims[1];
    d[2] = m->dims[2];
    d[3] = m->nact;
}

/* Where value (i, j) of tensor k lies in m's parameters (the PyTorch layout
 * of gan_safetensors.h against gan_model.h's). */
static float *value_at(const gan_mlp *m, int k, long i, long j)
{
    const int *d = m->dims, l = k / 2;
    if (k < 6 && k % 2 == 0)
        return j < d[l] ? m->p.w[l] + (size_t)i * d[l] + j
                        : m->p.cb[l] + (size_t)(j - d[l]) * d[l + 1] + i;
    if (k < 6)
        return m->p.b[l] + i;
    if (k == 6)
        return m->p.proj + (size_t)i * d[2] + j;
    if (k == 7)
        return m->p.w[2] + (size_t)(m->nact + i) * d[2] + j;
    return m->p.b[2] + m->nact + i;
}

/* The conditional forms a file's metadata names (f->cond; all zero where it
 * says nothing of classes: the seed's network). */
static int meta_cond(gan_st_file *f, const char *path, gan_err *err)
{
    memset(&f->cond, 0, sizeof f->cond);
    const char *c = gan_st_meta(f, "conditional"), *k = gan_st_meta(f, "classes");
    const char *net = gan_st_meta(f, "network");
    if (!c || strcmp(c, "false") == 0)
        return 0;
    if (strcmp(c, "true") != 0)
        return gan_err_set(err, "%s: metadata conditional '%s' is not true or false", path, c);
    char *end;
    long K = k ? strtol(k, &end, 10) : 0;
    if (!k || *end || K < 2 || K > 256)
        return gan_err_set(err, "%s: metadata classes '%s' is not a count from 2 to 256", path,
                           k ? k : "");
    if (net && strcmp(net, "generator") == 0) {
        const char *g = gan_st_meta(f, "cond_g");
        if (!g || (strcmp(g, "input") != 0 && strcmp(g, "all") != 0))
            return gan_err_set(err, "%s: metadata cond_g '%s' is not input or all", path,
                               g ? g : "");
        gan_cond_specs((int)K, GAN_COND_CONCAT, strcmp(g, "all") == 0, &f->cond, &(gan_cond){0});
        return 0;
    }
    if (net && strcmp(net, "discriminator") == 0) {
        const char *dn = gan_st_meta(f, "cond_d");
        unsigned bits = dn ? gan_cond_d_parse(dn) : 0;
        if (!bits)
            return gan_err_set(err, "%s: metadata cond_d '%s' is not concat, projection or acgan, "
                               "or '+' between them", path, dn ? dn : "");
        gan_cond g;
        gan_cond_specs((int)K, bits, 0, &g, &f->cond);
        return 0;
    }
    return gan_err_set(err, "%s: a conditional file's metadata network must be generator or "
                       "discriminator", path);
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

/* The tensors found in a header: their offsets, shapes and ranks. */
typedef struct {
    long long off[GAN_ST_TENSORS][2];
    long shape[GAN_ST_TENSORS][2];
    int rank[GAN_ST_TENSORS], seen[GAN_ST_TENSORS];
} st_index;

/* The __metadata__ object into f. */
static int parse_meta(gan_st_file *f, const cJSON *item, const char *path, gan_err *err)
{
    if (!cJSON_IsObject(item))
        return gan_err_set(err, "%s: __metadata__ is not an object", path);
    for (const cJSON *m = item->child; m; m = m->next) {
        if (!cJSON_IsString(m))
            return gan_err_set(err, "%s: __metadata__ '%.60s' is not a string", path,
                               m->string ? m->string : "");
        if (f->nmeta == GAN_ST_MAX_META)
            return gan_err_set(err, "%s: more than %d metadata entries", path, GAN_ST_MAX_META);
        if (strcmp(m->string, "class_names") == 0 &&
            strlen(m->valuestring) < sizeof f->class_names) {
            snprintf(f->class_names, sizeof f->class_names, "%s", m->valuestring);
            continue;
        }
        if (strlen(m->string) >= sizeof f->meta_key[0] ||
            strlen(m->valuestring) >= sizeof f->meta_val[0])
            return gan_err_set(err, "%s: __metadata__ '%.60s' is too long", path, m->string);
        snprintf(f->meta_key[f->nmeta], sizeof f->meta_key[0], "%s", m->string);
        snprintf(f->meta_val[f->nmeta], sizeof f->meta_val[0], "%s", m->valuestring);
        f->nmeta++;
    }
    return 0;
}

/* One tensor's entry (named `name`) into ix: known, once, F32, of its rank,
 * sizes 1 to 65536, offsets inside the data_size bytes that hold its values. */
static int parse_tensor(st_index *ix, const cJSON *item, const char *name, uint64_t data_size,
                        const char *path, gan_err *err)
{
    int k = 0;
    while (k < GAN_ST_TENSORS && strcmp(name, NAMES[k]) != 0)
        k++;
    if (k == GAN_ST_TENSORS)
        return gan_err_set(err, "%s: unexpected tensor '%.60s' (a 3-layer MLP has main.0, main.2 "
                           "and main.4 .weight and .bias; a conditional one may add "
                           "embed.weight, aux.weight, aux.bias)", path, name);
    if (ix->seen[k])
        return gan_err_set(err, "%s: tensor %s appears twice", path, name);
    ix->seen[k] = 1;
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(item, "shape");
    const cJSON *of = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
    if (!cJSON_IsObject(item) || !cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(of))
        return gan_err_set(err, "%s: tensor %s lacks a dtype, shape or data_offsets", path, name);
    if (strcmp(dt->valuestring, "F32") != 0)
        return gan_err_set(err, "%s: tensor %s is %.20s; gan-train reads F32", path, name,
                           dt->valuestring);
    int want_rank = k == 8 || (k < 6 && k % 2) ? 1 : 2, r = cJSON_GetArraySize(sh);
    if (r != want_rank)
        return gan_err_set(err, "%s: tensor %s has %d dimensions, expected %d", path, name, r,
                           want_rank);
    uint64_t count = 1;
    for (int d = 0; d < r; d++) {
        long long v;
        if (!whole(cJSON_GetArrayItem(sh, d), 65536.0, &v) || v < 1)
            return gan_err_set(err, "%s: tensor %s: shape entry %d is not a size from 1 to 65536",
                               path, name, d);
        ix->shape[k][d] = (long)v;
        count *= (uint64_t)v;
    }
    ix->rank[k] = r;
    long long b, e;
    if (cJSON_GetArraySize(of) != 2 || !whole(cJSON_GetArrayItem(of, 0), 9e15, &b) ||
        !whole(cJSON_GetArrayItem(of, 1), 9e15, &e) || b > e)
        return gan_err_set(err, "%s: tensor %s: data_offsets is not [begin, end] with begin <= end",
                           path, name);
    if ((uint64_t)e > data_size)
        return gan_err_set(err, "%s: tensor %s: data_offsets [%lld, %lld] past the data's %llu "
                           "bytes (truncated?)", path, name, b, e, (unsigned long long)data_size);
    if ((uint64_t)(e - b) != 4 * count)
        return gan_err_set(err, "%s: tensor %s: %lld data bytes for %llu F32 values", path, name,
                           e - b, (unsigned long long)count);
    ix->off[k][0] = b;
    ix->off[k][1] = e;
    return 0;
}

/* The tensors the metadata's network has, all of them and no other, in
 * shapes that chain IN -> H1 -> H2 -> OUT (the class columns after the
 * inputs); f->dims from them. */
static int check_shapes(gan_st_file *f, const st_index *ix, const char *path, gan_err *err)
{
    const gan_cond *cd = &f->cond;
    for (int k = 0; k < GAN_ST_TENSORS; k++) {
        int wr;
        long ws[2];
        shape_of(k, (const int[4]){1, 1, 1, 1}, cd, &wr, ws);
        if (!ix->seen[k] && wr)
            return gan_err_set(err, "%s: tensor %s is missing", path, NAMES[k]);
        if (ix->seen[k] && !wr)
            return gan_err_set(err, "%s: tensor %s, but the metadata names no %s (conditional, "
                               "classes, cond_d)", path, NAMES[k],
                               k == 6 ? "projection" : "auxiliary head");
    }
    f->dims[0] = (int)ix->shape[0][1] - (cd->cbias & 1u ? cd->classes : 0);
    f->dims[1] = (int)ix->shape[0][0];
    f->dims[2] = (int)ix->shape[2][0];
    f->dims[3] = (int)ix->shape[4][0];
    if (f->dims[0] < 1)
        return gan_err_set(err, "%s: tensor main.0.weight has %ld columns, no more than its %d "
                           "class columns", path, ix->shape[0][1], cd->classes);
    for (int k = 0; k < GAN_ST_TENSORS; k++) {
        int wr;
        long ws[2] = {0, 0};
        shape_of(k, f->dims, cd, &wr, ws);
        if (wr && (ix->shape[k][0] != ws[0] || (wr == 2 && ix->shape[k][1] != ws[1]))) {
            char a[48], b[48];
            fmt_shape(a, sizeof a, ix->rank[k], ix->shape[k]);
            fmt_shape(b, sizeof b, wr, ws);
            return gan_err_set(err, "%s: tensor %s has shape %s, the other layers make it %s",
                               path, NAMES[k], a, b);
        }
    }
    return 0;
}

/* The tensors contiguous and non-overlapping, covering the data exactly. */
static int check_span(const st_index *ix, uint64_t data_size, const char *path, gan_err *err)
{
    int order[GAN_ST_TENSORS], n = 0;
    for (int k = 0; k < GAN_ST_TENSORS; k++)
        if (ix->seen[k])
            order[n++] = k;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && ix->off[order[j]][0] < ix->off[order[j - 1]][0]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    long long at = 0;
    for (int i = 0; i < n; i++) {
        const long long *o = ix->off[order[i]];
        if (o[0] < at)
            return gan_err_set(err, "%s: tensor %s overlaps another", path, NAMES[order[i]]);
        if (o[0] > at)
            return gan_err_set(err, "%s: a gap of %lld bytes before tensor %s", path, o[0] - at,
                               NAMES[order[i]]);
        at = o[1];
    }
    if ((uint64_t)at != data_size)
        return gan_err_set(err, "%s: %llu bytes after the last tensor", path,
                           (unsigned long long)(data_size - (uint64_t)at));
    return 0;
}

/* The header's JSON (checked whole: an object, nothing after it but
 * padding) into f and ix. */
static int parse_header(gan_st_file *f, st_index *ix, const char *h, uint64_t hlen,
                        uint64_t data_size, const char *path, gan_err *err)
{
    const char *end = NULL;
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
    for (const cJSON *item = rc == 0 ? root->child : NULL; item && rc == 0; item = item->next) {
        const char *name = item->string ? item->string : "";
        rc = strcmp(name, "__metadata__") == 0
                 ? parse_meta(f, item, path, err)
                 : parse_tensor(ix, item, name, data_size, path, err);
    }
    cJSON_Delete(root);
    return rc;
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
    uint64_t data_size = size - 8 - hlen;
    st_index ix;
    memset(&ix, 0, sizeof ix);
    if (parse_header(f, &ix, (const char *)buf + 8, hlen, data_size, path, err) != 0 ||
        meta_cond(f, path, err) != 0 || check_shapes(f, &ix, path, err) != 0 ||
        check_span(&ix, data_size, path, err) != 0)
        return -1;
    for (int k = 0; k < GAN_ST_TENSORS; k++)
        f->data[k] = ix.seen[k] ? buf + 8 + hlen + ix.off[k][0] : NULL;
    /* weights that are not numbers make nothing but NaN images: refused */
    for (int k = 0; k < GAN_ST_TENSORS; k++) {
        long long n = ix.seen[k] ? (ix.off[k][1] - ix.off[k][0]) / 4 : 0;
        for (long long i = 0; i < n; i++)
            if (!isfinite(gan_getf32(f->data[k] + 4 * i)))
                return gan_err_set(err, "%s: tensor %s holds a value that is not finite (NaN or "
                                   "Inf) at index %lld; refusing these weights", path, NAMES[k], i);
    }
    return 0;
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
    const gan_cond *fc = &f->cond, *mc = &m->cond;
    if (fc->classes != mc->classes || fc->cbias != mc->cbias || fc->project != mc->project ||
        fc->aux != mc->aux)
        return gan_err_set(err, "%s: its network reads %d classes%s, this model %d%s", path,
                           fc->classes, fc->classes ? " (metadata cond_g or cond_d)" : "",
                           mc->classes, mc->classes ? " in other forms or numbers" : "");
    int md[4];
    file_dims(m, md);
    for (int k = 0; k < GAN_ST_TENSORS; k++) {
        int r, wr;
        long s[2] = {0, 0}, ws[2] = {0, 0};
        shape_of(k, f->dims, fc, &r, s);
        shape_of(k, md, mc, &wr, ws);
        if (r && (s[0] != ws[0] || (r == 2 && s[1] != ws[1]))) {
            char a[48], b[48];
            fmt_shape(a, sizeof a, r, s);
            fmt_shape(b, sizeof b, wr, ws);
            return gan_err_set(err, "%s: tensor %s has shape %s, this model needs %s", path,
                               NAMES[k], a, b);
        }
    }
    for (int k = 0; k < GAN_ST_TENSORS; k++) {
        int r;
        long s[2] = {0, 1};
        shape_of(k, md, mc, &r, s);
        const unsigned char *p = f->data[k];
        for (long i = 0; r && i < s[0]; i++)
            for (long j = 0; j < (r == 2 ? s[1] : 1); j++, p += 4)
                *value_at(m, k, i, j) = gan_getf32(p);
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
    int fd[4];
    file_dims(m, fd);
    for (int k = 0; k < GAN_ST_TENSORS; k++) {
        int r;
        long s[2] = {0, 0};
        shape_of(k, fd, &m->cond, &r, s);
        if (!r)
            continue;
        double shape[2] = {(double)s[0], (double)s[1]};
        long long n = r == 2 ? (long long)s[0] * s[1] : s[0];
        double offs[2] = {(double)at, (double)(at + 4 * n)};
        cJSON *t = cJSON_CreateObject();
        cJSON_AddItemToObject(root, NAMES[k], t);
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
    size_t fill = 0;
    for (int k = 0; k < GAN_ST_TENSORS && rc == 0; k++) {
        int r;
        long s[2] = {0, 1};
        shape_of(k, fd, &m->cond, &r, s);
        for (long i = 0; r && i < s[0] && rc == 0; i++)
            for (long j = 0; j < (r == 2 ? s[1] : 1) && rc == 0; j++) {
                gan_putf32(buf + fill, *value_at(m, k, i, j));
                fill += 4;
                if (fill == sizeof buf) {
                    rc = gan_write_all(a.f, buf, fill, path, err);
                    fill = 0;
                }
            }
    }
    if (rc == 0 && fill)
        rc = gan_write_all(a.f, buf, fill, path, err);
    free(json);
    if (rc != 0) {
        gan_atomic_abort(&a);
        return -1;
    }
    return gan_atomic_commit(&a, err);
}

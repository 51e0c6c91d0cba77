/*
 * test_safetensors.c: the weights files of gan_safetensors.h: written then
 * read back bit for bit (metadata too); a file whose JSON another writer
 * laid out (keys in another order, no padding) reads the same; every fault
 * the strict reader knows gets its own message; a shape that does not fit
 * the model names the tensor and both shapes. And the IDX float32 reader of
 * --z: a round trip and its faults.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan_file.h"
#include "gan_idx.h"
#include "gan_safetensors.h"
#include "test_util.h"

static char dir[64];

static const char *path_of(const char *name)
{
    return test_path(dir, name);
}

/* A file of the given JSON header (unpadded) and `data` bytes of data. */
static size_t craft(unsigned char *buf, const char *json, size_t data)
{
    size_t n = strlen(json);
    gan_put64(buf, n);
    memcpy(buf + 8, json, n);
    memset(buf + 8 + n, 0, data);
    return 8 + n + data;
}

static void expect_bad(const unsigned char *buf, size_t n, const char *want)
{
    gan_st_file f;
    gan_err err = {""};
    CHECK_MSG(gan_st_parse(&f, buf, n, "x.safetensors", &err) == -1, "accepted, want '%s'", want);
    CHECK_MSG(strstr(err.msg, want) && strstr(err.msg, "x.safetensors"), "got '%s', want '%s'",
              err.msg, want);
}

/* The JSON of a 2-1-1-1 MLP (4 + 1 + 1 + 1 + 1 + 1 floats = 36 bytes),
 * with one tensor's entry replaced by `swap` (name, then its JSON). */
static void mlp_json(char *out, size_t len, const char *swap_name, const char *swap)
{
    const char *names[6] = {"main.0.weight", "main.0.bias", "main.2.weight", "main.2.bias",
                            "main.4.weight", "main.4.bias"};
    const char *ent[6] = {"{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]}",
                          "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}",
                          "{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[12,16]}",
                          "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]}",
                          "{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[20,24]}",
                          "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]}"};
    size_t n = (size_t)snprintf(out, len, "{");
    for (int k = 0; k < 6; k++)
        n += (size_t)snprintf(out + n, len - n, "%s\"%s\":%s", k ? "," : "", names[k],
                              swap_name && !strcmp(swap_name, names[k]) ? swap : ent[k]);
    snprintf(out + n, len - n, "}");
}

static void test_roundtrip(void)
{
    gan_mlp m, back;
    gan_err err = {""};
    gan_rng rng;
    gan_rng_seed(&rng, 5, 5);
    CHECK(gan_mlp_init(&m, 7, 5, 4, 9, 0.2f, GAN_ACT_TANH, 1, &err) == 0);
    gan_mlp_reset(&m, &rng);
    m.params[0] = -0.0f; /* signs and odd values survive */
    m.params[1] = 1e-38f;
    const char *meta[] = {"activation", "leaky_relu", "negative_slope", "0.2", "rows", "3",
                          "cols", "3"};
    CHECK_MSG(gan_st_write(path_of("m.safetensors"), &m, meta, 4, &err) == 0, "%s", err.msg);
    gan_st_file f;
    CHECK_MSG(gan_st_read(&f, path_of("m.safetensors"), &err) == 0, "%s", err.msg);
    CHECK(f.dims[0] == 7 && f.dims[1] == 5 && f.dims[2] == 4 && f.dims[3] == 9);
    CHECK(f.nmeta == 4 && gan_st_meta(&f, "negative_slope") && !strcmp(gan_st_meta(&f, "rows"), "3"));
    CHECK(gan_st_meta(&f, "nothing") == NULL);
    CHECK((gan_get64(f.buf) % 8) == 0); /* the header padded to 8 bytes */
    CHECK(gan_mlp_init(&back, 7, 5, 4, 9, 0.2f, GAN_ACT_TANH, 1, &err) == 0);
    CHECK(gan_st_to_mlp(&f, &back, "m", &err) == 0);
    CHECK(memcmp(back.params, m.params, sizeof(float) * m.nparams) == 0); /* bit for bit */
    CHECK(signbit(back.params[0]));
    /* a generator from it: its metadata's activation and image shape */
    gan_mlp G;
    int rows, cols, ch;
    CHECK_MSG(gan_st_generator(&f, &G, 4, &rows, &cols, &ch, "m", &err) == 0, "%s", err.msg);
    CHECK(rows == 3 && cols == 3 && ch == 1 && G.slope == 0.2f && G.dims[0] == 7);
    gan_mlp_free(&G);
    gan_st_free(&f);
    /* colour: channels in the metadata; 9 outputs are 1 x 3 x 3 */
    const char *cmeta[] = {"rows", "1", "cols", "3", "channels", "3"};
    CHECK(gan_st_write(path_of("c.safetensors"), &m, cmeta, 3, &err) == 0);
    CHECK(gan_st_read(&f, path_of("c.safetensors"), &err) == 0);
    CHECK_MSG(gan_st_generator(&f, &G, 4, &rows, &cols, &ch, "c", &err) == 0, "%s", err.msg);
    CHECK(rows == 1 && cols == 3 && ch == 3);
    gan_mlp_free(&G);
    gan_st_free(&f);
    const char *bmeta[] = {"rows", "3", "cols", "3", "channels", "3"};
    CHECK(gan_st_write(path_of("b.safetensors"), &m, bmeta, 3, &err) == 0);
    CHECK(gan_st_read(&f, path_of("b.safetensors"), &err) == 0);
    CHECK(gan_st_generator(&f, &G, 4, &rows, &cols, &ch, "b", &err) == -1);
    CHECK_MSG(strstr(err.msg, "9 outputs are not rows x cols x 3 by its metadata"), "%s", err.msg);
    gan_st_free(&f);
    const char *xmeta[] = {"channels", "4"};
    CHECK(gan_st_write(path_of("x.safetensors"), &m, xmeta, 1, &err) == 0);
    CHECK(gan_st_read(&f, path_of("x.safetensors"), &err) == 0);
    CHECK(gan_st_generator(&f, &G, 4, &rows, &cols, &ch, "x", &err) == -1);
    CHECK_MSG(strstr(err.msg, "metadata channels '4' is not 1 or 3"), "%s", err.msg);
    gan_st_free(&f);
    CHECK(gan_st_read(&f, path_of("m.safetensors"), &err) == 0);
    /* a model of another shape: the tensor and both shapes named */
    gan_mlp other;
    CHECK(gan_mlp_init(&other, 7, 6, 4, 9, 0.0f, GAN_ACT_TANH, 1, &err) == 0);
    CHECK(gan_st_to_mlp(&f, &other, "m.safetensors", &err) == -1);
    CHECK_MSG(strstr(err.msg, "tensor main.0.weight has shape [5, 7], this model needs [6, 7]"),
              "%s", err.msg);
    gan_mlp_free(&other);
    gan_st_free(&f);
    gan_mlp_free(&back);
    gan_mlp_free(&m);
}

/* A conditional D (class columns on main.0, the projection, the head) and G
 * (class columns on every layer) written and read back bit for bit, their
 * layout PyTorch's; metadata that does not fit the tensors refused. */
static void test_conditional(void)
{
    gan_err err = {""};
    gan_rng rng;
    gan_rng_seed(&rng, 6, 5);
    gan_cond dc = {3, 1u, 1, 1}, gc = {3, 7u, 0, 0};
    gan_mlp D, G, back;
    CHECK(gan_mlp_init_cond(&D, 6, 5, 4, 1, 0.2f, GAN_ACT_SIGMOID, 1, &dc, &err) == 0);
    CHECK(gan_mlp_init_cond(&G, 2, 5, 4, 6, 0.2f, GAN_ACT_TANH, 1, &gc, &err) == 0);
    gan_mlp_reset(&D, &rng);
    gan_mlp_reset(&G, &rng);
    const char *dm[] = {"network", "discriminator", "conditional", "true", "classes", "3",
                        "cond_d", "concat+projection+acgan", "class_names", "a\nb\nc"};
    const char *gm[] = {"network", "generator", "conditional", "true", "classes", "3",
                        "cond_g", "all"};
    CHECK(gan_st_write(path_of("cd.safetensors"), &D, dm, 5, &err) == 0);
    CHECK(gan_st_write(path_of("cg.safetensors"), &G, gm, 4, &err) == 0);
    gan_st_file f;
    CHECK_MSG(gan_st_read(&f, path_of("cd.safetensors"), &err) == 0, "%s", err.msg);
    CHECK(f.dims[0] == 6 && f.dims[3] == 1 && f.cond.classes == 3 && f.cond.cbias == 1u &&
          f.cond.project && f.cond.aux && !strcmp(f.class_names, "a\nb\nc"));
    /* PyTorch's layout: main.0.weight row 1 is W1's row 1 then the class column 2's */
    const unsigned char *w0 = f.data[0] + 4 * (size_t)(6 + 3);
    CHECK(gan_getf32(w0) == D.p.w[0][6] && gan_getf32(w0 + 4 * 8) == D.p.cb[0][2 * 5 + 1]);
    CHECK(gan_getf32(f.data[7]) == D.p.w[2][4] && gan_getf32(f.data[8]) == D.p.b[2][1]);
    CHECK(gan_mlp_init_cond(&back, 6, 5, 4, 1, 0.2f, GAN_ACT_SIGMOID, 1, &dc, &err) == 0);
    CHECK(gan_st_to_mlp(&f, &back, "cd", &err) == 0);
    CHECK(memcmp(back.params, D.params, sizeof(float) * D.nparams) == 0);
    gan_mlp_free(&back);
    gan_st_free(&f);
    CHECK_MSG(gan_st_read(&f, path_of("cg.safetensors"), &err) == 0, "%s", err.msg);
    CHECK(f.dims[0] == 2 && f.cond.cbias == 7u && !f.cond.project);
    CHECK(gan_mlp_init(&back, 2, 5, 4, 6, 0.2f, GAN_ACT_TANH, 1, &err) == 0);
    CHECK(gan_st_to_mlp(&f, &back, "cg", &err) == -1 && strstr(err.msg, "reads 3 classes"));
    gan_mlp_free(&back);
    gan_st_free(&f);
    /* the same tensors under metadata that does not fit them */
    static const struct {
        const char *meta[10];
        int n;
        const char *want;
    } bad[] = {
        {{"network", "discriminator"}, 1, "tensor embed.weight, but the metadata names no projection"},
        {{"network", "discriminator", "conditional", "yes"}, 2, "metadata conditional 'yes' is not"},
        {{"network", "discriminator", "conditional", "true", "classes", "1"}, 3,
         "metadata classes '1' is not a count from 2 to 256"},
        {{"network", "discriminator", "conditional", "true", "classes", "3", "cond_d", "x"}, 4,
         "metadata cond_d 'x' is not concat"},
        {{"conditional", "true", "classes", "3", "cond_d", "concat"}, 3,
         "a conditional file's metadata network must be generator or discriminator"},
        {{"network", "discriminator", "conditional", "true", "classes", "3", "cond_d", "concat"}, 4,
         "tensor embed.weight, but the metadata names no projection"},
        {{"network", "discriminator", "conditional", "true", "classes", "4", "cond_d",
          "concat+projection+acgan"}, 4, "tensor embed.weight has shape [3, 4], the other layers make it [4, 4]"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        CHECK(gan_st_write(path_of("x.safetensors"), &D, bad[k].meta, bad[k].n, &err) == 0);
        CHECK_MSG(gan_st_read(&f, path_of("x.safetensors"), &err) == -1 &&
                  strstr(err.msg, bad[k].want), "case %zu: %s", k, err.msg);
    }
    gan_mlp_free(&D);
    gan_mlp_free(&G);
}

static void test_bad(void)
{
    static unsigned char buf[4096];
    char json[2048];
    size_t n;
    /* another writer's layout: keys in another order, no padding: fine */
    n = craft(buf, "{\"main.4.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]},"
                   "\"main.0.weight\":{\"shape\":[1,2],\"dtype\":\"F32\",\"data_offsets\":[0,8]},"
                   "\"main.0.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                   "\"main.2.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[12,16]},"
                   "\"main.2.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]},"
                   "\"main.4.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[20,24]}}",
              28);
    gan_st_file f;
    gan_err err = {""};
    CHECK_MSG(gan_st_parse(&f, buf, n, "x", &err) == 0, "%s", err.msg);
    CHECK(f.dims[0] == 2 && f.dims[3] == 1);
    /* weights that are not numbers: the tensor and the index named */
    gan_putf32(buf + n - 28 + 12, NAN); /* main.2.weight [0, 0] */
    expect_bad(buf, n, "tensor main.2.weight holds a value that is not finite (NaN or Inf) at "
                       "index 0; refusing these weights");
    gan_putf32(buf + n - 28 + 12, 0.5f);
    gan_putf32(buf + n - 28 + 4, -INFINITY); /* main.0.weight [0, 1] */
    expect_bad(buf, n, "tensor main.0.weight holds a value that is not finite (NaN or Inf) at "
                       "index 1");
    gan_putf32(buf + n - 28 + 4, 0.0f);

    expect_bad(buf, 5, "too short for a safetensors file");
    gan_put64(buf, 1ull << 40);
    expect_bad(buf, 64, "not a safetensors file (header length");
    mlp_json(json, sizeof json, NULL, NULL);
    n = craft(buf, json, 28);
    expect_bad(buf, 8 + strlen(json) - 3, "truncated: header length");
    expect_bad(buf, n - 4, "past the data's 24 bytes");
    expect_bad(buf, n + 4, "4 bytes after the last tensor"); /* craft zeroed them */
    n = craft(buf, "{\"main.0.weight\": [1, 2", 28);
    expect_bad(buf, n, "the header is not valid JSON");
    n = craft(buf, "[1, 2, 3]", 0);
    expect_bad(buf, n, "the header is not a JSON object");
    mlp_json(json, sizeof json, NULL, NULL);
    strcat(json, "xyz");
    n = craft(buf, json, 28);
    expect_bad(buf, n, "bytes after the JSON header");
    struct {
        const char *name, *entry, *want;
    } cases[] = {
        {"main.0.bias", "{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[8,12]}",
         "tensor main.0.bias is F16; gan-train reads F32"},
        {"main.0.bias", "{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[8,12]}",
         "tensor main.0.bias has 2 dimensions, expected 1"},
        {"main.0.bias", "{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[8,12]}",
         "shape entry 0 is not a size"},
        {"main.0.bias", "{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[8,12]}",
         "shape entry 0 is not a size"},
        {"main.0.bias", "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,8]}",
         "data_offsets is not [begin, end]"},
        {"main.0.bias", "{\"dtype\":\"F32\",\"shape\":[1]}", "lacks a dtype, shape or data_offsets"},
        {"main.0.bias", "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,12]}",
         "4 data bytes for 2 F32 values"},
        {"main.0.bias", "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}", "overlaps"},
        {"main.0.bias", "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[28,32]}",
         "past the data's 28 bytes"},
        {"main.2.weight", "{\"dtype\":\"F32\",\"shape\":[1,3],\"data_offsets\":[12,24]}",
         "tensor main.2.weight has shape [1, 3], the other layers make it [1, 1]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mlp_json(json, sizeof json, cases[i].name, cases[i].entry);
        n = craft(buf, json, 28);
        expect_bad(buf, n, cases[i].want);
    }
    /* a shape that breaks the chain: 3 inputs to layer 2 after 1 output of layer 1 */
    mlp_json(json, sizeof json, "main.2.weight",
             "{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[12,20]}");
    /* shift the rest to keep the data contiguous */
    char *p = strstr(json, "\"main.2.bias\"");
    snprintf(p, sizeof json - (size_t)(p - json),
             "\"main.2.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]},"
             "\"main.4.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[24,28]},"
             "\"main.4.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[28,32]}}");
    n = craft(buf, json, 32);
    expect_bad(buf, n, "tensor main.2.weight has shape [1, 2], the other layers make it [1, 1]");
    /* a gap: main.0.bias moved on by 4 bytes */
    mlp_json(json, sizeof json, "main.0.bias", "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[28,32]}");
    n = craft(buf, json, 32);
    expect_bad(buf, n, "a gap of 4 bytes before tensor main.2.weight");
    /* names: unknown, twice, missing; metadata not strings */
    n = craft(buf, "{\"main.1.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    expect_bad(buf, n, "unexpected tensor 'main.1.weight'");
    n = craft(buf, "{\"main.0.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                   "\"main.0.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
    expect_bad(buf, n, "tensor main.0.bias appears twice");
    n = craft(buf, "{\"main.0.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    expect_bad(buf, n, "tensor main.0.weight is missing");
    mlp_json(json, sizeof json, NULL, NULL);
    memmove(json + 1 + 23, json + 1, strlen(json));
    memcpy(json + 1, "\"__metadata__\":{\"a\":1},", 23);
    n = craft(buf, json, 28);
    expect_bad(buf, n, "__metadata__ 'a' is not a string");
    expect_bad((const unsigned char *)"", 0, "too short");
}

static void test_idx_f32(void)
{
    float v[6] = {0.5f, -1.25f, 3e-3f, 1e30f, -0.0f, 7.0f}, *back = NULL;
    uint32_t n, d;
    gan_err err = {""};
    CHECK(gan_idx_write_f32(path_of("z.idx"), 3, 2, v, &err) == 0);
    CHECK_MSG(gan_idx_load_f32(path_of("z.idx"), &n, &d, &back, &err) == 0, "%s", err.msg);
    CHECK(n == 3 && d == 2 && back && memcmp(back, v, sizeof v) == 0);
    free(back);
    /* faults: an image file, cut, trailing, not finite */
    unsigned char b[64] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 9};
    FILE *fp = fopen(path_of("img.idx"), "wb");
    CHECK(fp && fwrite(b, 1, 17, fp) == 17 && fclose(fp) == 0);
    CHECK(gan_idx_load_f32(path_of("img.idx"), &n, &d, &back, &err) == -1);
    CHECK_MSG(strstr(err.msg, "not an IDX float32 matrix (magic 0x00000803"), "%s", err.msg);
    unsigned char z[24] = {0, 0, 0x0D, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0x3f, 0x80, 0, 0, 0x7f, 0x80, 0, 0,
                           1, 2, 3, 4};
    const char *names[3] = {"cut.idx", "trail.idx", "inf.idx"};
    size_t lens[3] = {17, 24, 20};
    const char *wants[3] = {"truncated: header announces 2 values", "trailing bytes",
                            "value 1 is not finite"};
    for (int k = 0; k < 3; k++) {
        fp = fopen(path_of(names[k]), "wb");
        CHECK(fp && fwrite(z, 1, lens[k], fp) == lens[k] && fclose(fp) == 0);
        CHECK(gan_idx_load_f32(path_of(names[k]), &n, &d, &back, &err) == -1);
        CHECK_MSG(strstr(err.msg, wants[k]), "%s: %s", names[k], err.msg);
    }
}

int main(void)
{
    if (test_tmpdir(dir, sizeof dir, "st") != 0)
        return 1;
    test_roundtrip();
    test_conditional();
    test_bad();
    test_idx_f32();
    test_rmdir(dir);
    TEST_MAIN_END();
}

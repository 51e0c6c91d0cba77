/* sample.c: `gan-train sample` (see gan_sample.h). */
#define _GNU_SOURCE
#include "gan_sample.h"

#include <cblas.h>
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan_checkpoint.h"
#include "gan_cli.h"
#include "gan_idx.h"
#include "gan_image.h"
#include "gan_model.h"
#include "gan_pool.h"
#include "gan_safetensors.h"

void gan_sample_default(gan_sample_config *s)
{
    memset(s, 0, sizeof *s);
    s->count = 64;
    s->seed = 1;
    s->png_scale = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: gan-train sample --checkpoint FILE [--count N (64)] [--seed S (1)]\n"
            "         [--png FILE] [--idx FILE] [--grid N] [--interpolate K] [--png-scale K]\n"
            "         [--weights G.safetensors (instead of --checkpoint)] [--z FILE]\n"
            "         [--class K|K,L,...|all] [--class-name NAME] [--labels FILE]\n"
            "Draws N samples from the generator of a checkpoint: a PNG grid (--grid images\n"
            "a row, about sqrt(N) by default) and/or an IDX uint8 file in the training\n"
            "data's shape (IDX3 for grey, as MNIST readers take; IDX4, N x H x W x 3, for\n"
            "colour). --interpolate K: N rows, each walking from one random z to another in\n"
            "K steps. --weights: the generator of a safetensors file (gan-train export's,\n"
            "or PyTorch's under the seed's names). --z FILE: the latent vectors from an\n"
            "IDX float32 file (magic 0x00000D02, N x z_dim) instead of drawn ones; with\n"
            "--interpolate, N/2 rows from z[2r] to z[2r+1].\n"
            "A conditional generator (trained with --conditional) draws the classes asked:\n"
            "--class an index, a list or all [all], --class-name a name from its checkpoint\n"
            "or weights; the rows split into equal runs, one per class in order (without\n"
            "--count 8 samples a class when several are asked, one walk with\n"
            "--interpolate; a --z file's vectors must split evenly), and the PNG has a row\n"
            "per class. --labels FILE writes each sample's class as IDX1, beside --idx.\n");
}

int gan_sample_parse(gan_sample_config *s, int argc, char **argv, FILE *out, gan_err *err)
{
    static const struct option opts[] = {
        {"checkpoint", required_argument, NULL, 'c'}, {"count", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},       {"png", required_argument, NULL, 'p'},
        {"idx", required_argument, NULL, 'i'},        {"grid", required_argument, NULL, 'g'},
        {"interpolate", required_argument, NULL, 'k'}, {"png-scale", required_argument, NULL, 'x'},
        {"weights", required_argument, NULL, 'w'},    {"z", required_argument, NULL, 'z'},
        {"class", required_argument, NULL, 'C'},      {"class-name", required_argument, NULL, 'N'},
        {"labels", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
    };
    gan_sample_default(s);
    optind = 0;
    opterr = 0;
    int c, rc = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        const char *a = optarg;
        switch (c) {
        case 'c': s->checkpoint = a; break;
        case 'w': s->weights = a; break;
        case 'h':
            usage(out);
            return 1;
        case 'z': s->z_path = a; break;
        case 'C': s->classes = a; break;
        case 'N': s->class_name = a; break;
        case 'l': s->labels_path = a; break;
        case 'p': s->png_path = a; break;
        case 'i': s->idx_path = a; break;
        case 'n':
            rc = gan_cli_parse_int("count", a, 1, 100000, &s->count, err);
            s->count_given = 1;
            break;
        case 'g': rc = gan_cli_parse_int("grid", a, 1, 256, &s->grid, err); break;
        case 'k': rc = gan_cli_parse_int("interpolate", a, 2, 64, &s->interpolate, err); break;
        case 'x': rc = gan_cli_parse_int("png-scale", a, 1, 16, &s->png_scale, err); break;
        case 's': rc = gan_cli_parse_u64("seed", a, &s->seed, err); break;
        default:
            rc = gan_err_set(err, "sample: %s: unknown option or missing value (see --help)",
                             argv[optind - 1]);
            break;
        }
    }
    if (rc == 0 && optind < argc)
        rc = gan_err_set(err, "sample: '%s': unexpected argument", argv[optind]);
    if (rc == 0 && s->checkpoint && s->weights)
        rc = gan_err_set(err, "sample: give --checkpoint FILE or --weights G.safetensors, not both");
    if (rc == 0 && (s->checkpoint ? !*s->checkpoint : s->weights ? !*s->weights : 1))
        rc = gan_err_set(err, "sample: --checkpoint FILE (or --weights G.safetensors) is required");
    if (rc == 0 && s->z_path && !*s->z_path)
        rc = gan_err_set(err, "--z: empty file name");
    if (rc == 0 && !s->png_path && !s->idx_path)
        rc = gan_err_set(err, "sample: give --png FILE and/or --idx FILE");
    if (rc == 0 && s->interpolate && !s->png_path)
        rc = gan_err_set(err, "sample: --interpolate draws a PNG; give --png FILE");
    if (rc == 0 && (s->png_path ? !*s->png_path : 0))
        rc = gan_err_set(err, "--png: empty file name");
    if (rc == 0 && (s->idx_path ? !*s->idx_path : 0))
        rc = gan_err_set(err, "--idx: empty file name");
    if (rc == 0 && s->classes && s->class_name)
        rc = gan_err_set(err, "sample: give --class or --class-name, not both");
    if (rc == 0 && ((s->classes && !*s->classes) || (s->class_name && !*s->class_name) ||
                    (s->labels_path && !*s->labels_path)))
        rc = gan_err_set(err, "sample: --class, --class-name and --labels need a value");
    return rc;
}

/* The generator of a checkpoint or of a weights file, its image shape, and
 * (a conditional one) its class names into *names (malloc'd; NULL: none). */
static int load_generator(const gan_sample_config *s, gan_mlp *G, int *rows, int *cols,
                          int *channels, char **names, gan_err *err)
{
    if (s->weights)
        return gan_st_load_generator(s->weights, 256, G, rows, cols, channels, names, err);
    *names = NULL;
    gan_ckpt_info in;
    unsigned char *data;
    size_t size;
    if (gan_checkpoint_read(s->checkpoint, &in, &data, &size, err) != 0)
        return -1;
    *rows = (int)in.rows;
    *cols = (int)in.cols;
    *channels = (int)in.channels;
    int rc = gan_checkpoint_generator(&in, data, 256, 0, G, err);
    const char *cn = gan_checkpoint_class_names(&in, data);
    if (rc == 0 && cn && !(*names = strdup(cn))) {
        gan_mlp_free(G);
        rc = gan_err_set(err, "out of memory");
    }
    free(data);
    return rc;
}

/* The classes asked (list, *m of them) of a generator of K classes. */
static int asked_classes(const gan_sample_config *s, int K, const char *names, const char *src,
                         uint8_t *list, int *m, gan_err *err)
{
    *m = 0;
    if (!K) {
        if (s->classes || s->class_name || s->labels_path)
            return gan_err_set(err, "%s: its generator is not conditional (trained without "
                               "--conditional): --class, --class-name and --labels do not apply",
                               src);
        return 0;
    }
    if (s->class_name) {
        int k = gan_class_find(names, s->class_name);
        char first[GAN_CLASS_NAME_MAX + 1], last[GAN_CLASS_NAME_MAX + 1];
        if (k < 0)
            return gan_err_set(err, "--class-name: '%s' is not a class of %s (its %d classes: "
                               "'%s' ... '%s')", s->class_name, src, K,
                               gan_class_name(names, 0, first, sizeof first),
                               gan_class_name(names, K - 1, last, sizeof last));
        list[(*m)++] = (uint8_t)k;
        return 0;
    }
    if (!s->classes || strcmp(s->classes, "all") == 0) {
        for (int k = 0; k < K; k++)
            list[(*m)++] = (uint8_t)k;
        return 0;
    }
    for (const char *p = s->classes;;) {
        char *end;
        long k = strtol(p, &end, 10);
        if (end == p || (*end && *end != ',') || k < 0 || k >= K || *m == 256 || !isdigit(*p))
            return gan_err_set(err, "--class: '%s' is not all or class indices from 0 to %d "
                               "with commas between (%s has %d classes)", s->classes, K - 1, src,
                               K);
        list[(*m)++] = (uint8_t)k;
        if (!*end)
            return 0;
        p = end + 1;
    }
}

/* z (n, Z): the file's vectors (n = its count, or pairs walked with K),
 * else `rows` drawn from stream 4 of the seed (each a walk of K with K).
 * *zp is malloc'd; *rowsp the rows. */
static int make_z(const gan_sample_config *s, int Z, int rows, float **zp, int *np, int *rowsp,
                  gan_err *err)
{
    int K = s->interpolate, rows_n = rows;
    float *ends = NULL;
    uint32_t fn = 0, fd = 0;
    if (s->z_path) {
        if (gan_idx_load_f32(s->z_path, &fn, &fd, &ends, err) != 0)
            return -1;
        if ((int)fd != Z) {
            free(ends);
            return gan_err_set(err, "%s: latent vectors of %u values; the generator takes %d",
                               s->z_path, fd, Z);
        }
        if (K && fn % 2 != 0) {
            free(ends);
            return gan_err_set(err, "%s: %u vectors; --interpolate walks pairs of them (z[2r] to "
                               "z[2r+1]), so it needs an even number", s->z_path, fn);
        }
        rows_n = K ? (int)fn / 2 : (int)fn;
    }
    int n = K ? rows_n * K : rows_n;
    float *z = malloc(sizeof(float) * (size_t)n * Z);
    if (!z) {
        free(ends);
        return gan_err_set(err, "out of memory for %d samples", n);
    }
    gan_rng rng;
    gan_rng_seed(&rng, s->seed, 4);
    if (!K && ends) {
        memcpy(z, ends, sizeof(float) * (size_t)n * Z);
    } else if (!K) {
        gan_rng_normal_fill(&rng, z, (size_t)n * Z);
    } else {
        float pair[2 * 4096], *e = pair;
        for (int r = 0; r < rows_n; r++) {
            if (ends)
                e = ends + (size_t)2 * r * Z;
            else if (Z <= 4096)
                gan_rng_normal_fill(&rng, pair, 2 * (size_t)Z);
            for (int k = 0; k < K; k++) {
                float a = (float)k / (float)(K - 1);
                float *zz = z + ((size_t)r * K + k) * Z;
                for (int j = 0; j < Z; j++)
                    zz[j] = (1.0f - a) * e[j] + a * e[Z + j];
            }
        }
    }
    free(ends);
    *zp = z;
    *np = n;
    *rowsp = rows_n;
    return 0;
}

/* Each sample's class (n): row r of rows asked for list[r / (rows / m)]. */
static int label_rows(const gan_sample_config *s, const uint8_t *list, int m, int n, int rows,
                      uint8_t **labp, gan_err *err)
{
    *labp = NULL;
    if (!m)
        return 0;
    if (rows % m != 0)
        return gan_err_set(err, "%s: %d %s for %d classes asked; they must split evenly",
                           s->z_path, rows, s->interpolate ? "walks" : "vectors", m);
    uint8_t *lab = malloc((size_t)n);
    if (!lab)
        return gan_err_set(err, "out of memory");
    int per = rows / m, K = s->interpolate;
    for (int i = 0; i < n; i++)
        lab[i] = list[(K ? i / K : i) / per];
    *labp = lab;
    return 0;
}

/* The samples x (n, rows x cols x ch; nrows rows of m classes asked) as
 * the PNG and the IDX file asked for. */
static int write_outputs(const gan_sample_config *s, const float *x, int n, int nrows, int m,
                         int rows, int cols, int ch, FILE *msg, gan_err *err)
{
    const int K = s->interpolate;
    const size_t P = (size_t)rows * cols * ch;
    uint8_t *img = NULL;
    if (s->png_path) {
        int nrow = K ? K : s->grid ? s->grid : m ? nrows / m : (int)ceil(sqrt((double)n)), w, h;
        gan_grid_size(n, nrow, rows, cols, s->png_scale, &w, &h);
        img = malloc((size_t)w * h * ch);
        if (!img) {
            gan_err_set(err, "out of memory for a %d x %d image", w, h);
            goto fail;
        }
        gan_grid_draw(img, x, n, nrow, rows, cols, ch, s->png_scale);
        if (gan_png_write(s->png_path, img, w, h, ch, err) != 0)
            goto fail;
        if (msg)
            fprintf(msg, "wrote %s (%d samples, %d x %d pixels)\n", s->png_path, n, w, h);
    }
    if (s->idx_path) {
        uint8_t *u8 = malloc((size_t)n * P);
        if (!u8) {
            gan_err_set(err, "out of memory");
            goto fail;
        }
        gan_to_pixels(u8, x, (size_t)n * P); /* as the grids draw them */
        /* the training data's shape: idx3 for grey, idx4 (N x H x W x 3) for colour */
        int w_rc = gan_idx_write_images(s->idx_path, (uint32_t)n, (uint32_t)rows, (uint32_t)cols,
                                        (uint32_t)ch, u8, err);
        free(u8);
        if (w_rc != 0)
            goto fail;
        if (msg)
            fprintf(msg, "wrote %s (%d images of %d x %d%s, IDX%d uint8)\n", s->idx_path, n, rows,
                    cols, ch == 1 ? "" : " x 3", ch == 1 ? 3 : 4);
    }
    free(img);
    return 0;
fail:
    free(img);
    return -1;
}

int gan_sample_run(const gan_sample_config *s, FILE *msg, gan_err *err)
{
    int rows, cols, ch, rc = -1, K = s->interpolate, n = 0, nrows = 0, m = 0;
    gan_mlp G;
    float *z = NULL, *x = NULL;
    uint8_t *lab = NULL, list[256];
    char *names = NULL;
    if (load_generator(s, &G, &rows, &cols, &ch, &names, err) != 0)
        return -1;
    const char *src = s->checkpoint ? s->checkpoint : s->weights;
    int Z = G.dims[0], P = G.dims[3];
    if (asked_classes(s, G.cond.classes, names, src, list, &m, err) != 0)
        goto done;
    if (!s->z_path && K && Z > 4096) {
        gan_err_set(err, "--interpolate takes z of at most 4096 values (this generator: %d)", Z);
        goto done;
    }
    openblas_set_num_threads(1); /* the same bits on any machine */
    /* rows per class asked: --count's share, else 8 samples (or a walk) each
     * when several are asked */
    int per = !m ? s->count : s->count_given ? (s->count + m - 1) / m : m > 1 ? (K ? 1 : 8)
                                                                               : s->count;
    if (make_z(s, Z, m ? per * m : s->count, &z, &n, &nrows, err) != 0 ||
        label_rows(s, list, m, n, nrows, &lab, err) != 0)
        goto done;
    x = malloc(sizeof(float) * (size_t)n * P);
    if (!x) {
        gan_err_set(err, "out of memory for %d samples", n);
        goto done;
    }
    for (int s0 = 0; s0 < n; s0 += G.cap) {
        int b = n - s0 < G.cap ? n - s0 : G.cap;
        if (lab)
            memcpy(G.labels, lab + s0, (size_t)b);
        gan_mlp_forward(&G, x + (size_t)s0 * P, z + (size_t)s0 * Z, b, &GAN_SOLO);
    }
    if (s->labels_path) {
        uint32_t dims[1] = {(uint32_t)n};
        if (gan_idx_write(s->labels_path, GAN_IDX_MAGIC_LABELS, 1, dims, lab, err) != 0)
            goto done;
        if (msg)
            fprintf(msg, "wrote %s (%d labels, IDX1 uint8)\n", s->labels_path, n);
    }
    if (write_outputs(s, x, n, nrows, m, rows, cols, ch, msg, err) != 0)
        goto done;
    rc = 0;
done:
    free(names);
    free(lab);
    free(z);
    free(x);
    gan_mlp_free(&G);
    return rc;
}

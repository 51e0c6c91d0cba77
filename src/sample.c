/* sample.c: `gan-train sample` (see gan_sample.h). */
#define _GNU_SOURCE
#include "gan_sample.h"

#include <cblas.h>
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

int gan_sample_parse(gan_sample_config *s, int argc, char **argv, FILE *out, gan_err *err)
{
    static const struct option opts[] = {
        {"checkpoint", required_argument, NULL, 'c'}, {"count", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},       {"png", required_argument, NULL, 'p'},
        {"idx", required_argument, NULL, 'i'},        {"grid", required_argument, NULL, 'g'},
        {"interpolate", required_argument, NULL, 'k'}, {"png-scale", required_argument, NULL, 'x'},
        {"weights", required_argument, NULL, 'w'},    {"z", required_argument, NULL, 'z'},
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
            fprintf(out,
                    "Usage: gan-train sample --checkpoint FILE [--count N (64)] [--seed S (1)]\n"
                    "         [--png FILE] [--idx FILE] [--grid N] [--interpolate K] [--png-scale K]\n"
                    "         [--weights G.safetensors (instead of --checkpoint)] [--z FILE]\n"
                    "Draws N samples from the generator of a checkpoint: a PNG grid (--grid images\n"
                    "a row, about sqrt(N) by default) and/or an IDX uint8 file in the training\n"
                    "data's shape (IDX3 for grey, as MNIST readers take; IDX4, N x H x W x 3, for\n"
                    "colour). --interpolate K: N rows, each walking from one random z to another in\n"
                    "K steps. --weights: the generator of a safetensors file (gan-train export's,\n"
                    "or PyTorch's under the seed's names). --z FILE: the latent vectors from an\n"
                    "IDX float32 file (magic 0x00000D02, N x z_dim) instead of drawn ones; with\n"
                    "--interpolate, N/2 rows from z[2r] to z[2r+1].\n");
            return 1;
        case 'z': s->z_path = a; break;
        case 'p': s->png_path = a; break;
        case 'i': s->idx_path = a; break;
        case 'n': rc = gan_cli_parse_int("count", a, 1, 100000, &s->count, err); break;
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
    return rc;
}

/* The generator of a checkpoint or of a weights file, and its image shape. */
static int load_generator(const gan_sample_config *s, gan_mlp *G, int *rows, int *cols,
                          int *channels, gan_err *err)
{
    if (s->weights) {
        gan_st_file f;
        if (gan_st_read(&f, s->weights, err) != 0)
            return -1;
        int rc = gan_st_generator(&f, G, 256, rows, cols, channels, s->weights, err);
        gan_st_free(&f);
        return rc;
    }
    gan_ckpt_info in;
    unsigned char *data;
    size_t size;
    if (gan_checkpoint_read(s->checkpoint, &in, &data, &size, err) != 0)
        return -1;
    *rows = (int)in.rows;
    *cols = (int)in.cols;
    *channels = (int)in.channels;
    int rc = gan_checkpoint_generator(&in, data, 256, 0, G, err);
    free(data);
    return rc;
}

/* z (n, Z): the file's vectors (n = its count, or pairs walked with K),
 * else drawn from stream 4 of the seed. *zp is malloc'd. */
static int make_z(const gan_sample_config *s, int Z, float **zp, int *np, gan_err *err)
{
    int K = s->interpolate, rows_n = s->count;
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
    return 0;
}

int gan_sample_run(const gan_sample_config *s, FILE *msg, gan_err *err)
{
    int rows, cols, ch, rc = -1, K = s->interpolate, n = 0;
    gan_mlp G;
    float *z = NULL, *x = NULL;
    uint8_t *img = NULL;
    if (load_generator(s, &G, &rows, &cols, &ch, err) != 0)
        return -1;
    int Z = G.dims[0], P = G.dims[3];
    if (!s->z_path && K && Z > 4096) {
        gan_err_set(err, "--interpolate takes z of at most 4096 values (this generator: %d)", Z);
        goto done;
    }
    openblas_set_num_threads(1); /* the same bits on any machine */
    if (make_z(s, Z, &z, &n, err) != 0)
        goto done;
    x = malloc(sizeof(float) * (size_t)n * P);
    if (!x) {
        gan_err_set(err, "out of memory for %d samples", n);
        goto done;
    }
    for (int s0 = 0; s0 < n; s0 += G.cap) {
        int b = n - s0 < G.cap ? n - s0 : G.cap;
        gan_mlp_forward(&G, x + (size_t)s0 * P, z + (size_t)s0 * Z, b, &GAN_SOLO);
    }
    if (s->png_path) {
        int nrow = K ? K : s->grid ? s->grid : (int)ceil(sqrt((double)n)), w, h;
        gan_grid_size(n, nrow, rows, cols, s->png_scale, &w, &h);
        img = malloc((size_t)w * h * ch);
        if (!img) {
            gan_err_set(err, "out of memory for a %d x %d image", w, h);
            goto done;
        }
        gan_grid_draw(img, x, n, nrow, rows, cols, ch, s->png_scale);
        if (gan_png_write(s->png_path, img, w, h, ch, err) != 0)
            goto done;
        if (msg)
            fprintf(msg, "wrote %s (%d samples, %d x %d pixels)\n", s->png_path, n, w, h);
    }
    if (s->idx_path) {
        uint8_t *u8 = malloc((size_t)n * P);
        if (!u8) {
            gan_err_set(err, "out of memory");
            goto done;
        }
        gan_to_pixels(u8, x, (size_t)n * P); /* as the grids draw them */
        /* the training data's shape: idx3 for grey, idx4 (N x H x W x 3) for colour */
        int w_rc = gan_idx_write_images(s->idx_path, (uint32_t)n, (uint32_t)rows, (uint32_t)cols,
                                        (uint32_t)ch, u8, err);
        free(u8);
        if (w_rc != 0)
            goto done;
        if (msg)
            fprintf(msg, "wrote %s (%d images of %d x %d%s, IDX%d uint8)\n", s->idx_path, n, rows,
                    cols, ch == 1 ? "" : " x 3", ch == 1 ? 3 : 4);
    }
    rc = 0;
done:
    free(img);
    free(z);
    free(x);
    gan_mlp_free(&G);
    return rc;
}

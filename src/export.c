/* export.c: `gan-train export` (see gan_safetensors.h), and a generator made
 * from a weights file. */
#define _GNU_SOURCE
#include "gan_safetensors.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gan_checkpoint.h"
#include "gan_file.h"
#include "gan_train.h"

/* How a flat image vector is ordered, in the metadata: rows, then columns,
 * then each pixel's channels (gan_idx.h); a PyTorch user reshapes a sample to
 * (rows, cols, channels) and permutes it to (channels, rows, cols) for conv2d. */
#define LAYOUT "HWC"

int gan_export_parse(gan_export_cmd *c, int argc, char **argv, FILE *out, gan_err *err)
{
    static const struct option opts[] = {
        {"checkpoint", required_argument, NULL, 'c'}, {"out", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, 'f'},            {"help", no_argument, NULL, 'h'},
        {"raw", no_argument, NULL, 'r'},              {NULL, 0, NULL, 0},
    };
    memset(c, 0, sizeof *c);
    optind = 0;
    opterr = 0;
    int o, rc = 0;
    while (rc == 0 && (o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'c': c->checkpoint = optarg; break;
        case 'o': c->out_dir = optarg; break;
        case 'f': c->force = 1; break;
        case 'r': c->raw = 1; break;
        case 'h':
            fprintf(out,
                    "Usage: gan-train export --checkpoint FILE --out DIR [--raw] [--force]\n"
                    "Writes the checkpoint's networks as DIR/G.safetensors and DIR/D.safetensors\n"
                    "under the seed's state_dict names (main.0.weight ... main.4.bias, F32), for\n"
                    "PyTorch's load_state_dict; their __metadata__ names the activations, the\n"
                    "sizes (rows, cols, channels; layout HWC: each pixel's R, G, B together)\n"
                    "and the recipe. Existing files are kept unless --force. A run trained with\n"
                    "--ema exports the average as G (its metadata says so); --raw the trained\n"
                    "weights instead.\n");
            return 1;
        default:
            rc = gan_err_set(err, "export: %s: unknown option or missing value (see --help)",
                             argv[optind - 1]);
            break;
        }
    }
    if (rc == 0 && optind < argc)
        rc = gan_err_set(err, "export: '%s': unexpected argument", argv[optind]);
    if (rc == 0 && (!c->checkpoint || !*c->checkpoint))
        rc = gan_err_set(err, "export: --checkpoint FILE is required");
    if (rc == 0 && (!c->out_dir || !*c->out_dir))
        rc = gan_err_set(err, "export: --out DIR is required");
    return rc;
}

/* A conditional network's metadata after the rest (gm, dm: *ng and *nd
 * strings so far, 8 more fit): its forms and classes; ks and cd (16 and 64
 * bytes) hold numbers and names they point to. */
static void cond_meta(const gan_ckpt_info *in, const unsigned char *data, const char **gm,
                      int *ng, const char **dm, int *nd, char *ks, char *cd)
{
    if (!in->classes)
        return;
    snprintf(ks, 16, "%u", in->classes);
    const char *both[] = {"conditional", "true", "classes", ks, "class_names",
                          gan_checkpoint_class_names(in, data)};
    memcpy(gm + *ng, both, sizeof both);
    memcpy(dm + *nd, both, sizeof both);
    *ng += 6;
    *nd += 6;
    gm[(*ng)++] = "cond_g";
    gm[(*ng)++] = gan_cond_g_name((int)in->cond_g);
    dm[(*nd)++] = "cond_d";
    dm[(*nd)++] = gan_cond_d_name(in->cond_d, cd, 64);
}

int gan_export_run(const gan_export_cmd *c, FILE *msg, gan_err *err)
{
    gan_ckpt_info in;
    unsigned char *data;
    size_t size;
    if (gan_checkpoint_read(c->checkpoint, &in, &data, &size, err) != 0)
        return -1;
    int H = (int)in.hidden, Z = (int)in.z_dim, rc = -1;
    float slope = in.activation ? in.slope : 0.0f;
    gan_mlp G, D;
    memset(&G, 0, sizeof G);
    memset(&D, 0, sizeof D);
    if (gan_checkpoint_generator(&in, data, 1, c->raw, &G, err) != 0 ||
        gan_checkpoint_discriminator(&in, data, 1, &D, err) != 0)
        goto done;
    if (gan_make_dirs(c->out_dir, err) != 0)
        goto done;
    char gpath[4200], dpath[4200];
    snprintf(gpath, sizeof gpath, "%s/G.safetensors", c->out_dir);
    snprintf(dpath, sizeof dpath, "%s/D.safetensors", c->out_dir);
    if (!c->force && (access(gpath, F_OK) == 0 || access(dpath, F_OK) == 0)) {
        gan_err_set(err, "%s: holds G.safetensors or D.safetensors; choose another --out or add "
                    "--force", c->out_dir);
        goto done;
    }
    gan_config cfg;
    gan_config_default(&cfg);
    gan_checkpoint_config(&in, data, &cfg);
    char recipe[512], zs[16], hs[16], rs[16], cs[16], chs[16], sl[32], ep[16];
    gan_recipe_describe(&cfg, recipe, sizeof recipe);
    snprintf(zs, sizeof zs, "%d", Z);
    snprintf(hs, sizeof hs, "%d", H);
    snprintf(rs, sizeof rs, "%u", in.rows);
    snprintf(cs, sizeof cs, "%u", in.cols);
    snprintf(chs, sizeof chs, "%u", in.channels);
    snprintf(sl, sizeof sl, "%g", slope); /* the shortest that reads back as the same float */
    if ((float)strtod(sl, NULL) != slope)
        snprintf(sl, sizeof sl, "%.9g", slope);
    snprintf(ep, sizeof ep, "%u", in.epoch);
    const char *act = slope > 0.0f ? "leaky_relu" : "relu";
    char wts[40] = "trained";
    if (in.ema > 0.0 && !c->raw)
        snprintf(wts, sizeof wts, "ema %g", in.ema);
    const char *gm[] = {"format", "gan-train " GAN_VERSION, "network", "generator",
                        "weights", wts, "activation", act, "negative_slope", sl, "output", "tanh",
                        "z_dim", zs, "hidden", hs, "rows", rs, "cols", cs,
                        "channels", chs, "layout", LAYOUT, "recipe", recipe, "epoch", ep};
    const char *d_out = in.loss == GAN_LOSS_BCE ? "sigmoid" : "identity";
    const char *dm[] = {"format", "gan-train " GAN_VERSION, "network", "discriminator",
                        "activation", act, "negative_slope", sl, "output", d_out,
                        "loss", gan_loss_get((int)in.loss)->name,
                        "z_dim", zs, "hidden", hs, "rows", rs, "cols", cs,
                        "channels", chs, "layout", LAYOUT, "recipe", recipe, "epoch", ep};
    const char *gmc[sizeof gm / sizeof *gm + 8], *dmc[sizeof dm / sizeof *dm + 8];
    int ng = (int)(sizeof gm / sizeof *gm), nd = (int)(sizeof dm / sizeof *dm);
    memcpy(gmc, gm, sizeof gm);
    memcpy(dmc, dm, sizeof dm);
    char ks[16], cd[64];
    cond_meta(&in, data, gmc, &ng, dmc, &nd, ks, cd);
    if (gan_st_write(gpath, &G, gmc, ng / 2, err) != 0 ||
        gan_st_write(dpath, &D, dmc, nd / 2, err) != 0)
        goto done;
    if (msg)
        fprintf(msg, "wrote %s and %s (epoch %u; %s, hidden activation %s%s%s)\n", gpath, dpath,
                in.epoch, recipe, act, slope > 0.0f ? " slope " : "", slope > 0.0f ? sl : "");
    rc = 0;
done:
    free(data);
    gan_mlp_free(&G);
    gan_mlp_free(&D);
    return rc;
}

int gan_st_generator(const gan_st_file *f, gan_mlp *G, int cap, int *rows, int *cols,
                     int *channels, const char *path, gan_err *err)
{
    const char *act = gan_st_meta(f, "activation"), *sl = gan_st_meta(f, "negative_slope");
    float slope = 0.0f;
    if (act && strcmp(act, "leaky_relu") == 0) {
        char *end;
        double v = sl ? strtod(sl, &end) : 0.01; /* PyTorch's default slope */
        if (sl && (*end || !(v > 0.0 && v < 1.0)))
            return gan_err_set(err, "%s: metadata negative_slope '%s' is not in (0, 1)", path, sl);
        slope = (float)v;
    } else if (act && strcmp(act, "relu") != 0) {
        return gan_err_set(err, "%s: metadata activation '%s'; gan-train knows relu and leaky_relu",
                           path, act);
    }
    int P = f->dims[3];
    const char *rs = gan_st_meta(f, "rows"), *cs = gan_st_meta(f, "cols");
    const char *chs = gan_st_meta(f, "channels");
    *channels = 1;
    if (chs && strcmp(chs, "1") != 0 && strcmp(chs, "3") != 0)
        return gan_err_set(err, "%s: metadata channels '%s' is not 1 or 3", path, chs);
    if (chs)
        *channels = chs[0] - '0';
    if (rs && cs && atoi(rs) > 0 && atoi(cs) > 0 && atoi(rs) <= 4096 && atoi(cs) <= 4096 &&
        atoi(rs) * atoi(cs) * *channels == P) {
        *rows = atoi(rs);
        *cols = atoi(cs);
    } else if (*channels != 1) {
        return gan_err_set(err, "%s: %d outputs are not rows x cols x %d by its metadata", path, P,
                           *channels);
    } else {
        int r = (int)lround(sqrt((double)P));
        if (r * r != P)
            return gan_err_set(err, "%s: %d outputs are not a square image, and no rows/cols "
                               "metadata says its shape", path, P);
        *rows = *cols = r;
    }
    if (gan_mlp_init_cond(G, f->dims[0], f->dims[1], f->dims[2], P, slope, GAN_ACT_TANH, cap,
                          &f->cond, err) != 0)
        return -1;
    if (gan_st_to_mlp(f, G, path, err) != 0) {
        gan_mlp_free(G);
        return -1;
    }
    return 0;
}

int gan_st_load_generator(const char *path, int cap, gan_mlp *G, int *rows, int *cols,
                          int *channels, char **names, gan_err *err)
{
    *names = NULL;
    gan_st_file *f = malloc(sizeof *f); /* its class names make it 16 KB */
    if (!f)
        return gan_err_set(err, "out of memory");
    int rc = gan_st_read(f, path, err);
    if (rc == 0)
        rc = gan_st_generator(f, G, cap, rows, cols, channels, path, err);
    if (rc == 0 && f->class_names[0] && !(*names = strdup(f->class_names))) {
        gan_mlp_free(G);
        rc = gan_err_set(err, "out of memory");
    }
    gan_st_free(f);
    free(f);
    return rc;
}

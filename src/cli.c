/* cli.c: argument parsing for gan-train (see gan_cli.h). */
#define _GNU_SOURCE
#include "gan_cli.h"
#include "gan_kernel.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_DATA = 256, OPT_OUT, OPT_EPOCHS, OPT_LR, OPT_BATCH, OPT_BETA1, OPT_BETA2, OPT_ZDIM,
    OPT_HIDDEN, OPT_ACT, OPT_SLOPE, OPT_SEED, OPT_THREADS, OPT_GRID, OPT_SCALE, OPT_LOG,
    OPT_FORCE, OPT_QUIET, OPT_HELP, OPT_VERSION, OPT_RESUME, OPT_PRESET, OPT_R1, OPT_R1_EVERY, OPT_LOSS, OPT_EMA, OPT_GP, OPT_N_CRITIC,
    OPT_LIMIT, OPT_EVAL_EVERY, OPT_EVAL_COUNT, OPT_PATIENCE, OPT_CACHE, OPT_LOG_EVERY,
    OPT_INIT_FROM, OPT_COND, OPT_COND_D, OPT_COND_G, OPT_AC_WEIGHT,
    OPT_PRECISION
};

static const struct option long_opts[] = {
    {"data", required_argument, NULL, OPT_DATA},
    {"out", required_argument, NULL, OPT_OUT},
    {"epochs", required_argument, NULL, OPT_EPOCHS},
    {"lr", required_argument, NULL, OPT_LR},
    {"batch-size", required_argument, NULL, OPT_BATCH},
    {"beta1", required_argument, NULL, OPT_BETA1},
    {"beta2", required_argument, NULL, OPT_BETA2},
    {"z-dim", required_argument, NULL, OPT_ZDIM},
    {"hidden", required_argument, NULL, OPT_HIDDEN},
    {"activation", required_argument, NULL, OPT_ACT},
    {"leaky-slope", required_argument, NULL, OPT_SLOPE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"precision", required_argument, NULL, OPT_PRECISION},
    {"grid", required_argument, NULL, OPT_GRID},
    {"png-scale", required_argument, NULL, OPT_SCALE},
    {"log", required_argument, NULL, OPT_LOG},
    {"force", no_argument, NULL, OPT_FORCE},
    {"resume", required_argument, NULL, OPT_RESUME},
    {"preset", required_argument, NULL, OPT_PRESET},
    {"r1", required_argument, NULL, OPT_R1},
    {"r1-every", required_argument, NULL, OPT_R1_EVERY},
    {"loss", required_argument, NULL, OPT_LOSS},
    {"ema", required_argument, NULL, OPT_EMA},
    {"gp", required_argument, NULL, OPT_GP},
    {"n-critic", required_argument, NULL, OPT_N_CRITIC},
    {"conditional", no_argument, NULL, OPT_COND},
    {"cond-d", required_argument, NULL, OPT_COND_D},
    {"cond-g", required_argument, NULL, OPT_COND_G},
    {"ac-weight", required_argument, NULL, OPT_AC_WEIGHT},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"eval-every", required_argument, NULL, OPT_EVAL_EVERY},
    {"eval-count", required_argument, NULL, OPT_EVAL_COUNT},
    {"patience", required_argument, NULL, OPT_PATIENCE},
    {"cache", required_argument, NULL, OPT_CACHE},
    {"log-every", required_argument, NULL, OPT_LOG_EVERY},
    {"init-from", required_argument, NULL, OPT_INIT_FROM},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

#define DEFAULT_SLOPE 0.2

/* --help's options of conditional training, with the defaults of d. */
static void usage_classes(FILE *out, const gan_config *d)
{
    char cond_d[64];
    fprintf(out,
            "Classes (a labelled data folder; class names from its classes.txt):\n"
            "  --conditional       G draws the class it is asked for, D judges image and\n"
            "                      class; grids get a row per class [off]\n"
            "  --cond-d FORM       how D reads the class: concat (the one-hot beside the\n"
            "                      image), projection (a class embedding times D's last\n"
            "                      hidden layer), acgan (a head that classifies), or a\n"
            "                      sum of them with '+', e.g. concat+acgan [%s]\n"
            "  --cond-g WHERE      the one-hot into G's first layer (input) or every\n"
            "                      layer (all) [%s]\n"
            "  --ac-weight W       acgan: the weight of the head's cross-entropy [%g]\n",
            gan_cond_d_name(d->cond_d, cond_d, sizeof cond_d), gan_cond_g_name(d->cond_g),
            d->ac_weight);
}

static void usage_training(FILE *out, const gan_config *d);
static void usage_evaluation(FILE *out, const gan_config *d);

void gan_cli_usage(FILE *out)
{
    gan_config d, seed, wgan;
    gan_config_default(&d);
    gan_config_preset(&seed, GAN_PRESET_SEED);
    gan_config_preset(&wgan, GAN_PRESET_WGAN_GP);
    fprintf(out,
            "Usage: gan-train [options]\n"
            "       gan-train sample --checkpoint FILE ...   (see gan-train sample --help)\n"
            "       gan-train eval --checkpoint FILE ...     (see gan-train eval --help)\n"
            "       gan-train export --checkpoint FILE --out DIR   (safetensors for PyTorch)\n"
            "       gan-train import SRC... --out DIR   (folders of PNG/JPEG into a data folder)\n"
            "Trains the seed's MLP GAN (G z-H-H-pixels, D pixels-H-H-1) on IDX images,\n"
            "grey or colour, writing a sample grid, a CSV row and a checkpoint after every\n"
            "epoch.\n"
            "\n"
            "Recipe (explicit options below override a preset's values):\n"
            "  --preset NAME       default: %s loss, LeakyReLU %g, Adam beta1 %g, R1 %g\n"
            "                      every %d, sampling from an EMA of G (decay %g);\n"
            "                      seed: the seed exactly (ReLU, betas (%g, %g), no R1);\n"
            "                      wgan-gp: --loss wgan-gp, %d critic step(s) per G step,\n"
            "                      Adam lr %g, betas (%g, %g), the EMA [%s]\n"
            "Data and output:\n"
            "  --data DIR          folder with train-images-idx3-ubyte[.gz] or, colour,\n"
            "                      -idx4-ubyte[.gz] (and, for evaluation, the labels and\n"
            "                      t10k files) [./%s, else the copy installed with gan-train]\n"
            "  --limit N           train on the first N images only [all]\n"
            "  --out DIR           run folder; refused if it holds a run, unless --force\n"
            "                      [next free runs/NNN]\n"
            "  --log FILE|-        CSV loss log; '-' = standard output [OUT/losses.csv]\n"
            "  --log-every N       also OUT/steps.csv, a row of means every N steps [off]\n"
            "  --grid N            samples per epoch as an N x N grid [%d]\n"
            "  --png-scale K       draw each pixel as K x K [%d]\n"
            "  --force             reuse an --out folder or --log file that exists\n"
            "  --resume FILE       continue the run of checkpoint FILE (in its folder, or\n"
            "                      --out) up to --epochs in all; its settings are kept\n"
            "  --init-from DIR     start from the weights DIR/G.safetensors, D.safetensors\n"
            "                      (gan-train export's, or PyTorch's); fresh Adam state\n"
            "Model:\n"
            "  --z-dim N           noise size [%d]\n"
            "  --hidden N          hidden layer width of G and D [%d]\n"
            "  --activation NAME   hidden activation: relu or leaky [%s]\n"
            "  --leaky-slope X     LeakyReLU negative slope (alone: leaky) [%g]\n",
            gan_loss_get(d.loss)->name, d.slope, d.beta1, d.r1_gamma, d.r1_every, d.ema,
            seed.beta1, seed.beta2, wgan.n_critic, wgan.lr, wgan.beta1, wgan.beta2,
            gan_preset_name(d.preset), d.data_dir, d.grid, d.png_scale, d.z_dim, d.hidden,
            d.slope > 0.0f ? "leaky" : "relu", DEFAULT_SLOPE);
    usage_training(out, &d);
    usage_classes(out, &d);
    usage_evaluation(out, &d);
}

/* --help's training options, with the defaults of d */
static void usage_training(FILE *out, const gan_config *d)
{
    fprintf(out,
            "Training:\n"
            "  --epochs N          epochs [%d]\n"
            "  --batch-size N      batch size [%d]\n"
            "  --lr X              Adam learning rate [%g]\n"
            "  --beta1 X           Adam beta1 [%g]\n"
            "  --beta2 X           Adam beta2 [%g]\n"
            "  --r1 GAMMA          R1 gradient penalty on D's real inputs; 0: off [%g]\n"
            "  --r1-every K        the penalty on every K-th D step only, times K [%d]\n"
            "  --loss NAME         bce (the seed's), hinge, lsgan or wgan-gp (on D's\n"
            "                      logit; wgan-gp: a critic with a gradient penalty in\n"
            "                      R1's place) [%s]\n"
            "  --gp LAMBDA         wgan-gp's penalty weight at the interpolates [%g]\n"
            "  --n-critic K        D steps, each on its own batch, per G step\n"
            "                      [the loss's: 5 for wgan-gp, else 1]\n"
            "  --ema DECAY         sample from an average of G's weights, updated after\n"
            "                      each G step with this decay (at the u-th update at most\n"
            "                      (1 + u) / (10 + u), so it follows G early on); 0: off [%g]\n"
            "  --seed N            random seed (same seed and threads: same bytes out) [%llu]\n"
            "  --threads N         threads, each running OpenBLAS on one\n"
            "                      [%d: the CPUs this process may use, at most %d]\n"
            "  --precision P       the products' inputs in fp32, or rounded to bf16 with\n"
            "                      fp32 sums (oneDNN; CPUs with AVX512-BF16 or AMX) [fp32]\n",
            d->epochs, d->batch, d->lr, d->beta1, d->beta2, d->r1_gamma, d->r1_every,
            gan_loss_get(d->loss)->name, d->gp, d->ema, (unsigned long long)d->seed,
            gan_pool_default_threads(), GAN_POOL_MAX_DEFAULT);
}

/* --help's evaluation options and the rest, with the defaults of d */
static void usage_evaluation(FILE *out, const gan_config *d)
{
    fprintf(out,
            "Evaluation (gan-train eval --help tells the measures):\n"
            "  --eval-every K      FID, classes, IS, precision and recall every K epochs\n"
            "                      and after the last, into the CSV; 0: never [%d]\n"
            "  --eval-count N      samples an evaluation draws [%d]\n"
            "  --patience P        stop when P evaluations in a row bring no better FID;\n"
            "                      OUT/best.gan is always the best so far; 0: never [%d]\n"
            "  --cache DIR         where the evaluation's classifier is cached\n"
            "                      [$XDG_CACHE_HOME/gan-train or ~/.cache/gan-train]\n"
            "Other:\n"
            "  --quiet             print nothing but errors\n"
            "  --help              this text\n"
            "  --version           the version\n"
            "\n"
            "Exit status: 0 success (also when --patience stops a run), 1 runtime failure,\n"
            "2 bad usage, 130 or 143 after SIGINT or SIGTERM (a checkpoint written where\n"
            "training had begun), 141 when the reader of --log - has gone.\n"
            "Manual: man gan-train\n",
            d->eval_every, d->eval_count, d->patience);
}

int gan_cli_parse_int(const char *flag, const char *s, long lo, long hi, int *out, gan_err *err)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || v < lo || v > hi)
        return gan_err_set(err, "--%s: '%s' is not a whole number from %ld to %ld", flag, s, lo, hi);
    *out = (int)v;
    return 0;
}

/* lo < value < hi, or lo <= value when lo_incl (likewise hi) */
int gan_cli_parse_real(const char *flag, const char *s, double lo, int lo_incl, double hi,
                       int hi_incl, double *out, gan_err *err)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    int ok = end != s && *end == '\0' && errno != ERANGE && isfinite(v) &&
             (lo_incl ? v >= lo : v > lo) && (hi_incl ? v <= hi : v < hi);
    if (!ok)
        return gan_err_set(err, "--%s: '%s' is not a number in %c%g, %g%c", flag, s,
                           lo_incl ? '[' : '(', lo, hi, hi_incl ? ']' : ')');
    *out = v;
    return 0;
}

int gan_cli_parse_u64(const char *flag, const char *s, uint64_t *out, gan_err *err)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || s[0] == '-' || s[0] == '+' || s[0] == ' ')
        return gan_err_set(err, "--%s: '%s' is not a whole number from 0 to %llu", flag, s,
                           (unsigned long long)UINT64_MAX);
    *out = v;
    return 0;
}

/* The settings a preset fills in unless given: the GAN_SET_* bit that says
 * so, and the field it keeps. */
#define KEPT(bit, field) {bit, offsetof(gan_config, field), sizeof(((gan_config *)0)->field)}
static const struct {
    unsigned bit;
    size_t off, size;
} kept[] = {
    KEPT(GAN_SET_ZDIM, z_dim),         KEPT(GAN_SET_HIDDEN, hidden),
    KEPT(GAN_SET_ACT, slope),          KEPT(GAN_SET_BATCH, batch),
    KEPT(GAN_SET_LR, lr),              KEPT(GAN_SET_BETA1, beta1),
    KEPT(GAN_SET_BETA2, beta2),        KEPT(GAN_SET_R1, r1_gamma),
    KEPT(GAN_SET_R1_EVERY, r1_every),  KEPT(GAN_SET_LOSS, loss),
    KEPT(GAN_SET_EMA, ema),            KEPT(GAN_SET_GP, gp),
    KEPT(GAN_SET_N_CRITIC, n_critic),  KEPT(GAN_SET_COND_D, cond_d),
    KEPT(GAN_SET_COND_G, cond_g),      KEPT(GAN_SET_AC_WEIGHT, ac_weight),
};

void gan_cli_apply_preset(gan_config *cfg, int preset)
{
    gan_config p = *cfg;
    gan_config_preset(&p, preset);
    unsigned s = cfg->set;
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
        if (s & kept[i].bit)
            memcpy((char *)&p + kept[i].off, (const char *)cfg + kept[i].off, kept[i].size);
    /* wgan-gp's penalty takes R1's place (an explicit --r1 is refused by
     * gan_cli_parse) */
    if (gan_loss_get(p.loss)->gp && !(s & GAN_SET_R1))
        p.r1_gamma = 0.0;
    *cfg = p;
}

/* R1 and wgan-gp's own penalty exclude each other, and --gp belongs to
 * wgan-gp (a resumed run takes its loss from the checkpoint: gan_run checks
 * there). */
static int check_penalties(const gan_config *cfg, gan_err *err)
{
    const gan_loss_spec *ls = gan_loss_get(cfg->loss);
    if (!cfg->resume_path && ls->gp && cfg->r1_gamma > 0.0)
        return gan_err_set(err, "--r1: --loss %s has its own gradient penalty (--gp) in R1's "
                           "place; leave --r1 out", ls->name);
    if (!cfg->resume_path && !ls->gp && (cfg->set & GAN_SET_GP))
        return gan_err_set(err, "--gp: the interpolates' gradient penalty is --loss wgan-gp's; "
                           "this run's loss is %s", ls->name);
    return 0;
}

/* The conditional forms belong to --conditional, and --ac-weight to a D
 * with the auxiliary head (a resumed run takes them from its checkpoint). */
static int check_cond(const gan_config *cfg, gan_err *err)
{
    if (cfg->resume_path)
        return 0;
    static const struct {
        unsigned flag;
        const char *name;
    } forms[] = {{GAN_SET_COND_D, "--cond-d"}, {GAN_SET_COND_G, "--cond-g"},
                 {GAN_SET_AC_WEIGHT, "--ac-weight"}};
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++)
        if (!cfg->conditional && (cfg->set & forms[i].flag))
            return gan_err_set(err, "%s: a form of conditional training; add --conditional",
                               forms[i].name);
    if ((cfg->set & GAN_SET_AC_WEIGHT) && !(cfg->cond_d & GAN_COND_ACGAN))
        return gan_err_set(err, "--ac-weight: the auxiliary head's weight; --cond-d has no acgan");
    return 0;
}

/* The options that take a number or a file's or folder's name: what each
 * stores where, read by parse_value. kind: 'i' an int from lo to hi, 'r' a
 * double (lo and hi included where lo_in, hi_in), 'u' a uint64_t, 'd' and
 * 'f' a folder's or file's name (not empty). */
typedef struct {
    int opt;
    const char *flag;
    char kind;
    double lo, hi;
    int lo_in, hi_in;
    size_t off;   /* of the field in gan_config */
    unsigned set; /* GAN_SET_* bit the option sets (0: none) */
} value_opt;

#define INT_OPT(o, f, lo, hi, field, set) {o, f, 'i', lo, hi, 1, 1, offsetof(gan_config, field), set}
#define REAL_OPT(o, f, lo, lo_in, hi, hi_in, field, set)                                          \
    {o, f, 'r', lo, hi, lo_in, hi_in, offsetof(gan_config, field), set}
#define NAME_OPT(o, f, kind, field, set) {o, f, kind, 0, 0, 0, 0, offsetof(gan_config, field), set}

static const value_opt value_opts[] = {
    NAME_OPT(OPT_DATA, "data", 'd', data_dir, GAN_SET_DATA),
    NAME_OPT(OPT_OUT, "out", 'd', out_dir, 0),
    NAME_OPT(OPT_LOG, "log", 'f', log_path, 0),
    NAME_OPT(OPT_INIT_FROM, "init-from", 'd', init_from, 0),
    NAME_OPT(OPT_CACHE, "cache", 'd', cache_dir, 0),
    NAME_OPT(OPT_RESUME, "resume", 'f', resume_path, 0),
    INT_OPT(OPT_EPOCHS, "epochs", 1, 1000000, epochs, 0),
    INT_OPT(OPT_BATCH, "batch-size", 1, 65536, batch, GAN_SET_BATCH),
    INT_OPT(OPT_ZDIM, "z-dim", 1, 65536, z_dim, GAN_SET_ZDIM),
    INT_OPT(OPT_HIDDEN, "hidden", 1, 65536, hidden, GAN_SET_HIDDEN),
    INT_OPT(OPT_THREADS, "threads", 1, 256, threads, 0),
    INT_OPT(OPT_GRID, "grid", 1, 64, grid, GAN_SET_GRID),
    INT_OPT(OPT_SCALE, "png-scale", 1, 16, png_scale, 0),
    INT_OPT(OPT_R1_EVERY, "r1-every", 1, 1000000, r1_every, GAN_SET_R1_EVERY),
    INT_OPT(OPT_N_CRITIC, "n-critic", 1, 1000000, n_critic, GAN_SET_N_CRITIC),
    INT_OPT(OPT_LIMIT, "limit", 1, INT_MAX, limit, GAN_SET_LIMIT),
    INT_OPT(OPT_EVAL_EVERY, "eval-every", 0, 1000000, eval_every, 0),
    INT_OPT(OPT_EVAL_COUNT, "eval-count", 10, 1000000, eval_count, 0),
    INT_OPT(OPT_LOG_EVERY, "log-every", 0, 1000000000, log_every, 0),
    INT_OPT(OPT_PATIENCE, "patience", 0, 1000000, patience, 0),
    REAL_OPT(OPT_LR, "lr", 0.0, 0, 10.0, 1, lr, GAN_SET_LR),
    REAL_OPT(OPT_BETA1, "beta1", 0.0, 1, 1.0, 0, beta1, GAN_SET_BETA1),
    REAL_OPT(OPT_BETA2, "beta2", 0.0, 1, 1.0, 0, beta2, GAN_SET_BETA2),
    REAL_OPT(OPT_R1, "r1", 0.0, 1, 1e6, 1, r1_gamma, GAN_SET_R1),
    REAL_OPT(OPT_EMA, "ema", 0.0, 1, 1.0, 0, ema, GAN_SET_EMA),
    REAL_OPT(OPT_GP, "gp", 0.0, 0, 1e6, 1, gp, GAN_SET_GP),
    REAL_OPT(OPT_AC_WEIGHT, "ac-weight", 0.0, 0, 1e6, 1, ac_weight, GAN_SET_AC_WEIGHT),
    {OPT_SEED, "seed", 'u', 0, 0, 0, 0, offsetof(gan_config, seed), GAN_SET_SEED},
};

/* Option o's value a into its field of cfg. */
static int parse_value(gan_config *cfg, const value_opt *o, const char *a, gan_err *err)
{
    char *field = (char *)cfg + o->off;
    cfg->set |= o->set;
    switch (o->kind) {
    case 'i': return gan_cli_parse_int(o->flag, a, (long)o->lo, (long)o->hi, (int *)field, err);
    case 'r':
        return gan_cli_parse_real(o->flag, a, o->lo, o->lo_in, o->hi, o->hi_in, (double *)field,
                                  err);
    case 'u': return gan_cli_parse_u64(o->flag, a, (uint64_t *)field, err);
    default: /* 'd', 'f' */
        *(const char **)field = a;
        return *a ? 0 : gan_err_set(err, "--%s: empty %s name", o->flag,
                                    o->kind == 'd' ? "folder" : "file");
    }
}

/* What parse_word keeps for gan_cli_parse to settle after the loop. */
typedef struct {
    int leaky;       /* --activation: 1 leaky, 0 relu, -1 not given */
    int slope_given; /* --leaky-slope given */
    double slope;
    int preset;
} word_state;

/* The options that take a word or nothing (a value_opts one returns 1). */
static int parse_word(gan_config *cfg, int c, const char *a, word_state *st, gan_err *err)
{
    int rc = 0;
    switch (c) {
    case OPT_SLOPE:
        cfg->set |= GAN_SET_ACT;
        st->slope_given = 1;
        return gan_cli_parse_real("leaky-slope", a, 0.0, 0, 1.0, 0, &st->slope, err);
    case OPT_ACT:
        cfg->set |= GAN_SET_ACT;
        st->leaky = strcmp(a, "leaky") == 0 ? 1 : strcmp(a, "relu") == 0 ? 0 : -1;
        return st->leaky >= 0 ? 0 : gan_err_set(err, "--activation: '%s' is not relu or leaky", a);
    case OPT_PRESET:
        cfg->set |= GAN_SET_PRESET;
        st->preset = gan_preset_find(a);
        return st->preset >= 0 ? 0
                               : gan_err_set(err, "--preset: '%s' is not default, seed or wgan-gp", a);
    case OPT_LOSS:
        cfg->set |= GAN_SET_LOSS;
        cfg->loss = gan_loss_find(a);
        return cfg->loss >= 0 ? 0
                              : gan_err_set(err, "--loss: '%s' is not bce, hinge, lsgan or wgan-gp", a);
    case OPT_COND:
        cfg->set |= GAN_SET_COND;
        cfg->conditional = 1;
        return 0;
    case OPT_COND_D:
        cfg->set |= GAN_SET_COND_D;
        cfg->cond_d = gan_cond_d_parse(a);
        return cfg->cond_d ? 0 : gan_err_set(err, "--cond-d: '%s' is not concat, projection or "
                                             "acgan, or '+' between them (concat+acgan)", a);
    case OPT_COND_G:
        cfg->set |= GAN_SET_COND_G;
        cfg->cond_g = strcmp(a, "all") == 0 ? GAN_COND_G_ALL : GAN_COND_G_INPUT;
        return strcmp(a, "all") == 0 || strcmp(a, "input") == 0
                   ? 0 : gan_err_set(err, "--cond-g: '%s' is not input or all", a);
    case OPT_PRECISION:
        cfg->set |= GAN_SET_PRECISION;
        cfg->precision = strcmp(a, "bf16") == 0 ? GAN_PREC_BF16 : GAN_PREC_FP32;
        if (strcmp(a, "bf16") != 0 && strcmp(a, "fp32") != 0)
            rc = gan_err_set(err, "--precision: '%s' is not fp32 or bf16", a);
        else if (cfg->precision == GAN_PREC_BF16)
            rc = gan_bf16_available(err);
        return rc;
    case OPT_FORCE: cfg->force = 1; return 0;
    case OPT_QUIET: cfg->quiet = 1; return 0;
    default: return 1;
    }
}

/* getopt's complaint about argv's option (c ':' or '?') as an error. */
static int bad_option(char **argv, int c, gan_err *err)
{
    if (c == ':' || optopt >= OPT_DATA)
        return gan_err_set(err, "%s: needs a value", argv[optind - 1]);
    if (optopt)
        return gan_err_set(err, "-%c: unknown option (see --help)", optopt);
    return gan_err_set(err, "%s: unknown or ambiguous option (see --help)", argv[optind - 1]);
}

gan_cli_result gan_cli_parse(gan_config *cfg, int argc, char **argv, FILE *out, gan_err *err)
{
    gan_config_default(cfg);
    word_state st = {-1, 0, DEFAULT_SLOPE, GAN_PRESET_DEFAULT};
    optind = 0; /* glibc: full reinitialisation, so tests may parse again */
    opterr = 0;
    int c, rc = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        if (c == OPT_HELP) {
            gan_cli_usage(out);
            return GAN_CLI_DONE;
        }
        if (c == OPT_VERSION) {
            char blas[512];
            gan_kernel_describe(blas, sizeof blas);
            fprintf(out, "gan-train %s\n%s\n", GAN_VERSION, blas);
            return GAN_CLI_DONE;
        }
        const value_opt *o = NULL;
        for (size_t i = 0; i < sizeof value_opts / sizeof *value_opts && !o; i++)
            o = value_opts[i].opt == c ? &value_opts[i] : NULL;
        if (o)
            rc = parse_value(cfg, o, optarg, err);
        else if ((rc = parse_word(cfg, c, optarg, &st, err)) == 1)
            rc = bad_option(argv, c, err);
    }
    if (rc != 0)
        return GAN_CLI_USAGE;
    if (optind < argc) {
        gan_err_set(err, "'%s': unexpected argument (options start with --; see --help)",
                    argv[optind]);
        return GAN_CLI_USAGE;
    }
    if (cfg->init_from && cfg->resume_path) {
        gan_err_set(err, "--init-from starts a new run, --resume continues one: give one of them");
        return GAN_CLI_USAGE;
    }
    /* --leaky-slope alone means LeakyReLU; --activation relu wins over it */
    cfg->slope = st.leaky == 1 || (st.leaky < 0 && st.slope_given) ? (float)st.slope : 0.0f;
    gan_cli_apply_preset(cfg, st.preset);
    return check_penalties(cfg, err) == 0 && check_cond(cfg, err) == 0 ? GAN_CLI_RUN
                                                                       : GAN_CLI_USAGE;
}

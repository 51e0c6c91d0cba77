/*
 * run.c: gan_run, the whole job: data, output folder, epochs, grids, CSV.
 *
 * Output policy: a run never overwrites an earlier one. Without --out, each
 * run gets the next numbered folder runs/001, runs/002, ... (one more than the
 * highest there). With --out DIR, DIR is created if missing; if it already
 * holds a run (losses.csv, samples/ or checkpoint.gan) it is refused unless
 * --force. A resumed run continues in its checkpoint's folder (or in --out,
 * under the same rule unless that is the checkpoint's folder). A --log FILE
 * that exists is refused unless --force. PNGs and checkpoints are written to
 * a temporary name and renamed, so a crash never leaves a half-written one.
 */
#define _POSIX_C_SOURCE 200809L
#include "gan_train.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gan_checkpoint.h"
#include "gan_eval.h"
#include "gan_file.h"
#include "gan_image.h"
#include "gan_safetensors.h"
#include "gan_kernel.h"

#include <stb_image.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Creates runs/NNN, one more than the highest number there. */
static int make_numbered_run(char *out, size_t len, gan_err *err)
{
    if (gan_make_dirs("runs", err) != 0)
        return -1;
    DIR *d = opendir("runs");
    if (!d)
        return gan_err_set(err, "runs: cannot list: %s", strerror(errno));
    long highest = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (end != e->d_name && *end == '\0' && v > highest && v < 1000000)
            highest = v;
    }
    closedir(d);
    for (long k = highest + 1; k < highest + 1000; k++) {
        snprintf(out, len, "runs/%03ld", k);
        if (mkdir(out, 0777) == 0)
            return 0;
        if (errno != EEXIST)
            return gan_err_set(err, "%s: cannot create folder: %s", out, strerror(errno));
    }
    return gan_err_set(err, "runs: no free run number");
}

/* Whether two paths name the same existing folder. */
static int same_folder(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* --force on a folder that holds a run: removes that run's own outputs (its
 * grids samples/epoch-NNN.png, losses.csv, steps.csv, checkpoint.gan,
 * best.gan, progress.png) and nothing else, so that no file of the old run
 * is mistaken for one of the new. */
static int clear_run_outputs(const char *out, gan_err *err)
{
    static const char *const files[] = {"losses.csv", "steps.csv", "checkpoint.gan", "best.gan",
                                        "progress.png"};
    char p[4400];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(p, sizeof p, "%s/%s", out, files[i]);
        if (unlink(p) != 0 && errno != ENOENT)
            return gan_err_set(err, "%s: cannot remove (--force): %s", p, strerror(errno));
    }
    snprintf(p, sizeof p, "%s/samples", out);
    DIR *d = opendir(p);
    if (!d)
        return errno == ENOENT || errno == ENOTDIR
                   ? 0 : gan_err_set(err, "%s: cannot list: %s", p, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        unsigned n;
        char tail[8];
        /* epoch-NNN.png exactly; anything else there is not ours */
        if (sscanf(e->d_name, "epoch-%u.%7s", &n, tail) != 2 || strcmp(tail, "png") != 0 ||
            strncmp(e->d_name, "epoch-", 6) != 0)
            continue;
        snprintf(p, sizeof p, "%s/samples/%s", out, e->d_name);
        if (unlink(p) != 0 && errno != ENOENT)
            rc = gan_err_set(err, "%s: cannot remove (--force): %s", p, strerror(errno));
    }
    closedir(d);
    return rc;
}

static int prepare_out(const gan_config *cfg, char *out, size_t len, gan_err *err)
{
    if (cfg->resume_path) {
        /* a resumed run continues in its checkpoint's folder */
        char home[4096];
        const char *slash = strrchr(cfg->resume_path, '/');
        if (slash)
            snprintf(home, sizeof home, "%.*s", (int)(slash - cfg->resume_path) + (slash == cfg->resume_path),
                     cfg->resume_path);
        else
            snprintf(home, sizeof home, ".");
        if (!cfg->out_dir || same_folder(cfg->out_dir, home)) {
            snprintf(out, len, "%s", cfg->out_dir ? cfg->out_dir : home);
            return gan_make_dirs(out, err);
        }
        /* elsewhere: --out's usual rule */
    }
    if (!cfg->out_dir)
        return make_numbered_run(out, len, err);
    if (strlen(cfg->out_dir) >= len - 64)
        return gan_err_set(err, "%s: path too long", cfg->out_dir);
    snprintf(out, len, "%s", cfg->out_dir);
    char probe[4200];
    const char *marks[] = {"losses.csv", "samples", "checkpoint.gan"};
    for (size_t i = 0; i < sizeof marks / sizeof *marks && !cfg->force; i++) {
        snprintf(probe, sizeof probe, "%s/%s", out, marks[i]);
        if (path_exists(probe))
            return gan_err_set(err, "%s: holds an earlier run (%s); choose another --out or add --force",
                               out, marks[i]);
    }
    if (gan_make_dirs(out, err) != 0)
        return -1;
    return cfg->force ? clear_run_outputs(out, err) : 0;
}

/* The columns of version 1 first (so pipes made for them keep working),
 * then the R1 penalty's mean and the evaluation (empty where not computed). */
#define CSV_HEADER_V1 "epoch,steps,loss_d,loss_g,d_real,d_fake,seconds\n"
#define CSV_HEADER                                                                   \
    "epoch,steps,loss_d,loss_g,d_real,d_fake,seconds,r1,fid,classes,kl_uniform,is,"  \
    "precision,recall\n"
#define CSV_NEW_COLUMNS 7

static void fmt_duration(char *buf, size_t len, double s)
{
    long v = s > 0 && s < 1e7 ? (long)(s + 0.5) : 0;
    if (v >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", v / 3600, v / 60 % 60, v % 60);
    else
        snprintf(buf, len, "%ld:%02ld", v / 60, v % 60);
}

/* The end-of-run summary: extremes and last values of the losses with their
 * epochs, the best FID, the training time, over every epoch of the run (a
 * resumed run's earlier epochs come from its CSV). */
typedef struct {
    int epochs;                  /* rows seen */
    long steps;
    double secs;                 /* sum of the epochs' training seconds */
    double min[2], max[2], last[2];
    int min_e[2], max_e[2];
    double last_fid;
    int last_fid_e;
} run_summary;

static void summary_add(run_summary *sm, int epoch, long steps, double loss_d, double loss_g,
                        double secs, double fid /* < 0: none */)
{
    double v[2] = {loss_d, loss_g};
    for (int k = 0; k < 2; k++) {
        if (sm->epochs == 0 || v[k] < sm->min[k]) {
            sm->min[k] = v[k];
            sm->min_e[k] = epoch;
        }
        if (sm->epochs == 0 || v[k] > sm->max[k]) {
            sm->max[k] = v[k];
            sm->max_e[k] = epoch;
        }
        sm->last[k] = v[k];
    }
    sm->epochs++;
    sm->steps = steps;
    sm->secs += secs;
    if (fid >= 0) {
        sm->last_fid = fid;
        sm->last_fid_e = epoch;
    }
}

/* A kept CSV row into the summary (rows it cannot read are left out). */
static void summary_add_row(run_summary *sm, const char *line)
{
    int e;
    long steps;
    double ld, lg, dr, df, secs, fid = -1.0;
    if (sscanf(line, "%d,%ld,%lf,%lf,%lf,%lf,%lf", &e, &steps, &ld, &lg, &dr, &df, &secs) != 7)
        return;
    const char *p = line;
    for (int k = 0; k < 8 && p; k++) { /* the 9th column: fid */
        p = strchr(p, ',');
        if (p)
            p++;
    }
    if (p && *p != ',' && *p != '\n' && *p)
        fid = strtod(p, NULL);
    summary_add(sm, e, steps, ld, lg, secs, fid);
}

static void summary_print(FILE *msg, const run_summary *sm, const gan_trainer *t, uint32_t count,
                          const char *out, const char *log_path, int grids)
{
    static const char *const names[2] = {"loss_d", "loss_g"};
    char dur[32];
    fmt_duration(dur, sizeof dur, sm->secs);
    fprintf(msg, "summary:  %d epoch%s, %ld steps, %s of training (%.0f samples/s)\n", sm->epochs,
            sm->epochs == 1 ? "" : "s", sm->steps, dur, sm->secs > 0 ? (double)sm->epochs * count / sm->secs : 0.0);
    for (int k = 0; k < 2; k++)
        fprintf(msg, "          %s: min %.4f (epoch %d), max %.4f (epoch %d), last %.4f\n",
                names[k], sm->min[k], sm->min_e[k], sm->max[k], sm->max_e[k], sm->last[k]);
    if (t->track.best_epoch > 0)
        fprintf(msg, "          FID: best %.2f (epoch %d, best.gan), last %.2f (epoch %d)\n",
                t->track.best_fid, t->track.best_epoch, sm->last_fid, sm->last_fid_e);
    fprintf(msg, "files:    %s (CSV)\n", log_path);
    if (grids > 0)
        fprintf(msg, "          %s/samples/epoch-001.png ... epoch-%03d.png (grids)\n", out,
                grids);
    fprintf(msg, "          %s/progress.png (timeline)\n", out);
    fprintf(msg, "          %s/checkpoint.gan (resume: gan-train --resume)\n", out);
    if (t->track.best_epoch > 0)
        fprintf(msg, "          %s/best.gan (the best FID)\n", out);
}

/* On resume: keeps the header and the first `epochs` rows of an existing
 * CSV (later rows belong to epochs the checkpoint does not have), rewritten
 * atomically; 1 if the file was there, 0 if not. A log of an older
 * gan-train (CSV_HEADER_V1) gets today's header, its rows empty new columns. */
static int keep_csv_rows(const char *path, int epochs, run_summary *sm, gan_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? 0 : gan_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    gan_atomic a;
    if (gan_atomic_open(&a, path, err) != 0) {
        fclose(f);
        return -1;
    }
    char line[1024];
    int n = 0, rc = 1, old = 0;
    while (n <= epochs && fgets(line, sizeof line, f)) {
        if (n == 0 && strcmp(line, CSV_HEADER_V1) == 0) {
            old = 1;
            snprintf(line, sizeof line, "%s", CSV_HEADER);
        } else if (n == 0 && strcmp(line, CSV_HEADER) != 0) {
            rc = gan_err_set(err, "%s: not a gan-train loss log (header differs)", path);
            break;
        } else if (n > 0) {
            summary_add_row(sm, line);
        }
        if (n > 0 && old) {
            size_t k = strlen(line);
            if (k > 0 && line[k - 1] == '\n' && k + CSV_NEW_COLUMNS < sizeof line)
                snprintf(line + k - 1, sizeof line - (k - 1), "%.*s\n", CSV_NEW_COLUMNS,
                         ",,,,,,,,,,");
        }
        if (gan_write_all(a.f, line, strlen(line), path, err) != 0) {
            rc = -1;
            break;
        }
        n++;
    }
    if (rc == 1 && ferror(f))
        rc = gan_err_set(err, "%s: read error", path);
    if (rc == 1 && n != epochs + 1)
        rc = gan_err_set(err, "%s: holds %d epoch rows, but the checkpoint is after epoch %d",
                         path, n > 0 ? n - 1 : 0, epochs);
    fclose(f);
    if (rc != 1) {
        gan_atomic_abort(&a);
        return -1;
    }
    return gan_atomic_commit(&a, err) == 0 ? 1 : -1;
}

static int open_log(const gan_config *cfg, const char *out, int resume_epoch, FILE *csv_stdout,
                    FILE **log, char *path, size_t len, run_summary *sm, gan_err *err)
{
    if (cfg->log_path && strcmp(cfg->log_path, "-") == 0) {
        *log = csv_stdout;
        snprintf(path, len, "standard output");
        return fprintf(*log, CSV_HEADER) < 0 ? gan_err_set(err, "standard output: write failed") : 0;
    }
    if (cfg->log_path)
        snprintf(path, len, "%s", cfg->log_path);
    else
        snprintf(path, len, "%s/losses.csv", out);
    int had = 0;
    if (resume_epoch >= 0 && (had = keep_csv_rows(path, resume_epoch, sm, err)) < 0)
        return -1;
    /* "x": C11 exclusive create, so an existing log is never truncated */
    *log = fopen(path, had ? "a" : cfg->force || resume_epoch >= 0 ? "w" : "wx");
    if (!*log) {
        if (errno == EEXIST)
            return gan_err_set(err, "%s: exists; choose another --log or add --force", path);
        return gan_err_set(err, "%s: cannot create: %s", path, strerror(errno));
    }
    if (!had && (fprintf(*log, CSV_HEADER) < 0 || fflush(*log) != 0))
        return gan_err_set(err, "%s: write failed: %s", path, strerror(errno));
    return 0;
}

/* OUT/progress.png: the whole run at a glance, one row per epoch of the
 * first TIMELINE_PER fixed-noise samples (those of the grids), laid out as
 * a grid; rewritten atomically after every epoch. Runs of more than
 * TIMELINE_ROWS epochs get a row every `stride` epochs, so the image (and
 * the cost of writing it) stays bounded. A resumed run takes the rows of its
 * earlier epochs back from the file (they are its grey levels exactly);
 * where the file is missing or of another size they stay black. */
#define TIMELINE_PER 8
#define TIMELINE_ROWS 100
typedef struct {
    int per, rows, cols, scale, epochs, stride;
    uint8_t *px;  /* (epochs, per, rows * cols) grey levels */
    uint8_t *img; /* the image of all epochs */
    char path[4200];
} timeline;

static int timeline_init(timeline *tl, const gan_config *cfg, int rows, int cols, const char *out,
                         int resume_epoch, gan_err *err)
{
    memset(tl, 0, sizeof *tl);
    int n = cfg->grid * cfg->grid, w, h;
    tl->per = n < TIMELINE_PER ? n : TIMELINE_PER;
    tl->rows = rows;
    tl->cols = cols;
    tl->scale = cfg->png_scale;
    tl->stride = (cfg->epochs + TIMELINE_ROWS - 1) / TIMELINE_ROWS;
    tl->epochs = cfg->epochs / tl->stride; /* rows */
    snprintf(tl->path, sizeof tl->path, "%s/progress.png", out);
    size_t P = (size_t)rows * cols;
    gan_grid_size(tl->epochs * tl->per, tl->per, rows, cols, tl->scale, &w, &h);
    tl->px = calloc((size_t)tl->epochs * tl->per, P);
    tl->img = malloc((size_t)w * h);
    if (!tl->px || !tl->img)
        return gan_err_set(err, "out of memory for the %d x %d timeline image", w, h);
    int done_rows = resume_epoch / tl->stride;
    if (done_rows <= 0)
        return 0;
    int fw, fh, ch, ew, eh;
    gan_grid_size(done_rows * tl->per, tl->per, rows, cols, tl->scale, &ew, &eh);
    uint8_t *old = stbi_load(tl->path, &fw, &fh, &ch, 1);
    if (old && fw == ew && fh == eh) {
        for (int k = 0; k < done_rows * tl->per; k++) {
            int y0 = (k / tl->per) * (rows + GAN_GRID_PAD) + GAN_GRID_PAD;
            int x0 = (k % tl->per) * (cols + GAN_GRID_PAD) + GAN_GRID_PAD;
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                    tl->px[(size_t)k * P + (size_t)r * cols + c] =
                        old[(size_t)(y0 + r) * tl->scale * fw + (size_t)(x0 + c) * tl->scale];
        }
    }
    stbi_image_free(old);
    return 0;
}

/* Takes epoch's row (if it has one) from samples (the grids' samples,
 * (>= per, P)) and rewrites the file with the rows so far. */
static int timeline_add(timeline *tl, const float *samples, int epoch, gan_err *err)
{
    size_t P = (size_t)tl->rows * tl->cols;
    int w, h, row = epoch / tl->stride;
    if (epoch % tl->stride != 0 || row > tl->epochs)
        return 0;
    gan_to_pixels(tl->px + (size_t)(row - 1) * tl->per * P, samples, (size_t)tl->per * P);
    gan_grid_size(row * tl->per, tl->per, tl->rows, tl->cols, tl->scale, &w, &h);
    gan_grid_draw_bytes(tl->img, tl->px, row * tl->per, tl->per, tl->rows, tl->cols, tl->scale);
    return gan_png_write(tl->path, tl->img, w, h, err);
}

static void timeline_free(timeline *tl)
{
    free(tl->px);
    free(tl->img);
}

static int write_grid(gan_trainer *t, const gan_config *cfg, int rows, int cols, const char *out,
                      int epoch, uint8_t *img, timeline *tl, gan_err *err)
{
    int n = cfg->grid * cfg->grid, w, h;
    char path[4200];
    gan_trainer_generate(t, t->samples, t->fixed_z, n);
    if (timeline_add(tl, t->samples, epoch, err) != 0)
        return -1;
    gan_grid_size(n, cfg->grid, rows, cols, cfg->png_scale, &w, &h);
    gan_grid_draw(img, t->samples, n, cfg->grid, rows, cols, cfg->png_scale);
    snprintf(path, sizeof path, "%s/samples/epoch-%03d.png", out, epoch);
    return gan_png_write(path, img, w, h, err);
}

/* Settings a resumed run takes from its checkpoint: any given on the command
 * line must agree. */
static int check_resume_conflicts(const gan_config *given, const gan_config *ck, const char *path,
                                  gan_err *err)
{
    struct {
        unsigned flag;
        const char *name;
        int differs;
    } c[] = {
        {GAN_SET_ZDIM, "--z-dim", given->z_dim != ck->z_dim},
        {GAN_SET_HIDDEN, "--hidden", given->hidden != ck->hidden},
        {GAN_SET_ACT, "--activation/--leaky-slope", given->slope != ck->slope},
        {GAN_SET_BATCH, "--batch-size", given->batch != ck->batch},
        {GAN_SET_LR, "--lr", given->lr != ck->lr},
        {GAN_SET_BETA1, "--beta1", given->beta1 != ck->beta1},
        {GAN_SET_BETA2, "--beta2", given->beta2 != ck->beta2},
        {GAN_SET_SEED, "--seed", given->seed != ck->seed},
        {GAN_SET_GRID, "--grid", given->grid != ck->grid},
        {GAN_SET_R1, "--r1", given->r1_gamma != ck->r1_gamma},
        {GAN_SET_R1_EVERY, "--r1-every", given->r1_every != ck->r1_every},
        {GAN_SET_PRESET, "--preset", given->preset != ck->preset},
        {GAN_SET_LIMIT, "--limit", given->limit != ck->limit},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++)
        if ((given->set & c[i].flag) && c[i].differs)
            return gan_err_set(err, "%s: %s differs from the checkpoint's; a resumed run keeps its "
                               "settings (leave the option out)", path, c[i].name);
    return 0;
}

/* After a stop: where the checkpoint is and the command that continues. */
static void print_resume_hint(FILE *msg, const gan_config *cfg, const char *ckpt_path)
{
    int other_data = strcmp(cfg->data_dir, "data/mnist") != 0;
    fprintf(msg, "checkpoint %s\nresume with: gan-train --resume %s --epochs %d%s%s\n", ckpt_path,
            ckpt_path, cfg->epochs, other_data ? " --data " : "", other_data ? cfg->data_dir : "");
}

/* Whether every parameter of both networks is a finite number. */
static int params_finite(const gan_trainer *t)
{
    const gan_mlp *nets[2] = {&t->G, &t->D};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < nets[k]->nparams; i++)
            if (!isfinite(nets[k]->params[i]))
                return 0;
    return 1;
}

/* The start banner: the resolved settings, the data, the kernel, the outputs. */
static void print_banner(FILE *msg, const gan_config *cfg, const gan_dataset *ds,
                         const gan_trainer *t, const char *out, const char *log_path,
                         int resume_epoch)
{
    int steps = (int)((ds->count + (uint32_t)cfg->batch - 1) / (uint32_t)cfg->batch);
    int pixels = (int)(ds->rows * ds->cols);
    const char *act = cfg->slope > 0.0f ? "leaky" : "relu";
    int threads = gan_pool_size(t->pool);
    char blas[512];
    gan_kernel_describe(blas, sizeof blas);
    char recipe[512];
    gan_recipe_describe(cfg, recipe, sizeof recipe);
    fprintf(msg, "gan-train %s\n", GAN_VERSION);
    if (ds->count < ds->total)
        fprintf(msg, "data:     %s: %u training images of %u x %u (the first of %u: --limit), "
                "scaled to [-1, 1]\n", cfg->data_dir, ds->count, ds->rows, ds->cols, ds->total);
    else
        fprintf(msg, "data:     %s: %u training images of %u x %u, scaled to [-1, 1]\n",
                cfg->data_dir, ds->count, ds->rows, ds->cols);
    fprintf(msg, "recipe:   %s\n", recipe);
    fprintf(msg, "model:    G %d-%d-%d-%d (%s, tanh), D %d-%d-%d-1 (%s, sigmoid); %zu + %zu parameters\n",
            cfg->z_dim, cfg->hidden, cfg->hidden, pixels, act, pixels, cfg->hidden,
            cfg->hidden, act, t->G.nparams, t->D.nparams);
    if (cfg->slope > 0.0f)
        fprintf(msg, "          LeakyReLU negative slope %g\n", cfg->slope);
    fprintf(msg, "training: %d epochs x %d steps, batch %d, Adam lr %g betas (%g, %g), seed %llu, %d thread%s\n",
            cfg->epochs, steps, cfg->batch, cfg->lr, cfg->beta1, cfg->beta2,
            (unsigned long long)cfg->seed, threads, threads == 1 ? "" : "s");
    if (cfg->r1_gamma > 0.0 && cfg->r1_every > 1)
        fprintf(msg, "          R1 penalty gamma %g on D's logit at the real images, on one D "
                "step in %d, scaled by %d\n", cfg->r1_gamma, cfg->r1_every, cfg->r1_every);
    else if (cfg->r1_gamma > 0.0)
        fprintf(msg, "          R1 penalty gamma %g on D's logit at the real images, every D step\n",
                cfg->r1_gamma);

    int cpus = gan_pool_cpus();
    if (threads > cpus)
        fprintf(msg, "          note: %d threads on %d CPU%s wait for each other at every "
                "barrier, several times slower than --threads %d\n", threads, cpus,
                cpus == 1 ? "" : "s", cpus);
    fprintf(msg, "blas:     %s\n", blas);
    if (cfg->resume_path)
        fprintf(msg, "resume:   %s, after epoch %d\n", cfg->resume_path, resume_epoch);
    if (cfg->init_from)
        fprintf(msg, "init:     G and D from %s/G.safetensors and D.safetensors; Adam afresh\n",
                cfg->init_from);
    fprintf(msg, "output:   %s (samples/epoch-NNN.png, %dx%d grid; progress.png; checkpoint.gan); "
            "loss log: %s\n", out, cfg->grid, cfg->grid, log_path);
}

/* The evaluator of a run, or NULL (with a line saying why) when this data or
 * these settings give none: evaluation never keeps a run from training. */
static gan_evaluator *eval_open(const gan_config *cfg, const gan_dataset *ds, gan_trainer *t,
                                FILE *msg)
{
    if (cfg->eval_every <= 0) {
        if (msg)
            fprintf(msg, "eval:     off (--eval-every 0)\n");
        return NULL;
    }
    gan_eval_config ec = {cfg->data_dir, cfg->eval_count, cfg->cache_dir};
    gan_evaluator *ev = NULL;
    char why[600] = "";
    gan_err e = {""};
    int rc = gan_evaluator_make(&ev, &ec, (int)ds->rows, (int)ds->cols, cfg->z_dim, t->pool, msg,
                                why, sizeof why, &e);
    if (rc != 0) {
        if (msg)
            fprintf(msg, "eval:     off: %s\n", rc == 1 ? why : e.msg);
        return NULL;
    }
    if (msg)
        fprintf(msg, "eval:     every %d epoch%s, %d samples against %s; classifier accuracy "
                "%.2f%%, FID floor %.3f\n", cfg->eval_every, cfg->eval_every == 1 ? "" : "s",
                cfg->eval_count, gan_evaluator_reference(ev), 100.0 * gan_evaluator_accuracy(ev),
                gan_evaluator_fid_floor(ev));
    return ev;
}

/* After epoch e: whether to evaluate, and if so the measures (CSV columns
 * in cols), the track of the best FID, and OUT/best.gan when it improved. */
static int eval_epoch(gan_evaluator *ev, const gan_config *cfg, gan_trainer *t, int e,
                      const char *best_path, int rows, int cols_px, char *cols, size_t len,
                      gan_eval_result *r, gan_err *err)
{
    cols[0] = '\0';
    if (!ev || (e % cfg->eval_every != 0 && e != cfg->epochs))
        return 0;
    if (gan_evaluate(ev, &t->G, r, err) != 0)
        return -1;
    snprintf(cols, len, "%.4f,%d,%.5f,%.4f,%.4f,%.4f", r->fid, r->classes_covered, r->kl_uniform,
             r->inception_score, r->precision, r->recall);
    t->track.evals++;
    if (t->track.best_epoch == 0 || r->fid < t->track.best_fid) {
        t->track.best_fid = r->fid;
        t->track.best_epoch = e;
        t->track.since_best = 0;
        if (gan_checkpoint_save(t, cfg, rows, cols_px, best_path, err) != 0)
            return -1;
    } else {
        t->track.since_best++;
    }
    return 1;
}

/* The live status line: on a terminal only, redrawn in place 4 times a
 * second while an epoch runs, cleared before the epoch's line. */
typedef struct {
    FILE *out;
    int epochs;
    uint32_t steps;       /* steps an epoch */
    uint32_t pos0;        /* batches done when this stretch of the epoch began */
    double t0;            /* and when */
    double secs_per_epoch;/* of the last whole epoch (0: none yet) */
} status_line;

static void status_draw(void *ctx, const gan_trainer_view *v)
{
    status_line *sl = ctx;
    double el = now_seconds() - sl->t0, rate = el > 0 ? (v->pos - sl->pos0) / el : 0;
    if (rate <= 0)
        return;
    double left_epoch = (sl->steps - v->pos) / rate;
    double left_run = left_epoch + (sl->epochs - v->epoch) *
                      (sl->secs_per_epoch > 0 ? sl->secs_per_epoch : sl->steps / rate);
    char a[32], b[32];
    fmt_duration(a, sizeof a, left_epoch);
    fmt_duration(b, sizeof b, left_run);
    int n = v->sums->steps > 0 ? v->sums->steps : 1;
    fprintf(sl->out, "\r  epoch %d/%d %3.0f%%  %.0f steps/s  D %.4f  G %.4f  ETA %s, run %s\033[K",
            v->epoch, sl->epochs, 100.0 * v->pos / sl->steps, rate, v->sums->loss_d / n,
            v->sums->loss_g / n, a, b);
    fflush(sl->out);
}

static void status_clear(const status_line *sl)
{
    if (sl->out) {
        fputs("\r\033[K", sl->out);
        fflush(sl->out);
    }
}

/* OUT/steps.csv (--log-every N): a row of means over every N steps, for
 * curves finer than an epoch. */
#define STEPS_HEADER "step,epoch,loss_d,loss_g,d_real,d_fake,r1\n"
typedef struct {
    FILE *f;
    int every, failed;
    struct {
        int n, r1_n;
        double loss_d, loss_g, d_real, d_fake, r1;
    } acc; /* sums over the steps since the last row */
} step_log;

static void step_log_add(void *ctx, long step, int epoch, const gan_step_stats *st)
{
    step_log *sl = ctx;
    sl->acc.n++;
    sl->acc.loss_d += st->loss_d;
    sl->acc.loss_g += st->loss_g;
    sl->acc.d_real += st->d_real;
    sl->acc.d_fake += st->d_fake;
    if (st->r1_done) {
        sl->acc.r1_n++;
        sl->acc.r1 += st->r1;
    }
    if (sl->acc.n < sl->every)
        return;
    int n = sl->acc.n;
    char r1[32] = "";
    if (sl->acc.r1_n)
        snprintf(r1, sizeof r1, "%.6f", sl->acc.r1 / sl->acc.r1_n);
    if (fprintf(sl->f, "%ld,%d,%.6f,%.6f,%.6f,%.6f,%s\n", step, epoch, sl->acc.loss_d / n,
                sl->acc.loss_g / n, sl->acc.d_real / n, sl->acc.d_fake / n, r1) < 0)
        sl->failed = 1;
    memset(&sl->acc, 0, sizeof sl->acc);
}

/* Opens OUT/steps.csv: a new one, or on resume the old one without rows
 * after step `upto` (they belong to steps the checkpoint does not have). */
static int step_log_open(step_log *sl, const char *out, int every, long upto, gan_err *err)
{
    memset(sl, 0, sizeof *sl);
    sl->every = every;
    char path[4200];
    snprintf(path, sizeof path, "%s/steps.csv", out);
    FILE *old = upto >= 0 ? fopen(path, "rb") : NULL;
    gan_atomic a;
    if (gan_atomic_open(&a, path, err) != 0) {
        if (old)
            fclose(old);
        return -1;
    }
    int rc = gan_write_all(a.f, STEPS_HEADER, strlen(STEPS_HEADER), path, err);
    char line[512];
    int first = 1;
    while (rc == 0 && old && fgets(line, sizeof line, old)) {
        if (first) {
            first = 0;
            if (strcmp(line, STEPS_HEADER) != 0)
                break; /* not ours: start afresh */
            continue;
        }
        if (strtol(line, NULL, 10) <= upto)
            rc = gan_write_all(a.f, line, strlen(line), path, err);
    }
    if (old)
        fclose(old);
    if (rc != 0) {
        gan_atomic_abort(&a);
        return -1;
    }
    if (gan_atomic_commit(&a, err) != 0)
        return -1;
    sl->f = fopen(path, "a");
    if (!sl->f)
        return gan_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    return 0;
}

/* --init-from DIR: G and D from DIR/G.safetensors and D.safetensors (their
 * shapes must be the run's; Adam starts afresh, as after gan_mlp_reset). */
static int init_from(gan_trainer *t, const char *dir, gan_err *err)
{
    char path[4200];
    gan_mlp *nets[2] = {&t->G, &t->D};
    const char *names[2] = {"G", "D"};
    for (int k = 0; k < 2; k++) {
        gan_st_file f;
        snprintf(path, sizeof path, "%s/%s.safetensors", dir, names[k]);
        if (gan_st_read(&f, path, err) != 0)
            return -1;
        int rc = gan_st_to_mlp(&f, nets[k], path, err);
        gan_st_free(&f);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Whether a signal now ends the process at once (no safe point to stop at). */
static void exit_now(const gan_signals *sig, int on)
{
    if (sig && sig->exit_now)
        *sig->exit_now = on;
}

/* Everything one run holds, from run_open to run_close. */
typedef struct {
    gan_config cfg;              /* the settings (a resumed run: its checkpoint's) */
    FILE *msg, *csv_stdout;
    const gan_signals *sig;
    const volatile sig_atomic_t *interrupt;
    gan_ckpt_info ck;            /* with --resume */
    unsigned char *ck_data;
    int resume_epoch;            /* -1: a new run */
    gan_dataset ds;
    gan_trainer t;
    gan_evaluator *ev;           /* NULL: no evaluation */
    FILE *log;
    uint8_t *img;                /* the sample grid */
    timeline tl;
    run_summary sm;
    step_log stl;                /* OUT/steps.csv, with --log-every */
    status_line sl;
    char out[4096], log_path[4200], ckpt_path[4200], best_path[4200];
} run_state;

/* Returns from the phases beside 0, -1 and GAN_RUN_*: */
enum { RUN_NOTHING_TO_DO = 10, RUN_STOPPED_EARLY = 11 };

/* Phase 1: the checkpoint to resume, the data, the output folder, the
 * trainer (restored or initialised), the log, the images, the banner, the
 * evaluator, and the hooks of the step loop. */
static int run_open(run_state *rs, const gan_config *given, gan_err *err)
{
    gan_config *cfg = &rs->cfg;
    *cfg = *given;
    rs->resume_epoch = -1;
    if (cfg->resume_path) {
        size_t ck_size;
        if (gan_checkpoint_read(cfg->resume_path, &rs->ck, &rs->ck_data, &ck_size, err) != 0)
            return -1;
        gan_checkpoint_config(&rs->ck, cfg);
        if (check_resume_conflicts(given, cfg, cfg->resume_path, err) != 0)
            return -1;
        rs->resume_epoch = (int)rs->ck.epoch;
    }
    gan_dataset *ds = &rs->ds;
    if (gan_dataset_load(ds, cfg->data_dir, "train", (uint32_t)cfg->limit,
                         GAN_DATA_LABELS_OPTIONAL, err) != 0)
        return -1;
    if (ds->rows > 4096 || ds->cols > 4096)
        return gan_err_set(err, "%s: images of %u x %u pixels are larger than this model takes "
                           "(4096 x 4096)", cfg->data_dir, ds->rows, ds->cols);
    if (cfg->resume_path && (ds->rows != rs->ck.rows || ds->cols != rs->ck.cols ||
                             ds->count != rs->ck.count))
        return gan_err_set(err, "%s: the checkpoint was trained on %u images of %u x %u, %s has "
                           "%u of %u x %u", cfg->resume_path, rs->ck.count, rs->ck.rows,
                           rs->ck.cols, cfg->data_dir, ds->count, ds->rows, ds->cols);
    if (cfg->resume_path && rs->resume_epoch >= cfg->epochs) {
        if (rs->msg)
            fprintf(rs->msg, "%s: already at epoch %d of %d; nothing to do (raise --epochs)\n",
                    cfg->resume_path, rs->resume_epoch, cfg->epochs);
        return RUN_NOTHING_TO_DO;
    }
    char samples[4200];
    if (prepare_out(cfg, rs->out, sizeof rs->out, err) != 0)
        return -1;
    snprintf(samples, sizeof samples, "%s/samples", rs->out);
    snprintf(rs->ckpt_path, sizeof rs->ckpt_path, "%s/checkpoint.gan", rs->out);
    snprintf(rs->best_path, sizeof rs->best_path, "%s/best.gan", rs->out);
    if (gan_make_dirs(samples, err) != 0)
        return -1;
    gan_trainer *t = &rs->t;
    if (gan_trainer_init(t, cfg, (int)(ds->rows * ds->cols), ds->count, err) != 0)
        return -1;
    if (cfg->resume_path &&
        gan_checkpoint_restore(t, &rs->ck, rs->ck_data, cfg->resume_path, err) != 0)
        return -1;
    if (cfg->init_from && init_from(t, cfg->init_from, err) != 0)
        return -1;
    if (open_log(cfg, rs->out, rs->resume_epoch, rs->csv_stdout, &rs->log, rs->log_path,
                 sizeof rs->log_path, &rs->sm, err) != 0)
        return -1;
    int w, h;
    gan_grid_size(cfg->grid * cfg->grid, cfg->grid, (int)ds->rows, (int)ds->cols, cfg->png_scale,
                  &w, &h);
    rs->img = malloc((size_t)w * h);
    if (!rs->img)
        return gan_err_set(err, "out of memory for a %d x %d sample grid", w, h);
    if (timeline_init(&rs->tl, cfg, (int)ds->rows, (int)ds->cols, rs->out, rs->resume_epoch,
                      err) != 0)
        return -1;
    if (rs->msg)
        print_banner(rs->msg, cfg, ds, t, rs->out, rs->log_path, rs->resume_epoch);
    rs->ev = eval_open(cfg, ds, t, rs->msg);
    t->interrupt = rs->interrupt;
    /* from here a signal sets *interrupt and the run stops at the next safe
     * point, but for the stretches that may block (exit_now around them) */
    exit_now(rs->sig, 0);
    if (cfg->log_every > 0) {
        if (step_log_open(&rs->stl, rs->out, cfg->log_every, cfg->resume_path ? t->step : -1,
                          err) != 0)
            return -1;
        t->on_step = step_log_add;
        t->on_step_ctx = &rs->stl;
    }
    rs->sl.epochs = cfg->epochs;
    rs->sl.steps = (ds->count + (uint32_t)cfg->batch - 1) / (uint32_t)cfg->batch;
    if (rs->msg && isatty(fileno(rs->msg))) {
        rs->sl.out = rs->msg;
        t->progress = status_draw;
        t->progress_ctx = &rs->sl;
        t->progress_every = 0.25;
    }
    return 0;
}

/* Phase 2, per epoch: the steps (or what is left of them after a resume).
 * Stopped by a signal: a checkpoint of exactly there, GAN_RUN_INTERRUPTED. */
static int run_train_epoch(run_state *rs, int e, gan_epoch_stats *es, double *secs, gan_err *err)
{
    gan_trainer *t = &rs->t;
    double t0 = now_seconds();
    rs->sl.t0 = t0;
    rs->sl.pos0 = t->pos;
    t->progress_last = t0;
    int why = gan_trainer_epoch(t, &rs->ds, es);
    *secs = now_seconds() - t0;
    status_clear(&rs->sl);
    if (rs->stl.f && (fflush(rs->stl.f) != 0 || rs->stl.failed))
        return gan_err_set(err, "%s/steps.csv: write failed: %s", rs->out, strerror(errno));
    if (rs->sl.pos0 == 0)
        rs->sl.secs_per_epoch = *secs;
    if (why != GAN_EPOCH_NONFINITE && !params_finite(t)) {
        /* a loss can stay finite (BCE clamps) while a weight is not */
        why = GAN_EPOCH_NONFINITE;
        t->bad_step = t->step;
    }
    if (why == GAN_EPOCH_NONFINITE) {
        int saved = e > 1 || rs->cfg.resume_path;
        return gan_err_set(err, "epoch %d, step %ld: a loss or parameter is not finite (NaN or "
                           "Inf); stopped%s%s", e, t->bad_step,
                           saved ? ", the last good checkpoint is kept: " : " before any checkpoint",
                           saved ? rs->ckpt_path : "");
    }
    if (why == GAN_EPOCH_INTERRUPTED) {
        /* between two steps: a checkpoint of exactly here */
        if (gan_checkpoint_save(t, &rs->cfg, (int)rs->ds.rows, (int)rs->ds.cols, rs->ckpt_path,
                                err) != 0)
            return -1;
        if (rs->msg) {
            fprintf(rs->msg, "interrupted in epoch %d after step %ld; ", e, t->step);
            print_resume_hint(rs->msg, &rs->cfg, rs->ckpt_path);
        }
        return GAN_RUN_INTERRUPTED;
    }
    return 0;
}

/* Phase 3, per finished epoch: the grid and timeline, the evaluation, the CSV
 * row, then the checkpoint (a crash before the checkpoint is replaced redoes
 * this epoch, and resuming drops its row), the epoch's lines; then whether to
 * stop (--patience, a signal, the reader of --log - gone). */
static int run_epoch_outputs(run_state *rs, int e, const gan_epoch_stats *es, double secs,
                             gan_err *err)
{
    gan_config *cfg = &rs->cfg;
    gan_trainer *t = &rs->t;
    int rows = (int)rs->ds.rows, cols = (int)rs->ds.cols;
    FILE *msg = rs->msg;
    if (write_grid(t, cfg, rows, cols, rs->out, e, rs->img, &rs->tl, err) != 0)
        return -1;
    char r1col[32] = "", evcols[160];
    gan_eval_result er;
    double te = now_seconds();
    int evaluated = 0;
    if (!(rs->interrupt && *rs->interrupt)) { /* a stop asked for skips the evaluation */
        exit_now(rs->sig, 1);
        evaluated = eval_epoch(rs->ev, cfg, t, e, rs->best_path, rows, cols, evcols,
                               sizeof evcols, &er, err);
        exit_now(rs->sig, 0);
    }
    if (evaluated < 0)
        return -1;
    te = now_seconds() - te;
    if (!evaluated)
        snprintf(evcols, sizeof evcols, ",,,,,");
    if (es->r1_steps)
        snprintf(r1col, sizeof r1col, "%.6f", es->r1);
    exit_now(rs->sig, rs->log == rs->csv_stdout); /* a stream's reader may stall */
    int wrote = fprintf(rs->log, "%d,%ld,%.6f,%.6f,%.6f,%.6f,%.3f,%s,%s\n", e, t->step,
                        es->loss_d, es->loss_g, es->d_real, es->d_fake, secs, r1col,
                        evcols) >= 0 && fflush(rs->log) == 0;
    int werr = errno;
    exit_now(rs->sig, 0);
    if (!wrote && rs->log == rs->csv_stdout && werr == EPIPE) {
        /* the reader of --log - has gone: keep the epoch, then stop */
        if (gan_checkpoint_save(t, cfg, rows, cols, rs->ckpt_path, err) != 0)
            return -1;
        if (msg) {
            fprintf(msg, "standard output closed by its reader after epoch %d; ", e);
            print_resume_hint(msg, cfg, rs->ckpt_path);
        }
        return GAN_RUN_PIPE_CLOSED;
    }
    if (!wrote)
        return gan_err_set(err, "%s: write failed: %s", rs->log_path, strerror(werr));
    if (gan_checkpoint_save(t, cfg, rows, cols, rs->ckpt_path, err) != 0)
        return -1;
    summary_add(&rs->sm, e, t->step, es->loss_d, es->loss_g, secs, evaluated ? er.fid : -1.0);
    if (msg)
        fprintf(msg, "Epoch [%d/%d] Loss D: %.4f, Loss G: %.4f  (%.2f s, %.0f samples/s)\n", e,
                cfg->epochs, es->loss_d, es->loss_g, secs,
                rs->ds.count / (secs > 0 ? secs : 1e-9));
    if (msg && evaluated)
        fprintf(msg, "          FID %.2f%s, %d classes, IS %.2f, precision %.3f, recall %.3f  "
                "(%.2f s)\n", er.fid, t->track.best_epoch == e ? " (best so far: best.gan)" : "",
                er.classes_covered, er.inception_score, er.precision, er.recall, te);
    if (evaluated && cfg->patience > 0 && t->track.since_best >= cfg->patience &&
        e < cfg->epochs) {
        if (msg)
            fprintf(msg, "stopped early after epoch %d: %d evaluations without a better FID "
                    "than %.2f (epoch %d, %s); --patience %d\n", e, t->track.since_best,
                    t->track.best_fid, t->track.best_epoch, rs->best_path, cfg->patience);
        return RUN_STOPPED_EARLY;
    }
    if (rs->interrupt && *rs->interrupt && e < cfg->epochs) {
        if (msg) {
            fprintf(msg, "interrupted after epoch %d; ", e);
            print_resume_hint(msg, cfg, rs->ckpt_path);
        }
        return GAN_RUN_INTERRUPTED;
    }
    return 0;
}

/* Phase 4: the summary and the last line of a finished run, then every file
 * closed (a failed close is an error) and everything freed. */
static int run_close(run_state *rs, int rc, int finished, gan_err *err)
{
    FILE *msg = rs->msg;
    if (finished && msg && rs->sm.epochs > 0)
        summary_print(msg, &rs->sm, &rs->t, rs->ds.count, rs->out, rs->log_path, rs->t.epoch);
    if (finished && msg) {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0)
            fprintf(msg, "done: %s (peak memory %.1f MB)\n", rs->out,
                    (double)ru.ru_maxrss / 1024.0);
        else
            fprintf(msg, "done: %s\n", rs->out);
    }
    if (rs->stl.f && fclose(rs->stl.f) != 0 && rc >= 0)
        rc = gan_err_set(err, "%s/steps.csv: write failed: %s", rs->out, strerror(errno));
    if (rs->log && rs->log != rs->csv_stdout && fclose(rs->log) != 0 && rc >= 0)
        rc = gan_err_set(err, "%s: write failed: %s", rs->log_path, strerror(errno));
    free(rs->img);
    free(rs->ck_data);
    timeline_free(&rs->tl);
    gan_evaluator_free(rs->ev);
    gan_trainer_free(&rs->t);
    gan_dataset_free(&rs->ds);
    return rc;
}

int gan_run(const gan_config *cfg_in, FILE *msg, FILE *csv_stdout, const gan_signals *sig,
            gan_err *err)
{
    run_state *rs = calloc(1, sizeof *rs);
    if (!rs)
        return gan_err_set(err, "out of memory");
    rs->msg = msg;
    rs->csv_stdout = csv_stdout;
    rs->sig = sig;
    rs->interrupt = sig ? sig->stop : NULL;
    int rc = run_open(rs, cfg_in, err), finished = 0;
    if (rc == RUN_NOTHING_TO_DO) {
        rc = 0;
    } else if (rc == 0) {
        for (int e = rs->t.epoch + 1; e <= rs->cfg.epochs && rc == 0; e++) {
            gan_epoch_stats es;
            double secs;
            rc = run_train_epoch(rs, e, &es, &secs, err);
            if (rc == 0)
                rc = run_epoch_outputs(rs, e, &es, secs, err);
        }
        if (rc == RUN_STOPPED_EARLY)
            rc = 0;
        finished = rc == 0;
    }
    rc = run_close(rs, rc, finished, err);
    free(rs);
    return rc;
}

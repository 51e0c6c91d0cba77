/*
 * run.c: gan_run, the whole job: data, output folder, epochs, grids, CSV.
 *
 * Output policy: a run never overwrites an earlier one. Without --out, each
 * run gets the next numbered folder runs/001, runs/002, ... (one more than the
 * highest there). With --out DIR, DIR is created if missing; if it already
 * holds a run (losses.csv or samples/) it is refused unless --force. A --log
 * FILE that exists is refused unless --force. Sample PNGs are written to a
 * temporary name and renamed, so a crash never leaves a half-written PNG.
 */
#define _POSIX_C_SOURCE 200809L
#include "gan_train.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "gan_image.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* mkdir -p: creates path and its missing parents. */
static int make_dirs(const char *path, gan_err *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return gan_err_set(err, "%s: bad folder name", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return gan_err_set(err, "%s: cannot create folder: %s", buf, strerror(errno));
        struct stat st;
        if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
            return gan_err_set(err, "%s: exists and is not a folder", buf);
        buf[i] = c;
    }
    return 0;
}

static int path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Creates runs/NNN, one more than the highest number there. */
static int make_numbered_run(char *out, size_t len, gan_err *err)
{
    if (make_dirs("runs", err) != 0)
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

static int prepare_out(const gan_config *cfg, char *out, size_t len, gan_err *err)
{
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
    return make_dirs(out, err);
}

static int open_log(const gan_config *cfg, const char *out, FILE *csv_stdout, FILE **log,
                    char *path, size_t len, gan_err *err)
{
    if (cfg->log_path && strcmp(cfg->log_path, "-") == 0) {
        *log = csv_stdout;
        snprintf(path, len, "standard output");
        return 0;
    }
    if (cfg->log_path)
        snprintf(path, len, "%s", cfg->log_path);
    else
        snprintf(path, len, "%s/losses.csv", out);
    /* "x": C11 exclusive create, so an existing log is never truncated */
    *log = fopen(path, cfg->force ? "w" : "wx");
    if (!*log) {
        if (errno == EEXIST)
            return gan_err_set(err, "%s: exists; choose another --log or add --force", path);
        return gan_err_set(err, "%s: cannot create: %s", path, strerror(errno));
    }
    return 0;
}

static int write_grid(gan_trainer *t, const gan_config *cfg, int rows, int cols, const char *out,
                      int epoch, uint8_t *img, gan_err *err)
{
    int n = cfg->grid * cfg->grid, w, h;
    char path[4200];
    gan_trainer_generate(t, t->samples, t->fixed_z, n);
    gan_grid_size(n, cfg->grid, rows, cols, cfg->png_scale, &w, &h);
    gan_grid_draw(img, t->samples, n, cfg->grid, rows, cols, cfg->png_scale);
    snprintf(path, sizeof path, "%s/samples/epoch-%03d.png", out, epoch);
    return gan_png_write(path, img, w, h, err);
}

int gan_run(const gan_config *cfg, FILE *msg, FILE *csv_stdout, gan_err *err)
{
    gan_dataset ds;
    if (gan_dataset_load(&ds, cfg->data_dir, "train", err) != 0)
        return -1;
    int rc = -1, pixels = (int)(ds.rows * ds.cols), w, h;
    FILE *log = NULL;
    uint8_t *img = NULL;
    gan_trainer t;
    memset(&t, 0, sizeof t);
    char out[4096], log_path[4200], samples[4200];
    if (ds.rows > 4096 || ds.cols > 4096) {
        gan_err_set(err, "%s: images of %u x %u pixels are larger than this model takes (4096 x 4096)",
                    cfg->data_dir, ds.rows, ds.cols);
        goto done;
    }
    if (prepare_out(cfg, out, sizeof out, err) != 0)
        goto done;
    snprintf(samples, sizeof samples, "%s/samples", out);
    if (make_dirs(samples, err) != 0 ||
        open_log(cfg, out, csv_stdout, &log, log_path, sizeof log_path, err) != 0)
        goto done;
    if (gan_trainer_init(&t, cfg, pixels, ds.count, err) != 0)
        goto done;
    gan_grid_size(cfg->grid * cfg->grid, cfg->grid, (int)ds.rows, (int)ds.cols, cfg->png_scale, &w, &h);
    img = malloc((size_t)w * h);
    if (!img) {
        gan_err_set(err, "out of memory for a %d x %d sample grid", w, h);
        goto done;
    }

    int steps = (int)((ds.count + (uint32_t)cfg->batch - 1) / (uint32_t)cfg->batch);
    const char *act = cfg->slope > 0.0f ? "leaky" : "relu";
    if (msg) {
        fprintf(msg, "gan-train %s\n", GAN_VERSION);
        fprintf(msg, "data:     %s: %u training images of %u x %u, scaled to [-1, 1]\n",
                cfg->data_dir, ds.count, ds.rows, ds.cols);
        fprintf(msg, "model:    G %d-%d-%d-%d (%s, tanh), D %d-%d-%d-1 (%s, sigmoid); %zu + %zu parameters\n",
                cfg->z_dim, cfg->hidden, cfg->hidden, pixels, act, pixels, cfg->hidden,
                cfg->hidden, act, t.G.nparams, t.D.nparams);
        if (cfg->slope > 0.0f)
            fprintf(msg, "          LeakyReLU negative slope %g\n", cfg->slope);
        fprintf(msg, "training: %d epochs x %d steps, batch %d, Adam lr %g betas (%g, %g), seed %llu, %d thread%s\n",
                cfg->epochs, steps, cfg->batch, cfg->lr, cfg->beta1, cfg->beta2,
                (unsigned long long)cfg->seed, cfg->threads, cfg->threads == 1 ? "" : "s");
        fprintf(msg, "output:   %s (samples/epoch-NNN.png, %dx%d grid); loss log: %s\n", out,
                cfg->grid, cfg->grid, log_path);
    }
    if (fprintf(log, "epoch,steps,loss_d,loss_g,d_real,d_fake,seconds\n") < 0 || fflush(log) != 0) {
        gan_err_set(err, "%s: write failed: %s", log_path, strerror(errno));
        goto done;
    }
    for (int e = 1; e <= cfg->epochs; e++) {
        double t0 = now_seconds();
        gan_epoch_stats es;
        gan_trainer_epoch(&t, &ds, &es);
        double secs = now_seconds() - t0;
        if (write_grid(&t, cfg, (int)ds.rows, (int)ds.cols, out, e, img, err) != 0)
            goto done;
        if (fprintf(log, "%d,%ld,%.6f,%.6f,%.6f,%.6f,%.3f\n", e, t.step, es.loss_d, es.loss_g,
                    es.d_real, es.d_fake, secs) < 0 ||
            fflush(log) != 0) {
            gan_err_set(err, "%s: write failed: %s", log_path, strerror(errno));
            goto done;
        }
        if (msg)
            fprintf(msg, "Epoch [%d/%d] Loss D: %.4f, Loss G: %.4f  (%.2f s, %.0f samples/s)\n", e,
                    cfg->epochs, es.loss_d, es.loss_g, secs, ds.count / (secs > 0 ? secs : 1e-9));
    }
    if (msg) {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0)
            fprintf(msg, "done: %s (peak memory %.1f MB)\n", out, (double)ru.ru_maxrss / 1024.0);
        else
            fprintf(msg, "done: %s\n", out);
    }
    rc = 0;
done:
    if (log && log != csv_stdout && fclose(log) != 0 && rc == 0)
        rc = gan_err_set(err, "%s: write failed: %s", log_path, strerror(errno));
    free(img);
    gan_trainer_free(&t);
    gan_dataset_free(&ds);
    return rc;
}

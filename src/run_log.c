/*
 * run_log.c: a run's logs. The CSV loss log (a row per epoch; on resume its
 * rows after the checkpoint dropped and an older gan-train's header
 * upgraded), OUT/steps.csv (--log-every N: means every N steps), and the
 * end-of-run summary read from them.
 */
#define _POSIX_C_SOURCE 200809L
#include "gan_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan_file.h"

/* The columns of version 1 first (so pipes made for them keep working),
 * then the penalty's mean, the evaluation and wgan-gp's Wasserstein estimate
 * (empty where not computed). */
#define CSV_HEADER_V1 "epoch,steps,loss_d,loss_g,d_real,d_fake,seconds\n"
#define CSV_HEADER_V2                                                                \
    "epoch,steps,loss_d,loss_g,d_real,d_fake,seconds,r1,fid,classes,kl_uniform,is,"  \
    "precision,recall\n"
#define CSV_HEADER_V3                                                                \
    "epoch,steps,loss_d,loss_g,d_real,d_fake,seconds,r1,fid,classes,kl_uniform,is,"  \
    "precision,recall,wasserstein\n"
#define CSV_HEADER                                                                   \
    "epoch,steps,loss_d,loss_g,d_real,d_fake,seconds,r1,fid,classes,kl_uniform,is,"  \
    "precision,recall,wasserstein,class_acc,class_worst,intra_fid\n"

/* An older gan-train's header: how many empty columns its rows need. */
static int old_header_pad(const char *line)
{
    return strcmp(line, CSV_HEADER_V1) == 0   ? 11
           : strcmp(line, CSV_HEADER_V2) == 0 ? 4
           : strcmp(line, CSV_HEADER_V3) == 0 ? 3
                                              : 0;
}

/* Appends `pad` empty columns to a row (ending in a newline) in place. */
static void pad_row(char *line, size_t cap, int pad)
{
    size_t k = strlen(line);
    if (pad > 0 && k > 0 && line[k - 1] == '\n' && k + (size_t)pad < cap)
        snprintf(line + k - 1, cap - (k - 1), "%.*s\n", pad, ",,,,,,,,,,,,,,,,");
}

void gan_summary_add(gan_run_summary *sm, int epoch, long steps, double loss_d,
                     double loss_g, double secs, double fid /* < 0: none */)
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
static void summary_add_row(gan_run_summary *sm, const char *line)
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
    gan_summary_add(sm, e, steps, ld, lg, secs, fid);
    for (int k = 8; k < 15 && p; k++) { /* the 16th: class_acc, then class_worst, intra_fid */
        p = strchr(p, ',');
        if (p)
            p++;
    }
    double acc, worst;
    if (p && sscanf(p, "%lf,%lf", &acc, &worst) == 2) {
        const char *q = strchr(strchr(p, ',') + 1, ',');
        sm->last_acc = acc;
        sm->last_worst = worst;
        sm->last_intra = q && q[1] && q[1] != '\n' ? strtod(q + 1, NULL) : -1.0;
        sm->last_cls_e = e;
    }
}

void gan_summary_print(FILE *msg, const gan_run_summary *sm, const gan_trainer *t,
                       uint32_t count, const char *out, const char *log_path, int grids)
{
    static const char *const names[2] = {"loss_d", "loss_g"};
    char dur[32];
    gan_fmt_duration(dur, sizeof dur, sm->secs);
    fprintf(msg, "summary:  %d epoch%s, %ld steps, %s of training (%.0f samples/s)\n", sm->epochs,
            sm->epochs == 1 ? "" : "s", sm->steps, dur, sm->secs > 0 ? (double)sm->epochs * count / sm->secs : 0.0);
    for (int k = 0; k < 2; k++)
        fprintf(msg, "          %s: min %.4f (epoch %d), max %.4f (epoch %d), last %.4f\n",
                names[k], sm->min[k], sm->min_e[k], sm->max[k], sm->max_e[k], sm->last[k]);
    if (t->track.best_epoch > 0)
        fprintf(msg, "          FID: best %.2f (epoch %d, best.gan), last %.2f (epoch %d)\n",
                t->track.best_fid, t->track.best_epoch, sm->last_fid, sm->last_fid_e);
    if (sm->last_cls_e > 0) {
        fprintf(msg, "          classes: %.1f%% read as asked, worst class %.1f%%", 100.0 * sm->last_acc,
                100.0 * sm->last_worst);
        if (sm->last_intra >= 0)
            fprintf(msg, ", intra-FID %.2f", sm->last_intra);
        fprintf(msg, " (epoch %d)\n", sm->last_cls_e);
    }
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
 * gan-train (CSV_HEADER_V1, _V2 or _V3) gets today's header, its rows empty new
 * columns. */
static int keep_csv_rows(const char *path, int epochs, gan_run_summary *sm, gan_err *err)
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
    int n = 0, rc = 1, pad = 0;
    while (n <= epochs && fgets(line, sizeof line, f)) {
        if (n == 0 && (pad = old_header_pad(line)) > 0) {
            snprintf(line, sizeof line, "%s", CSV_HEADER);
        } else if (n == 0 && strcmp(line, CSV_HEADER) != 0) {
            rc = gan_err_set(err, "%s: not a gan-train loss log (header differs)", path);
            break;
        } else if (n > 0) {
            summary_add_row(sm, line);
            pad_row(line, sizeof line, pad);
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

int gan_run_log_open(const gan_config *cfg, const char *out, int resume_epoch, FILE *csv_stdout,
                     FILE **log, char *path, size_t len, gan_run_summary *sm, gan_err *err)
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

/* steps.csv (before wgan-gp: without the last column) */
#define STEPS_HEADER_V1 "step,epoch,loss_d,loss_g,d_real,d_fake,r1\n"
#define STEPS_HEADER "step,epoch,loss_d,loss_g,d_real,d_fake,r1,wasserstein\n"
void gan_step_log_add(void *ctx, long step, int epoch, const gan_step_stats *st)
{
    gan_step_log *sl = ctx;
    sl->acc.n++;
    sl->acc.loss_d += st->loss_d;
    sl->acc.d_real += st->d_real;
    sl->acc.d_fake += st->d_fake;
    sl->acc.wass += st->wass;
    if (st->g_done) {
        sl->acc.g_n++;
        sl->acc.loss_g += st->loss_g;
    }
    if (st->r1_done) {
        sl->acc.r1_n++;
        sl->acc.r1 += st->r1;
    }
    if (sl->acc.n < sl->every)
        return;
    /* loss_g over the steps with a G step, the penalty over those with it:
     * empty where the rows' steps had none */
    int n = sl->acc.n;
    char r1[32] = "", lg[32] = "", w[32] = "";
    if (sl->acc.r1_n)
        snprintf(r1, sizeof r1, "%.6f", sl->acc.r1 / sl->acc.r1_n);
    if (sl->acc.g_n)
        snprintf(lg, sizeof lg, "%.6f", sl->acc.loss_g / sl->acc.g_n);
    if (sl->wass)
        snprintf(w, sizeof w, "%.6f", sl->acc.wass / n);
    if (fprintf(sl->f, "%ld,%d,%.6f,%s,%.6f,%.6f,%s,%s\n", step, epoch, sl->acc.loss_d / n, lg,
                sl->acc.d_real / n, sl->acc.d_fake / n, r1, w) < 0)
        sl->failed = 1;
    memset(&sl->acc, 0, sizeof sl->acc);
}

int gan_step_log_open(gan_step_log *sl, const char *out, int every, int wass, long upto,
                      gan_err *err)
{
    memset(sl, 0, sizeof *sl);
    sl->every = every;
    sl->wass = wass;
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
    int first = 1, pad = 0;
    while (rc == 0 && old && fgets(line, sizeof line, old)) {
        if (first) {
            first = 0;
            pad = strcmp(line, STEPS_HEADER_V1) == 0; /* an older gan-train's */
            if (!pad && strcmp(line, STEPS_HEADER) != 0)
                break; /* not ours: start afresh */
            continue;
        }
        pad_row(line, sizeof line, pad);
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


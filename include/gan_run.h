/*
 * gan_run.h: the parts of a training run that gan_run (run.c, the phases)
 * puts together, a file each: the output folder (run_dir.c), the logs and
 * the summary read from them (run_log.c), what the person watching sees
 * (run_report.c) and the timeline image (timeline.c).
 */
#ifndef GAN_RUN_H
#define GAN_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "gan_common.h"
#include "gan_eval.h"
#include "gan_idx.h"
#include "gan_train.h"

/* ---- the output folder (run_dir.c) ---- */

/** The run's folder into out: the checkpoint's folder on resume, --out
 *  (refused where it holds a run, unless --force, which clears that run's own
 *  outputs), or the next free runs/NNN; created with its parents. */
int gan_run_dir_prepare(const gan_config *cfg, char *out, size_t len, gan_err *err);

/* ---- the logs (run_log.c) ---- */

/** The end-of-run summary: extremes and last values of the losses with their
 *  epochs, the last FID, the training time, over every epoch of the run (a
 *  resumed run's earlier epochs come from its CSV). */
typedef struct {
    int epochs;                  /* rows seen */
    long steps;
    double secs;                 /* sum of the epochs' training seconds */
    double min[2], max[2], last[2];
    int min_e[2], max_e[2];
    double last_fid;
    int last_fid_e;
    double last_acc, last_worst, last_intra; /* a conditional G's last evaluation */
    int last_cls_e;                         /* its epoch (0: none); intra < 0: none */
} gan_run_summary;

void gan_summary_add(gan_run_summary *sm, int epoch, long steps, double loss_d, double loss_g,
                     double secs, double fid /* < 0: none */);
/** The evaluation's class line of a conditional G: read as asked, the worst
 *  class by name, the intra-class FID. */
void gan_class_line(FILE *msg, const gan_eval_result *r, const char *names);
/** The summary's lines and the run's files (grids: how many epoch grids). */
void gan_summary_print(FILE *msg, const gan_run_summary *sm, const gan_trainer *t,
                       uint32_t count, const char *out, const char *log_path, int grids);

/** Opens the CSV loss log (OUT/losses.csv, --log FILE, or csv_stdout for
 *  --log -) and writes its header; on resume (resume_epoch >= 0) keeps the
 *  header and the rows of the checkpoint's epochs, read into sm. path gets
 *  the log's name for messages. */
int gan_run_log_open(const gan_config *cfg, const char *out, int resume_epoch, FILE *csv_stdout,
                     FILE **log, char *path, size_t len, gan_run_summary *sm, gan_err *err);

/** OUT/steps.csv (--log-every N): a row of means over every N steps, for
 *  curves finer than an epoch. */
typedef struct {
    FILE *f;
    int every, failed;
    int wass;  /* a Wasserstein column to fill (wgan-gp) */
    struct {
        int n, r1_n, g_n;
        double loss_d, loss_g, d_real, d_fake, r1, wass;
    } acc; /* sums over the steps since the last row */
} gan_step_log;

/** Opens OUT/steps.csv: a new one, or on resume (upto >= 0) the old one
 *  without rows after step `upto` (steps the checkpoint does not have);
 *  wass: the loss has a Wasserstein estimate to log (wgan-gp). */
int gan_step_log_open(gan_step_log *sl, const char *out, int every, int wass, long upto,
                      gan_err *err);
/** The trainer's on_step hook (ctx: a gan_step_log); a failed write sets
 *  sl->failed. */
void gan_step_log_add(void *ctx, long step, int epoch, const gan_step_stats *st);

/* ---- what the person watching sees (run_report.c) ---- */

/** s seconds as M:SS or H:MM:SS. */
void gan_fmt_duration(char *buf, size_t len, double s);
/** The start banner: the resolved settings, the data, the kernel, the outputs. */
void gan_run_banner(FILE *msg, const gan_config *cfg, const gan_dataset *ds,
                    const gan_trainer *t, const char *out, const char *log_path,
                    int resume_epoch);
/** After a stop: where the checkpoint is and the command that continues. */
void gan_resume_hint(FILE *msg, const gan_config *cfg, const char *ckpt_path);

/** The live status line: on a terminal only, redrawn in place 4 times a
 *  second while an epoch runs, cleared before the epoch's line. */
typedef struct {
    FILE *out;            /* NULL: none */
    int epochs;
    uint32_t steps;       /* steps an epoch */
    uint32_t pos0;        /* batches done when this stretch of the epoch began */
    double t0;            /* and when */
    double secs_per_epoch;/* of the last whole epoch (0: none yet) */
} gan_status_line;

/** The trainer's progress hook (ctx: a gan_status_line). */
void gan_status_draw(void *ctx, const gan_trainer_view *v);
void gan_status_clear(const gan_status_line *sl);

/* ---- OUT/progress.png (timeline.c) ---- */

/* The timeline: one row per epoch of the first GAN_TIMELINE_PER fixed-noise
 * samples (those of the grids; in a conditional run, one per class shown, the
 * grid's first column), laid out as a grid; rewritten atomically
 * after every epoch. Runs of more than GAN_TIMELINE_ROWS epochs get a row
 * every `stride` epochs, so the image (and the cost of writing it) stays
 * bounded. A resumed run takes the rows of its earlier epochs back from the
 * file (they are its pixels exactly); where the file is missing or of
 * another size they stay black. */
#define GAN_TIMELINE_PER 8
#define GAN_TIMELINE_ROWS 100
typedef struct {
    int per, rows, cols, channels, scale, epochs, stride;
    int pick;     /* a row takes samples 0, pick, 2 pick, ... of the grid's */
    uint8_t *px;  /* (epochs, per, rows * cols * channels) pixel values */
    uint8_t *img; /* the image of all epochs */
    char path[4200];
} gan_timeline;

int gan_timeline_init(gan_timeline *tl, const gan_config *cfg, int rows, int cols, int channels,
                      const char *out, int resume_epoch, gan_err *err);
/** Takes epoch's row (if it has one) from samples (the grids' samples,
 *  (>= per, rows * cols * channels)) and rewrites the file with the rows so far. */
int gan_timeline_add(gan_timeline *tl, const float *samples, int epoch, gan_err *err);
void gan_timeline_free(gan_timeline *tl);

#endif

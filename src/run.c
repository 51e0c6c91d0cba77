/*
 * run.c: gan_run, the whole job, as its phases: run_open (checkpoint, data,
 * folder, trainer, logs, images, banner, evaluator, hooks), then per epoch
 * run_train_epoch (the steps) and run_epoch_outputs (grid, evaluation, CSV
 * row, checkpoint, stops), and run_close. The parts it puts together are in
 * gan_run.h: the folder (run_dir.c), the logs (run_log.c), the report
 * (run_report.c), the timeline (timeline.c). PNGs, logs and checkpoints are
 * written to a temporary name and renamed, so a crash never leaves a
 * half-written one.
 */
#define _POSIX_C_SOURCE 200809L
#include "gan_run.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "gan_checkpoint.h"
#include "gan_eval.h"
#include "gan_file.h"
#include "gan_image.h"
#include "gan_safetensors.h"

static int write_grid(gan_trainer *t, const gan_config *cfg, const gan_dataset *ds,
                      const char *out, int epoch, uint8_t *img, gan_timeline *tl, gan_err *err)
{
    int w, h, rows = (int)ds->rows, cols = (int)ds->cols, ch = (int)ds->channels;
    char path[4200];
    int n = gan_trainer_grid(t);
    if (gan_timeline_add(tl, t->samples, epoch, err) != 0)
        return -1;
    gan_grid_size(n, cfg->grid, rows, cols, cfg->png_scale, &w, &h);
    gan_grid_draw(img, t->samples, n, cfg->grid, rows, cols, ch, cfg->png_scale);
    snprintf(path, sizeof path, "%s/samples/epoch-%03d.png", out, epoch);
    return gan_png_write(path, img, w, h, ch, err);
}

/* The trainer's checkpoint at path, with the data's image shape. */
static int save_checkpoint(const gan_trainer *t, const gan_config *cfg, const gan_dataset *ds,
                           const char *path, gan_err *err)
{
    return gan_checkpoint_save(t, cfg, (int)ds->rows, (int)ds->cols, (int)ds->channels, path, err);
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
        {GAN_SET_LOSS, "--loss", given->loss != ck->loss},
        {GAN_SET_EMA, "--ema", given->ema != ck->ema},
        {GAN_SET_GP, "--gp", given->gp != ck->gp},
        {GAN_SET_N_CRITIC, "--n-critic", given->n_critic != ck->n_critic},
        {GAN_SET_COND, "--conditional", given->conditional != ck->conditional},
        {GAN_SET_COND_D, "--cond-d", given->cond_d != ck->cond_d},
        {GAN_SET_COND_G, "--cond-g", given->cond_g != ck->cond_g},
        {GAN_SET_AC_WEIGHT, "--ac-weight", given->ac_weight != ck->ac_weight},
        {GAN_SET_PRECISION, "--precision", given->precision != ck->precision},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++)
        if ((given->set & c[i].flag) && c[i].differs)
            return gan_err_set(err, "%s: %s differs from the checkpoint's; a resumed run keeps its "
                               "settings (leave the option out)", path, c[i].name);
    return 0;
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
    int rc = gan_evaluator_make(&ev, &ec, (int)ds->rows, (int)ds->cols, (int)ds->channels,
                                cfg->z_dim, t->pool, msg,
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
    /* a resumed run's best FID counts only if this measure scored it */
    if (t->track.best_epoch > 0 && t->track.scorer != gan_evaluator_id(ev)) {
        if (msg)
            fprintf(msg, "eval:     the checkpoint's best FID %.2f (epoch %d) is from another "
                    "classifier or sample count; the best FID starts afresh\n",
                    t->track.best_fid, t->track.best_epoch);
        t->track.best_epoch = 0;
        t->track.since_best = 0;
        t->track.best_fid = 0.0;
        t->track.scorer = 0;
    }
    return ev;
}

/* The CSV's class columns of a conditional G's evaluation (empty without):
 * class_acc, class_worst, intra_fid (empty where it could not be taken). */
static void class_cols(const gan_eval_result *r, char *buf, size_t len)
{
    if (!r || !r->conditional) {
        snprintf(buf, len, ",,");
        return;
    }
    char intra[32] = "";
    if (r->intra_fid >= 0)
        snprintf(intra, sizeof intra, "%.4f", r->intra_fid);
    snprintf(buf, len, "%.4f,%.4f,%s", r->class_acc, r->class_worst, intra);
}

/* After epoch e: whether to evaluate, and if so the measures (CSV columns
 * in cols), the track of the best FID, and OUT/best.gan when it improved. */
static int eval_epoch(gan_evaluator *ev, const gan_config *cfg, gan_trainer *t, int e,
                      const char *best_path, const gan_dataset *ds, char *cols, size_t len,
                      gan_eval_result *r, gan_err *err)
{
    cols[0] = '\0';
    if (!ev || (e % cfg->eval_every != 0 && e != cfg->epochs))
        return 0;
    if (gan_evaluate(ev, gan_trainer_sampler(t), r, err) != 0)
        return -1;
    snprintf(cols, len, "%.4f,%d,%.5f,%.4f,%.4f,%.4f", r->fid, r->classes_covered, r->kl_uniform,
             r->inception_score, r->precision, r->recall);
    t->track.evals++;
    if (t->track.best_epoch == 0 || r->fid < t->track.best_fid) {
        t->track.best_fid = r->fid;
        t->track.best_epoch = e;
        t->track.since_best = 0;
        t->track.scorer = gan_evaluator_id(ev);
        if (save_checkpoint(t, cfg, ds, best_path, err) != 0)
            return -1;
    } else {
        t->track.since_best++;
    }
    return 1;
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
    char *class_names;           /* conditional: the data's (gan_classes_load) */
    gan_trainer t;
    gan_evaluator *ev;           /* NULL: no evaluation */
    FILE *log;
    uint8_t *img;                /* the sample grid */
    gan_timeline tl;
    gan_run_summary sm;
    gan_step_log stl;                /* OUT/steps.csv, with --log-every */
    gan_status_line sl;
    char out[4096], log_path[4200], ckpt_path[4200], best_path[4200];
} run_state;

/* Returns from the phases beside 0, -1 and GAN_RUN_*: */
enum { RUN_NOTHING_TO_DO = 10, RUN_STOPPED_EARLY = 11 };

/* The training data of the run, checked against the model's limits and a
 * resumed checkpoint. */
static int load_data(run_state *rs, gan_err *err)
{
    gan_config *cfg = &rs->cfg;
    gan_dataset *ds = &rs->ds;
    if (gan_dataset_load(ds, cfg->data_dir, "train", (uint32_t)cfg->limit,
                         GAN_DATA_LABELS_OPTIONAL, err) != 0) {
        if (!(cfg->set & GAN_SET_DATA) && !cfg->data_installed) {
            char m[sizeof err->msg];
            snprintf(m, sizeof m, "%s", err->msg);
            gan_err_set(err, "%s (no installed copy either; --data DIR names a data folder)", m);
        }
        return -1;
    }
    if (ds->rows > 4096 || ds->cols > 4096)
        return gan_err_set(err, "%s: images of %u x %u pixels are larger than this model takes "
                           "(4096 x 4096)", cfg->data_dir, ds->rows, ds->cols);
    if (cfg->conditional) {
        int k;
        if (gan_classes_load(ds, cfg->data_dir, &k, &rs->class_names, err) != 0)
            return -1;
        if (cfg->resume_path && k != cfg->classes)
            return gan_err_set(err, "%s: the checkpoint was trained on %d classes, %s has %d",
                               cfg->resume_path, cfg->classes, cfg->data_dir, k);
        cfg->classes = k;
        if (!cfg->resume_path) /* a resumed run keeps its checkpoint's names */
            cfg->class_names = rs->class_names;
    }
    if (cfg->resume_path && (ds->rows != rs->ck.rows || ds->cols != rs->ck.cols ||
                             ds->channels != rs->ck.channels || ds->count != rs->ck.count))
        return gan_err_set(err, "%s: the checkpoint was trained on %u images of %u x %u x %u, %s "
                           "has %u of %u x %u x %u", cfg->resume_path, rs->ck.count, rs->ck.rows,
                           rs->ck.cols, rs->ck.channels, cfg->data_dir, ds->count, ds->rows,
                           ds->cols, ds->channels);
    return 0;
}

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
        gan_checkpoint_config(&rs->ck, rs->ck_data, cfg);
        if (check_resume_conflicts(given, cfg, cfg->resume_path, err) != 0)
            return -1;
        rs->resume_epoch = (int)rs->ck.epoch;
    }
    gan_dataset *ds = &rs->ds;
    if (load_data(rs, err) != 0)
        return -1;
    if (cfg->resume_path && rs->resume_epoch >= cfg->epochs) {
        if (rs->msg)
            fprintf(rs->msg, "%s: already at epoch %d of %d; nothing to do (raise --epochs)\n",
                    cfg->resume_path, rs->resume_epoch, cfg->epochs);
        return RUN_NOTHING_TO_DO;
    }
    char samples[4200];
    if (gan_run_dir_prepare(cfg, rs->out, sizeof rs->out, err) != 0)
        return -1;
    snprintf(samples, sizeof samples, "%s/samples", rs->out);
    snprintf(rs->ckpt_path, sizeof rs->ckpt_path, "%s/checkpoint.gan", rs->out);
    snprintf(rs->best_path, sizeof rs->best_path, "%s/best.gan", rs->out);
    if (gan_make_dirs(samples, err) != 0)
        return -1;
    gan_trainer *t = &rs->t;
    if (gan_trainer_init(t, cfg, (int)gan_dataset_image_size(ds), ds->count, err) != 0)
        return -1;
    if (cfg->resume_path &&
        gan_checkpoint_restore(t, &rs->ck, rs->ck_data, cfg->resume_path, err) != 0)
        return -1;
    if (cfg->init_from && init_from(t, cfg->init_from, err) != 0)
        return -1;
    if (cfg->init_from)
        gan_trainer_ema_reset(t);
    if (gan_run_log_open(cfg, rs->out, rs->resume_epoch, rs->csv_stdout, &rs->log, rs->log_path,
                 sizeof rs->log_path, &rs->sm, err) != 0)
        return -1;
    int w, h;
    gan_grid_size(rs->t.grid_rows * cfg->grid, cfg->grid, (int)ds->rows, (int)ds->cols, cfg->png_scale,
                  &w, &h);
    rs->img = malloc((size_t)w * h * ds->channels);
    if (!rs->img)
        return gan_err_set(err, "out of memory for a %d x %d sample grid", w, h);
    if (gan_timeline_init(&rs->tl, cfg, (int)ds->rows, (int)ds->cols, (int)ds->channels, rs->out,
                          rs->resume_epoch, err) != 0)
        return -1;
    if (rs->msg)
        gan_run_banner(rs->msg, cfg, ds, t, rs->out, rs->log_path, rs->resume_epoch);
    rs->ev = eval_open(cfg, ds, t, rs->msg);
    t->interrupt = rs->interrupt;
    /* from here a signal sets *interrupt and the run stops at the next safe
     * point, but for the stretches that may block (exit_now around them) */
    exit_now(rs->sig, 0);
    if (cfg->log_every > 0) {
        if (gan_step_log_open(&rs->stl, rs->out, cfg->log_every, t->loss->gp,
                              cfg->resume_path ? t->step : -1, err) != 0)
            return -1;
        t->on_step = gan_step_log_add;
        t->on_step_ctx = &rs->stl;
    }
    rs->sl.epochs = cfg->epochs;
    rs->sl.steps = (ds->count + (uint32_t)cfg->batch - 1) / (uint32_t)cfg->batch;
    if (rs->msg && isatty(fileno(rs->msg))) {
        rs->sl.out = rs->msg;
        t->progress = gan_status_draw;
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
    double t0 = gan_now_seconds();
    rs->sl.t0 = t0;
    rs->sl.pos0 = t->pos;
    t->progress_last = t0;
    int why = gan_trainer_epoch(t, &rs->ds, es);
    *secs = gan_now_seconds() - t0;
    gan_status_clear(&rs->sl);
    if (rs->stl.f && (fflush(rs->stl.f) != 0 || rs->stl.failed))
        return gan_err_set(err, "%s/steps.csv: write failed: %s", rs->out, strerror(errno));
    if (rs->sl.pos0 == 0)
        rs->sl.secs_per_epoch = *secs;
    if (t->bf16 && gan_bf16_error(t->bf16, err) != 0)
        return -1; /* no checkpoint of this epoch: the last good one is kept */
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
        if (save_checkpoint(t, &rs->cfg, &rs->ds, rs->ckpt_path, err) != 0)
            return -1;
        if (rs->msg) {
            fprintf(rs->msg, "interrupted in epoch %d after step %ld; ", e, t->step);
            gan_resume_hint(rs->msg, &rs->cfg, rs->ckpt_path);
        }
        return GAN_RUN_INTERRUPTED;
    }
    return 0;
}

/* Epoch e into the summary and onto msg: the losses, and the evaluation r
 * (NULL: none) that took te seconds. */
static void epoch_report(run_state *rs, int e, const gan_epoch_stats *es, double secs,
                         const gan_eval_result *r, double te)
{
    const gan_trainer *t = &rs->t;
    FILE *msg = rs->msg;
    gan_summary_add(&rs->sm, e, t->step, es->loss_d, es->loss_g, secs, r ? r->fid : -1.0);
    if (r && r->conditional) {
        rs->sm.last_acc = r->class_acc;
        rs->sm.last_worst = r->class_worst;
        rs->sm.last_intra = r->intra_fid;
        rs->sm.last_cls_e = e;
    }
    if (!msg)
        return;
    char w[48] = "";
    if (t->loss->gp)
        snprintf(w, sizeof w, ", Wasserstein: %.4f", es->wass);
    fprintf(msg, "Epoch [%d/%d] Loss D: %.4f, Loss G: %.4f%s  (%.2f s, %.0f samples/s)\n", e,
            rs->cfg.epochs, es->loss_d, es->loss_g, w, secs,
            rs->ds.count / (secs > 0 ? secs : 1e-9));
    if (r)
        fprintf(msg, "          FID %.2f%s, %d classes, IS %.2f, precision %.3f, recall %.3f  "
                "(%.2f s)\n", r->fid, t->track.best_epoch == e ? " (best so far: best.gan)" : "",
                r->classes_covered, r->inception_score, r->precision, r->recall, te);
    if (r && r->conditional)
        gan_class_line(msg, r, rs->cfg.class_names);
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
    FILE *msg = rs->msg;
    if (write_grid(t, cfg, &rs->ds, rs->out, e, rs->img, &rs->tl, err) != 0)
        return -1;
    char r1col[32] = "", wcol[32] = "", evcols[160];
    gan_eval_result er;
    double te = gan_now_seconds();
    int evaluated = 0;
    if (!(rs->interrupt && *rs->interrupt)) { /* a stop asked for skips the evaluation */
        exit_now(rs->sig, 1);
        evaluated = eval_epoch(rs->ev, cfg, t, e, rs->best_path, &rs->ds, evcols, sizeof evcols,
                               &er, err);
        exit_now(rs->sig, 0);
    }
    if (evaluated < 0)
        return -1;
    te = gan_now_seconds() - te;
    if (!evaluated)
        snprintf(evcols, sizeof evcols, ",,,,,");
    if (es->r1_steps)
        snprintf(r1col, sizeof r1col, "%.6f", es->r1);
    if (t->loss->gp)
        snprintf(wcol, sizeof wcol, "%.6f", es->wass);
    char ccols[96];
    class_cols(evaluated ? &er : NULL, ccols, sizeof ccols);
    exit_now(rs->sig, rs->log == rs->csv_stdout); /* a stream's reader may stall */
    int wrote = fprintf(rs->log, "%d,%ld,%.6f,%.6f,%.6f,%.6f,%.3f,%s,%s,%s,%s\n", e, t->step,
                        es->loss_d, es->loss_g, es->d_real, es->d_fake, secs, r1col,
                        evcols, wcol, ccols) >= 0 && fflush(rs->log) == 0;
    int werr = errno;
    exit_now(rs->sig, 0);
    if (!wrote && rs->log == rs->csv_stdout && werr == EPIPE) {
        /* the reader of --log - has gone: keep the epoch, then stop */
        if (save_checkpoint(t, cfg, &rs->ds, rs->ckpt_path, err) != 0)
            return -1;
        if (msg) {
            fprintf(msg, "standard output closed by its reader after epoch %d; ", e);
            gan_resume_hint(msg, cfg, rs->ckpt_path);
        }
        return GAN_RUN_PIPE_CLOSED;
    }
    if (!wrote)
        return gan_err_set(err, "%s: write failed: %s", rs->log_path, strerror(werr));
    if (save_checkpoint(t, cfg, &rs->ds, rs->ckpt_path, err) != 0)
        return -1;
    epoch_report(rs, e, es, secs, evaluated ? &er : NULL, te);
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
            gan_resume_hint(msg, cfg, rs->ckpt_path);
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
        gan_summary_print(msg, &rs->sm, &rs->t, rs->ds.count, rs->out, rs->log_path, rs->t.epoch);
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
    free(rs->class_names);
    gan_timeline_free(&rs->tl);
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

/*
 * run_report.c: what a run tells the person watching it: the start banner,
 * the live status line on a terminal, the command that resumes a stopped
 * run, and the clock and durations they show.
 */
#define _POSIX_C_SOURCE 200809L
#include "gan_run.h"

#include <stdio.h>
#include <string.h>

#include "gan_kernel.h"

void gan_fmt_duration(char *buf, size_t len, double s)
{
    long v = s > 0 && s < 1e7 ? (long)(s + 0.5) : 0;
    if (v >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", v / 3600, v / 60 % 60, v % 60);
    else
        snprintf(buf, len, "%ld:%02ld", v / 60, v % 60);
}

void gan_resume_hint(FILE *msg, const gan_config *cfg, const char *ckpt_path)
{
    int other_data = strcmp(cfg->data_dir, GAN_DATA_DEFAULT) != 0 && !cfg->data_installed;
    fprintf(msg, "checkpoint %s\nresume with: gan-train --resume %s --epochs %d%s%s\n", ckpt_path,
            ckpt_path, cfg->epochs, other_data ? " --data " : "", other_data ? cfg->data_dir : "");
}

/* The banner's lines of a conditional run. */
static void cond_banner(FILE *msg, const gan_config *cfg, const gan_trainer *t)
{
    char d[64], first[GAN_CLASS_NAME_MAX + 1], last[GAN_CLASS_NAME_MAX + 1];
    fprintf(msg, "classes:  %d (%s ... %s); G reads the one-hot at %s, D by %s", t->classes,
            gan_class_name(cfg->class_names, 0, first, sizeof first),
            gan_class_name(cfg->class_names, t->classes - 1, last, sizeof last),
            cfg->cond_g == GAN_COND_G_ALL ? "every layer" : "its input",
            gan_cond_d_name(cfg->cond_d, d, sizeof d));
    if (t->ac_weight > 0.0)
        fprintf(msg, " (the head's cross-entropy weighted %g)", t->ac_weight);
    fprintf(msg, "; fake rows ask for uniform classes\n");
    if (t->classes > 10)
        fprintf(msg, "          the grids show the first 10 classes\n");
}

void gan_run_banner(FILE *msg, const gan_config *cfg, const gan_dataset *ds,
                    const gan_trainer *t, const char *out, const char *log_path,
                    int resume_epoch)
{
    int steps = (int)((ds->count + (uint32_t)cfg->batch - 1) / (uint32_t)cfg->batch);
    int pixels = (int)gan_dataset_image_size(ds);
    const char *colour = ds->channels == 3 ? " colour (R, G, B)" : "";
    const char *act = cfg->slope > 0.0f ? "leaky" : "relu";
    int threads = gan_pool_size(t->pool);
    char blas[512];
    gan_kernel_describe(blas, sizeof blas);
    char recipe[512];
    gan_recipe_describe(cfg, recipe, sizeof recipe);
    fprintf(msg, "gan-train %s\n", GAN_VERSION);
    if (cfg->data_installed)
        fprintf(msg, "data:     the installed copy of MNIST (no ./%s here; --data DIR for "
                "another)\n", GAN_DATA_DEFAULT);
    if (ds->count < ds->total)
        fprintf(msg, "data:     %s: %u training images of %u x %u%s (the first of %u: --limit), "
                "scaled to [-1, 1]\n", cfg->data_dir, ds->count, ds->rows, ds->cols, colour,
                ds->total);
    else
        fprintf(msg, "data:     %s: %u training images of %u x %u%s, scaled to [-1, 1]\n",
                cfg->data_dir, ds->count, ds->rows, ds->cols, colour);
    fprintf(msg, "recipe:   %s\n", recipe);
    fprintf(msg, "model:    G %d-%d-%d-%d (%s, tanh), D %d-%d-%d-1 (%s, %s); %zu + %zu parameters\n",
            cfg->z_dim, cfg->hidden, cfg->hidden, pixels, act, pixels, cfg->hidden,
            cfg->hidden, act, t->loss->d_out == GAN_ACT_SIGMOID ? "sigmoid" : "logit",
            t->G.nparams, t->D.nparams);
    if (cfg->slope > 0.0f)
        fprintf(msg, "          LeakyReLU negative slope %g\n", cfg->slope);
    fprintf(msg, "training: %d epochs x %d steps, batch %d, %s loss, Adam lr %g betas (%g, %g), seed %llu, %d thread%s\n",
            cfg->epochs, steps, cfg->batch, t->loss->name, cfg->lr, cfg->beta1, cfg->beta2,
            (unsigned long long)cfg->seed, threads, threads == 1 ? "" : "s");
    if (cfg->ema > 0.0)
        fprintf(msg, "          EMA of G's weights, decay %g, updated after every G step: the "
                "grids, the evaluation and best.gan use it\n", cfg->ema);
    if (t->n_critic > 1)
        fprintf(msg, "          %d D steps per G step, each on its own batch (about %d G "
                "steps an epoch)\n", t->n_critic, steps / t->n_critic);
    if (t->gp > 0.0)
        fprintf(msg, "          gradient penalty lambda %g on D's logit at interpolates of real "
                "and fake images, every D step\n", t->gp);
    if (t->classes)
        cond_banner(msg, cfg, t);
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
    if (t->classes)
        fprintf(msg, "output:   %s (samples/epoch-NNN.png, a row per class of %d, %d columns; "
                "progress.png; checkpoint.gan); loss log: %s\n", out, t->grid_rows, cfg->grid,
                log_path);
    else
        fprintf(msg, "output:   %s (samples/epoch-NNN.png, %dx%d grid; progress.png; "
                "checkpoint.gan); loss log: %s\n", out, cfg->grid, cfg->grid, log_path);
}

void gan_class_line(FILE *msg, const gan_eval_result *r, const char *names)
{
    char name[GAN_CLASS_NAME_MAX + 1], intra[48] = "intra-FID not taken (too few per class)";
    if (r->intra_fid >= 0)
        snprintf(intra, sizeof intra, "intra-FID %.2f", r->intra_fid);
    fprintf(msg, "          classes: %.1f%% read as asked (worst %.1f%%, %s), %s\n",
            100.0 * r->class_acc, 100.0 * r->class_worst,
            gan_class_name(names, r->worst_class, name, sizeof name), intra);
}

void gan_status_draw(void *ctx, const gan_trainer_view *v)
{
    gan_status_line *sl = ctx;
    double el = gan_now_seconds() - sl->t0, rate = el > 0 ? (v->pos - sl->pos0) / el : 0;
    if (rate <= 0)
        return;
    double left_epoch = (sl->steps - v->pos) / rate;
    double left_run = left_epoch + (sl->epochs - v->epoch) *
                      (sl->secs_per_epoch > 0 ? sl->secs_per_epoch : sl->steps / rate);
    char a[32], b[32];
    gan_fmt_duration(a, sizeof a, left_epoch);
    gan_fmt_duration(b, sizeof b, left_run);
    int n = v->sums->steps > 0 ? v->sums->steps : 1;
    int ng = v->sums->g_steps > 0 ? v->sums->g_steps : 1;
    fprintf(sl->out, "\r  epoch %d/%d %3.0f%%  %.0f steps/s  D %.4f  G %.4f  ETA %s, run %s\033[K",
            v->epoch, sl->epochs, 100.0 * v->pos / sl->steps, rate, v->sums->loss_d / n,
            v->sums->loss_g / ng, a, b);
    fflush(sl->out);
}

void gan_status_clear(const gan_status_line *sl)
{
    if (sl->out) {
        fputs("\r\033[K", sl->out);
        fflush(sl->out);
    }
}


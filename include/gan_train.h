/*
 * gan_train.h: the seed's training algorithm, and the run that drives it.
 *
 * One step on a batch of b real images x and b noise vectors z (with the
 * seed's loss, bce; --loss picks another of gan_loss.h, on D's logit):
 *   D step: fake = G(z); p = D([x; fake]) as one 2b-row batch;
 *           loss_d = BCE(p, [1..1; 0..0]) = (loss_real + loss_fake) / 2
 *           (both halves have b rows); gradients of D only (fake is
 *           detached); with --r1 GAMMA on every K-th step (K = --r1-every,
 *           steps counted from 0), plus the R1 penalty K GAMMA/2 mean_i
 *           |grad_x logit_D(x_i)|^2 over the real rows (gan_mlp_r1_backward);
 *           Adam on D.
 *           With --loss wgan-gp, instead of R1, WGAN-GP's penalty
 *           lambda mean_i (|grad_x l(x_hat_i)| - 1)^2 (lambda = --gp) at
 *           x_hat_i = e_i x_i + (1 - e_i) fake_i, e_i ~ U[0, 1) per row:
 *           a forward of the b interpolates (in the real rows' place) and
 *           gan_mlp_gp_backward; Adam on D.
 *   G step: only after every K-th D step (K = --n-critic: steps counted from
 *           0, G steps after steps K-1, 2K-1, ...; K = 1 unless the loss or
 *           the option says): q = D'(fake) through the updated D, with the
 *           same fake = G(z) (G has not changed since, so reusing it is
 *           exact); loss_g = BCE(q, 1) (the non-saturating loss); gradients
 *           flow through D into G; Adam on G only.
 * A "step" is one D step on one batch: an epoch reshuffles the training set
 * and uses every image once, in ceil(count / batch) steps (so with K critic
 * steps per G step, an epoch has a K-th as many G steps); the last batch may
 * be smaller, as with PyTorch's DataLoader (drop_last=False).
 *
 * Random streams (PCG32, gan_rng.h), all from --seed: stream 1 initialises G
 * then D; stream 2 draws the fixed noise of the sample grids; stream 3 draws,
 * per epoch, the shuffle (Fisher-Yates of 0..n-1) and then, per step, z
 * (b x Z normals) and, with wgan-gp, e (b uniforms).
 */
#ifndef GAN_TRAIN_H
#define GAN_TRAIN_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "gan_common.h"
#include "gan_idx.h"
#include "gan_loss.h"
#include "gan_model.h"
#include "gan_pool.h"
#include "gan_rng.h"

/* Bits of gan_config.set: which settings the command line gave. */
enum {
    GAN_SET_ZDIM = 1u << 0, GAN_SET_HIDDEN = 1u << 1, GAN_SET_ACT = 1u << 2,
    GAN_SET_BATCH = 1u << 3, GAN_SET_LR = 1u << 4, GAN_SET_BETA1 = 1u << 5,
    GAN_SET_BETA2 = 1u << 6, GAN_SET_SEED = 1u << 7, GAN_SET_GRID = 1u << 8,
    GAN_SET_R1 = 1u << 9, GAN_SET_R1_EVERY = 1u << 10, GAN_SET_PRESET = 1u << 11,
    GAN_SET_LIMIT = 1u << 12, GAN_SET_DATA = 1u << 13, GAN_SET_LOSS = 1u << 14,
    GAN_SET_EMA = 1u << 15, GAN_SET_GP = 1u << 16, GAN_SET_N_CRITIC = 1u << 17,
    GAN_SET_COND = 1u << 18, GAN_SET_COND_D = 1u << 19, GAN_SET_COND_G = 1u << 20,
    GAN_SET_AC_WEIGHT = 1u << 21, GAN_SET_PRECISION = 1u << 22
};

/* gan_config.precision: the products' inputs in fp32, or rounded to bfloat16
 * (gan_bf16.h; master weights, Adam and the losses stay fp32). */
enum { GAN_PREC_FP32 = 0, GAN_PREC_BF16 = 1 };


/* Presets: named recipes (the settings a GAN_SET_RECIPE flag covers). */
typedef enum {
    GAN_PRESET_DEFAULT = 0, /* LeakyReLU 0.2, Adam beta1 0.5, R1 10 every 4th D step */
    GAN_PRESET_SEED = 1,    /* the seed exactly: ReLU, PyTorch's Adam betas, no penalty */
    GAN_PRESET_WGAN_GP = 2, /* --loss wgan-gp with its measured Adam and critic steps */
    GAN_PRESET_COUNT
} gan_preset;

/** Everything a run is told; gan_config_default gives the seed's values. */
typedef struct {
    const char *data_dir;   /* folder with train-images/labels IDX files */
    int data_installed;     /* data_dir is the installed copy (gan_data_default) */
    const char *out_dir;    /* NULL: next free numbered folder under runs/ */
    const char *log_path;   /* NULL: OUT/losses.csv; "-": standard output */
    int epochs, batch, z_dim, hidden;
    double lr, beta1, beta2;
    float slope;            /* hidden activation: 0 = ReLU, else LeakyReLU slope */
    double r1_gamma;        /* R1 penalty weight; 0: off */
    int r1_every;           /* the penalty on every K-th D step, scaled by K */
    int loss;               /* the adversarial loss (gan_loss_kind, gan_loss.h) */
    double gp;              /* wgan-gp: the gradient penalty's lambda */
    int n_critic;           /* D steps per G step; 0: the loss's own (gan_loss_spec) */
    double ema;             /* decay of the EMA of G's weights that samples; 0: off */
    int conditional;        /* train on the labels: G and D read each row's class */
    unsigned cond_d;        /* GAN_COND_* bits: how D reads it */
    int cond_g;             /* GAN_COND_G_*: where G reads it */
    double ac_weight;       /* with GAN_COND_ACGAN: its cross-entropy's weight */
    int precision;          /* GAN_PREC_*: of the MLP's products while training */
    int classes;            /* conditional: classes of the data (the run sets it) */
    const char *class_names;/* conditional: their names, '\n' between (the run's) */
    int preset;             /* the gan_preset the recipe started from */
    int limit;              /* train on the first N images (0: all) */
    int eval_every;         /* evaluate every K epochs (and after the last); 0: never */
    int eval_count;         /* samples an evaluation draws */
    int patience;           /* stop after P evaluations without a better FID; 0: never */
    int log_every;          /* a row of OUT/steps.csv every N steps; 0: none */
    const char *cache_dir;  /* the classifier's cache (NULL: gan_eval.h's default) */
    uint64_t seed;
    int threads;            /* threads of gan-train's own pool (OpenBLAS: 1 each); 0: one
                               per CPU this process may use (gan_pool_default_threads) */
    int grid;               /* samples are a grid x grid image */
    int png_scale;          /* each pixel drawn as scale x scale */
    int force;              /* reuse an --out folder / --log file that exists */
    int quiet;              /* nothing on standard error but errors */
    const char *resume_path;/* continue from this checkpoint (NULL: a new run) */
    const char *init_from;  /* a new run starts from DIR/G.safetensors and D.safetensors */
    unsigned set;           /* GAN_SET_* bits of the settings given explicitly */
} gan_config;

void gan_config_default(gan_config *cfg);

/** Sets the recipe of a preset: model shape, activation, batch, Adam, R1 (and
 *  cfg->preset). */
void gan_config_preset(gan_config *cfg, int preset);
/** The preset of that name, or -1. */
int gan_preset_find(const char *name);
const char *gan_preset_name(int preset);
/** The recipe in words: the preset's name and what differs from it, e.g.
 *  "default" or "seed, --hidden 512 --lr 0.001". */
void gan_recipe_describe(const gan_config *cfg, char *buf, size_t len);

/** What one step measured. */
typedef struct {
    double loss_real;       /* BCE(D(x), 1) */
    double loss_fake;       /* BCE(D(G(z)), 0) */
    double loss_d, loss_g;  /* the seed's loss_d = (loss_real + loss_fake) / 2, and loss_g */
    double d_real, d_fake;  /* mean D(x) and mean D(G(z)), both before D's update */
    int r1_done;            /* whether this step computed the penalty */
    double r1;              /* then GAMMA/2 mean |grad_x logit|^2 (without the K), or
                               wgan-gp's lambda mean (|grad_x l(x_hat)| - 1)^2 */
    int g_done;             /* whether a G step followed (loss_g is 0 where not) */
    double wass;            /* wgan-gp: the estimate E[l(x)] - E[l(G(z))] (else 0) */
    double ac;              /* ACGAN: the head's cross-entropy on the real rows (in loss_d
                               with its weight; loss_g holds the fakes' likewise) */
} gan_step_stats;

/** Means (or, while an epoch runs, sums) over one epoch's steps. */
typedef struct {
    int steps;
    double loss_d, loss_g, d_real, d_fake;
    int r1_steps;           /* steps that computed the penalty, and its sum or mean */
    double r1;
    int g_steps;            /* steps with a G step: loss_g is over these */
    double wass;            /* over all steps (wgan-gp) */
} gan_epoch_stats;

/** Where the evaluations of a run stand (for OUT/best.gan and --patience). */
typedef struct {
    int evals;           /* evaluations done */
    int best_epoch;      /* epoch of the lowest FID (0: none yet) */
    int since_best;      /* evaluations since then */
    double best_fid;
    uint32_t scorer;     /* the measure that scored best_fid (gan_evaluator_id) */
} gan_eval_track;

/** What a progress callback sees of the epoch running. */
typedef struct {
    int epoch;            /* the epoch running, from 1 */
    uint32_t pos;         /* its batches done */
    const gan_epoch_stats *sums; /* sums over those batches */
} gan_trainer_view;

/** Trainer: two models and every buffer a step needs, made once. */
typedef struct {
    int batch, z_dim, pixels, grid;
    gan_mlp G, D;
    double ema_decay;     /* 0: no EMA */
    gan_mlp Gema;         /* with ema_decay: G's shape, its parameters the EMA of G's,
                             updated after each G step with gan_ema_decay_at (its grads
                             and Adam state unused) */
    gan_adam_cfg adam;
    const gan_loss_spec *loss; /* the adversarial loss; D's output activation is its d_out */
    double r1_gamma;      /* 0: no penalty */
    int r1_every;
    double *r1_parts;     /* (threads) partial sums of the penalty */
    int n_critic;         /* D steps per G step */
    double gp;            /* wgan-gp's lambda (0: the loss has no such penalty) */
    float *e;             /* (batch) wgan-gp: each row's weight of the real image */
    double *gp_sq;        /* (batch) wgan-gp: each row's squared gradient norm */
    float *gp_coef;       /* (batch) wgan-gp: each row's penalty coefficient */
    gan_rng rng;          /* stream 3: shuffles and z */
    gan_pool *pool;       /* cfg->threads threads (or the default); OpenBLAS is set to one */
    gan_bf16 *bf16;       /* --precision bf16: G's and D's products while steps run
                             (samples and evaluations stay fp32) */
    float *x;             /* (2*batch, pixels): real rows, then G's fake rows */
    float *z;             /* (batch, z_dim) */
    float *p;             /* (2*batch) D's outputs */
    float *y;             /* (2*batch) the loss's scratch (BCE targets) */
    float *dp;            /* (2*batch) loss gradient at D's output */
    float *dx;            /* (batch, pixels) loss gradient at the fake images */
    int classes;          /* conditional: K (G and D read labels, gan_model.h), else 0 */
    double ac_weight;     /* with an auxiliary head (D's outputs past the first) */
    uint8_t *lab;         /* (2*batch) with classes: the step's labels, real rows then
                             fake rows (drawn uniformly from stream 3) */
    float *q, *dq;        /* (2*batch, outputs of D) with an auxiliary head: D's outputs
                             and their gradient (p and dp then hold output 0); else p, dp */
    float *probs;         /* (2*batch, classes) the head's softmax */
    uint8_t *grid_lab;    /* (grid rows * grid) the grid's classes, row by row */
    int grid_rows;        /* rows of the grid: grid, or the classes shown (at most 10) */
    float *fixed_z;       /* (grid*grid, z_dim) the grids' fixed noise */
    float *samples;       /* (grid*grid, pixels) */
    uint32_t *perm;       /* (count) the epoch's order */
    uint32_t count;       /* images in the training set */
    long step;            /* steps taken so far */
    int epoch;            /* epochs completed */
    uint32_t pos;         /* batches of the current epoch done (0: at its start) */
    gan_epoch_stats sums; /* sums over those batches */
    gan_eval_track track; /* kept in the checkpoint */
    const volatile sig_atomic_t *interrupt; /* non-zero: stop before the next step */
    /* called by one thread between steps, at most every progress_every
     * seconds (NULL: never), for a live status line */
    void (*progress)(void *ctx, const gan_trainer_view *view);
    /* called by one thread after every step (NULL: never): --log-every */
    void (*on_step)(void *ctx, long step, int epoch, const gan_step_stats *st);
    void *on_step_ctx;
    void *progress_ctx;
    double progress_every, progress_last;
    int halt;             /* why the last epoch stopped (GAN_EPOCH_*) */
    long bad_step;        /* the step whose loss was not finite */
    int can_flush;        /* the CPU has CLFLUSHOPT (gan_mlp's flush_shared) */
    double line_trip_ns;  /* at the last epoch's start: a cache line between the two
                             threads' CPUs and back (gan_team_line_trip_ns); 0 unless
                             2 threads on a CPU with CLFLUSHOPT */
} gan_trainer;

/** Makes the models (initialised from cfg->seed) and the buffers for a
 *  training set of `count` images of `pixels` each. */
int gan_trainer_init(gan_trainer *t, const gan_config *cfg, int pixels, uint32_t count,
                     gan_err *err);
void gan_trainer_free(gan_trainer *t);

/** One D step on t->x[0..b) (real, in [-1, 1]) and t->z[0..b) (and, with
 *  wgan-gp, t->e[0..b); with classes, t->lab[0..2b)), and a G step after
 *  every n_critic-th; 1 <= b <= batch. */
void gan_trainer_step(gan_trainer *t, int b, gan_step_stats *st);

/* Why gan_trainer_epoch stopped before the end of the epoch. */
enum { GAN_EPOCH_DONE = 0, GAN_EPOCH_INTERRUPTED = 1, GAN_EPOCH_NONFINITE = 2 };

/**
 * Steps through the rest of the current epoch (all of it from its start, a
 * fresh shuffle first; or from t->pos after a stop). Before every step it
 * looks at *t->interrupt (if set) and stops when it is non-zero; after every
 * step it stops if a loss is not finite (t->bad_step is that step). Returns
 * GAN_EPOCH_DONE with *es the means over the epoch's steps and t->epoch
 * counted, or why it stopped, the partial sums kept in t for a checkpoint.
 */
int gan_trainer_epoch(gan_trainer *t, const gan_dataset *ds, gan_epoch_stats *es);

/** Part 0's loss of D from its outputs t->q on b real and b fake rows: the
 *  adversarial loss on output 0 (into t->p, t->dp) and, with an auxiliary
 *  head, ac_weight times its cross-entropy on the real rows' labels (*ac);
 *  t->dq the gradient of it all (cond.c). */
void gan_cond_d_loss(gan_trainer *t, int b, gan_loss_d_stats *ls, double *ac);
/** The same for G from D's outputs on b fake rows: the adversarial loss and,
 *  with the head, ac_weight times its cross-entropy on the asked labels
 *  (t->lab[b, 2b)). Returns L_G. */
double gan_cond_g_loss(gan_trainer *t, int b);

/** out (n, pixels) = G(z (n, z_dim)) (for classes lab (n); NULL when
 *  unconditional), in chunks of at most batch rows. */
void gan_trainer_generate(gan_trainer *t, float *out, const float *z, const uint8_t *lab, int n);
/** The grid's samples into t->samples: grid x grid from the fixed noise, or
 *  with classes one row per class (the first 10) and grid columns, column c
 *  from fixed noise vector c. Returns the count (grid_rows * grid). */
int gan_trainer_grid(gan_trainer *t);
/** The EMA's decay at its u-th update (u from 0): min(decay, (1 + u) / (10 + u)),
 *  TensorFlow's warm-up, so that early on the average follows G closely. */
float gan_ema_decay_at(double decay, long u);
/** The generator that samples: the EMA of G's weights with --ema, else G
 *  itself (grids, the timeline, the evaluation and best.gan use it). */
gan_mlp *gan_trainer_sampler(gan_trainer *t);
/** With --ema: the average starts afresh as G's present weights (at init, and
 *  after --init-from). */
void gan_trainer_ema_reset(gan_trainer *t);

/** How a signal handler and gan_run share a stop (see main.c): the handler
 *  sets *stop, or, while *exit_now is non-zero (no safe point to stop at:
 *  loading data, evaluating, writing the CSV to a stream that may block),
 *  ends the process at once. gan_run sets *exit_now as it goes. */
typedef struct {
    const volatile sig_atomic_t *stop;
    volatile sig_atomic_t *exit_now;
} gan_signals;

/* gan_run's return values besides 0 and -1 */
enum { GAN_RUN_INTERRUPTED = 1, GAN_RUN_PIPE_CLOSED = 2 };

/**
 * The whole job: load cfg->data_dir, make the output folder, train
 * cfg->epochs epochs, and after each write OUT/samples/epoch-NNN.png, a CSV
 * row and OUT/checkpoint.gan (gan_checkpoint.h). With cfg->resume_path, the
 * run continues from that checkpoint to cfg->epochs in all, in its folder
 * (or --out), appending to its CSV. Progress goes to `msg` (NULL for none);
 * the CSV to its file or, with log_path "-", to `csv_stdout`. When
 * *sig->stop becomes non-zero (sig may be NULL) the run stops after the
 * current step, writes a checkpoint of exactly there and returns
 * GAN_RUN_INTERRUPTED. When the reader of the CSV stream has gone (EPIPE) it
 * writes the checkpoint of the epoch and returns GAN_RUN_PIPE_CLOSED. Returns
 * 0 when done (also after --patience stopped it), -1 on an error (err says
 * what), also when a loss stops being finite (the last good checkpoint is
 * kept).
 */
int gan_run(const gan_config *cfg, FILE *msg, FILE *csv_stdout, const gan_signals *sig,
            gan_err *err);

#endif

/*
 * gan_checkpoint.h: the state of a training run between two epochs, in one
 * file, so that a run can be resumed exactly and sampled from later.
 *
 * Format, version 8, every number little-endian, floats IEEE-754 binary32
 * (version 7 is the same with zeros at 316, an fp32 run; version 6 is the
 * same with zeros at 284 and from 296, an unconditional run; version 5 is
 * the same with zeros at 260 and from 272, and loads with one D step per G
 * step and no WGAN-GP penalty;
 * version 4 is version 5 with a 256-byte header, ending at 252's field, and
 * loads with the bce loss; version 3 is version 4 with zeros at 252;
 * version 2 the same with zeros at 248, and loads as grey images;
 * version 1, written before presets, R1 and evaluation, is the same with a
 * 208-byte header, zeros at 164 and 200; it still loads, as the seed preset
 * with no penalty, all images and no evaluation yet):
 *
 *   offset  size  field
 *        0     8  magic "GANCKPT\0"
 *        8     4  u32 version (7)
 *       12     4  u32 header size in bytes (320)
 *       16    24  u32 rows, cols, z_dim, hidden, batch, grid
 *       40     4  u32 activation: 0 ReLU, 1 LeakyReLU
 *       44     4  f32 LeakyReLU slope (0 for ReLU)
 *       48    32  f64 lr, beta1, beta2, eps (Adam)
 *       80     8  u64 seed
 *       88     4  u32 epochs completed
 *       92     4  u32 training images
 *       96     8  u64 steps taken
 *      104    16  u64 random stream 3: PCG32 state, increment
 *      120    16  i64 Adam step counts of G, of D
 *      136    16  u64 parameters of G, of D (nG, nD)
 *      152     4  u32 fixed-noise vectors (grid * grid)
 *      156     4  u32 batches of the current epoch done (0: between epochs)
 *      160     4  u32 steps summed below (equal to the batches done)
 *      164     4  u32 of those, steps that computed the R1 penalty
 *      168    32  f64 sums over those steps: loss_d, loss_g, d_real, d_fake
 *      200     8  f64 sum of the R1 penalty over those steps
 *      208     8  f64 R1 gamma (0: off)
 *      216     4  u32 R1 every K-th D step
 *      220     4  u32 preset the recipe started from (gan_preset)
 *      224     4  u32 --limit (0: all images)
 *      228     4  u32 evaluations done
 *      232     4  u32 epoch of the best evaluation (0: none yet)
 *      236     4  u32 evaluations since the best
 *      240     8  f64 best FID so far (0 when none)
 *      248     4  u32 channels of the images: 1 grey, 3 colour (R, G, B)
 *      252     4  u32 which measure scored the best FID (gan_evaluator_id;
 *                 0: none; before version 4 zero, and FIDs then came from
 *                 the MLP classifier of gan-train 0.1, another scale)
 *      256     4  u32 the adversarial loss (gan_loss_kind: 0 bce, 1 hinge,
 *                 2 lsgan, 3 wgan-gp)
 *      260     4  u32 D steps per G step (--n-critic)
 *      264     8  f64 the decay of the EMA of G's weights (--ema; 0: none)
 *      272     8  f64 wgan-gp's penalty lambda (--gp; 0 for the other losses)
 *      280     4  u32 of the steps summed, those with a G step (loss_g's sum
 *                 is over these)
 *      284     4  u32 classes of a conditional run (0: unconditional)
 *      288     8  f64 sum of the Wasserstein estimate over the steps summed
 *      296     4  u32 how D reads the class (GAN_COND_* bits of gan_train.h: 1
 *                 concat, 2 projection, 4 acgan; 0 unconditional)
 *      300     4  u32 where G reads it (0 input, 1 all)
 *      304     8  f64 the auxiliary head's weight (--ac-weight; 0 without)
 *      312     4  u32 N, bytes of the class names that follow the header
 *                 (0 unconditional; a multiple of 4)
 *      316     4  u32 the products' precision (GAN_PREC_*: 0 fp32, 1 bf16)
 *      320     N  the class names, '\n' between them (1 to 63 printable
 *                 bytes each, as many as classes), then zero bytes (at least
 *                 one) to N
 *    320+N        f32 fixed noise (grid * grid, z_dim)
 *                 f32 G parameters, Adam m, Adam v (nG each)
 *                 f32 D parameters, Adam m, Adam v (nD each)
 *                 f32 with an EMA: its parameters (nG)
 *                 u32 the current epoch's order of the images (count)
 *      end-4   4  u32 CRC-32 (zlib's) of every byte before it
 *
 * Parameters are in the order of gan_model.h (W1, b1, W2, b2, W3, b3; W as
 * (out, in); a conditional net's class biases and projection after them,
 * D's auxiliary head as W3's and b3's rows past the first); an image is rows x cols x channels values, each pixel's
 * channels together (gan_idx.h). The file is written to a temporary name in the same folder,
 * flushed, fsync'ed and renamed over the old one, so at every moment the
 * path holds a complete checkpoint, old or new.
 */
#ifndef GAN_CHECKPOINT_H
#define GAN_CHECKPOINT_H

#include <stdint.h>

#include "gan_common.h"
#include "gan_train.h"

#define GAN_CKPT_VERSION 8u
#define GAN_CKPT_HEADER 320u    /* versions 5 to 8 */
#define GAN_CKPT_HEADER_V2 256u /* versions 2 to 4 */
#define GAN_CKPT_HEADER_V1 208u

/** The header size of a version (the current one's past 5). */
uint32_t gan_checkpoint_header_size(uint32_t version);

/** What a checkpoint says about its run, read before any model is made. */
typedef struct {
    uint32_t version, header; /* as read: 1 to 8, and its header size */
    uint32_t body;      /* where the fixed noise starts: header + the names' bytes */
    uint32_t rows, cols, channels, z_dim, hidden, batch, grid;
    uint32_t activation; /* 0 ReLU, 1 LeakyReLU */
    float slope;
    double lr, beta1, beta2, eps;
    uint64_t seed;
    uint32_t epoch, count;
    uint64_t step;
    uint64_t rng_state, rng_inc;
    int64_t adam_t_g, adam_t_d;
    uint64_t nparams_g, nparams_d;
    uint32_t nfixed;
    uint32_t pos;       /* batches of the current epoch done */
    gan_epoch_stats sums;
    double r1_gamma;
    uint32_t r1_every, preset, limit;
    uint32_t loss;      /* gan_loss_kind */
    double ema;         /* the EMA's decay (0: none) */
    uint32_t n_critic;  /* D steps per G step */
    double gp;          /* wgan-gp's lambda (0: other losses) */
    uint32_t classes;   /* conditional: K (0: not) */
    uint32_t cond_d, cond_g;
    double ac_weight;
    uint32_t names_len; /* bytes of the class names block */
    uint32_t precision; /* GAN_PREC_* (fp32 before version 8) */
    gan_eval_track track;
} gan_ckpt_info;

/** Writes the trainer's state (and cfg's seed; images of rows x cols x
 *  channels) to path, atomically. */
int gan_checkpoint_save(const gan_trainer *t, const gan_config *cfg, int rows, int cols,
                        int channels, const char *path, gan_err *err);

/**
 * Reads and checks a whole checkpoint: magic, version, header, sizes that
 * agree with each other and with the file's length, and the CRC. On success
 * *info is filled and *data (malloc'd, the caller frees it) holds the file.
 */
int gan_checkpoint_read(const char *path, gan_ckpt_info *info, unsigned char **data,
                        size_t *size, gan_err *err);

/** The shape of a checkpoint's network (0: G, 1: D): its sizes for
 *  gan_mlp_init_cond (OUT before an auxiliary head's), and how it reads the
 *  class. */
void gan_checkpoint_net_shape(const gan_ckpt_info *info, int net, int dims[4], gan_cond *cond);

/** Puts a checkpoint's settings into cfg (recipe, seed, grid, limit; the
 *  conditional forms and classes, the names pointing into data). */
void gan_checkpoint_config(const gan_ckpt_info *info, const unsigned char *data, gan_config *cfg);
/** A conditional checkpoint's class names ('\n' between them) in data, or NULL. */
const char *gan_checkpoint_class_names(const gan_ckpt_info *info, const unsigned char *data);

/** Restores a trainer made with gan_checkpoint_config's settings from the
 *  file's data (as returned by gan_checkpoint_read). */
int gan_checkpoint_restore(gan_trainer *t, const gan_ckpt_info *info, const unsigned char *data,
                           const char *path, gan_err *err);

/** Makes G of the checkpoint's shape (z_dim, hidden, hidden, rows * cols * channels;
 *  its activation; tanh output; workspace for cap rows) with its parameters:
 *  the EMA of G's where the run kept one (--ema), unless raw (then the trained
 *  weights); gan_mlp_free it; -1 (err) only when out of memory. */
int gan_checkpoint_generator(const gan_ckpt_info *info, const unsigned char *data, int cap,
                             int raw, gan_mlp *G, gan_err *err);
/** The same for the discriminator (rows * cols * channels, hidden, hidden, 1;
 *  sigmoid for bce, else its logit). */
int gan_checkpoint_discriminator(const gan_ckpt_info *info, const unsigned char *data, int cap,
                                 gan_mlp *D, gan_err *err);

#endif

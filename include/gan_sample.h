/*
 * gan_sample.h: `gan-train sample`, drawing from a saved generator.
 *   gan-train sample --checkpoint FILE [--count N] [--seed S] [--png FILE]
 *                    [--idx FILE] [--grid N] [--interpolate K] [--png-scale K]
 * N samples G(z), z from PCG32 stream 4 of --seed (gan_rng.h), written as a
 * PNG grid (--grid images a row) and/or as an IDX3 uint8 file (magic
 * 0x00000803, N x rows x cols; pixel = (x + 1) / 2 * 255, rounded, as in the
 * grids) that any MNIST reader takes. With --interpolate K the PNG has N
 * rows, each walking the latent space in K steps from one random point to
 * another (z = (1 - a) z0 + a z1, a = 0, 1/(K-1), ..., 1).
 * --weights G.safetensors draws from a generator's weights file instead of a
 * checkpoint (a PyTorch-trained one, say). --z FILE takes the latent vectors
 * from an IDX float32 file (magic 0x00000D02, N x z_dim) instead of drawing
 * them: N samples, or with --interpolate, N/2 rows from z[2r] to z[2r+1].
 * A conditional generator (issue 19) draws the classes asked by --class K
 * (an index, a list "3,7", or "all", the default) or --class-name NAME (as
 * its checkpoint or metadata names the classes): the rows (samples, or walks
 * with --interpolate) split into equal runs, one per class asked, in order;
 * drawn z give each class N / classes rows rounded up (8 without --count when
 * several classes are asked, one walk with --interpolate), a --z file a
 * multiple of the classes. The PNG then has a row per class. --labels FILE
 * writes each sample's class as IDX1 (magic 0x00000801), beside --idx.
 */
#ifndef GAN_SAMPLE_H
#define GAN_SAMPLE_H

#include <stdint.h>
#include <stdio.h>

#include "gan_common.h"

typedef struct {
    const char *checkpoint;           /* or */
    const char *weights;              /* a G.safetensors (gan_safetensors.h) */
    const char *z_path;               /* latent vectors from an IDX float32 file (NULL: drawn) */
    const char *png_path, *idx_path;  /* at least one */
    int count;                        /* samples, or rows with interpolate */
    uint64_t seed;
    int grid;                         /* images a row in the PNG; 0: about sqrt(count) */
    int interpolate;                  /* 0, or K >= 2 steps a row */
    int png_scale;
    int count_given;                  /* --count given */
    const char *classes;              /* --class: "K", "K,L,...", "all" (NULL: not given) */
    const char *class_name;           /* --class-name NAME (NULL: not given) */
    const char *labels_path;          /* --labels FILE: the classes asked, IDX1 */
} gan_sample_config;

void gan_sample_default(gan_sample_config *s);

/** Parses `sample`'s options (argv[0] is "sample"): 0, 1 after --help
 *  (printed to out), or -1 with err. */
int gan_sample_parse(gan_sample_config *s, int argc, char **argv, FILE *out, gan_err *err);

/** Loads the checkpoint's G and writes what s asks for; msg may be NULL. */
int gan_sample_run(const gan_sample_config *s, FILE *msg, gan_err *err);

#endif

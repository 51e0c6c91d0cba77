/*
 * gan_import.h: `gan-train import`, folders of PNG and JPEG images into a
 * data folder that training, eval and sample take like data/mnist.
 *
 *   gan-train import SRC... --out DIR [--size WxH] [--channels 1|3]
 *                    [--fit pad|crop|stretch] [--order shuffle|name] [--seed N]
 *                    [--test-fraction F] [--strict] [--force] [--quiet]
 *
 * Each SRC is a folder. Its immediate subfolders are the classes, as
 * torchvision's ImageFolder has it: every image below a class folder (walked
 * recursively) has that class. Classes of the same name in several SRCs are
 * one class. Labels number the classes in name order: numerically where every
 * name is a whole number, else bytewise (the C locale); DIR/classes.txt has
 * the names, one a line, in label order. A SRC without subfolders makes an
 * unlabelled data set (no label files), as all SRCs must then be; images
 * lying directly in a SRC that has class folders belong to no class and are
 * skipped, named. Names beginning with '.' are hidden and not walked.
 *
 * The walk follows symbolic links but enters no folder twice (so a link to
 * a parent never loops), never opens what is not a regular file (FIFOs,
 * devices, sockets are skipped, named), and keeps only the list of names in
 * memory: each image is decoded (gan_decode.h), fitted and appended to a
 * temporary raw stream one at a time.
 *
 * Order: shuffle (PCG32 stream 5 of --seed, Fisher-Yates over the files in
 * name order) or name (classes in label order, files in bytewise order of
 * their paths). --test-fraction F (default 0.1) holds out round(F n) of the n
 * files of each class (at most n - 1; PCG32 stream 6 picks which) as the
 * t10k split; both splits keep the order. A file skipped while decoding
 * leaves the split it was drawn for.
 *
 * Output (gzip without a time stamp, so the same input and options give the
 * same bytes): DIR/train-images-idx3-ubyte.gz (N x H x W, grey) or
 * train-images-idx4-ubyte.gz (N x H x W x 3: each pixel's R, G, B together),
 * train-labels-idx1-ubyte.gz, the same for t10k, classes.txt, and import.txt
 * (sources, options, counts per class, every skipped file and why, and the
 * source of every index). All are written into a hidden temporary folder in
 * DIR and renamed into place at the end: a failed or interrupted import
 * leaves no part of a data set. A data set already in DIR is refused unless
 * --force (which removes its files first).
 */
#ifndef GAN_IMPORT_H
#define GAN_IMPORT_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "gan_common.h"
#include "gan_decode.h"

#define GAN_IMPORT_MAX_SOURCES 64
#define GAN_IMPORT_MAX_SIDE 1024          /* --size: each side at most */
#define GAN_IMPORT_MAX_FILE (256u << 20)  /* larger files are skipped */
#define GAN_IMPORT_MAX_CLASSES 256        /* labels are one byte */

typedef enum { GAN_ORDER_SHUFFLE, GAN_ORDER_NAME } gan_import_order;

typedef struct {
    const char *src[GAN_IMPORT_MAX_SOURCES];
    int nsrc;
    const char *out_dir;
    gan_decode_opts img;       /* size, channels, fit (max_pixels 0: the default) */
    gan_import_order order;
    uint64_t seed;
    double test_fraction;      /* in [0, 1) */
    int strict;                /* a bad file is fatal */
    int force;                 /* replace a data set in out_dir */
    int quiet;                 /* no progress, no summary */
} gan_import_config;

/** 0, 1 after --help (printed to out), or -1 with err (argv[0] is "import"). */
int gan_import_parse(gan_import_config *c, int argc, char **argv, FILE *out, gan_err *err);

/** Imports as c says; progress and the summary to msg (NULL: none; the
 *  progress line only where msg is a terminal). Stops between two files when
 *  *stop becomes non-zero (stop may be NULL), removing what it wrote, and
 *  returns 1 then; 0 when done, -1 with err. */
int gan_import_run(const gan_import_config *c, FILE *msg, const volatile sig_atomic_t *stop,
                   gan_err *err);

/* ---- the walk (import_walk.c) ---- */

/** A file found: its path and its label (-1: unlabelled). */
typedef struct {
    char *path;
    int label;
} gan_import_file;

/** A file passed over, and why. */
typedef struct {
    char *path;
    char *why;
} gan_import_skip;

/** What the walk found. */
typedef struct {
    char **classes;            /* names in label order (nclasses; 0: unlabelled) */
    int nclasses;
    gan_import_file *files;    /* in name order: by label, then bytewise by path */
    size_t nfiles, cap_files;
    gan_import_skip *skipped;
    size_t nskipped, cap_skipped;
} gan_import_list;

/** Walks the sources (see above) into list; -1 with err for a SRC that is
 *  not a folder, sources of both kinds, too many classes, or no memory. */
int gan_import_walk(gan_import_list *list, const char *const *src, int nsrc, gan_err *err);
/** Adds a skipped file (copies both strings); -1 when out of memory. */
int gan_import_skip_add(gan_import_list *list, const char *path, const char *why);
void gan_import_list_free(gan_import_list *list);

#endif

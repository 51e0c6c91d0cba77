/*
 * gan_idx.h: the IDX file format (MNIST's) and the training set built on it.
 *
 * An IDX file is a 4-byte magic (0x00 0x00 type ndims; type 0x08 = uint8),
 * ndims big-endian uint32 sizes, then the data. Grey images are N x H x W
 * (idx3); colour images N x H x W x 3 (idx4), each pixel's R, G, B together
 * ("HWC"): every flat image vector of gan-train, G's output and D's input
 * included, keeps that order. Files may be raw or
 * gzip-compressed; the gzip magic bytes (1f 8b), not the name, decide.
 * Pixels stay uint8 in memory; gan_dataset_batch scales a batch at a time.
 */
#ifndef GAN_IDX_H
#define GAN_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "gan_common.h"

#define GAN_IDX_MAGIC_IMAGES 0x00000803u
#define GAN_IDX_MAGIC_IMAGES4 0x00000804u /* N x H x W x C: colour */
#define GAN_IDX_MAGIC_LABELS 0x00000801u
#define GAN_IDX_MAGIC_F32_2D 0x00000D02u /* float32 (type 0x0D), 2 dimensions */

/** Largest data part the loader accepts (bytes): 16 GiB. */
#define GAN_IDX_MAX_BYTES (16ull << 30)

/** A decoded IDX file of uint8: dims[0..ndims) and data (owned). */
typedef struct {
    uint32_t magic;
    int ndims;
    uint32_t dims[4];
    uint8_t *data;
    size_t size;  /* bytes in data = product of dims */
} gan_idx;

/**
 * Reads the IDX file at path, which must carry magic `magic` (0x803, 0x804
 * or 0x801): checks the magic, that no size is 0, that the product of sizes
 * fits GAN_IDX_MAX_BYTES without overflow, and that the file holds exactly
 * that many data bytes (no fewer, no more). On success out->data is malloc'd
 * and owned by the caller (gan_idx_free); on failure nothing is allocated.
 */
int gan_idx_load(const char *path, uint32_t magic, gan_idx *out, gan_err *err);
void gan_idx_free(gan_idx *idx);

/** Writes data as a raw (uncompressed) IDX file, via a temporary file and
 *  rename. ndims is 1 to 4. */
int gan_idx_write(const char *path, uint32_t magic, int ndims, const uint32_t *dims,
                  const uint8_t *data, gan_err *err);

/** Writes n images (rows, cols, channels) as IDX3 (grey: channels 1) or IDX4
 *  (colour), through gan_idx_write. */
int gan_idx_write_images(const char *path, uint32_t n, uint32_t rows, uint32_t cols,
                         uint32_t channels, const uint8_t *data, gan_err *err);

/** Writes an IDX file of uint8 (type 0x08; ndims 1 to 4 sizes), gzip-compressed
 *  with no time stamp in its header (the same data, the same bytes), flushed
 *  to the disk: the data are n bytes of `data`, or, where data is NULL, the
 *  bytes of the raw file `from` (so a large set streams through). Not
 *  atomic: write it under a temporary name. */
int gan_idx_write_gz(const char *path, int ndims, const uint32_t *dims, const uint8_t *data,
                     size_t n, const char *from, gan_err *err);

/** Reads an IDX float32 matrix (magic 0x00000D02: N x D big-endian
 *  float32, raw or gzip), e.g. latent vectors; *out (N*D, malloc'd) on
 *  success. Every value must be finite; sizes and length are checked. */
int gan_idx_load_f32(const char *path, uint32_t *n, uint32_t *d, float **out, gan_err *err);
/** Writes one (atomically, raw). */
int gan_idx_write_f32(const char *path, uint32_t n, uint32_t d, const float *v, gan_err *err);

/** The data folder a command uses without --data. */
#define GAN_DATA_DEFAULT "data/mnist"

/**
 * The default data folder into buf: ./data/mnist where it is a folder (a
 * clone of the project), else the copy of it that `cmake --install` puts in
 * PREFIX/share/gan-train/mnist, looked for beside the running command
 * (../share/gan-train/mnist from its folder, so a moved install or one made
 * with --prefix finds its own) and then at the prefix compiled in; else
 * "data/mnist", whose absence the loader reports. *installed says whether it
 * is the installed copy. Returns buf.
 */
const char *gan_data_default(char *buf, size_t len, int *installed);

/** A set of images with their labels. */
typedef struct {
    uint32_t count, rows, cols;
    uint32_t channels; /* 1 (grey, idx3) or 3 (colour, idx4) */
    uint8_t *pixels;  /* (count, rows, cols, channels), owned */
    uint8_t *labels;  /* (count), owned; NULL when loaded without labels */
    uint32_t total;   /* images in the file, before a limit */
} gan_dataset;

/* Flags of gan_dataset_load. */
enum {
    GAN_DATA_LABELS_OPTIONAL = 1u << 0 /* no labels file: labels NULL, not an error */
};

/**
 * Loads DIR/SPLIT-images-idx3-ubyte[.gz] (grey) or, where there is none,
 * DIR/SPLIT-images-idx4-ubyte[.gz] (colour: its 4th size must be 3), and
 * DIR/SPLIT-labels-idx1-ubyte[.gz] (split "train" or "t10k"; the .gz name is
 * tried first) and checks that the image and label counts agree. Every file is read and checked whole; with
 * limit > 0 only its first `limit` images (and labels) are kept (all of them
 * if the file holds fewer). A labels file that exists is always checked.
 */
int gan_dataset_load(gan_dataset *ds, const char *dir, const char *split, uint32_t limit,
                     unsigned flags, gan_err *err);
void gan_dataset_free(gan_dataset *ds);

/** One IDX image file alone, grey (idx3) or colour (idx4, 3 channels), by its
 *  magic, raw or gzip, as a set without labels (the first `limit` images
 *  counted where limit > 0): samples to judge, say. */
int gan_dataset_load_file(gan_dataset *ds, const char *path, uint32_t limit, gan_err *err);

/** Whether DIR holds images of the split (idx3 or idx4, raw or gzip). */
int gan_dataset_exists(const char *dir, const char *split);

/**
 * Writes images idx[0..n) as floats in [-1, 1] into out (n, rows*cols*channels), the
 * way the seed's ToTensor + Normalize(0.5, 0.5) does: (p/255 - 0.5)/0.5.
 */
void gan_dataset_batch(const gan_dataset *ds, const uint32_t *idx, int n, float *out);

/** Longest class name kept (bytes). */
#define GAN_CLASS_NAME_MAX 63

/**
 * The classes of a labelled set from folder dir (classes.c): *classes = the
 * lines of DIR/classes.txt where it exists (as `gan-train import` writes it;
 * each a name of 1 to GAN_CLASS_NAME_MAX printable bytes, no two alike), else the largest
 * label + 1; every label must be below it, and there must be 2 to 256.
 * *names (malloc'd, the caller frees it) gets the names joined by '\n' (the
 * numbers 0, 1, ... without the file). An error names the file and line.
 */
int gan_classes_load(const gan_dataset *ds, const char *dir, int *classes, char **names,
                     gan_err *err);
/** Why the w bytes at name cannot be a class's name ("is empty", "is too
 *  long", "has a control character"), or NULL where they can. */
const char *gan_class_name_fault(const char *name, size_t w);
/** Name k of such a list into buf (its number where there is none). */
const char *gan_class_name(const char *names, int k, char *buf, size_t len);
/** The index of the class called `name` in the list, or -1. */
int gan_class_find(const char *names, const char *name);

/** Values in one image: rows * cols * channels. */
static inline size_t gan_dataset_image_size(const gan_dataset *ds)
{
    return (size_t)ds->rows * ds->cols * ds->channels;
}

#endif

/*
 * gan_safetensors.h: the networks' weights as safetensors files, the format
 * PyTorch users share weights in, under the seed's state_dict names.
 *
 * A file is an 8-byte little-endian header length N, N bytes of JSON, then
 * the data. The JSON maps each tensor name to {"dtype", "shape",
 * "data_offsets": [begin, end]} (offsets into the data) and may hold a
 * "__metadata__" object of strings. The seed's networks are nn.Sequential
 * as `self.main`, so a 3-layer MLP is
 *   main.0.weight (H1, IN)  main.0.bias (H1)
 *   main.2.weight (H2, H1)  main.2.bias (H2)
 *   main.4.weight (OUT, H2) main.4.bias (OUT)
 * all F32 (little-endian). A conditional network (issue 19; metadata
 * "conditional": "true", "classes": K, "network", and "cond_g" or "cond_d")
 * is the PyTorch module that concatenates the one-hot of the class to a
 * layer's input: that layer's weight has K more columns, after the input's
 * (G's main.0 with --cond-g input, all three with all; D's main.0 with
 * concat); the projection adds embed.weight (K, H2), the auxiliary head
 * aux.weight (K, H2) and aux.bias (K) on D's last hidden layer. gan-train
 * writes them in that order, contiguous, the header padded with spaces to a
 * multiple of 8 bytes. The reader is strict: a sane header length, JSON that
 * cJSON parses whole, every tensor F32 with a shape whose size matches its
 * offsets, offsets in bounds, contiguous and non-overlapping (covering the
 * data exactly), metadata values strings, and exactly the names above that
 * the metadata's network has; each fault has its own message.
 */
#ifndef GAN_SAFETENSORS_H
#define GAN_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gan_common.h"
#include "gan_idx.h"
#include "gan_model.h"

#define GAN_ST_MAX_HEADER (1u << 20) /* 1 MiB of JSON is plenty for six tensors */
#define GAN_ST_MAX_META 24
#define GAN_ST_TENSORS 9   /* main.0.weight ... main.4.bias, embed.weight, aux.weight, aux.bias */

/** A read file: the tensors' shapes and data, and the metadata. */
typedef struct {
    int dims[4];                /* IN, H1, H2, OUT of the MLP, from the shapes (without the
                                   class columns and the head) */
    gan_cond cond;              /* what its metadata says it reads (classes 0: nothing) */
    const unsigned char *data[GAN_ST_TENSORS]; /* each tensor's, NULL where absent (into buf) */
    int nmeta;
    char meta_key[GAN_ST_MAX_META][64], meta_val[GAN_ST_MAX_META][128];
    char class_names[256 * (GAN_CLASS_NAME_MAX + 1)]; /* metadata class_names (longer) */
    unsigned char *buf;         /* the whole file (owned) */
    size_t size;
} gan_st_file;

/** Parses and checks a file held in memory (buf, size; not taken over). On
 *  success out->buf is NULL (the data pointers point into buf). */
int gan_st_parse(gan_st_file *out, const unsigned char *buf, size_t size, const char *path,
                 gan_err *err);
/** Reads and checks path (out->buf owns the bytes; gan_st_free). */
int gan_st_read(gan_st_file *out, const char *path, gan_err *err);
void gan_st_free(gan_st_file *f);
/** The value of a metadata key, or NULL. */
const char *gan_st_meta(const gan_st_file *f, const char *key);

/** Copies the file's tensors into m's parameters; their shapes must be m's,
 *  and the classes and forms it reads (else err names the tensor and both
 *  shapes, or what differs). */
int gan_st_to_mlp(const gan_st_file *f, gan_mlp *m, const char *path, gan_err *err);

/** Writes m's parameters (atomically) with metadata pairs meta[2k], meta[2k+1]. */
int gan_st_write(const char *path, const gan_mlp *m, const char *const *meta, int nmeta,
                 gan_err *err);

/* ---- gan-train export (export.c) ----
 *   gan-train export --checkpoint FILE --out DIR [--raw] [--force]
 * writes DIR/G.safetensors (the EMA of G's weights where the run kept one,
 * unless --raw) and DIR/D.safetensors, with metadata naming the
 * network, the hidden activation and its slope, the output activation,
 * z_dim, hidden, rows, cols, channels (1 grey, 3 colour), layout ("HWC": a
 * flat image is rows, then columns, then each pixel's R, G, B), the recipe
 * and the epoch (and, for G, "weights": "ema DECAY" or "trained"). */
typedef struct {
    const char *checkpoint, *out_dir;
    int force;
    int raw;                 /* --raw: G's trained weights even where an EMA was kept */
} gan_export_cmd;

/** 0, 1 after --help (printed to out), or -1 with err. */
int gan_export_parse(gan_export_cmd *c, int argc, char **argv, FILE *out, gan_err *err);
int gan_export_run(const gan_export_cmd *c, FILE *msg, gan_err *err);

/** Makes a generator (cap rows of workspace) from a G.safetensors: its
 *  shapes and classes, and the activation its metadata names (ReLU, the
 *  seed's, when it names none); rows, cols and channels of its images from the
 *  metadata (channels 1 where it says none), else a grey square of its output
 *  size. */
int gan_st_generator(const gan_st_file *f, gan_mlp *G, int cap, int *rows, int *cols,
                     int *channels, const char *path, gan_err *err);
/** gan_st_read of path and gan_st_generator of it in one; *names (malloc'd,
 *  the caller frees it) gets a conditional file's class names, else NULL. */
int gan_st_load_generator(const char *path, int cap, gan_mlp *G, int *rows, int *cols,
                          int *channels, char **names, gan_err *err);

#endif

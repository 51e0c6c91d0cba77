/*
 * gan_file.h: files that must never be left half-written. A writer opens a
 * temporary file beside the target (same folder, so rename is atomic), writes,
 * then commits: flush, check for write errors, fsync, close, rename over the
 * target. On any failure the temporary file is removed and the old target,
 * if any, is untouched.
 */
#ifndef GAN_FILE_H
#define GAN_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "gan_common.h"

typedef struct {
    FILE *f;
    char path[4096];  /* the target */
    char tmp[4096];   /* the temporary file, "<path>.tmp-XXXXXX" */
} gan_atomic;

/** Opens a temporary file for `path`; write to a->f. */
int gan_atomic_open(gan_atomic *a, const char *path, gan_err *err);
/** Flushes, syncs, closes and renames onto the target. Closes a->f whatever
 *  happens. */
int gan_atomic_commit(gan_atomic *a, gan_err *err);
/** Closes and removes the temporary file (after an error elsewhere). */
void gan_atomic_abort(gan_atomic *a);

/** mkdir -p: creates the folder path and its missing parents (err names
 *  the one that could not be made, or a part that is not a folder). */
int gan_make_dirs(const char *path, gan_err *err);

/** What a file of mode m is, in words ("a FIFO", "a socket", ...), where it
 *  is no regular file. */
const char *gan_file_kind(mode_t m);

/** Reads a regular file of at most max bytes into *buf (malloc'd): 0, or 1
 *  with a short reason in why (not a regular file, too large, unreadable; a
 *  FIFO or device is never waited on), or -1 when out of memory. */
int gan_read_file(const char *path, size_t max, unsigned char **buf, size_t *n, char *why,
                  size_t why_len);

/** Writes n bytes; on a short write fills err naming `path`. */
int gan_write_all(FILE *f, const void *buf, size_t n, const char *path, gan_err *err);

/* Numbers in files, little-endian byte by byte (the same file on any
 * machine); floats as their IEEE-754 bits. */
static inline void gan_put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline void gan_put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t gan_get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t gan_get64(const unsigned char *p)
{
    return (uint64_t)gan_get32(p) | (uint64_t)gan_get32(p + 4) << 32;
}

static inline void gan_putf32(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    gan_put32(p, u);
}

static inline float gan_getf32(const unsigned char *p)
{
    uint32_t u = gan_get32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline void gan_putf64(unsigned char *p, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    gan_put64(p, u);
}

static inline double gan_getf64(const unsigned char *p)
{
    uint64_t u = gan_get64(p);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

#endif

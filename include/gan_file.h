/*
 * gan_file.h: files that must never be left half-written. A writer opens a
 * temporary file beside the target (same folder, so rename is atomic), writes,
 * then commits: flush, check for write errors, fsync, close, rename over the
 * target. On any failure the temporary file is removed and the old target,
 * if any, is untouched.
 */
#ifndef GAN_FILE_H
#define GAN_FILE_H

#include <stdio.h>

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

/** Writes n bytes; on a short write fills err naming `path`. */
int gan_write_all(FILE *f, const void *buf, size_t n, const char *path, gan_err *err);

#endif

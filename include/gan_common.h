/*
 * gan_common.h: what every part of gan-train shares: the error record that
 * library functions fill instead of printing, and the version string.
 *
 * Convention: a function that can fail because of its input or the
 * environment returns 0 on success and -1 on failure, after writing one line
 * (no trailing newline) into a gan_err, usually "PATH: what is wrong". Only
 * main() prints it and exits. Programmer errors are assert()s.
 */
#ifndef GAN_COMMON_H
#define GAN_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define GAN_VERSION "0.4.0"

/* Hot elementwise loops are compiled for AVX-512, AVX2 and plain x86-64 and
 * picked at load time (GCC function multiversioning). With no FMA
 * contraction (-ffp-contract=off) every variant computes the same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(GAN_NO_CLONES)
#define GAN_HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GAN_HOT
#endif

/** One error message; msg is "" while nothing went wrong. */
typedef struct {
    char msg[512];
} gan_err;

/** Seconds on the monotonic clock (for durations). */
double gan_now_seconds(void);

/* FNV-1a, 64 bits: h = fnv1a(h, bytes), starting from GAN_FNV_OFFSET (cache
 * keys and identities, not security). */
#define GAN_FNV_OFFSET 1469598103934665603ULL
uint64_t gan_fnv1a(uint64_t h, const void *p, size_t n);

/** Formats a message into err (printf-style); always returns -1. */
int gan_err_set(gan_err *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif

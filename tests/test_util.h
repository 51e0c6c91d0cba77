/*
 * test_util.h: the tests' checks. A failed CHECK prints file:line and what was
 * compared, and counts; TEST_MAIN_END returns non-zero if anything failed, so
 * CTest sees it. Nothing here is compiled out by NDEBUG.
 */
#ifndef GAN_TEST_UTIL_H
#define GAN_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures = 0;
static int test_checks = 0;

#define CHECK(cond)                                                              \
    do {                                                                         \
        test_checks++;                                                           \
        if (!(cond)) {                                                           \
            test_failures++;                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                        \
    } while (0)

#define CHECK_MSG(cond, ...)                                                     \
    do {                                                                         \
        test_checks++;                                                           \
        if (!(cond)) {                                                           \
            test_failures++;                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                 \
        }                                                                        \
    } while (0)

/* |a - b| <= atol + rtol |b| */
#define CHECK_CLOSE(a, b, atol, rtol)                                            \
    do {                                                                         \
        double ca_ = (double)(a), cb_ = (double)(b);                             \
        CHECK_MSG(fabs(ca_ - cb_) <= (atol) + (rtol) * fabs(cb_),                \
                  "%s = %.9g, %s = %.9g", #a, ca_, #b, cb_);                     \
    } while (0)

/* max |a - b| over a tensor of n, relative to its largest |b| (sums of many
 * terms cancel near zero, so the scale is the tensor's, not the entry's) */
static inline double test_max_rel(const float *a, const float *b, size_t n)
{
    double worst = 0, scale = 1e-30;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        worst = d > worst ? d : worst;
        scale = fabs(b[i]) > scale ? fabs(b[i]) : scale;
    }
    return worst / scale;
}

/* A fresh folder /tmp/gan-test-NAME-XXXXXX in buf (>= 64 bytes); 0 on success. */
static inline int test_tmpdir(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "/tmp/gan-test-%s-XXXXXX", name);
    if (!mkdtemp(buf)) {
        perror("mkdtemp");
        return -1;
    }
    return 0;
}

/* Removes a folder made by test_tmpdir, with everything in it. */
static inline void test_rmdir(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* DIR/NAME in one of four buffers used in turn, so that up to four such
 * paths may stand in one call. */
static inline const char *test_path(const char *dir, const char *name)
{
    static char p[4][512];
    static int k = 0;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

/* Reads the next line "KEY v v v ..." of a fixture (lines starting with '#'
 * and blank ones skipped): KEY into key, the numbers into a malloc'd array
 * (*n values); NULL at the end of the file. */
static inline char *test_read_floats(FILE *f, char *key, size_t klen, float **v, size_t *n)
{
    static char line[1 << 20];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char *p = line, *end;
        size_t k = strcspn(p, " \n");
        snprintf(key, klen, "%.*s", (int)k, p);
        p += k;
        size_t cap = 64;
        *v = malloc(sizeof(float) * cap);
        *n = 0;
        for (;;) {
            double d = strtod(p, &end);
            if (end == p)
                break;
            if (*n == cap)
                *v = realloc(*v, sizeof(float) * (cap *= 2));
            (*v)[(*n)++] = (float)d;
            p = end;
        }
        return key;
    }
    return NULL;
}

#define TEST_MAIN_END()                                                          \
    do {                                                                         \
        fprintf(stderr, "%s: %d checks, %d failed\n", __FILE__, test_checks,     \
                test_failures);                                                  \
        return test_failures ? 1 : 0;                                            \
    } while (0)

#endif

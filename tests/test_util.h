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

#define TEST_MAIN_END()                                                          \
    do {                                                                         \
        fprintf(stderr, "%s: %d checks, %d failed\n", __FILE__, test_checks,     \
                test_failures);                                                  \
        return test_failures ? 1 : 0;                                            \
    } while (0)

#endif

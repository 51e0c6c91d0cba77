/*
 * gan_cli.h: the command line of gan-train, parsed into a gan_config.
 * Every value is checked: a bad one gives one line naming the flag and the
 * value, and main exits 2.
 */
#ifndef GAN_CLI_H
#define GAN_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "gan_common.h"
#include "gan_train.h"

typedef enum {
    GAN_CLI_RUN = 0,   /* cfg is filled: train */
    GAN_CLI_DONE = 1,  /* --help or --version was printed to `out`: exit 0 */
    GAN_CLI_USAGE = 2  /* bad usage, err says why: exit 2 */
} gan_cli_result;

/** Parses argv (getopt_long; resets its state first). Strings in cfg point
 *  into argv. */
gan_cli_result gan_cli_parse(gan_config *cfg, int argc, char **argv, FILE *out, gan_err *err);

/** Number parsers shared by both commands' options: the whole of s must be
 *  a number in range, else err names the flag and the value. */
int gan_cli_parse_int(const char *flag, const char *s, long lo, long hi, int *out, gan_err *err);
int gan_cli_parse_u64(const char *flag, const char *s, uint64_t *out, gan_err *err);
/** A finite number with lo < value < hi, or lo <= value where lo_incl (hi
 *  likewise). */
int gan_cli_parse_real(const char *flag, const char *s, double lo, int lo_incl, double hi,
                       int hi_incl, double *out, gan_err *err);

/** Puts the recipe of `preset` into cfg, but for the settings cfg->set says
 *  were given explicitly. */
void gan_cli_apply_preset(gan_config *cfg, int preset);

/** Prints the usage text with every default. */
void gan_cli_usage(FILE *out);

#endif

/* main.c: the gan-train command: parse, run, print the error, exit.
 * Exit status: 0 success, 1 runtime failure, 2 bad usage. */
#include <stdio.h>

#include "gan_cli.h"
#include "gan_train.h"

int main(int argc, char **argv)
{
    gan_config cfg;
    gan_err err = {""};
    gan_cli_result r = gan_cli_parse(&cfg, argc, argv, stdout, &err);
    if (r == GAN_CLI_DONE)
        return fflush(stdout) == 0 ? 0 : 1;
    if (r == GAN_CLI_USAGE) {
        fprintf(stderr, "gan-train: %s\n", err.msg);
        return 2;
    }
    if (gan_run(&cfg, cfg.quiet ? NULL : stderr, stdout, &err) != 0) {
        fprintf(stderr, "gan-train: %s\n", err.msg);
        return 1;
    }
    if (fflush(stdout) != 0) {
        perror("gan-train: standard output");
        return 1;
    }
    return 0;
}

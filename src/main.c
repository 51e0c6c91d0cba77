/* main.c: the gan-train command: parse, run, print the error, exit.
 * Exit status: 0 success, 1 runtime failure, 2 bad usage; after SIGINT or
 * SIGTERM (checkpoint written) 130 or 143. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <string.h>

#include "gan_cli.h"
#include "gan_eval.h"
#include "gan_kernel.h"
#include "gan_sample.h"
#include "gan_train.h"

/* The one global: a signal handler can reach nothing else. It holds the
 * number of the first SIGINT or SIGTERM, which gan_run polls between steps. */
static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig)
{
    if (stop_signal && sig == SIGINT) {
        /* a second Ctrl-C: leave at once; files are replaced by rename only,
         * so nothing is left half-written */
        static const char msg[] = "gan-train: interrupted again; stopping now\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)ignored;
        _exit(130);
    }
    if (!stop_signal)
        stop_signal = sig;
}

int main(int argc, char **argv)
{
    gan_config cfg;
    gan_err err = {""};
    /* first of all: restart on the CPU's OpenBLAS kernel where the library
     * picked an older or slower one (gan_kernel.h); returns only if it did not */
    if (gan_kernel_restart(argv, &err) != 0)
        fprintf(stderr, "gan-train: warning: %s\n", err.msg);
    if (argc > 1 && strcmp(argv[1], "sample") == 0) {
        gan_sample_config s;
        if (argc > 2 && strcmp(argv[2], "--help") == 0) {
            printf("Usage: gan-train sample --checkpoint FILE [--count N (64)] [--seed S (1)]\n"
                   "         [--png FILE] [--idx FILE] [--grid N] [--interpolate K] [--png-scale K]\n"
                   "Draws N samples from the generator of a checkpoint: a PNG grid (--grid images\n"
                   "a row, about sqrt(N) by default) and/or an IDX3 uint8 file that MNIST readers\n"
                   "take. --interpolate K: N rows, each walking from one random z to another in\n"
                   "K steps.\n");
            return fflush(stdout) == 0 ? 0 : 1;
        }
        if (gan_sample_parse(&s, argc - 1, argv + 1, &err) != 0) {
            fprintf(stderr, "gan-train: %s\n", err.msg);
            return 2;
        }
        if (gan_sample_run(&s, stderr, &err) != 0) {
            fprintf(stderr, "gan-train: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "eval") == 0) {
        gan_eval_cmd e;
        int prc = gan_eval_cmd_parse(&e, argc - 1, argv + 1, stdout, &err);
        if (prc == 1)
            return fflush(stdout) == 0 ? 0 : 1;
        if (prc != 0) {
            fprintf(stderr, "gan-train: %s\n", err.msg);
            return 2;
        }
        if (gan_eval_cmd_run(&e, stdout, stderr, &err) != 0) {
            fprintf(stderr, "gan-train: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    gan_cli_result r = gan_cli_parse(&cfg, argc, argv, stdout, &err);
    if (r == GAN_CLI_DONE)
        return fflush(stdout) == 0 ? 0 : 1;
    if (r == GAN_CLI_USAGE) {
        fprintf(stderr, "gan-train: %s\n", err.msg);
        return 2;
    }
    struct sigaction sa;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int rc = gan_run(&cfg, cfg.quiet ? NULL : stderr, stdout, &stop_signal, &err);
    if (rc < 0) {
        fprintf(stderr, "gan-train: %s\n", err.msg);
        return 1;
    }
    if (fflush(stdout) != 0) {
        perror("gan-train: standard output");
        return 1;
    }
    if (rc == 1)
        return stop_signal == SIGTERM ? 143 : 130;
    return 0;
}

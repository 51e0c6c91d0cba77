/* main.c: the gan-train command: parse, run, print the error, exit.
 * Exit status: 0 success, 1 runtime failure, 2 bad usage; after SIGINT or
 * SIGTERM 130 or 143; 141 when the reader of --log - went away (the
 * checkpoint of the epoch kept). */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <string.h>

#include "gan_cli.h"
#include "gan_eval.h"
#include "gan_kernel.h"
#include "gan_safetensors.h"
#include "gan_sample.h"
#include "gan_train.h"

/* The globals a signal handler needs (it can reach nothing else): the
 * number of the first SIGINT or SIGTERM, which gan_run polls between steps,
 * and whether the run is at a point where it cannot stop safely soon
 * (loading data, evaluating, writing to a stream that may block; gan_run
 * sets it, gan_train.h), where a signal ends the process at once. */
static volatile sig_atomic_t stop_signal = 0;
static volatile sig_atomic_t exit_now = 1;

static void on_signal(int sig)
{
    if (stop_signal || exit_now) {
        /* a second SIGINT or SIGTERM, or no safe point to wait for: leave at
         * once; files are replaced by rename only, so nothing is left
         * half-written, and the last checkpoint stays */
        static const char again[] = "gan-train: interrupted again; stopping now\n";
        static const char now[] = "gan-train: stopped by a signal (the last checkpoint, if any, "
                                  "is kept)\n";
        ssize_t ignored = stop_signal ? write(STDERR_FILENO, again, sizeof again - 1)
                                      : write(STDERR_FILENO, now, sizeof now - 1);
        (void)ignored;
        _exit(sig == SIGINT ? 130 : 143);
    }
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
                   "         [--weights G.safetensors (instead of --checkpoint)] [--z FILE]\n"
                   "Draws N samples from the generator of a checkpoint: a PNG grid (--grid images\n"
                   "a row, about sqrt(N) by default) and/or an IDX3 uint8 file that MNIST readers\n"
                   "take. --interpolate K: N rows, each walking from one random z to another in\n"
                   "K steps. --weights: the generator of a safetensors file (gan-train export's,\n"
                   "or PyTorch's under the seed's names). --z FILE: the latent vectors from an\n"
                   "IDX float32 file (magic 0x00000D02, N x z_dim) instead of drawn ones; with\n"
                   "--interpolate, N/2 rows from z[2r] to z[2r+1].\n");
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
    if (argc > 1 && strcmp(argv[1], "export") == 0) {
        gan_export_cmd x;
        int prc = gan_export_parse(&x, argc - 1, argv + 1, stdout, &err);
        if (prc == 1)
            return fflush(stdout) == 0 ? 0 : 1;
        if (prc != 0) {
            fprintf(stderr, "gan-train: %s\n", err.msg);
            return 2;
        }
        if (gan_export_run(&x, stderr, &err) != 0) {
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
    /* a closed --log - pipe is an EPIPE to handle, not a death */
    signal(SIGPIPE, SIG_IGN);
    gan_signals sigs = {&stop_signal, &exit_now};
    int rc = gan_run(&cfg, cfg.quiet ? NULL : stderr, stdout, &sigs, &err);
    if (rc == GAN_RUN_PIPE_CLOSED)
        return 141; /* as a process killed by SIGPIPE, with its checkpoint kept */
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

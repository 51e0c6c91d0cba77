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
#include "gan_import.h"
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

/* SIGINT and SIGTERM to on_signal; a closed pipe (--log -) is an EPIPE to
 * handle, not a death. */
static void catch_signals(void)
{
    struct sigaction sa;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* A subcommand's exit status from its parse (0 run, 1 --help printed, -1 bad
 * usage) and its run (0, or -1 with err): 0, 1 (runtime failure) or 2. */
static int subcommand_status(int parsed, int ran, const gan_err *err)
{
    if (parsed == 1)
        return fflush(stdout) == 0 ? 0 : 1;
    if (parsed != 0 || ran != 0) {
        fprintf(stderr, "gan-train: %s\n", err->msg);
        return parsed != 0 ? 2 : 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    gan_config cfg;
    gan_err err = {""};
    char data_buf[4096]; /* the default data folder, where no --data is given */
    int installed;
    /* first of all: restart on the CPU's OpenBLAS kernel where the library
     * picked an older or slower one (gan_kernel.h); returns only if it did not */
    if (gan_kernel_restart(argv, &err) != 0)
        fprintf(stderr, "gan-train: warning: %s\n", err.msg);
    /* the subcommands: their parser returns 0 (run), 1 (--help printed) or -1 */
    if (argc > 1 && strcmp(argv[1], "sample") == 0) {
        gan_sample_config c;
        int prc = gan_sample_parse(&c, argc - 1, argv + 1, stdout, &err);
        return subcommand_status(prc, prc == 0 ? gan_sample_run(&c, stderr, &err) : 0, &err);
    }
    if (argc > 1 && strcmp(argv[1], "export") == 0) {
        gan_export_cmd c;
        int prc = gan_export_parse(&c, argc - 1, argv + 1, stdout, &err);
        return subcommand_status(prc, prc == 0 ? gan_export_run(&c, stderr, &err) : 0, &err);
    }
    if (argc > 1 && strcmp(argv[1], "eval") == 0) {
        gan_eval_cmd c;
        int prc = gan_eval_cmd_parse(&c, argc - 1, argv + 1, stdout, &err);
        if (prc == 0 && !c.data_given)
            c.data_dir = gan_data_default(data_buf, sizeof data_buf, &installed);
        return subcommand_status(prc, prc == 0 ? gan_eval_cmd_run(&c, stdout, stderr, &err) : 0,
                                 &err);
    }
    if (argc > 1 && strcmp(argv[1], "import") == 0) {
        gan_import_config c;
        int prc = gan_import_parse(&c, argc - 1, argv + 1, stdout, &err);
        if (prc != 0)
            return subcommand_status(prc, 0, &err);
        catch_signals();
        exit_now = 0; /* the import stops between two files and removes what it wrote */
        int rc = gan_import_run(&c, stderr, &stop_signal, &err);
        if (rc == 1)
            return stop_signal == SIGTERM ? 143 : 130;
        return subcommand_status(0, rc, &err);
    }
    gan_cli_result r = gan_cli_parse(&cfg, argc, argv, stdout, &err);
    if (r == GAN_CLI_DONE)
        return fflush(stdout) == 0 ? 0 : 1;
    if (r == GAN_CLI_USAGE) {
        fprintf(stderr, "gan-train: %s\n", err.msg);
        return 2;
    }
    if (!(cfg.set & GAN_SET_DATA))
        cfg.data_dir = gan_data_default(data_buf, sizeof data_buf, &cfg.data_installed);
    catch_signals();
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

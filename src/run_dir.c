/*
 * run_dir.c: a run's output folder. A run never overwrites an earlier one.
 * Without --out, each run gets the next numbered folder runs/001, runs/002,
 * ... (one more than the highest there). With --out DIR, DIR is created if
 * missing; if it already holds a run (losses.csv, samples/ or
 * checkpoint.gan) it is refused unless --force, which clears that run's own
 * outputs and nothing else. A resumed run continues in its checkpoint's
 * folder (or in --out, under the same rule unless that is the checkpoint's
 * folder).
 */
#define _POSIX_C_SOURCE 200809L
#include "gan_run.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gan_file.h"

static int path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Creates runs/NNN, one more than the highest number there. */
static int make_numbered_run(char *out, size_t len, gan_err *err)
{
    if (gan_make_dirs("runs", err) != 0)
        return -1;
    DIR *d = opendir("runs");
    if (!d)
        return gan_err_set(err, "runs: cannot list: %s", strerror(errno));
    long highest = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (end != e->d_name && *end == '\0' && v > highest && v < 1000000)
            highest = v;
    }
    closedir(d);
    for (long k = highest + 1; k < highest + 1000; k++) {
        snprintf(out, len, "runs/%03ld", k);
        if (mkdir(out, 0777) == 0)
            return 0;
        if (errno != EEXIST)
            return gan_err_set(err, "%s: cannot create folder: %s", out, strerror(errno));
    }
    return gan_err_set(err, "runs: no free run number");
}

/* Whether two paths name the same existing folder. */
static int same_folder(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* --force on a folder that holds a run: removes that run's own outputs (its
 * grids samples/epoch-NNN.png, losses.csv, steps.csv, checkpoint.gan,
 * best.gan, progress.png) and nothing else, so that no file of the old run
 * is mistaken for one of the new. */
static int clear_run_outputs(const char *out, gan_err *err)
{
    static const char *const files[] = {"losses.csv", "steps.csv", "checkpoint.gan", "best.gan",
                                        "progress.png"};
    char p[4400];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(p, sizeof p, "%s/%s", out, files[i]);
        if (unlink(p) != 0 && errno != ENOENT)
            return gan_err_set(err, "%s: cannot remove (--force): %s", p, strerror(errno));
    }
    snprintf(p, sizeof p, "%s/samples", out);
    DIR *d = opendir(p);
    if (!d)
        return errno == ENOENT || errno == ENOTDIR
                   ? 0 : gan_err_set(err, "%s: cannot list: %s", p, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        unsigned n;
        char tail[8];
        /* epoch-NNN.png exactly; anything else there is not ours */
        if (sscanf(e->d_name, "epoch-%u.%7s", &n, tail) != 2 || strcmp(tail, "png") != 0 ||
            strncmp(e->d_name, "epoch-", 6) != 0)
            continue;
        snprintf(p, sizeof p, "%s/samples/%s", out, e->d_name);
        if (unlink(p) != 0 && errno != ENOENT)
            rc = gan_err_set(err, "%s: cannot remove (--force): %s", p, strerror(errno));
    }
    closedir(d);
    return rc;
}

int gan_run_dir_prepare(const gan_config *cfg, char *out, size_t len, gan_err *err)
{
    if (cfg->resume_path) {
        /* a resumed run continues in its checkpoint's folder */
        char home[4096];
        const char *slash = strrchr(cfg->resume_path, '/');
        if (slash)
            snprintf(home, sizeof home, "%.*s", (int)(slash - cfg->resume_path) + (slash == cfg->resume_path),
                     cfg->resume_path);
        else
            snprintf(home, sizeof home, ".");
        if (!cfg->out_dir || same_folder(cfg->out_dir, home)) {
            snprintf(out, len, "%s", cfg->out_dir ? cfg->out_dir : home);
            return gan_make_dirs(out, err);
        }
        /* elsewhere: --out's usual rule */
    }
    if (!cfg->out_dir)
        return make_numbered_run(out, len, err);
    if (strlen(cfg->out_dir) >= len - 64)
        return gan_err_set(err, "%s: path too long", cfg->out_dir);
    snprintf(out, len, "%s", cfg->out_dir);
    char probe[4200];
    const char *marks[] = {"losses.csv", "samples", "checkpoint.gan"};
    for (size_t i = 0; i < sizeof marks / sizeof *marks && !cfg->force; i++) {
        snprintf(probe, sizeof probe, "%s/%s", out, marks[i]);
        if (path_exists(probe))
            return gan_err_set(err, "%s: holds an earlier run (%s); choose another --out or add --force",
                               out, marks[i]);
    }
    if (gan_make_dirs(out, err) != 0)
        return -1;
    return cfg->force ? clear_run_outputs(out, err) : 0;
}


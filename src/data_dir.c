/* data_dir.c: where the default data folder is: the project's data/mnist,
 * else the copy `cmake --install` put in place (gan_idx.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "gan_idx.h"

#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Set by CMake from the install prefix: the folder, and the same relative to
 * the folder the command is installed in (for an install moved, or made with
 * `cmake --install --prefix`). */
#ifndef GAN_DATA_INSTALLED
#define GAN_DATA_INSTALLED "/usr/local/share/gan-train/mnist"
#endif
#ifndef GAN_DATA_FROM_BIN
#define GAN_DATA_FROM_BIN "../share/gan-train/mnist"
#endif

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *gan_data_default(char *buf, size_t len, int *installed)
{
    *installed = 0;
    snprintf(buf, len, "%s", GAN_DATA_DEFAULT);
    if (is_dir(GAN_DATA_DEFAULT))
        return buf;
    /* beside the running command: /proc/self/exe is its real path */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            char cand[PATH_MAX + 64], real[PATH_MAX];
            *slash = '\0';
            snprintf(cand, sizeof cand, "%s/%s", exe, GAN_DATA_FROM_BIN);
            if (is_dir(cand) && realpath(cand, real) && strlen(real) < len) {
                snprintf(buf, len, "%s", real);
                *installed = 1;
                return buf;
            }
        }
    }
    if (is_dir(GAN_DATA_INSTALLED) && strlen(GAN_DATA_INSTALLED) < len) {
        snprintf(buf, len, "%s", GAN_DATA_INSTALLED);
        *installed = 1;
    }
    return buf;
}

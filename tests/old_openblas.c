/*
 * old_openblas.c: an LD_PRELOAD stand-in for an OpenBLAS older than the CPU
 * (the cli test's). Until OPENBLAS_CORETYPE is set, openblas_get_corename
 * answers "Prescott", as Debian's 0.3.21 does on an Emerald Rapids; once it
 * is set, the real library answers. Every process that loads it adds a line
 * to the file OLD_OPENBLAS_LOG names, so the test counts the restarts.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

char *openblas_get_corename(void);

char *openblas_get_corename(void)
{
    if (!getenv("OPENBLAS_CORETYPE"))
        return "Prescott";
    char *(*real)(void);
    *(void **)&real = dlsym(RTLD_NEXT, "openblas_get_corename");
    return real ? real() : "Unknown";
}

__attribute__((constructor)) static void count_load(void)
{
    const char *log = getenv("OLD_OPENBLAS_LOG");
    FILE *f = log ? fopen(log, "a") : NULL;
    if (f) {
        fprintf(f, "loaded, OPENBLAS_CORETYPE=%s\n",
                getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "(unset)");
        fclose(f);
    }
}

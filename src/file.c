/* file.c: atomic replacement of files (see gan_file.h). */
#define _POSIX_C_SOURCE 200809L
#include "gan_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int gan_atomic_open(gan_atomic *a, const char *path, gan_err *err)
{
    a->f = NULL;
    size_t n = strlen(path);
    if (n + 1 > sizeof a->path || n + sizeof ".tmp-XXXXXX" > sizeof a->tmp)
        return gan_err_set(err, "%s: path too long", path);
    memcpy(a->path, path, n + 1);
    memcpy(a->tmp, path, n);
    memcpy(a->tmp + n, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    int fd = mkstemp(a->tmp);
    if (fd < 0)
        return gan_err_set(err, "%s: cannot create a temporary file here: %s", path,
                           strerror(errno));
    /* mkstemp makes the file 0600; give it what open(2) would have */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        int e = errno;
        close(fd);
        unlink(a->tmp);
        return gan_err_set(err, "%s: %s", a->tmp, strerror(e));
    }
    a->f = fdopen(fd, "wb");
    if (!a->f) {
        int e = errno;
        close(fd);
        unlink(a->tmp);
        return gan_err_set(err, "%s: %s", a->tmp, strerror(e));
    }
    return 0;
}

int gan_atomic_commit(gan_atomic *a, gan_err *err)
{
    int failed = 0, e = 0;
    if (fflush(a->f) != 0 || ferror(a->f)) {
        failed = 1;
        e = errno;
    } else if (fsync(fileno(a->f)) != 0) {
        failed = 1;
        e = errno;
    }
    if (fclose(a->f) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    a->f = NULL;
    if (failed) {
        unlink(a->tmp);
        return gan_err_set(err, "%s: write failed: %s", a->path, strerror(e ? e : EIO));
    }
    if (rename(a->tmp, a->path) != 0) {
        e = errno;
        unlink(a->tmp);
        return gan_err_set(err, "%s: cannot replace: %s", a->path, strerror(e));
    }
    return 0;
}

void gan_atomic_abort(gan_atomic *a)
{
    if (a->f) {
        fclose(a->f);
        a->f = NULL;
        unlink(a->tmp);
    }
}

int gan_write_all(FILE *f, const void *buf, size_t n, const char *path, gan_err *err)
{
    if (n && fwrite(buf, 1, n, f) != n)
        return gan_err_set(err, "%s: write failed: %s", path, strerror(errno ? errno : EIO));
    return 0;
}

/* mkdir -p: creates path and its missing parents. */
int gan_make_dirs(const char *path, gan_err *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return gan_err_set(err, "%s: bad folder name", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return gan_err_set(err, "%s: cannot create folder: %s", buf, strerror(errno));
        struct stat st;
        if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
            return gan_err_set(err, "%s: exists and is not a folder", buf);
        buf[i] = c;
    }
    return 0;
}

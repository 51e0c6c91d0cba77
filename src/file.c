/* file.c: atomic replacement of files, folders made, files read whole (see
 * gan_file.h). */
#define _POSIX_C_SOURCE 200809L
#include "gan_file.h"

#include <errno.h>
#include <fcntl.h>
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

const char *gan_file_kind(mode_t m)
{
    return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
           : S_ISSOCK(m) ? "a socket" : S_ISDIR(m) ? "a folder" : "not a regular file";
}

int gan_read_file(const char *path, size_t max, unsigned char **buf, size_t *n, char *why,
                  size_t why_len)
{
    *buf = NULL;
    *n = 0;
    /* O_NONBLOCK: should a FIFO have taken the file's place since the walk,
     * opening it does not wait for a writer */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, why_len, "%s", strerror(errno));
        return 1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(why, why_len, "%s", strerror(errno));
        close(fd);
        return 1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, why_len, "%s", gan_file_kind(st.st_mode));
        close(fd);
        return 1;
    }
    if ((uint64_t)st.st_size > max) {
        snprintf(why, why_len, "%lld bytes, over the limit of %zu",
                 (long long)st.st_size, max);
        close(fd);
        return 1;
    }
    size_t size = (size_t)st.st_size;
    unsigned char *b = malloc(size ? size : 1);
    if (!b) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, b + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(why, why_len, "%s",
                     r < 0 ? strerror(errno) : "shorter than its size (changed while read)");
            free(b);
            close(fd);
            return 1;
        }
        got += (size_t)r;
    }
    close(fd);
    *buf = b;
    *n = size;
    return 0;
}

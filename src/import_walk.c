/* import_walk.c: finding the images of `gan-train import` (gan_import.h):
 * class folders, a recursive walk that follows links but enters no folder
 * twice and opens no FIFO or device, and reading one file. */
#define _POSIX_C_SOURCE 200809L
#include "gan_import.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gan_file.h"
#include "gan_idx.h"

/* The folders entered so far, by device and inode. */
typedef struct {
    struct {
        dev_t dev;
        ino_t ino;
    } *v;
    size_t n, cap;
} dir_set;

/* Array v of n elements of `size` bytes (room for *cap) with room for one
 * more: v itself, or a larger copy, or NULL when out of memory (v is then
 * still valid). */
static void *grow(void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    size_t c = *cap ? 2 * *cap : 16;
    void *nv = realloc(v, c * size);
    if (nv)
        *cap = c;
    return nv;
}

/* 1 if the folder was entered before; else records it and returns 0 (-1: no memory). */
static int seen_before(dir_set *s, const struct stat *st)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].dev == st->st_dev && s->v[i].ino == st->st_ino)
            return 1;
    void *v = grow(s->v, s->n, &s->cap, sizeof *s->v);
    if (!v)
        return -1;
    s->v = v;
    s->v[s->n].dev = st->st_dev;
    s->v[s->n].ino = st->st_ino;
    s->n++;
    return 0;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

int gan_import_skip_add(gan_import_list *l, const char *path, const char *why)
{
    void *v = grow(l->skipped, l->nskipped, &l->cap_skipped, sizeof *l->skipped);
    if (!v)
        return -1;
    l->skipped = v;
    gan_import_skip *s = &l->skipped[l->nskipped];
    s->path = dup_str(path);
    s->why = dup_str(why);
    if (!s->path || !s->why) {
        free(s->path);
        free(s->why);
        return -1;
    }
    l->nskipped++;
    return 0;
}

static int file_add(gan_import_list *l, const char *path, int label)
{
    void *v = grow(l->files, l->nfiles, &l->cap_files, sizeof *l->files);
    if (!v)
        return -1;
    l->files = v;
    l->files[l->nfiles].path = dup_str(path);
    if (!l->files[l->nfiles].path)
        return -1;
    l->files[l->nfiles].label = label;
    l->nfiles++;
    return 0;
}

static int cmp_bytes(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in folder `path` that are not hidden, sorted bytewise (a
 * malloc'd array of malloc'd strings in *names); -1 with errno. */
static int list_dir(const char *path, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(path);
    if (!d)
        return -1;
    size_t cap = 0;
    struct dirent *e;
    int rc = 0;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        void *v = grow(*names, *n, &cap, sizeof **names);
        if (!v) {
            rc = -1;
            break;
        }
        *names = v;
        if (!((*names)[*n] = dup_str(e->d_name))) {
            rc = -1;
            break;
        }
        (*n)++;
        errno = 0;
    }
    if (rc == 0 && errno != 0)
        rc = -1;
    int saved = errno ? errno : ENOMEM;
    closedir(d);
    if (rc != 0) {
        for (size_t i = 0; i < *n; i++)
            free((*names)[i]);
        free(*names);
        *names = NULL;
        *n = 0;
        errno = saved;
    } else if (*n > 1) { /* the same walk on any file system, whatever readdir's order */
        qsort(*names, *n, sizeof **names, cmp_bytes);
    }
    return rc;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Every regular file below folder `path` (already entered) with `label`;
 * what cannot be used is skipped with its reason. -1: out of memory. */
static int walk(gan_import_list *l, dir_set *seen, const char *path, int label)
{
    char **names;
    size_t n;
    if (list_dir(path, &names, &n) != 0)
        return errno == ENOMEM ? -1 : gan_import_skip_add(l, path, strerror(errno));
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char full[4096];
        if (snprintf(full, sizeof full, "%s/%s", path, names[i]) >= (int)sizeof full) {
            rc = gan_import_skip_add(l, names[i], "path too long");
            continue;
        }
        struct stat st;
        if (stat(full, &st) != 0) { /* a dangling link, a loop of links, no permission */
            rc = gan_import_skip_add(l, full, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            int s = seen_before(seen, &st);
            rc = s < 0 ? -1
                 : s ? gan_import_skip_add(l, full, "a folder walked already (a link to it, or a loop)")
                     : walk(l, seen, full, label);
        } else if (S_ISREG(st.st_mode)) {
            rc = file_add(l, full, label);
        } else {
            rc = gan_import_skip_add(l, full, gan_file_kind(st.st_mode)); /* never opened */
        }
    }
    free_names(names, n);
    return rc;
}

/* Whether every character of s is a digit (and there are 1 to 18). */
static int whole_number(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 18)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int cmp_numeric(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    long long u = strtoll(x, NULL, 10), v = strtoll(y, NULL, 10);
    return u < v ? -1 : u > v ? 1 : strcmp(x, y);
}

static int cmp_files(const void *a, const void *b)
{
    const gan_import_file *x = a, *y = b;
    if (x->label != y->label)
        return x->label < y->label ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* Adds name to the classes unless there; -1: out of memory. */
static int class_add(gan_import_list *l, const char *name, size_t *cap)
{
    for (int i = 0; i < l->nclasses; i++)
        if (strcmp(l->classes[i], name) == 0)
            return 0;
    void *v = grow(l->classes, (size_t)l->nclasses, cap, sizeof *l->classes);
    if (!v)
        return -1;
    l->classes = v;
    if (!(l->classes[l->nclasses] = dup_str(name)))
        return -1;
    l->nclasses++;
    return 0;
}

static int class_label(const gan_import_list *l, const char *name)
{
    for (int i = 0; i < l->nclasses; i++)
        if (strcmp(l->classes[i], name) == 0)
            return i;
    return -1;
}

/* Whether src/name is a folder (following links). */
static int is_dir_at(const char *src, const char *name)
{
    char full[4096];
    struct stat st;
    snprintf(full, sizeof full, "%s/%s", src, name);
    return stat(full, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The classes: the subfolder names of every SRC, numbered in name order. */
static int find_classes(gan_import_list *l, const char *const *src, int nsrc, gan_err *err)
{
    size_t cap = 0;
    int with = -1, without = -1;
    for (int s = 0; s < nsrc; s++) {
        char **names;
        size_t n;
        if (list_dir(src[s], &names, &n) != 0)
            return gan_err_set(err, "%s: cannot list: %s", src[s], strerror(errno));
        int dirs = 0, rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++)
            if (is_dir_at(src[s], names[i])) {
                /* its name is its class's, as classes.txt must hold it */
                const char *why = gan_class_name_fault(names[i], strlen(names[i]));
                if (why) {
                    char shown[GAN_CLASS_NAME_MAX + 1]; /* one line: controls as '?' */
                    size_t k = 0;
                    for (; names[i][k] && k < GAN_CLASS_NAME_MAX; k++) {
                        unsigned char c = (unsigned char)names[i][k];
                        shown[k] = c < 0x20 || c == 0x7f ? '?' : (char)c;
                    }
                    shown[k] = '\0';
                    gan_err_set(err, "%s/%s%s: a class folder's name is its class's name, 1 to %d "
                                "printable bytes, and this one %s: rename it", src[s], shown,
                                names[i][k] ? "..." : "", GAN_CLASS_NAME_MAX, why);
                    free_names(names, n);
                    return -1;
                }
                dirs++;
                rc = class_add(l, names[i], &cap);
            }
        free_names(names, n);
        if (rc != 0)
            return gan_err_set(err, "out of memory");
        *(dirs ? &with : &without) = s;
    }
    if (with >= 0 && without >= 0)
        return gan_err_set(err, "%s has class folders and %s has none: a data set is labelled "
                           "or not; give sources of one kind", src[with], src[without]);
    if (l->nclasses > GAN_IMPORT_MAX_CLASSES)
        return gan_err_set(err, "%d classes; labels are one byte, so at most %d", l->nclasses,
                           GAN_IMPORT_MAX_CLASSES);
    int numeric = 1;
    for (int i = 0; i < l->nclasses; i++)
        numeric &= whole_number(l->classes[i]);
    if (l->nclasses > 1) /* (qsort takes no NULL array, even of none) */
        qsort(l->classes, (size_t)l->nclasses, sizeof *l->classes, numeric ? cmp_numeric : cmp_bytes);
    return 0;
}

int gan_import_walk(gan_import_list *l, const char *const *src, int nsrc, gan_err *err)
{
    memset(l, 0, sizeof *l);
    dir_set seen = {NULL, 0, 0};
    for (int s = 0; s < nsrc; s++) {
        struct stat st;
        if (stat(src[s], &st) != 0)
            return gan_err_set(err, "%s: %s", src[s], strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return gan_err_set(err, "%s: not a folder (import takes folders of images)", src[s]);
    }
    if (find_classes(l, src, nsrc, err) != 0)
        return -1;
    int rc = 0;
    for (int s = 0; s < nsrc && rc == 0; s++) {
        struct stat st;
        if (stat(src[s], &st) != 0 || (rc = seen_before(&seen, &st)) != 0) {
            if (rc >= 0)
                rc = gan_import_skip_add(l, src[s], "a folder walked already");
            continue;
        }
        if (l->nclasses == 0) {
            rc = walk(l, &seen, src[s], -1);
            continue;
        }
        /* a labelled SRC: each subfolder is a class; what lies beside them is in none */
        char **names;
        size_t n;
        if (list_dir(src[s], &names, &n) != 0) {
            rc = gan_import_skip_add(l, src[s], strerror(errno));
            continue;
        }
        for (size_t i = 0; i < n && rc == 0; i++) {
            char full[4096];
            snprintf(full, sizeof full, "%s/%s", src[s], names[i]);
            if (stat(full, &st) != 0)
                rc = gan_import_skip_add(l, full, strerror(errno));
            else if (!S_ISDIR(st.st_mode))
                rc = gan_import_skip_add(l, full, "not in a class folder");
            else if ((rc = seen_before(&seen, &st)) == 1)
                rc = gan_import_skip_add(l, full, "a folder walked already (a link to it, or a loop)");
            else if (rc == 0)
                rc = walk(l, &seen, full, class_label(l, names[i]));
        }
        free_names(names, n);
    }
    free(seen.v);
    if (rc != 0)
        return gan_err_set(err, "out of memory while walking the sources");
    if (l->nfiles > 1)
        qsort(l->files, l->nfiles, sizeof *l->files, cmp_files);
    return 0;
}

void gan_import_list_free(gan_import_list *l)
{
    for (int i = 0; i < l->nclasses; i++)
        free(l->classes[i]);
    free(l->classes);
    for (size_t i = 0; i < l->nfiles; i++)
        free(l->files[i].path);
    free(l->files);
    for (size_t i = 0; i < l->nskipped; i++) {
        free(l->skipped[i].path);
        free(l->skipped[i].why);
    }
    free(l->skipped);
    memset(l, 0, sizeof *l);
}

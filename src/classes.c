/* classes.c: the classes of a labelled data folder and their names (gan_idx.h),
 * for conditional training (issue 19). */
#define _POSIX_C_SOURCE 200809L
#include "gan_idx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gan_file.h"

const char *gan_class_name_fault(const char *name, size_t w)
{
    if (w == 0)
        return "is empty";
    if (w > GAN_CLASS_NAME_MAX)
        return "is too long";
    for (size_t k = 0; k < w; k++)
        if ((unsigned char)name[k] < 0x20 || name[k] == 0x7f)
            return "has a control character";
    return NULL;
}

/* The index of name (w bytes) among the o bytes of names joined by '\n', or -1. */
static int name_index(const char *names, size_t o, const unsigned char *name, size_t w)
{
    size_t s = 0;
    for (int k = 0; s < o; k++) {
        const char *nl = memchr(names + s, '\n', o - s);
        size_t e = nl ? (size_t)(nl - names) : o;
        if (e - s == w && memcmp(names + s, name, w) == 0)
            return k;
        s = e + 1;
    }
    return -1;
}

/* The names in DIR/classes.txt, checked, into *names; the count into *n. */
static int read_names(const char *path, const unsigned char *buf, size_t len, char **names,
                      int *n, gan_err *err)
{
    char *out = malloc(len + 1);
    if (!out)
        return gan_err_set(err, "out of memory");
    size_t o = 0, start = 0;
    *n = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && buf[i] != '\n')
            continue;
        size_t w = i - start;
        if (i == len && w == 0)
            break; /* the newline that ends the last line */
        (*n)++;
        const char *why = gan_class_name_fault((const char *)buf + start, w);
        int twin = why ? -1 : name_index(out, o, buf + start, w);
        if (twin >= 0) {
            free(out);
            return gan_err_set(err, "%s: line %d: the name of line %d again (each class needs "
                               "its own)", path, *n, twin + 1);
        }
        if (why || *n > 256) {
            free(out);
            return gan_err_set(err, "%s: line %d: %s%s (names are 1 to %d printable bytes, at "
                               "most 256 of them)", path, *n, why ? "the name " : "",
                               why ? why : "too many classes", GAN_CLASS_NAME_MAX);
        }
        if (o)
            out[o++] = '\n';
        memcpy(out + o, buf + start, w);
        o += w;
        start = i + 1;
    }
    out[o] = '\0';
    *names = out;
    return 0;
}

int gan_classes_load(const gan_dataset *ds, const char *dir, int *classes, char **names,
                     gan_err *err)
{
    *names = NULL;
    if (!ds->labels)
        return gan_err_set(err, "%s: no labels (train-labels-idx1-ubyte): a conditional run "
                           "needs them", dir);
    int top = 0;
    for (uint32_t i = 0; i < ds->count; i++)
        top = ds->labels[i] > top ? ds->labels[i] : top;
    char path[4200], why[256];
    snprintf(path, sizeof path, "%s/classes.txt", dir);
    unsigned char *buf;
    size_t len;
    int n = 0;
    int exists = access(path, F_OK) == 0;
    if (exists && gan_read_file(path, 1u << 20, &buf, &len, why, sizeof why) != 0)
        return gan_err_set(err, "%s: %s", path, why);
    if (exists) {
        int rc = read_names(path, buf, len, names, &n, err);
        free(buf);
        if (rc != 0)
            return -1;
        if (top >= n) {
            free(*names);
            *names = NULL;
            return gan_err_set(err, "%s: %d classes, but the labels go up to %d", path, n, top);
        }
    } else {
        n = top + 1;
        *names = malloc((size_t)n * 4);
        if (!*names)
            return gan_err_set(err, "out of memory");
        size_t o = 0;
        for (int k = 0; k < n; k++)
            o += (size_t)sprintf(*names + o, k ? "\n%d" : "%d", k);
    }
    if (n < 2) {
        free(*names);
        *names = NULL;
        return gan_err_set(err, "%s: every label is 0: a conditional run needs 2 classes or more",
                           dir);
    }
    *classes = n;
    return 0;
}

const char *gan_class_name(const char *names, int k, char *buf, size_t len)
{
    const char *s = names ? names : "";
    for (int i = 0; i < k && s; i++) {
        s = strchr(s, '\n');
        s = s ? s + 1 : NULL;
    }
    size_t w = s ? strcspn(s, "\n") : 0;
    if (w == 0) { /* no name: the number */
        snprintf(buf, len, "%d", k);
        return buf;
    }
    if (w >= len)
        w = len - 1;
    memcpy(buf, s, w);
    buf[w] = '\0';
    return buf;
}

int gan_class_find(const char *names, const char *name)
{
    size_t want = strlen(name);
    const char *s = names;
    for (int k = 0; s; k++) {
        size_t w = strcspn(s, "\n");
        if (w == want && strncmp(s, name, w) == 0)
            return k;
        s = s[w] ? s + w + 1 : NULL;
    }
    return -1;
}

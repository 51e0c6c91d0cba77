/* fuzz_classes.c: a data folder's classes.txt (classes.c) on any bytes, with
 * labels up to the input's first byte: gan_classes_load must refuse it with
 * a message or give a list that gan_class_name and gan_class_find agree on
 * (each name found at its own index, none longer than GAN_CLASS_NAME_MAX),
 * never crash. */
#include "fuzz_common.h" /* first: it sets _GNU_SOURCE */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "gan_idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char file[96];

static void remove_dir(void)
{
    unlink(file);
    rmdir(dir);
}

/* classes.txt in a folder of this process's own, made once */
static int write_classes(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s", "/tmp/gan-fuzz-classes-XXXXXX");
        if (!mkdtemp(dir))
            abort();
        snprintf(file, sizeof file, "%s/classes.txt", dir);
        atexit(remove_dir);
    }
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        abort();
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0)
            abort();
        done += (size_t)w;
    }
    close(fd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    write_classes(data + 1, size - 1);
    uint8_t labels[2] = {0, data[0]};
    gan_dataset ds = {.count = 2, .rows = 1, .cols = 1, .channels = 1, .labels = labels};
    int classes = 0;
    char *names = NULL;
    gan_err err = {""};
    if (gan_classes_load(&ds, dir, &classes, &names, &err) != 0) {
        if (!err.msg[0] || names)
            abort(); /* an error must say what is wrong, and leave nothing */
        return 0;
    }
    if (classes < 2 || classes > 256 || classes <= data[0] || !names)
        abort();
    for (int k = 0; k < classes; k++) {
        char buf[GAN_CLASS_NAME_MAX + 2];
        const char *name = gan_class_name(names, k, buf, sizeof buf);
        if (strlen(name) == 0 || strlen(name) > GAN_CLASS_NAME_MAX || gan_class_find(names, name) != k)
            abort();
    }
    free(names);
    return 0;
}

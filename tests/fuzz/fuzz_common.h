/*
 * fuzz_common.h: what the fuzz harnesses share: a libFuzzer input as a file
 * (an anonymous memfd, so nothing touches the disk), since the parsers read
 * files by name.
 */
#ifndef GAN_FUZZ_COMMON_H
#define GAN_FUZZ_COMMON_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Writes data to a new memfd and puts a path for it in path; returns the fd
 * (close it after), or -1. */
static inline int fuzz_file(const uint8_t *data, size_t size, char *path, size_t len)
{
    int fd = memfd_create("gan-fuzz", 0);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    snprintf(path, len, "/proc/self/fd/%d", fd);
    return fd;
}

/* A malloc'd copy of exactly `size` bytes (so that the sanitizer sees any
 * read past them), or NULL for an input over 1 MiB or no memory: skip it. */
static inline uint8_t *fuzz_copy(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return NULL;
    uint8_t *buf = malloc(size ? size : 1);
    if (buf)
        memcpy(buf, data, size);
    return buf;
}

#endif

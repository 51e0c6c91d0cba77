/*
 * test_ckpt.h: a trainer saved as a checkpoint of 6 x 4 grey images and read
 * back whole, for the tests that look at what a checkpoint keeps.
 */
#ifndef TEST_CKPT_H
#define TEST_CKPT_H

#include "gan_checkpoint.h"
#include "test_util.h"

static inline void ckpt_save_read(const gan_trainer *t, const gan_config *cfg, const char *path,
                                  gan_ckpt_info *in, unsigned char **data, size_t *size)
{
    gan_err err = {""};
    *data = NULL;
    CHECK_MSG(gan_checkpoint_save(t, cfg, 6, 4, 1, path, &err) == 0, "%s", err.msg);
    CHECK_MSG(gan_checkpoint_read(path, in, data, size, &err) == 0, "%s", err.msg);
}

#endif

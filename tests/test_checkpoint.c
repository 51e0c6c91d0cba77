/*
 * test_checkpoint.c: the checkpoint file. A saved trainer comes back exactly;
 * every damaged file (empty, wrong magic, other version, cut anywhere, a
 * flipped byte, sizes that disagree) is refused with its own error; a
 * failed save leaves the previous checkpoint as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gan_checkpoint.h"
#include "gan_file.h"
#include "test_ckpt.h"
#include "test_util.h"

static char dir[64];

static void make_trainer(gan_trainer *t, gan_config *cfg, uint64_t seed)
{
    gan_config_default(cfg);
    cfg->batch = 8;
    cfg->z_dim = 5;
    cfg->hidden = 12;
    cfg->grid = 2;
    cfg->seed = seed;
    cfg->threads = 1;
    /* the loss and EMA of gan-train 0.2's default: the file's layout below
     * (offsets of its tensors) has no EMA block (test_ema checks that one) */
    cfg->loss = GAN_LOSS_BCE;
    cfg->ema = 0.0;
    gan_err err = {""};
    CHECK(gan_trainer_init(t, cfg, 6 * 4, 40, &err) == 0);
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = malloc(1 << 20);
    *n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void spit(const char *path, const unsigned char *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(buf, 1, n, f) == n);
    if (f)
        CHECK(fclose(f) == 0);
}

/* buf (n bytes, a version-6 file) made a sound file of an older version 2 to 4
 * in place: its header cut to 256 bytes; returns its new size. */
static size_t make_older(unsigned char *buf, size_t n, uint32_t version)
{
    memmove(buf + GAN_CKPT_HEADER_V2, buf + GAN_CKPT_HEADER, n - GAN_CKPT_HEADER);
    n -= GAN_CKPT_HEADER - GAN_CKPT_HEADER_V2;
    gan_put32(buf + 8, version);
    gan_put32(buf + 12, GAN_CKPT_HEADER_V2);
    return n;
}

/* buf (n bytes) with its CRC made good again, written to path and read back:
 * a sound file of an older version, say. */
static gan_ckpt_info read_resealed(const char *path, unsigned char *buf, size_t n)
{
    gan_put32(buf + n - 4, (uint32_t)crc32(0L, buf, (uInt)(n - 4)));
    spit(path, buf, n);
    gan_ckpt_info in;
    unsigned char *data = NULL;
    size_t size;
    gan_err err = {""};
    CHECK_MSG(gan_checkpoint_read(path, &in, &data, &size, &err) == 0, "%s", err.msg);
    free(data);
    return in;
}

static void expect_bad(const char *path, const char *want)
{
    gan_ckpt_info in;
    unsigned char *data = (unsigned char *)"x";
    size_t n;
    gan_err err = {""};
    CHECK_MSG(gan_checkpoint_read(path, &in, &data, &n, &err) == -1, "%s was accepted", path);
    CHECK_MSG(strstr(err.msg, want) && strstr(err.msg, path), "%s: got '%s', want '%s'", path,
              err.msg, want);
    CHECK(data == NULL);
}

int main(void)
{
    if (test_tmpdir(dir, sizeof dir, "ckpt") != 0)
        return 1;
    char path[128], bad[128];
    snprintf(path, sizeof path, "%s/checkpoint.gan", dir);
    snprintf(bad, sizeof bad, "%s/bad.gan", dir);

    /* a trainer after a few steps: save, restore into a fresh one, compare */
    gan_trainer a, b;
    gan_config cfg, cfg2;
    make_trainer(&a, &cfg, 11);
    gan_step_stats st;
    for (int s = 0; s < 3; s++) {
        for (int i = 0; i < 8 * 24; i++)
            a.x[i] = (float)((i * 37 + s) % 17) / 8.0f - 1.0f;
        gan_rng_normal_fill(&a.rng, a.z, 8 * 5);
        gan_trainer_step(&a, 8, &st);
    }
    a.epoch = 2;
    a.track = (gan_eval_track){.evals = 2, .best_epoch = 1, .since_best = 1, .best_fid = 12.5,
                               .scorer = 0xC0FFEE01u};
    a.sums.r1_steps = 0;
    gan_err err = {""};
    gan_ckpt_info in;
    unsigned char *data;
    size_t size;
    ckpt_save_read(&a, &cfg, path, &in, &data, &size);
    CHECK(in.rows == 6 && in.cols == 4 && in.z_dim == 5 && in.hidden == 12 && in.batch == 8 &&
          in.grid == 2 && in.seed == 11 && in.epoch == 2 && in.step == 3 && in.count == 40);
    CHECK(in.adam_t_g == 3 && in.adam_t_d == 3 && in.nfixed == 4);
    CHECK(in.version == GAN_CKPT_VERSION && in.channels == 1 && in.header == 320 && in.loss == GAN_LOSS_BCE &&
          in.r1_gamma == 10.0 && in.r1_every == 4 && in.preset == GAN_PRESET_DEFAULT &&
          in.limit == 0 && in.n_critic == 1 && in.gp == 0.0 && in.precision == GAN_PREC_FP32);
    CHECK(in.track.evals == 2 && in.track.best_epoch == 1 && in.track.since_best == 1 &&
          in.track.best_fid == 12.5 && in.track.scorer == 0xC0FFEE01u);
    gan_config_default(&cfg2);
    gan_checkpoint_config(&in, data, &cfg2);
    cfg2.threads = 1;
    CHECK(cfg2.z_dim == 5 && cfg2.hidden == 12 && cfg2.batch == 8 && cfg2.lr == cfg.lr &&
          cfg2.precision == GAN_PREC_FP32);
    {   /* the precision is kept (version 8): a bf16 run resumes in bf16 */
        gan_config cb = cfg, c3;
        cb.precision = GAN_PREC_BF16;
        gan_ckpt_info ib;
        unsigned char *db;
        size_t sb;
        ckpt_save_read(&a, &cb, bad, &ib, &db, &sb);
        gan_config_default(&c3);
        gan_checkpoint_config(&ib, db, &c3);
        CHECK(ib.precision == GAN_PREC_BF16 && c3.precision == GAN_PREC_BF16 && sb == size);
        free(db);
    }
    CHECK(gan_trainer_init(&b, &cfg2, 24, 40, &err) == 0);
    CHECK_MSG(gan_checkpoint_restore(&b, &in, data, path, &err) == 0, "%s", err.msg);
    CHECK(memcmp(a.G.params, b.G.params, 4 * a.G.nparams) == 0);
    CHECK(memcmp(a.G.adam_m, b.G.adam_m, 4 * a.G.nparams) == 0);
    CHECK(memcmp(a.G.adam_v, b.G.adam_v, 4 * a.G.nparams) == 0);
    CHECK(memcmp(a.D.params, b.D.params, 4 * a.D.nparams) == 0);
    CHECK(memcmp(a.D.adam_v, b.D.adam_v, 4 * a.D.nparams) == 0);
    CHECK(memcmp(a.fixed_z, b.fixed_z, 4 * 4 * 5) == 0);
    CHECK(a.rng.state == b.rng.state && a.rng.inc == b.rng.inc && b.step == 3 && b.epoch == 2);
    CHECK(b.G.adam_t == 3 && b.D.adam_t == 3);
    CHECK(b.r1_gamma == 10.0 && b.r1_every == 4 && b.track.best_fid == 12.5 &&
          b.track.scorer == 0xC0FFEE01u);
    /* ... and both go on alike */
    gan_step_stats sa, sb;
    memcpy(b.x, a.x, sizeof(float) * 8 * 24);
    gan_rng_normal_fill(&a.rng, a.z, 40);
    gan_rng_normal_fill(&b.rng, b.z, 40);
    gan_trainer_step(&a, 8, &sa);
    gan_trainer_step(&b, 8, &sb);
    CHECK(sa.loss_d == sb.loss_d && sa.loss_g == sb.loss_g);
    CHECK(memcmp(a.G.params, b.G.params, 4 * a.G.nparams) == 0);

    /* a trainer of another shape or data size refuses it */
    gan_trainer c;
    gan_config cfg3 = cfg2;
    cfg3.hidden = 13;
    CHECK(gan_trainer_init(&c, &cfg3, 24, 40, &err) == 0);
    CHECK(gan_checkpoint_restore(&c, &in, data, path, &err) == -1);
    CHECK_MSG(strstr(err.msg, "does not fit this model"), "%s", err.msg);
    gan_trainer_free(&c);
    CHECK(gan_trainer_init(&c, &cfg2, 24, 41, &err) == 0);
    CHECK(gan_checkpoint_restore(&c, &in, data, path, &err) == -1);
    CHECK_MSG(strstr(err.msg, "trained on 40 images, this data has 41"), "%s", err.msg);
    gan_trainer_free(&c);
    free(data);

    /* damaged files */
    size_t n;
    unsigned char *good = slurp(path, &n);
    CHECK(good && n == size);
    unsigned char *copy = malloc(n);
    spit(bad, good, 0);
    expect_bad(bad, "empty file");
    spit(bad, (const unsigned char *)"P5\n28 28\n255\n", 13);
    expect_bad(bad, "not a gan-train checkpoint (bad magic)");
    memcpy(copy, good, n);
    copy[8] = 9; /* version 9 */
    spit(bad, copy, n);
    expect_bad(bad, "checkpoint format version 9; this gan-train reads versions 1 to 8");
    /* version 8's precision at byte 316: fp32 or bf16, nothing else; in
     * version 7 the word was reserved (a version-7 file reads as fp32) */
    memcpy(copy, good, n);
    gan_put32(copy + 316, GAN_PREC_BF16);
    CHECK(read_resealed(bad, copy, n).precision == GAN_PREC_BF16);
    gan_put32(copy + 316, 2);
    gan_put32(copy + n - 4, (uint32_t)crc32(0L, copy, (uInt)(n - 4)));
    spit(bad, copy, n);
    expect_bad(bad, "settings out of range");
    memcpy(copy, good, n);
    gan_put32(copy + 8, 7);
    CHECK(read_resealed(bad, copy, n).precision == GAN_PREC_FP32);
    gan_put32(copy + 316, GAN_PREC_BF16);
    gan_put32(copy + n - 4, (uint32_t)crc32(0L, copy, (uInt)(n - 4)));
    spit(bad, copy, n);
    expect_bad(bad, "settings out of range");
    /* an unconditional version-7 file is a version-6 one, but for its number;
     * in version 6, byte 284 (now the classes) was reserved */
    memcpy(copy, good, n);
    gan_put32(copy + 8, 6);
    gan_ckpt_info v6 = read_resealed(bad, copy, n);
    CHECK(v6.version == 6 && v6.classes == 0 && v6.body == 320);
    gan_put32(copy + 284, 10);
    gan_put32(copy + n - 4, (uint32_t)crc32(0L, copy, (uInt)(n - 4)));
    spit(bad, copy, n);
    expect_bad(bad, "settings out of range");
    /* a version-5 file (zeros where version 6 keeps the critic steps, the
     * penalty and two sums) loads with one D step per G step */
    memcpy(copy, good, n);
    gan_put32(copy + 8, 5);
    memset(copy + 260, 0, 4);
    memset(copy + 272, 0, 24);
    gan_ckpt_info v5 = read_resealed(bad, copy, n);
    CHECK(v5.version == 5 && v5.n_critic == 1 && v5.gp == 0.0 &&
          v5.sums.g_steps == v5.sums.steps && v5.sums.wass == 0.0);
    gan_put32(copy + 260, 1); /* reserved in version 5 */
    gan_put32(copy + n - 4, (uint32_t)crc32(0L, copy, (uInt)(n - 4)));
    spit(bad, copy, n);
    expect_bad(bad, "settings out of range");
    /* version 6 with no critic steps, a penalty weight under bce, a G-step
     * count that the step count cannot give, or its reserved word set */
    {
        const size_t at[4] = {260, 272, 280, 284};
        for (int k = 0; k < 4; k++) {
            memcpy(copy, good, n);
            if (k == 1)
                gan_putf64(copy + at[k], 10.0);
            else
                gan_put32(copy + at[k], k == 0 ? 0u : 5u);
            gan_put32(copy + n - 4, (uint32_t)crc32(0L, copy, (uInt)(n - 4)));
            spit(bad, copy, n);
            expect_bad(bad, "settings out of range");
        }
    }
    /* a version-4 file (before the loss: a 256-byte header) loads with bce */
    memcpy(copy, good, n);
    size_t n_old = make_older(copy, n, 4);
    gan_ckpt_info old = read_resealed(bad, copy, n_old);
    CHECK(old.version == 4 && old.header == 256 && old.loss == GAN_LOSS_BCE &&
          old.track.scorer == 0xC0FFEE01u);
    /* a version-3 file: its best FID came from the MLP classifier (scorer 0),
     * and byte 252 was reserved (zero) */
    memcpy(copy, good, n);
    n_old = make_older(copy, n, 3);
    gan_put32(copy + 252, 0);
    old = read_resealed(bad, copy, n_old);
    CHECK(old.version == 3 && old.track.scorer == 0 && old.track.best_fid == 12.5);
    gan_put32(copy + 252, 9);
    gan_put32(copy + n_old - 4, (uint32_t)crc32(0L, copy, (uInt)(n_old - 4)));
    spit(bad, copy, n_old);
    expect_bad(bad, "settings out of range");
    /* a version-2 file (before colour: byte 248 on was reserved) loads as grey */
    memcpy(copy, good, n);
    n_old = make_older(copy, n, 2);
    gan_put32(copy + 248, 7); /* whatever was there is not read */
    old = read_resealed(bad, copy, n_old);
    CHECK(old.version == 2 && old.channels == 1 && old.rows == 6 && old.cols == 4);
    /* a loss it does not know, or a reserved byte set */
    memcpy(copy, good, n);
    gan_put32(copy + 256, GAN_LOSS_COUNT);
    gan_put32(copy + n - 4, (uint32_t)crc32(0L, copy, (uInt)(n - 4)));
    spit(bad, copy, n);
    expect_bad(bad, "settings out of range");
    memcpy(copy, good, n);
    gan_putf64(copy + 264, 1.0); /* an EMA decay of 1: the average would never move */
    gan_put32(copy + n - 4, (uint32_t)crc32(0L, copy, (uInt)(n - 4)));
    spit(bad, copy, n);
    expect_bad(bad, "settings out of range");
    memcpy(copy, good, n);
    gan_putf64(copy + 264, 0.5); /* an EMA the file does not hold */
    gan_put32(copy + n - 4, (uint32_t)crc32(0L, copy, (uInt)(n - 4)));
    spit(bad, copy, n);
    expect_bad(bad, "truncated checkpoint");
    memcpy(copy, good, n);
    copy[300] = 1;
    gan_put32(copy + n - 4, (uint32_t)crc32(0L, copy, (uInt)(n - 4)));
    spit(bad, copy, n);
    expect_bad(bad, "settings out of range");
    /* channels other than 1 or 3 */
    memcpy(copy, good, n);
    gan_put32(copy + 248, 2);
    gan_put32(copy + n - 4, (uint32_t)crc32(0L, copy, (uInt)(n - 4)));
    spit(bad, copy, n);
    expect_bad(bad, "settings out of range");
    memcpy(copy, good, n);
    copy[8] = 1; /* version 1 with a version-2 header: its size field is wrong */
    spit(bad, copy, n);
    expect_bad(bad, "corrupt checkpoint (header size 320, expected 208)");
    memcpy(copy, good, n);
    copy[216] = 0; /* R1 every 0 */
    spit(bad, copy, n);
    expect_bad(bad, "settings out of range");
    memcpy(copy, good, n);
    copy[220] = 7; /* no such preset */
    spit(bad, copy, n);
    expect_bad(bad, "settings out of range");
    /* values that are not numbers, behind a sound CRC: the tensor named */
    {
        /* fixed noise 4 x 5, then G (5-12-12-24: 540 parameters) and its
         * moments, then D (24-12-12-1: 469) and its moments */
        size_t H = GAN_CKPT_HEADER;
        size_t g_w2 = H + 4 * (20 + 60 + 12 + 5), d_v_b1 = H + 4 * (20 + 3 * 540 + 2 * 469 + 288 + 3);
        size_t at[3] = {g_w2, d_v_b1, H + 4 * 7};
        float val[3] = {NAN, -1.0f, INFINITY};
        const char *want[3] = {"G's main.2.weight holds a value that is not finite (NaN or Inf) "
                               "at index 5; refusing these weights",
                               "D's main.0.bias (Adam v) holds a value that is negative at index 3",
                               "the fixed noise holds a value that is not finite"};
        for (int k = 0; k < 3; k++) {
            memcpy(copy, good, n);
            gan_putf32(copy + at[k], val[k]);
            gan_put32(copy + n - 4, (uint32_t)crc32(0L, copy, (uInt)(n - 4)));
            spit(bad, copy, n);
            expect_bad(bad, want[k]);
        }
    }
    size_t cuts[] = {5, 40, GAN_CKPT_HEADER, GAN_CKPT_HEADER + 3, n / 2, n - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++) {
        spit(bad, good, cuts[k]);
        expect_bad(bad, "truncated");
    }
    memcpy(copy, good, n);
    spit(bad, copy, n);
    unsigned char *extra = malloc(n + 1);
    memcpy(extra, good, n);
    extra[n] = 0;
    spit(bad, extra, n + 1);
    expect_bad(bad, "corrupt checkpoint");
    free(extra);
    size_t flips[] = {GAN_CKPT_HEADER + 1, n / 2, n - 5, n - 1};
    for (size_t k = 0; k < sizeof flips / sizeof *flips; k++) {
        memcpy(copy, good, n);
        copy[flips[k]] ^= 0x40;
        spit(bad, copy, n);
        expect_bad(bad, "CRC mismatch");
    }
    memcpy(copy, good, n);
    copy[28] = 99; /* hidden 99: the parameter counts no longer fit */
    spit(bad, copy, n);
    expect_bad(bad, "corrupt checkpoint");
    memcpy(copy, good, n);
    copy[16] = 0; /* rows 0 */
    spit(bad, copy, n);
    expect_bad(bad, "settings out of range");
    snprintf(bad, sizeof bad, "%s/none.gan", dir);
    expect_bad(bad, "cannot open");

    /* a save that cannot be written leaves the old checkpoint intact */
    if (geteuid() != 0) {
        CHECK(chmod(dir, 0555) == 0);
        CHECK(gan_checkpoint_save(&b, &cfg2, 6, 4, 1, path, &err) == -1);
        CHECK_MSG(strstr(err.msg, "cannot create a temporary file"), "%s", err.msg);
        CHECK(chmod(dir, 0755) == 0);
    }
    /* a full disk (a file size limit, which binds root too): the save fails
     * with the write error, and the old file stays whole */
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit lim = {4096, 4096};
        signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &lim);
        gan_err e2 = {""};
        int r = gan_checkpoint_save(&b, &cfg2, 6, 4, 1, path, &e2);
        _exit(r == -1 && strstr(e2.msg, "write failed") ? 0 : 1);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "save under a size limit: %d", status);
    char missing[128];
    snprintf(missing, sizeof missing, "%s/no/such/dir/checkpoint.gan", dir);
    CHECK(gan_checkpoint_save(&b, &cfg2, 6, 4, 1, missing, &err) == -1);
    CHECK_MSG(strstr(err.msg, missing), "%s", err.msg);
    unsigned char *after = slurp(path, &n);
    CHECK(after && n == size && memcmp(after, good, n) == 0);
    free(after);
    free(good);
    free(copy);
    gan_trainer_free(&a);
    gan_trainer_free(&b);

    /* colour: 6 x 4 x 3 values an image, the channels in the header, and
     * networks of that width from it */
    gan_trainer col;
    CHECK(gan_trainer_init(&col, &cfg, 6 * 4 * 3, 40, &err) == 0);
    CHECK_MSG(gan_checkpoint_save(&col, &cfg, 6, 4, 3, path, &err) == 0, "%s", err.msg);
    CHECK_MSG(gan_checkpoint_read(path, &in, &data, &size, &err) == 0, "%s", err.msg);
    CHECK(in.channels == 3 && in.rows == 6 && in.cols == 4 && in.nparams_g == col.G.nparams);
    gan_mlp G, D;
    CHECK(gan_checkpoint_generator(&in, data, 2, 0, &G, &err) == 0 && G.dims[3] == 72);
    CHECK(gan_checkpoint_discriminator(&in, data, 2, &D, &err) == 0 && D.dims[0] == 72);
    CHECK(memcmp(G.params, col.G.params, 4 * G.nparams) == 0);
    gan_mlp_free(&G);
    gan_mlp_free(&D);
    free(data);
    CHECK(gan_checkpoint_save(&col, &cfg, 6, 4, 1, path, &err) == 0); /* a header that lies */
    CHECK(gan_checkpoint_read(path, &in, &data, &size, &err) == -1);
    CHECK_MSG(strstr(err.msg, "parameter counts do not match the model"), "%s", err.msg);
    gan_trainer_free(&col);
    test_rmdir(dir);
    TEST_MAIN_END();
}

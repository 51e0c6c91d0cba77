/*
 * test_ema.c: the EMA of G's weights (--ema): it starts as G's weights, and
 * after the u-th G step (u from 0) it is d * itself + (1 - d) * G's new
 * weights, d = min(decay, (1 + u) / (10 + u)), to the bit, on 1 and on 2
 * threads alike; the grids come from it; a checkpoint
 * keeps it (resume restores it exactly), gives it as the generator and the
 * trained weights when asked for them raw, and refuses an EMA that is not
 * finite, naming the tensor.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gan_checkpoint.h"
#include "gan_file.h"
#include "gan_train.h"
#include "test_ckpt.h"
#include "test_util.h"

enum { P = 24, B = 8, N = 40, Z = 5 };

static void make(gan_trainer *t, gan_config *cfg, int threads)
{
    gan_config_default(cfg);
    cfg->z_dim = Z, cfg->hidden = 12, cfg->batch = B, cfg->grid = 2, cfg->threads = threads;
    cfg->ema = 0.9;
    gan_err err = {""};
    CHECK_MSG(gan_trainer_init(t, cfg, P, N, &err) == 0, "%s", err.msg);
}

static void step(gan_trainer *t, int s)
{
    gan_step_stats st;
    for (int i = 0; i < B * P; i++)
        t->x[i] = (float)((i * 31 + s) % 17) / 8.0f - 1.0f;
    gan_rng_normal_fill(&t->rng, t->z, B * Z);
    gan_trainer_step(t, B, &st);
}

static void test_update(void)
{
    gan_trainer a, b;
    gan_config cfg;
    make(&a, &cfg, 1);
    make(&b, &cfg, 2);
    size_t n = a.G.nparams;
    CHECK(gan_trainer_sampler(&a) == &a.Gema && a.Gema.nparams == n);
    CHECK(memcmp(a.Gema.params, a.G.params, 4 * n) == 0);
    float *want = malloc(4 * n);
    /* the warm-up: 0.1, 2/11, 0.25, ..., then the decay itself (0.9 from u = 80 on) */
    CHECK(gan_ema_decay_at(0.9, 0) == 0.1f && gan_ema_decay_at(0.9, 2) == 0.25f &&
          gan_ema_decay_at(0.9, 79) < 0.9f && gan_ema_decay_at(0.9, 81) == 0.9f &&
          gan_ema_decay_at(0.999, 8989) < 0.999f && gan_ema_decay_at(0.999, 8991) == 0.999f);
    for (int s = 0; s < 3; s++) {
        memcpy(want, a.Gema.params, 4 * n);
        step(&a, s);
        step(&b, s);
        const float d = (float)((1.0 + s) / (10.0 + s));
        for (size_t i = 0; i < n; i++)
            want[i] = d * want[i] + (1.0f - d) * a.G.params[i];
        CHECK_MSG(memcmp(want, a.Gema.params, 4 * n) == 0, "step %d: EMA not as defined", s);
        CHECK_MSG(memcmp(a.Gema.params, b.Gema.params, 4 * n) == 0, "step %d: 2 threads differ", s);
    }
    /* it moved, and lags G */
    double lag = 0.0;
    for (size_t i = 0; i < n; i++)
        lag += fabs((double)a.Gema.params[i] - a.G.params[i]);
    CHECK(lag > 0.0);
    /* the grids come from it */
    float out[4 * P], ref[4 * P];
    gan_trainer_generate(&a, out, a.fixed_z, NULL, 4);
    gan_mlp_forward(&a.Gema, ref, a.fixed_z, 4, &GAN_SOLO);
    CHECK(memcmp(out, ref, sizeof out) == 0);
    free(want);
    gan_trainer_free(&b);

    /* a checkpoint keeps it */
    char dir[] = "/tmp/test_ema_XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/c.gan", dir);
    gan_err err = {""};
    gan_ckpt_info in;
    unsigned char *data;
    size_t size;
    ckpt_save_read(&a, &cfg, path, &in, &data, &size);
    CHECK(in.ema == 0.9);
    gan_config back;
    gan_config_default(&back);
    gan_checkpoint_config(&in, data, &back);
    back.threads = 1;
    CHECK(back.ema == 0.9);
    gan_trainer c;
    CHECK(gan_trainer_init(&c, &back, P, N, &err) == 0);
    CHECK_MSG(gan_checkpoint_restore(&c, &in, data, path, &err) == 0, "%s", err.msg);
    CHECK(memcmp(c.Gema.params, a.Gema.params, 4 * n) == 0 &&
          memcmp(c.G.params, a.G.params, 4 * n) == 0);
    step(&a, 7);
    step(&c, 7);
    CHECK(memcmp(c.Gema.params, a.Gema.params, 4 * n) == 0);
    gan_trainer_free(&c);
    /* the generator of the file: its EMA (the saved one, as a fresh restore
     * holds it), or raw, the trained weights */
    gan_mlp G;
    gan_trainer d;
    CHECK(gan_trainer_init(&d, &back, P, N, &err) == 0);
    CHECK(gan_checkpoint_restore(&d, &in, data, path, &err) == 0);
    CHECK(gan_checkpoint_generator(&in, data, 2, 0, &G, &err) == 0);
    CHECK(memcmp(G.params, d.Gema.params, 4 * n) == 0);
    gan_mlp_free(&G);
    CHECK(gan_checkpoint_generator(&in, data, 2, 1, &G, &err) == 0);
    CHECK(memcmp(G.params, d.G.params, 4 * n) == 0);
    CHECK(memcmp(G.params, d.Gema.params, 4 * n) != 0);
    gan_mlp_free(&G);
    gan_trainer_free(&d);

    /* an EMA value that is not finite, behind a sound CRC, is refused by name */
    size_t at = size - 4 - 4 * (size_t)N - 4 * n + 4 * 3; /* the EMA's main.0.weight[3] */
    gan_putf32(data + at, NAN);
    gan_put32(data + size - 4, (uint32_t)crc32(0L, data, (uInt)(size - 4)));
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(data, 1, size, f) == size && fclose(f) == 0);
    free(data);
    CHECK(gan_checkpoint_read(path, &in, &data, &size, &err) == -1);
    CHECK_MSG(strstr(err.msg, "the EMA of G's main.0.weight holds a value that is not finite") &&
                  strstr(err.msg, "at index 3"),
              "%s", err.msg);
    unlink(path);
    rmdir(dir);
    gan_trainer_free(&a);
}

/* Without --ema nothing is kept, and the file is as it was. */
static void test_off(void)
{
    gan_trainer t;
    gan_config cfg;
    make(&t, &cfg, 1);
    gan_trainer_free(&t);
    cfg.ema = 0.0;
    gan_err err = {""};
    CHECK(gan_trainer_init(&t, &cfg, P, N, &err) == 0);
    CHECK(gan_trainer_sampler(&t) == &t.G && t.Gema.params == NULL);
    gan_trainer_free(&t);
}

int main(void)
{
    test_update();
    test_off();
    TEST_MAIN_END();
}

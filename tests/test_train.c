/*
 * test_train.c: short whole runs (gan_run) on a tiny made-up dataset: the CSV
 * rows, the PNG grids, byte-identical output for one seed, the output-folder
 * policy (numbered runs, refusal without --force) and the epoch line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stb_image.h>

#include "gan_idx.h"
#include "gan_train.h"
#include "test_util.h"

static char dir[64];
static char data[128];

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *n = 0;
        return NULL;
    }
    char *buf = malloc(1 << 20);
    *n = fread(buf, 1, (1 << 20) - 1, f);
    buf[*n] = '\0';
    fclose(f);
    return buf;
}

static int same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

static void config(gan_config *cfg, const char *out)
{
    gan_config_default(cfg);
    cfg->data_dir = data;
    cfg->out_dir = out;
    cfg->epochs = 3;
    cfg->batch = 16;
    cfg->z_dim = 8;
    cfg->hidden = 16;
    cfg->seed = 5;
    cfg->threads = 2; /* our own threading, byte-identical run to run */
}

static void make_data(void)
{
    enum { N = 100, S = 8 };
    static uint8_t px[N * S * S], lb[N];
    for (int i = 0; i < N; i++) {
        lb[i] = (uint8_t)(i % 10);
        for (int j = 0; j < S * S; j++) /* a bar at a row set by the label */
            px[i * S * S + j] = (j / S == lb[i] % S) ? 255 : (uint8_t)((i * 7 + j) % 32);
    }
    snprintf(data, sizeof data, "%s/data", dir);
    mkdir(data, 0777);
    char p[256];
    gan_err err;
    uint32_t di[3] = {N, S, S}, dl[1] = {N};
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte", data);
    CHECK(gan_idx_write(p, GAN_IDX_MAGIC_IMAGES, 3, di, px, &err) == 0);
    snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte", data);
    CHECK(gan_idx_write(p, GAN_IDX_MAGIC_LABELS, 1, dl, lb, &err) == 0);
}

/* The CSV without its last column (seconds), which is a wall-clock time. */
static void loss_columns(const char *csv, char *out, size_t len)
{
    out[0] = '\0';
    const char *line = csv;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        /* the first six columns: all but seconds and the later ones */
        const char *comma = line;
        for (int k = 0; k < 6 && comma < line + n; k++) {
            const char *c = memchr(comma, ',', (size_t)(line + n - comma));
            comma = c ? c + (k < 5) : line + n;
        }
        strncat(out, line, (size_t)(comma - line) < len - strlen(out) - 2 ? (size_t)(comma - line) : 0);
        strcat(out, "\n");
        line = nl ? nl + 1 : NULL;
    }
}

static void test_run(void)
{
    char a[128], b[128], p[256], q[256];
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    gan_config cfg;
    gan_err err = {""};
    FILE *msg = tmpfile();
    config(&cfg, a);
    CHECK_MSG(gan_run(&cfg, msg, stdout, NULL, &err) == 0, "%s", err.msg);

    /* the CSV: header and one row per epoch, sane values */
    snprintf(p, sizeof p, "%s/losses.csv", a);
    size_t n;
    char *csv = slurp(p, &n);
    CHECK(csv != NULL);
    if (!csv)
        return;
    const char *header = "epoch,steps,loss_d,loss_g,d_real,d_fake,seconds,r1,fid,classes,"
                         "kl_uniform,is,precision,recall,wasserstein,class_acc,class_worst,intra_fid\n";
    CHECK(strncmp(csv, header, strlen(header)) == 0);
    const char *row = strchr(csv, '\n') + 1;
    int rows = 0;
    for (int e = 1; e <= 3; e++) {
        int ep, steps;
        double ld, lg, dr, df, s;
        int got = sscanf(row, "%d,%d,%lf,%lf,%lf,%lf,%lf", &ep, &steps, &ld, &lg, &dr, &df, &s);
        CHECK(got == 7);
        if (got != 7)
            break;
        rows++;
        CHECK(ep == e && steps == 7 * e); /* ceil(100 / 16) = 7 steps an epoch */
        CHECK(ld > 0 && ld < 5 && lg > 0 && lg < 10 && isfinite(ld) && isfinite(lg));
        CHECK(dr > 0 && dr < 1 && df > 0 && df < 1 && s >= 0);
        row = strchr(row, '\n');
        if (!row)
            break;
        row++;
    }
    CHECK(rows == 3 && row && *row == '\0');

    /* the grids: 4 x 4 of 8 x 8 with padding 2 */
    for (int e = 1; e <= 3; e++) {
        snprintf(p, sizeof p, "%s/samples/epoch-%03d.png", a, e);
        int w, h, c;
        unsigned char *img = stbi_load(p, &w, &h, &c, 0);
        CHECK_MSG(img && w == 42 && h == 42 && c == 1, "%s", p);
        stbi_image_free(img);
    }
    snprintf(p, sizeof p, "%s/samples/epoch-004.png", a);
    CHECK(access(p, F_OK) != 0);
    /* the timeline: a row of 8 samples per epoch, 3 rows */
    snprintf(p, sizeof p, "%s/progress.png", a);
    {
        int w, h, c;
        unsigned char *img = stbi_load(p, &w, &h, &c, 0);
        CHECK_MSG(img && w == 8 * 10 + 2 && h == 3 * 10 + 2 && c == 1, "%s: %d x %d", p, w, h);
        stbi_image_free(img);
    }

    /* the epoch line in the seed's form */
    size_t mn;
    rewind(msg);
    char *m = malloc(1 << 16);
    mn = fread(m, 1, (1 << 16) - 1, msg);
    m[mn] = '\0';
    CHECK_MSG(strstr(m, "Epoch [1/3] Loss D: ") && strstr(m, "Epoch [3/3] Loss D: ") &&
                  strstr(m, ", Loss G: ") && strstr(m, "samples/s"), "%s", m);
    free(m);
    fclose(msg);

    /* same seed: byte-identical grids and loss columns */
    config(&cfg, b);
    CHECK(gan_run(&cfg, NULL, stdout, NULL, &err) == 0);
    for (int e = 1; e <= 3; e++) {
        snprintf(p, sizeof p, "%s/samples/epoch-%03d.png", a, e);
        snprintf(q, sizeof q, "%s/samples/epoch-%03d.png", b, e);
        CHECK_MSG(same_file(p, q), "%s differs from %s", p, q);
    }
    snprintf(q, sizeof q, "%s/losses.csv", b);
    char *csv2 = slurp(q, &n);
    static char c1[4096], c2[4096];
    loss_columns(csv, c1, sizeof c1);
    loss_columns(csv2, c2, sizeof c2);
    CHECK(strlen(c1) > 60 && strcmp(c1, c2) == 0);
    free(csv2);

    /* another seed: other samples */
    snprintf(b, sizeof b, "%s/c", dir);
    config(&cfg, b);
    cfg.seed = 6;
    CHECK(gan_run(&cfg, NULL, stdout, NULL, &err) == 0);
    snprintf(p, sizeof p, "%s/samples/epoch-003.png", a);
    snprintf(q, sizeof q, "%s/samples/epoch-003.png", b);
    CHECK(!same_file(p, q));

    /* an existing run is refused without --force and left as it was */
    config(&cfg, a);
    cfg.epochs = 1;
    CHECK(gan_run(&cfg, NULL, stdout, NULL, &err) == -1);
    CHECK_MSG(strstr(err.msg, "holds an earlier run") && strstr(err.msg, a), "%s", err.msg);
    snprintf(p, sizeof p, "%s/losses.csv", a);
    char *again = slurp(p, &n);
    CHECK(again && strcmp(again, csv) == 0);
    free(again);
    /* ... and replaced with --force: the old run's own outputs are cleared
     * (its later grids too), anything else in the folder stays */
    char keep[256], odd[256];
    snprintf(keep, sizeof keep, "%s/notes.txt", a);
    snprintf(odd, sizeof odd, "%s/samples/mine.png", a);
    FILE *kf = fopen(keep, "w"), *of = fopen(odd, "w");
    CHECK(kf && of);
    if (kf)
        fclose(kf);
    if (of)
        fclose(of);
    cfg.force = 1;
    CHECK(gan_run(&cfg, NULL, stdout, NULL, &err) == 0);
    again = slurp(p, &n);
    CHECK(again && strstr(again, "intra_fid\n1,7,") && strstr(again, "\n2,") == NULL);
    free(again);
    snprintf(q, sizeof q, "%s/samples/epoch-003.png", a);
    CHECK(access(q, F_OK) != 0);
    snprintf(q, sizeof q, "%s/samples/epoch-001.png", a);
    CHECK(access(q, F_OK) == 0 && access(keep, F_OK) == 0 && access(odd, F_OK) == 0);

    /* --log FILE that exists is refused; --log - writes the CSV to the stream */
    config(&cfg, NULL);
    snprintf(b, sizeof b, "%s/d", dir);
    cfg.out_dir = b;
    cfg.log_path = p;
    CHECK(gan_run(&cfg, NULL, stdout, NULL, &err) == -1);
    CHECK_MSG(strstr(err.msg, "exists; choose another --log or add --force"), "%s", err.msg);
    FILE *out = tmpfile();
    snprintf(b, sizeof b, "%s/e", dir);
    cfg.out_dir = b;
    cfg.log_path = "-";
    cfg.epochs = 2;
    CHECK(gan_run(&cfg, NULL, out, NULL, &err) == 0);
    rewind(out);
    char line[256];
    int lines = 0;
    while (fgets(line, sizeof line, out))
        lines++;
    CHECK(lines == 3);
    fclose(out);
    snprintf(q, sizeof q, "%s/losses.csv", b);
    CHECK(access(q, F_OK) != 0);
    free(csv);
}

static void test_numbered_and_errors(void)
{
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir(dir) == 0);
    gan_config cfg;
    gan_err err = {""};
    config(&cfg, NULL);
    cfg.epochs = 1;
    CHECK(gan_run(&cfg, NULL, stdout, NULL, &err) == 0);
    CHECK(gan_run(&cfg, NULL, stdout, NULL, &err) == 0);
    CHECK(access("runs/001/losses.csv", F_OK) == 0);
    CHECK(access("runs/002/samples/epoch-001.png", F_OK) == 0);
    CHECK(access("runs/003", F_OK) != 0);
    CHECK(chdir(cwd) == 0);

    config(&cfg, NULL);
    cfg.data_dir = "/nonexistent/folder";
    CHECK(gan_run(&cfg, NULL, stdout, NULL, &err) == -1);
    CHECK_MSG(strstr(err.msg, "/nonexistent/folder: data folder not found"), "%s", err.msg);

    /* an output folder that cannot be made */
    char out[256];
    snprintf(out, sizeof out, "%s/data/train-images-idx3-ubyte/x", dir);
    config(&cfg, out);
    CHECK(gan_run(&cfg, NULL, stdout, NULL, &err) == -1);
    CHECK_MSG(strstr(err.msg, "is not a folder") || strstr(err.msg, "cannot create folder"),
              "%s", err.msg);
}

/* The tiny data set and a trainer (or two) for it. */
static void setup(gan_dataset *ds, gan_trainer *t, int n)
{
    gan_config cfg;
    config(&cfg, NULL);
    gan_err err = {""};
    CHECK(gan_dataset_load(ds, data, "train", 0, 0, &err) == 0);
    for (int i = 0; i < n; i++)
        CHECK(gan_trainer_init(&t[i], &cfg, (int)(ds->rows * ds->cols), ds->count, &err) == 0);
}

/* A model that goes non-finite stops its epoch at once, naming the step. */
static void test_nonfinite(void)
{
    gan_dataset ds;
    gan_trainer t;
    setup(&ds, &t, 1);
    gan_epoch_stats es;
    CHECK(gan_trainer_epoch(&t, &ds, &es) == GAN_EPOCH_DONE && t.epoch == 1 && t.step == 7);
    t.D.params[3] = INFINITY; /* one weight of D's first layer */
    CHECK(gan_trainer_epoch(&t, &ds, &es) == GAN_EPOCH_NONFINITE);
    CHECK(t.bad_step == 8 && t.epoch == 1 && t.pos == 1);
    gan_trainer_free(&t);
    gan_dataset_free(&ds);
}

/* An interrupt flag stops the epoch between steps; the rest of the epoch
 * then gives what an uninterrupted epoch gives. */
static void test_interrupt(void)
{
    gan_dataset ds;
    gan_trainer ab[2];
    setup(&ds, ab, 2);
    gan_trainer *a = &ab[0], *b = &ab[1];
    gan_epoch_stats ea, eb;
    CHECK(gan_trainer_epoch(a, &ds, &ea) == GAN_EPOCH_DONE);
    volatile sig_atomic_t flag = 1;
    b->interrupt = &flag;
    CHECK(gan_trainer_epoch(b, &ds, &eb) == GAN_EPOCH_INTERRUPTED && b->pos == 0 && b->step == 0);
    flag = 0;
    CHECK(gan_trainer_epoch(b, &ds, &eb) == GAN_EPOCH_DONE);
    CHECK(memcmp(&ea, &eb, sizeof ea) == 0);
    CHECK(memcmp(a->G.params, b->G.params, sizeof(float) * a->G.nparams) == 0);
    gan_trainer_free(a);
    gan_trainer_free(b);
    gan_dataset_free(&ds);
}

int main(void)
{
    if (test_tmpdir(dir, sizeof dir, "train") != 0)
        return 1;
    make_data();
    test_run();
    test_numbered_and_errors();
    test_nonfinite();
    test_interrupt();
    test_rmdir(dir);
    TEST_MAIN_END();
}

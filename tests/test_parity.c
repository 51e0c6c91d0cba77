/*
 * test_parity.c: gan-train against PyTorch, step for step.
 *
 * tests/fixtures/parity.txt was written by scripts/make-reference.py, which
 * runs the seed's model and step in PyTorch from the same initial weights and
 * noise (gan-train's PCG32 rules, re-implemented there) on the first 3 x 64
 * images of data/mnist (format 2: also the R1 penalty, by autograd; a case
 * line may end in " loss=NAME", a loss of gan_loss.h on D's logit, and then
 * in " ncritic=K gp=LAMBDA beta2=B": K D steps per G step, WGAN-GP's penalty
 * by autograd, its interpolation weights drawn after z; and, conditional
 * (issue 19), in " classes=K condd=BITS condg=G ac=W": the forms of
 * gan_train.h on the images' labels, the fake rows' classes drawn after z and
 * the interpolation weights). This test runs the same iterations through the
 * library and compares.
 *
 * Tolerances. The inputs (weights, images, noise) must agree to the bit
 * (checked). After that, float32 sums in another order differ: a dot product
 * of K terms rounds with a relative error of at most about K u and typically
 * sqrt(K) u of the sum of the terms' magnitudes (u = 2^-24 = 6e-8; K = 784
 * gives 4.7e-5 at worst, 1.7e-6 typically), and the errors of the three
 * layers add up. So a tensor's entries are compared with
 *     |ours - torch| <= RTOL (|torch| + rms(torch tensor)),  RTOL = 1e-4,
 * relative to the tensor's scale rather than to each entry, because an
 * entry that cancels to almost zero keeps the absolute error of its terms;
 * its checksums likewise (sum against the sum of |x|). Losses must agree to
 * 1e-5 absolute. The largest differences seen are printed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gan_idx.h"
#include "gan_train.h"
#include "test_util.h"

#define RTOL 1e-4
#define LOSS_ATOL 1e-5
#define MAX_RECORDS 128
#define MAX_SAMPLES 64

typedef struct {
    char kind[8];   /* scalar, vector, tensor */
    char name[48];
    long n;
    double sum, sumabs, sumsq;
    int k;
    long idx[MAX_SAMPLES];
    double *val;    /* vector: n values; tensor: k sampled values; scalar: 1 */
} record;

typedef struct {
    char name[32];
    unsigned long long seed;
    double slope, lr, beta1, beta2, r1, gp;
    int r1_every, n_critic;
    int saturate; /* 0, or the value D's last bias is set to (bce: saturation) */
    int loss;     /* gan_loss_kind: " loss=NAME" at the line's end, else bce */
    int iterations, batch, zdim, hidden;
    int classes, cond_d, cond_g; /* conditional: K > 0 */
    double ac;
    int nrec;
    record rec[MAX_RECORDS];
} fixture_case;

static double worst_tensor = 0.0, worst_loss = 0.0;
static char worst_loss_at[96] = "";
static int r1_steps = 0; /* steps with the R1 penalty compared */
static int gp_steps = 0; /* steps with WGAN-GP's penalty compared */

static const record *find_quiet(const fixture_case *c, const char *name)
{
    for (int i = 0; i < c->nrec; i++)
        if (strcmp(c->rec[i].name, name) == 0)
            return &c->rec[i];
    return NULL;
}

static const record *find(const fixture_case *c, const char *name)
{
    for (int i = 0; i < c->nrec; i++)
        if (strcmp(c->rec[i].name, name) == 0)
            return &c->rec[i];
    fprintf(stderr, "fixture case %s has no record %s\n", c->name, name);
    test_failures++;
    return NULL;
}

/* Parses one "case ..." block; returns 1 when a case was read, 0 at EOF. */
static int read_case(FILE *f, fixture_case *c)
{
    static char line[1 << 20];
    memset(c, 0, sizeof *c);
    int in_case = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        if (strncmp(line, "case ", 5) == 0) {
            int got = sscanf(line,
                             "case %31s seed=%llu slope=%lf saturate=%d iterations=%d batch=%d "
                             "zdim=%d hidden=%d lr=%lf beta1=%lf r1=%lf r1every=%d",
                             c->name, &c->seed, &c->slope, &c->saturate, &c->iterations,
                             &c->batch, &c->zdim, &c->hidden, &c->lr, &c->beta1, &c->r1,
                             &c->r1_every);
            CHECK_MSG(got == 12, "bad case line: %s", line);
            char lname[16] = "bce";
            const char *l = strstr(line, " loss=");
            if (l)
                CHECK(sscanf(l, " loss=%15s", lname) == 1);
            c->loss = gan_loss_find(lname);
            CHECK_MSG(c->loss >= 0, "bad loss in: %s", line);
            c->n_critic = 1;
            c->beta2 = 0.999;
            const char *k = strstr(line, " ncritic=");
            if (k)
                CHECK(sscanf(k, " ncritic=%d gp=%lf beta2=%lf", &c->n_critic, &c->gp,
                             &c->beta2) == 3);
            const char *q = strstr(line, " classes=");
            if (q)
                CHECK(sscanf(q, " classes=%d condd=%d condg=%d ac=%lf", &c->classes, &c->cond_d,
                             &c->cond_g, &c->ac) == 4);
            in_case = 1;
            continue;
        }
        if (strncmp(line, "end", 3) == 0)
            return in_case;
        CHECK(in_case && c->nrec < MAX_RECORDS);
        if (!in_case || c->nrec >= MAX_RECORDS)
            return 0;
        record *r = &c->rec[c->nrec++];
        char *p = line, *end;
        int off = 0;
        CHECK(sscanf(p, "%7s %47s%n", r->kind, r->name, &off) == 2);
        p += off;
        if (strcmp(r->kind, "scalar") == 0) {
            r->n = 1;
            r->val = malloc(sizeof(double));
            r->val[0] = strtod(p, &end);
            CHECK(end != p);
        } else if (strcmp(r->kind, "vector") == 0) {
            r->n = strtol(p, &p, 10);
            r->val = malloc(sizeof(double) * (size_t)r->n);
            for (long i = 0; i < r->n; i++)
                r->val[i] = strtod(p, &p);
        } else {
            r->n = strtol(p, &p, 10);
            r->sum = strtod(p, &p);
            r->sumabs = strtod(p, &p);
            r->sumsq = strtod(p, &p);
            r->k = (int)strtol(p, &p, 10);
            CHECK(r->k >= 1 && r->k <= MAX_SAMPLES);
            if (r->k < 1 || r->k > MAX_SAMPLES)
                return 0;
            r->val = malloc(sizeof(double) * (size_t)r->k);
            for (int i = 0; i < r->k; i++) {
                r->idx[i] = strtol(p, &p, 10);
                r->val[i] = strtod(p, &p);
            }
        }
    }
    return 0;
}

static void free_case(fixture_case *c)
{
    for (int i = 0; i < c->nrec; i++)
        free(c->rec[i].val);
}

/* Compares a tensor of ours with its record, within rtol of the tensor's scale. */
static void check_tensor(const fixture_case *c, const char *name, const float *x, size_t n,
                         double rtol)
{
    const record *r = find(c, name);
    if (!r)
        return;
    CHECK_MSG((size_t)r->n == n, "%s/%s: %zu entries, fixture has %ld", c->name, name, n, r->n);
    double s = 0, sa = 0, sq = 0;
    for (size_t i = 0; i < n; i++) {
        s += x[i];
        sa += fabs(x[i]);
        sq += (double)x[i] * x[i];
    }
    if (rtol == 0.0) {
        /* must be the same floats: entries equal, sums equal but for the
         * order of double additions */
        for (int i = 0; i < r->k; i++)
            CHECK_MSG(x[r->idx[i]] == (float)r->val[i], "%s/%s[%ld]: %.9g, torch %.9g", c->name,
                      name, r->idx[i], x[r->idx[i]], r->val[i]);
        rtol = 1e-12;
    }
    double rms = sqrt(r->sumsq / (double)r->n), floor_ = 1e-300;
    CHECK_MSG(fabs(s - r->sum) <= rtol * r->sumabs + floor_, "%s/%s: sum %.10g, torch %.10g",
              c->name, name, s, r->sum);
    CHECK_MSG(fabs(sa - r->sumabs) <= rtol * r->sumabs + floor_,
              "%s/%s: sum|x| %.10g, torch %.10g", c->name, name, sa, r->sumabs);
    CHECK_MSG(fabs(sq - r->sumsq) <= 2 * rtol * r->sumsq + floor_,
              "%s/%s: sum x^2 %.10g, torch %.10g", c->name, name, sq, r->sumsq);
    if (rtol < RTOL)
        return;
    if (r->sumabs > 0 && fabs(sa - r->sumabs) / r->sumabs > worst_tensor)
        worst_tensor = fabs(sa - r->sumabs) / r->sumabs;
    for (int i = 0; i < r->k; i++) {
        double ours = x[r->idx[i]], ref = r->val[i];
        double err = fabs(ours - ref), scale = fabs(ref) + rms;
        CHECK_MSG(err <= rtol * scale || (ref == 0.0 && ours == 0.0),
                  "%s/%s[%ld]: %.9g, torch %.9g", c->name, name, r->idx[i], ours, ref);
        if (scale > 0 && err / scale > worst_tensor)
            worst_tensor = err / scale;
    }
}

static void check_loss(const fixture_case *c, const char *name, int it, double ours)
{
    char key[64];
    snprintf(key, sizeof key, "%s.%d", name, it);
    const record *r = find(c, key);
    if (!r)
        return;
    CHECK_MSG(fabs(ours - r->val[0]) <= LOSS_ATOL, "%s/%s: %.9g, torch %.9g", c->name, key, ours,
              r->val[0]);
    if (fabs(ours - r->val[0]) > worst_loss) {
        worst_loss = fabs(ours - r->val[0]);
        snprintf(worst_loss_at, sizeof worst_loss_at, "%s/%s", c->name, key);
    }
}

static void check_model(const fixture_case *c, const char *prefix, const gan_mlp *m,
                        const gan_mlp_view *v, double rtol)
{
    char key[64];
    for (int l = 0; l < 3; l++) {
        size_t nw = (size_t)m->dims[l + 1] * m->dims[l], nb = (size_t)m->dims[l + 1];
        snprintf(key, sizeof key, "%s.w%d", prefix, l + 1);
        check_tensor(c, key, v->w[l], nw, rtol);
        snprintf(key, sizeof key, "%s.b%d", prefix, l + 1);
        check_tensor(c, key, v->b[l], nb, rtol);
    }
    for (int l = 0; l < 3; l++) /* a conditional net's class biases (K, OUT) */
        if (v->cb[l]) {
            snprintf(key, sizeof key, "%s.c%d", prefix, l + 1);
            check_tensor(c, key, v->cb[l], (size_t)m->cond.classes * m->dims[l + 1], rtol);
        }
    if (v->proj) {
        snprintf(key, sizeof key, "%s.e", prefix);
        check_tensor(c, key, v->proj, (size_t)m->cond.classes * m->dims[2], rtol);
    }
}

static void run_case(const fixture_case *c, const gan_dataset *ds, int threads)
{
    gan_config cfg;
    gan_config_default(&cfg);
    gan_config_preset(&cfg, GAN_PRESET_SEED);
    cfg.threads = threads;
    cfg.seed = c->seed;
    cfg.slope = (float)c->slope;
    cfg.beta1 = c->beta1;
    cfg.r1_gamma = c->r1;
    cfg.r1_every = c->r1_every;
    cfg.batch = c->batch;
    cfg.z_dim = c->zdim;
    cfg.hidden = c->hidden;
    cfg.lr = c->lr;
    cfg.beta2 = c->beta2;
    cfg.loss = c->loss;
    cfg.n_critic = c->n_critic;
    if (c->gp > 0)
        cfg.gp = c->gp;
    if (c->classes) {
        cfg.conditional = 1;
        cfg.classes = c->classes;
        cfg.cond_d = (unsigned)c->cond_d;
        cfg.cond_g = c->cond_g;
        cfg.ac_weight = c->ac;
    }
    gan_trainer t;
    gan_err err = {""};
    int P = (int)(ds->rows * ds->cols), b = c->batch;
    CHECK_MSG(gan_trainer_init(&t, &cfg, P, ds->count, &err) == 0, "%s", err.msg);
    if (c->saturate)
        t.D.p.b[2][0] = (float)c->saturate; /* every D output exactly 1 or 0 */
    /* the inputs must be the same to the bit */
    check_model(c, "init.G", &t.G, &t.G.p, 0.0);
    check_model(c, "init.D", &t.D, &t.D.p, 0.0);

    uint32_t *idx = malloc(sizeof(uint32_t) * (size_t)b);
    const int OD = t.D.dims[3];
    float *probs = malloc(sizeof(float) * 2 * (size_t)b * OD);
    for (int it = 0; it < c->iterations; it++) {
        for (int i = 0; i < b; i++)
            idx[i] = (uint32_t)(it * b + i);
        gan_dataset_batch(ds, idx, b, t.x);
        gan_rng_normal_fill(&t.rng, t.z, (size_t)b * c->zdim);
        for (int i = 0; c->gp > 0 && i < b; i++) /* as the epoch loop draws them */
            t.e[i] = gan_rng_uniform(&t.rng, 0.0f, 1.0f);
        for (int i = 0; c->classes && i < b; i++) { /* likewise, the fake rows' classes */
            t.lab[i] = ds->labels[idx[i]];
            t.lab[b + i] = (uint8_t)gan_rng_index(&t.rng, (uint32_t)c->classes);
        }
        if (it == 0) {
            check_tensor(c, "x0", t.x, (size_t)b * P, 0.0);
            check_tensor(c, "z0", t.z, (size_t)b * c->zdim, 0.0);
            /* D(x) and D(G(z)) row by row, before the step (D's output: its
             * sigmoid for bce, its logit for the other losses) */
            if (c->classes) {
                memcpy(t.G.labels, t.lab + b, (size_t)b);
                memcpy(t.D.labels, t.lab, 2 * (size_t)b);
            }
            gan_mlp_forward(&t.G, t.x + (size_t)b * P, t.z, b, &GAN_SOLO);
            gan_mlp_forward(&t.D, probs, t.x, 2 * b, &GAN_SOLO);
            const record *dr = find(c, "d_real"), *df = find(c, "d_fake");
            for (int i = 0; dr && df && i < b; i++) {
                CHECK_CLOSE(probs[(size_t)i * OD], dr->val[i], 1e-6, RTOL);
                CHECK_CLOSE(probs[(size_t)(b + i) * OD], df->val[i], 1e-6, RTOL);
            }
        }
        gan_step_stats st;
        gan_trainer_step(&t, b, &st);
        if (it == 0)
            check_model(c, "grad.D", &t.D, &t.D.g, RTOL);
        if (it == c->n_critic - 1) /* the first G step */
            check_model(c, "grad.G", &t.G, &t.G.g, RTOL);
        check_loss(c, "loss_real", it, st.loss_real);
        check_loss(c, "loss_fake", it, st.loss_fake);
        check_loss(c, "loss_d", it, st.loss_d);
        if (c->gp > 0)
            check_loss(c, "wass", it, st.wass);
        else
            CHECK(st.wass == 0.0);
        /* a G step (and its loss) where PyTorch took one, and nowhere else */
        char key[32];
        snprintf(key, sizeof key, "loss_g.%d", it);
        CHECK_MSG(st.g_done == (find_quiet(c, key) != NULL), "%s: step %d, G step %d", c->name,
                  it, st.g_done);
        if (st.g_done)
            check_loss(c, "loss_g", it, st.loss_g);
        /* the penalty on the steps PyTorch computed it, and on no other */
        snprintf(key, sizeof key, "%s.%d", c->gp > 0 ? "gp" : "r1", it);
        const record *r1 = find_quiet(c, key);
        CHECK_MSG(st.r1_done == (r1 != NULL), "%s: step %d, penalty %d", c->name, it, st.r1_done);
        if (r1 && st.r1_done) {
            CHECK_CLOSE(st.r1, r1->val[0], 0, 10 * RTOL);
            if (c->gp > 0)
                gp_steps++;
            else
                r1_steps++;
        }
    }
    check_model(c, "final.G", &t.G, &t.G.p, RTOL);
    check_model(c, "final.D", &t.D, &t.D.p, RTOL);
    free(idx);
    free(probs);
    gan_trainer_free(&t);
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: test_parity FIXTURE DATA_DIR [THREADS]\n");
        return 2;
    }
    int threads = argc == 4 ? atoi(argv[3]) : 1;
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    char first[128];
    CHECK(fgets(first, sizeof first, f) && strncmp(first, "# gan-train parity fixture, format 2", 36) == 0);
    gan_dataset ds;
    gan_err err = {""};
    if (gan_dataset_load(&ds, argv[2], "train", 192, 0, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    static fixture_case c;
    int cases = 0, saturated_seen = 0, cond_seen = 0; /* bit: a GAN_COND_* form */
    int losses_seen = 0; /* bit k: a case of loss k */
    while (read_case(f, &c)) {
        cases++;
        losses_seen |= 1 << c.loss;
        if (c.saturate && c.loss == GAN_LOSS_BCE) {
            /* the saturated cases really saturate: every D output exactly 1
             * (or 0), so every BCE term is 0 or PyTorch's clamp of 100 */
            const record *dr = find(&c, "d_real");
            int hits = 0;
            for (long i = 0; dr && i < dr->n; i++)
                hits += dr->val[i] == (c.saturate > 0 ? 1.0 : 0.0);
            CHECK(dr && hits == dr->n);
            saturated_seen |= c.saturate > 0 ? 1 : 2;
        }
        cond_seen |= c.cond_d | (c.cond_g ? 8 : 0);
        run_case(&c, &ds, threads);
        free_case(&c);
    }
    fclose(f);
    CHECK(cases == 13 && saturated_seen == 3 && r1_steps == 12 && gp_steps == 8 &&
          losses_seen == 15 && cond_seen == 15);
    fprintf(stderr, "parity (%d thread%s): %d cases, %d steps with R1, %d with WGAN-GP's penalty; "
                    "largest difference: tensors %.3g (relative to scale), losses %.3g "
                    "(absolute, %s)\n", threads, threads == 1 ? "" : "s", cases, r1_steps,
            gp_steps, worst_tensor, worst_loss, worst_loss_at);
    gan_dataset_free(&ds);
    TEST_MAIN_END();
}

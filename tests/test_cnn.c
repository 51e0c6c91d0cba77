/*
 * test_cnn.c: the convolutional classifier (gan_cnn.h): every parameter's
 * gradient of the softmax cross-entropy against central differences (points
 * where a step crosses a ReLU or pooling kink, where the loss has no
 * derivative, are few and counted apart); PyTorch's logits, loss and every
 * gradient of a small network of this shape (tests/fixtures/conv.txt, its
 * "cnn" part, from scripts/make-reference.py --conv); and learning: it tells
 * apart, on images it has not seen, which quadrant of an 8 x 8 image holds a
 * bright 2 x 2 square.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan_cnn.h"
#include "test_util.h"

static gan_rng rng;

static double loss_of(gan_cnn *n, const float *x, const uint8_t *y, int B, float *probs)
{
    gan_cnn_forward(n, x, B);
    return gan_softmax_ce_forward(probs, n->logits, y, B, n->classes);
}

static void test_gradients(void)
{
    enum { B = 3, H = 8, W = 8, C = 2, K = 3 };
    gan_cnn n;
    gan_err err = {""};
    CHECK_MSG(gan_cnn_init(&n, H, W, C, 3, 3, 4, K, 5, 4, &err) == 0, "%s", err.msg);
    CHECK(n.flat == 2 * 2 * 4 && n.nparams == (3 * 9 * 2 + 3) + (4 * 9 * 3 + 4) + (5 * 16 + 5) +
                                                  (3 * 5 + 3));
    gan_cnn_reset(&n, &rng);
    float x[B * H * W * C], probs[B * 3], dl[B * 3];
    uint8_t y[B] = {0, 2, 1};
    for (int i = 0; i < B * H * W * C; i++)
        x[i] = gan_rng_uniform(&rng, -1, 1);
    loss_of(&n, x, y, B, probs);
    gan_softmax_ce_backward(dl, probs, y, B, 3);
    gan_cnn_backward(&n, x, dl, B);
    int bad = 0, kinks = 0;
    const float eps = 1e-3f;
    for (size_t i = 0; i < n.nparams; i++) {
        float keep = n.params[i];
        n.params[i] = keep + eps;
        double up = loss_of(&n, x, y, B, probs);
        n.params[i] = keep - eps;
        double down = loss_of(&n, x, y, B, probs);
        n.params[i] = keep;
        n.params[i] = keep;
        double mid = loss_of(&n, x, y, B, probs);
        double fd = (up - down) / (2.0 * (double)eps), g = n.grads[i];
        /* a kink inside the step (a ReLU or a pooling winner switching): the
         * one-sided differences disagree, where between kinks they agree
         * but for curvature and rounding */
        double fwd = (up - mid) / eps, bwd = (mid - down) / eps;
        if (fabs(fwd - bwd) > 1e-4 + 1e-2 * fabs(fd)) {
            kinks++;
            continue;
        }
        if (fabs(fd - g) > 1e-4 + 1e-2 * fabs(g))
            bad++;
    }
    CHECK_MSG(bad == 0, "%d of %zu gradients differ from central differences", bad, n.nparams);
    CHECK_MSG(kinks <= (int)n.nparams / 20, "%d of %zu steps across a kink", kinks, n.nparams);
    gan_cnn_free(&n);
}

/* An 8 x 8 grey image, a bright 2 x 2 square in quadrant q, some noise. */
static void quadrant_image(float *x, int q, gan_rng *r)
{
    for (int i = 0; i < 64; i++)
        x[i] = gan_rng_uniform(r, -1.0f, -0.6f);
    int y0 = (q / 2) * 4 + (int)gan_rng_below(r, 3), x0 = (q % 2) * 4 + (int)gan_rng_below(r, 3);
    for (int dy = 0; dy < 2; dy++)
        for (int dx = 0; dx < 2; dx++)
            x[(y0 + dy) * 8 + x0 + dx] = 1.0f;
}

static void test_learning(void)
{
    enum { B = 16, STEPS = 300, TEST = 200 };
    gan_cnn n;
    gan_err err = {""};
    CHECK(gan_cnn_init(&n, 8, 8, 1, 4, 4, 8, 3, 16, B, &err) == 0);
    gan_cnn_reset(&n, &rng);
    gan_adam_cfg adam = {1e-2, 0.9, 0.999, 1e-8};
    float x[B * 64], probs[B * 4], dl[B * 4];
    uint8_t y[B];
    gan_rng data;
    gan_rng_seed(&data, 3, 3);
    double first = 0, last = 0;
    for (int s = 0; s < STEPS; s++) {
        for (int i = 0; i < B; i++) {
            y[i] = (uint8_t)gan_rng_below(&data, 4);
            quadrant_image(x + i * 64, y[i], &data);
        }
        double l = loss_of(&n, x, y, B, probs);
        first = s == 0 ? l : first;
        last = l;
        gan_softmax_ce_backward(dl, probs, y, B, 4);
        gan_cnn_backward(&n, x, dl, B);
        gan_cnn_adam(&n, &adam);
    }
    int right = 0;
    for (int t = 0; t < TEST; t += B) {
        for (int i = 0; i < B; i++) {
            y[i] = (uint8_t)gan_rng_below(&data, 4);
            quadrant_image(x + i * 64, y[i], &data);
        }
        gan_cnn_forward(&n, x, B);
        for (int i = 0; i < B && t + i < TEST; i++) {
            const float *l = n.logits + i * 4;
            int best = 0;
            for (int c = 1; c < 4; c++)
                best = l[c] > l[best] ? c : best;
            right += best == y[i];
        }
    }
    CHECK_MSG(last < first / 4, "loss %g -> %g", first, last);
    CHECK_MSG(right >= TEST * 95 / 100, "%d of %d unseen images right", right, TEST);
    gan_cnn_free(&n);
    /* sizes that give no output */
    CHECK(gan_cnn_init(&n, 3, 8, 1, 4, 4, 8, 3, 16, B, &err) == -1 && strstr(err.msg, "no output"));
    CHECK(gan_cnn_init(&n, 8, 8, 1, 4, 4, 8, 2, 16, B, &err) == -1); /* an even kernel */
}

/* The "cnn" part of the fixture: sizes, x, y, params, logits, loss, grads. */
static int test_pytorch(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return -1;
    }
    char key[32];
    float *v[8] = {NULL};
    size_t n[8] = {0};
    const char *want[8] = {"cnn", "x", "y", "params", "logits", "loss", "grads", ""};
    int k = 0;
    float *tmp;
    size_t cnt;
    while (k < 7 && test_read_floats(f, key, sizeof key, &tmp, &cnt)) {
        if (k == 0 && strcmp(key, "cnn") != 0) { /* the convolution cases before it */
            free(tmp);
            continue;
        }
        CHECK_MSG(strcmp(key, want[k]) == 0, "%s: '%s' where '%s' was expected", path, key, want[k]);
        v[k] = tmp;
        n[k++] = cnt;
    }
    fclose(f);
    CHECK_MSG(k == 7 && n[0] == 9, "%s: no cnn part", path);
    if (k == 7 && n[0] == 9) {
        int B = (int)v[0][0], classes = (int)v[0][4];
        gan_cnn net;
        gan_err err = {""};
        CHECK(gan_cnn_init(&net, (int)v[0][1], (int)v[0][2], (int)v[0][3], classes, (int)v[0][5],
                           (int)v[0][6], (int)v[0][7], (int)v[0][8], B, &err) == 0);
        CHECK(n[3] == net.nparams && n[6] == net.nparams && n[2] == (size_t)B);
        if (n[3] == net.nparams && n[6] == net.nparams && n[2] == (size_t)B) {
            memcpy(net.params, v[3], sizeof(float) * net.nparams);
            uint8_t y[64];
            for (int i = 0; i < B; i++)
                y[i] = (uint8_t)v[2][i];
            float probs[64 * 16], dl[64 * 16];
            double loss = loss_of(&net, v[1], y, B, probs);
            gan_softmax_ce_backward(dl, probs, y, B, classes);
            gan_cnn_backward(&net, v[1], dl, B);
            double el = 0, eg = 0, sg = 1e-30;
            for (int i = 0; i < B * classes; i++)
                el = fmax(el, fabs(net.logits[i] - v[4][i]));
            for (size_t i = 0; i < net.nparams; i++) {
                eg = fmax(eg, fabs(net.grads[i] - v[6][i]));
                sg = fmax(sg, fabs(v[6][i]));
            }
            CHECK_MSG(el < 1e-5 && fabs(loss - v[5][0]) < 1e-5 && eg / sg < 1e-5,
                      "against PyTorch: logits %g, loss %g vs %g, gradients %g of their scale",
                      el, loss, v[5][0], eg / sg);
        }
        gan_cnn_free(&net);
    }
    for (int i = 0; i < 7; i++)
        free(v[i]);
    return 0;
}

int main(int argc, char **argv)
{
    gan_rng_seed(&rng, 77, 9);
    test_gradients();
    test_learning();
    if (argc > 1 && test_pytorch(argv[1]) != 0)
        return 1;
    TEST_MAIN_END();
}

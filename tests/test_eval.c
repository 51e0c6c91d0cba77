/*
 * test_eval.c: the evaluation's measures against closed forms: the Frechet
 * distance of Gaussians (a set against itself 0; commuting covariances
 * sum (sqrt a - sqrt b)^2; a non-commuting 2 x 2 pair through
 * Tr sqrt(M) = sqrt(Tr M + 2 sqrt(det M))), the unbiased covariance, the
 * Inception Score and class coverage of one-hot predictions, and k-NN
 * radii and coverage on points of a line, with 1 and 2 threads.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan_eval.h"
#include "gan_rng.h"
#include "test_util.h"

static double *work_for(int d)
{
    return malloc(sizeof(double) * gan_fid_work(d));
}

static void test_stats(void)
{
    float x[6] = {1, 2, 3, 4, 5, 0};
    double mu[2], cov[4], w[6];
    gan_feature_stats(x, 3, 2, mu, cov, w);
    CHECK(mu[0] == 3.0 && mu[1] == 2.0);
    CHECK_CLOSE(cov[0], 4.0, 1e-12, 0);
    CHECK_CLOSE(cov[3], 4.0, 1e-12, 0);
    CHECK_CLOSE(cov[1], -2.0, 1e-12, 0);
    CHECK(cov[1] == cov[2]);
}

static void test_fid(void)
{
    gan_err err = {""};
    /* a set against itself: 0 */
    enum { N = 500, D = 16 };
    gan_rng rng;
    gan_rng_seed(&rng, 3, 1);
    float *x = malloc(sizeof(float) * N * D);
    for (int i = 0; i < N * D; i++)
        x[i] = gan_rng_uniform(&rng, -1.0f, 1.0f) + (float)(i % D) * 0.1f;
    double mu[D], cov[D * D], *c = malloc(sizeof(double) * N * D), *w = work_for(D), fid = -1;
    gan_feature_stats(x, N, D, mu, cov, c);
    CHECK(gan_fid(mu, cov, mu, cov, D, w, &fid, &err) == 0);
    CHECK_MSG(fid >= 0 && fid < 1e-9, "FID of a set against itself: %g", fid);

    /* commuting: S1 = Q diag(a) Q^T, S2 = Q diag(b) Q^T (Q a rotation in
     * the (0, 1) plane): |mu1 - mu2|^2 + sum (sqrt a - sqrt b)^2 */
    enum { K = 3 };
    double a[K] = {1.0, 4.0, 9.0}, b[K] = {4.0, 1.0, 2.25}, Q[K * K] = {0}, S1[K * K], S2[K * K];
    double th = 0.7, m1[K] = {0, 1, 2}, m2[K] = {1, 1, 0};
    Q[0] = cos(th), Q[1] = -sin(th), Q[3] = sin(th), Q[4] = cos(th), Q[8] = 1.0;
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) {
            S1[i * K + j] = S2[i * K + j] = 0.0;
            for (int k = 0; k < K; k++) {
                S1[i * K + j] += Q[i * K + k] * a[k] * Q[j * K + k];
                S2[i * K + j] += Q[i * K + k] * b[k] * Q[j * K + k];
            }
        }
    double want = 1.0 + 4.0; /* |mu1 - mu2|^2 */
    for (int k = 0; k < K; k++)
        want += (sqrt(a[k]) - sqrt(b[k])) * (sqrt(a[k]) - sqrt(b[k]));
    free(w);
    w = work_for(K);
    CHECK(gan_fid(m1, S1, m2, S2, K, w, &fid, &err) == 0);
    CHECK_CLOSE(fid, want, 1e-10, 1e-10);
    CHECK(gan_fid(m2, S2, m1, S1, K, w, &fid, &err) == 0); /* symmetric */
    CHECK_CLOSE(fid, want, 1e-10, 1e-10);

    /* non-commuting 2 x 2: S1 = diag(1, 4), S2 = [[2, 1], [1, 2]]; M =
     * S1^(1/2) S2 S1^(1/2) has Tr M = Tr(S1 S2) = 10 and det M = 4 * 3 */
    double P1[4] = {1, 0, 0, 4}, P2[4] = {2, 1, 1, 2}, z2[2] = {0, 0};
    free(w);
    w = work_for(2);
    CHECK(gan_fid(z2, P1, z2, P2, 2, w, &fid, &err) == 0);
    CHECK_CLOSE(fid, 5.0 + 4.0 - 2.0 * sqrt(10.0 + 2.0 * sqrt(12.0)), 1e-12, 1e-12);
    free(w);
    free(c);
    free(x);
}

static void test_classes(void)
{
    enum { N = 40, C = 10 };
    float p[N * C];
    int counts[C], covered;
    double is, kl;
    /* one-hot, evenly over the classes: IS = C, all covered, KL 0 */
    memset(p, 0, sizeof p);
    for (int i = 0; i < N; i++)
        p[i * C + i % C] = 1.0f;
    gan_class_measures(p, N, C, 0.01, counts, &is, &covered, &kl);
    CHECK_CLOSE(is, 10.0, 1e-9, 1e-9);
    CHECK(covered == 10 && fabs(kl) < 1e-12);
    /* all one class: IS 1, one covered, KL log C */
    memset(p, 0, sizeof p);
    for (int i = 0; i < N; i++)
        p[i * C + 3] = 1.0f;
    gan_class_measures(p, N, C, 0.01, counts, &is, &covered, &kl);
    CHECK_CLOSE(is, 1.0, 1e-12, 0);
    CHECK(covered == 1 && counts[3] == N);
    CHECK_CLOSE(kl, log(10.0), 1e-12, 0);
    /* uniform predictions: IS 1 whatever the argmax */
    for (int i = 0; i < N * C; i++)
        p[i] = 0.1f;
    gan_class_measures(p, N, C, 0.01, counts, &is, &covered, &kl);
    CHECK_CLOSE(is, 1.0, 1e-6, 0);
}

static void test_knn(int threads)
{
    enum { N = 10, D = 2 };
    gan_pool *pool = NULL;
    gan_err err = {""};
    CHECK(gan_pool_init(&pool, threads, &err) == 0);
    float x[N * D], far[N * D], r2[N], fr2[N], norms[N], fnorms[N];
    float *scratch = malloc(sizeof(float) * 256 * 128 * N);
    for (int i = 0; i < N; i++) {
        x[i * D] = (float)i, x[i * D + 1] = 0.0f;
        far[i * D] = (float)i, far[i * D + 1] = 100.0f;
    }
    /* the 3rd nearest other point: 3 away at the ends, 2 inside */
    gan_knn_radii(x, N, D, 3, r2, norms, scratch, pool);
    CHECK(r2[0] == 9.0f && r2[9] == 9.0f && r2[1] == 4.0f && r2[5] == 4.0f);
    /* a set covers itself; a far set covers nothing and is not covered */
    CHECK(gan_knn_coverage(x, norms, N, x, norms, r2, N, D, scratch, pool) == 1.0);
    gan_knn_radii(far, N, D, 3, fr2, fnorms, scratch, pool);
    CHECK(gan_knn_coverage(far, fnorms, N, x, norms, r2, N, D, scratch, pool) == 0.0);
    CHECK(gan_knn_coverage(x, norms, N, far, fnorms, fr2, N, D, scratch, pool) == 0.0);
    /* two of ten inside: points at (0, 1) and (4.5, 0) */
    float q[2 * D] = {0.0f, 1.0f, 4.5f, 0.0f}, qn[2] = {1.0f, 20.25f};
    CHECK(gan_knn_coverage(q, qn, 2, x, norms, r2, N, D, scratch, pool) == 1.0);
    free(scratch);
    gan_pool_free(pool);
}

int main(void)
{
    test_stats();
    test_fid();
    test_classes();
    test_knn(1);
    test_knn(2);
    TEST_MAIN_END();
}

/* eval_measures.c: the measures of gan_eval.h on feature vectors: mean and
 * covariance, the Frechet distance (LAPACK's dsyevd), the class measures,
 * and the k-NN manifolds of precision and recall on the pool's threads. */
#define _POSIX_C_SOURCE 200809L
#include "gan_eval.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK's symmetric eigensolver, from OpenBLAS (Fortran calling
 * convention: everything by pointer, then the lengths of the strings). */
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                    double *w, double *work, const int *lwork, int *iwork, const int *liwork,
                    int *info, size_t jobz_len, size_t uplo_len);

/* ---- the measures ---- */

void gan_feature_stats(const float *x, int n, int d, double *mu, double *cov, double *c)
{
    for (int j = 0; j < d; j++)
        mu[j] = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            mu[j] += x[(size_t)i * d + j];
    for (int j = 0; j < d; j++)
        mu[j] /= n;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            c[(size_t)i * d + j] = x[(size_t)i * d + j] - mu[j];
    /* cov = c^T c / (n - 1), upper triangle, then mirrored */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, n, 1.0 / (n - 1), c, d, 0.0, cov, d);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < i; j++)
            cov[(size_t)i * d + j] = cov[(size_t)j * d + i];
}

size_t gan_fid_work(int d)
{
    size_t dd = (size_t)d * d;
    /* four matrices, two eigenvalue vectors, dsyevd's work and iwork */
    return 4 * dd + 2 * (size_t)d + (1 + 6 * (size_t)d + 2 * dd) + (3 + 5 * (size_t)d);
}

/* Eigen-decomposition of the symmetric a (d, d) in place: eigenvalues in w,
 * and with vectors, row k of a is the k-th eigenvector. */
static int sym_eig(double *a, double *w, int d, int vectors, double *work, gan_err *err)
{
    size_t dd = (size_t)d * d;
    int lwork = (int)(1 + 6 * (size_t)d + 2 * dd), liwork = 3 + 5 * d, info = 0;
    int *iwork = (int *)(work + lwork);
    const char jobz = vectors ? 'V' : 'N', uplo = 'U';
    dsyevd_(&jobz, &uplo, &d, a, &d, w, work, &lwork, iwork, &liwork, &info, 1, 1);
    if (info != 0)
        return gan_err_set(err, "LAPACK dsyevd failed (info %d) on a %d x %d covariance", info, d,
                           d);
    return 0;
}

int gan_fid(const double *mu1, const double *cov1, const double *mu2, const double *cov2, int d,
            double *work, double *fid, gan_err *err)
{
    size_t dd = (size_t)d * d;
    double *E = work, *T = E + dd, *R = T + dd, *M = R + dd, *w = M + dd, *wm = w + d;
    double *lw = wm + d;
    /* S1^(1/2) = E^T diag(sqrt(l)) E, E's rows the eigenvectors of S1 */
    memcpy(E, cov1, sizeof(double) * dd);
    if (sym_eig(E, w, d, 1, lw, err) != 0)
        return -1;
    for (int k = 0; k < d; k++) {
        double s = sqrt(w[k] > 0.0 ? w[k] : 0.0);
        for (int j = 0; j < d; j++)
            T[(size_t)k * d + j] = s * E[(size_t)k * d + j];
    }
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, d, 1.0, E, d, T, d, 0.0, R, d);
    /* M = S1^(1/2) S2 S1^(1/2), symmetric PSD with the eigenvalues of S1 S2 */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, R, d, cov2, d, 0.0, T, d);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, T, d, R, d, 0.0, M, d);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < i; j++) {
            double v = 0.5 * (M[(size_t)i * d + j] + M[(size_t)j * d + i]);
            M[(size_t)i * d + j] = M[(size_t)j * d + i] = v;
        }
    if (sym_eig(M, wm, d, 0, lw, err) != 0)
        return -1;
    double tr_sqrt = 0.0, diff = 0.0, tr1 = 0.0, tr2 = 0.0;
    for (int k = 0; k < d; k++)
        tr_sqrt += sqrt(wm[k] > 0.0 ? wm[k] : 0.0);
    for (int j = 0; j < d; j++) {
        diff += (mu1[j] - mu2[j]) * (mu1[j] - mu2[j]);
        tr1 += cov1[(size_t)j * d + j];
        tr2 += cov2[(size_t)j * d + j];
    }
    double f = diff + tr1 + tr2 - 2.0 * tr_sqrt;
    *fid = f > 0.0 ? f : 0.0; /* rounding can take an exact 0 a hair below */
    return 0;
}

void gan_class_measures(const float *probs, int n, int C, double min_share, int *counts,
                        double *is, int *covered, double *kl_uniform)
{
    double marg[256];
    for (int c = 0; c < C; c++) {
        counts[c] = 0;
        marg[c] = 0.0;
    }
    for (int i = 0; i < n; i++) {
        const float *p = probs + (size_t)i * C;
        int best = 0;
        for (int c = 0; c < C; c++) {
            marg[c] += p[c];
            if (p[c] > p[best])
                best = c;
        }
        counts[best]++;
    }
    double kl_sum = 0.0;
    for (int i = 0; i < n; i++) {
        const float *p = probs + (size_t)i * C;
        for (int c = 0; c < C; c++)
            if (p[c] > 0.0f)
                kl_sum += p[c] * (log((double)p[c]) - log(marg[c] / n));
    }
    *is = exp(kl_sum / n);
    *covered = 0;
    *kl_uniform = 0.0;
    for (int c = 0; c < C; c++) {
        double share = (double)counts[c] / n;
        *covered += share >= min_share;
        if (share > 0.0)
            *kl_uniform += share * log(share * C);
    }
}

/* ---- k-NN manifolds, blocks of rows on the pool's threads ---- */

typedef struct {
    const float *q, *qnorms, *r, *rnorms, *radii2;
    int nq, nr, d, k, self; /* self: q is r, and a row is not its own neighbour */
    float *out;             /* radii: (nq) */
    float *scratch;
    long hits[256];         /* coverage: per part */
} knn_job;

static void knn_run(void *ctx, const gan_team *tm)
{
    knn_job *j = ctx;
    size_t lo, hi;
    gan_team_range(tm, (size_t)j->nq, 1, &lo, &hi);
    float *s = j->scratch + (size_t)tm->part * GAN_EVAL_KNN_BLOCK * j->nr;
    long hits = 0;
    for (size_t b0 = lo; b0 < hi; b0 += GAN_EVAL_KNN_BLOCK) {
        int nb = (int)(hi - b0 < GAN_EVAL_KNN_BLOCK ? hi - b0 : GAN_EVAL_KNN_BLOCK);
        /* s (nb, nr) = q_blk r^T */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, j->nr, j->d, 1.0f,
                    j->q + b0 * j->d, j->d, j->r, j->d, 0.0f, s, j->nr);
        for (int i = 0; i < nb; i++) {
            size_t qi = b0 + (size_t)i;
            const float *row = s + (size_t)i * j->nr;
            float qn = j->qnorms[qi];
            if (j->radii2) {
                int in = 0;
                for (int t = 0; t < j->nr && !in; t++)
                    in = qn + j->rnorms[t] - 2.0f * row[t] <= j->radii2[t];
                hits += in;
            } else {
                float best[GAN_EVAL_K + 1]; /* the k smallest, ascending */
                int nbest = 0;
                for (int t = 0; t < j->nr; t++) {
                    if (j->self && (size_t)t == qi)
                        continue;
                    float d2 = qn + j->rnorms[t] - 2.0f * row[t];
                    if (nbest == j->k && d2 >= best[j->k - 1])
                        continue;
                    int p = nbest < j->k ? nbest++ : j->k - 1;
                    while (p > 0 && best[p - 1] > d2) {
                        best[p] = best[p - 1];
                        p--;
                    }
                    best[p] = d2;
                }
                float r2 = nbest ? best[nbest - 1] : 0.0f;
                j->out[qi] = r2 > 0.0f ? r2 : 0.0f;
            }
        }
    }
    j->hits[tm->part] = hits;
}

static void norms_of(const float *x, int n, int d, float *norms)
{
    for (int i = 0; i < n; i++) {
        float s = 0.0f;
        for (int t = 0; t < d; t++)
            s += x[(size_t)i * d + t] * x[(size_t)i * d + t];
        norms[i] = s;
    }
}

void gan_knn_radii(const float *x, int n, int d, int k, float *radii2, float *norms,
                   float *scratch, gan_pool *pool)
{
    norms_of(x, n, d, norms);
    knn_job j = {.q = x, .qnorms = norms, .r = x, .rnorms = norms, .nq = n, .nr = n, .d = d,
                 .k = k < GAN_EVAL_K ? k : GAN_EVAL_K, .self = 1, .out = radii2,
                 .scratch = scratch};
    gan_pool_run(pool, knn_run, &j);
}

double gan_knn_coverage(const float *q, const float *qnorms, int nq, const float *r,
                        const float *rnorms, const float *radii2, int nr, int d, float *scratch,
                        gan_pool *pool)
{
    knn_job j = {.q = q, .qnorms = qnorms, .r = r, .rnorms = rnorms, .radii2 = radii2, .nq = nq,
                 .nr = nr, .d = d, .scratch = scratch};
    gan_pool_run(pool, knn_run, &j);
    long hits = 0;
    for (int p = 0; p < gan_pool_size(pool); p++)
        hits += j.hits[p];
    return (double)hits / nq;
}

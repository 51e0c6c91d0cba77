/* eval_cmd.c: `gan-train eval` (see gan_eval.h). */
#define _GNU_SOURCE
#include "gan_eval.h"

#include <cblas.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "gan_checkpoint.h"
#include "gan_cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: gan-train eval --checkpoint FILE [--data DIR] [--count N] [--cache DIR]\n"
            "                      [--threads N] [--csv]\n"
            "Judges the generator of a checkpoint by numbers: N samples (default %d) against\n"
            "the test split of DIR (default data/mnist) in the features of a classifier\n"
            "trained on DIR's labelled training split (once; cached in DIR of --cache, else\n"
            "$XDG_CACHE_HOME/gan-train or ~/.cache/gan-train): FID (lower is better; the\n"
            "floor of real images against real ones beside it), classes covered, KL of the\n"
            "class histogram from uniform, Inception Score, precision and recall (k-NN\n"
            "manifolds, k = %d). --csv: a header and one row instead of the text.\n",
            GAN_EVAL_DEFAULT_COUNT, GAN_EVAL_K);
}

int gan_eval_cmd_parse(gan_eval_cmd *c, int argc, char **argv, FILE *out, gan_err *err)
{
    static const struct option opts[] = {
        {"checkpoint", required_argument, NULL, 'c'}, {"data", required_argument, NULL, 'd'},
        {"count", required_argument, NULL, 'n'},      {"cache", required_argument, NULL, 'k'},
        {"threads", required_argument, NULL, 't'},    {"csv", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
    };
    memset(c, 0, sizeof *c);
    c->data_dir = "data/mnist";
    c->count = GAN_EVAL_DEFAULT_COUNT;
    optind = 0;
    opterr = 0;
    int o, rc = 0;
    while (rc == 0 && (o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        const char *a = optarg;
        switch (o) {
        case 'c': c->checkpoint = a; break;
        case 'd': c->data_dir = a; c->data_given = 1; break;
        case 'k': c->cache_dir = a; break;
        case 'n': rc = gan_cli_parse_int("count", a, 10, 1000000, &c->count, err); break;
        case 't': rc = gan_cli_parse_int("threads", a, 1, 256, &c->threads, err); break;
        case 'v': c->csv = 1; break;
        case 'h': usage(out); return 1;
        default:
            rc = gan_err_set(err, "eval: %s: unknown option or missing value (see --help)",
                             argv[optind - 1]);
            break;
        }
    }
    if (rc == 0 && optind < argc)
        rc = gan_err_set(err, "eval: '%s': unexpected argument", argv[optind]);
    if (rc == 0 && (!c->checkpoint || !*c->checkpoint))
        rc = gan_err_set(err, "eval: --checkpoint FILE is required");
    if (rc == 0 && (!*c->data_dir || (c->cache_dir && !*c->cache_dir)))
        rc = gan_err_set(err, "eval: empty folder name");
    return rc;
}

int gan_eval_cmd_run(const gan_eval_cmd *c, FILE *out, FILE *msg, gan_err *err)
{
    gan_ckpt_info in;
    unsigned char *data;
    size_t size;
    if (gan_checkpoint_read(c->checkpoint, &in, &data, &size, err) != 0)
        return -1;
    int rc = -1;
    gan_mlp G;
    gan_pool *pool = NULL;
    gan_evaluator *ev = NULL;
    int made_g = gan_checkpoint_generator(&in, data, 500, &G, err);
    free(data);
    if (made_g != 0)
        return -1;
    openblas_set_num_threads(1);
    if (gan_pool_init(&pool, c->threads ? c->threads : gan_pool_default_threads(), err) != 0)
        goto done;
    gan_eval_config ec = {c->data_dir, c->count, c->cache_dir};
    char why[512];
    int made = gan_evaluator_make(&ev, &ec, (int)in.rows, (int)in.cols, (int)in.channels,
                                  (int)in.z_dim, pool, msg,
                                  why, sizeof why, err);
    if (made == 1)
        gan_err_set(err, "%s", why);
    if (made != 0)
        goto done;
    gan_eval_result r;
    if (gan_evaluate(ev, &G, &r, err) != 0)
        goto done;
    int C = gan_evaluator_classes(ev);
    if (c->csv)
        fprintf(out, "checkpoint,epoch,count,fid,fid_floor,classes,kl_uniform,is,precision,recall,"
                "accuracy\n%s,%u,%d,%.4f,%.4f,%d,%.5f,%.4f,%.4f,%.4f,%.4f\n", c->checkpoint,
                in.epoch, r.count, r.fid, gan_evaluator_fid_floor(ev), r.classes_covered,
                r.kl_uniform, r.inception_score, r.precision, r.recall,
                gan_evaluator_accuracy(ev));
    else
        fprintf(out,
                "checkpoint: %s (epoch %u)\n"
                "reference:  %s of %s; classifier accuracy %.2f%%\n"
                "samples:    %d\n"
                "fid:        %.3f  (floor, %d real images against the reference: %.3f)\n"
                "classes:    %d of %d with at least %.0f%% of the samples; KL from uniform %.4f\n"
                "is:         %.3f  (at most %d)\n"
                "precision:  %.4f\n"
                "recall:     %.4f\n",
                c->checkpoint, in.epoch, gan_evaluator_reference(ev), c->data_dir,
                100.0 * gan_evaluator_accuracy(ev), r.count, r.fid, r.count,
                gan_evaluator_fid_floor(ev), r.classes_covered, C, 100.0 * GAN_EVAL_MIN_SHARE,
                r.kl_uniform, r.inception_score, C, r.precision, r.recall);
    rc = fflush(out) == 0 ? 0 : gan_err_set(err, "standard output: write failed");
done:
    gan_evaluator_free(ev);
    gan_pool_free(pool);
    gan_mlp_free(&G);
    return rc;
}

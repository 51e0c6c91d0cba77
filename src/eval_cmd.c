/* eval_cmd.c: `gan-train eval` (see gan_eval.h). */
#define _GNU_SOURCE
#include "gan_eval.h"

#include <cblas.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "gan_checkpoint.h"
#include "gan_cli.h"
#include "gan_safetensors.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: gan-train eval --checkpoint FILE [--data DIR] [--count N] [--cache DIR]\n"
            "                      [--threads N] [--csv]\n"
            "       gan-train eval --samples FILE | --weights G.safetensors [same options]\n"
            "Judges the generator of a checkpoint by numbers: N samples (default %d) against\n"
            "the test split of DIR (default data/mnist) in the features of a classifier\n"
            "trained on DIR's labelled training split (once; cached in DIR of --cache, else\n"
            "$XDG_CACHE_HOME/gan-train or ~/.cache/gan-train): FID (lower is better; the\n"
            "floor of real images against real ones beside it), classes covered, KL of the\n"
            "class histogram from uniform, Inception Score, precision and recall (k-NN\n"
            "manifolds, k = %d). --csv: a header and one row instead of the text.\n"
            "--samples FILE judges images saved as an IDX file instead (IDX3 grey or IDX4\n"
            "colour, of the data's shape; raw or gzip): samples of any model, from\n"
            "gan-train sample --idx or from PyTorch; all of them, or the first --count.\n"
            "--weights G.safetensors judges the generator of a weights file (gan-train\n"
            "export's, or PyTorch's under the seed's names). A conditional generator (trained\n"
            "with --conditional) draws sample i of class i mod K, and the report adds the\n"
            "share read as the class asked for (overall and in the worst class) and the\n"
            "intra-class FID (class k's samples against class k's reference images; it needs\n"
            "%d of each in every class).\n",
            GAN_EVAL_DEFAULT_COUNT, GAN_EVAL_K, GAN_EVAL_INTRA_MIN);
}

int gan_eval_cmd_parse(gan_eval_cmd *c, int argc, char **argv, FILE *out, gan_err *err)
{
    static const struct option opts[] = {
        {"checkpoint", required_argument, NULL, 'c'}, {"data", required_argument, NULL, 'd'},
        {"count", required_argument, NULL, 'n'},      {"cache", required_argument, NULL, 'k'},
        {"threads", required_argument, NULL, 't'},    {"csv", no_argument, NULL, 'v'},
        {"samples", required_argument, NULL, 's'},    {"help", no_argument, NULL, 'h'},
        {"weights", required_argument, NULL, 'w'},    {NULL, 0, NULL, 0},
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
        case 's': c->samples = a; break;
        case 'w': c->weights = a; break;
        case 'd': c->data_dir = a; c->data_given = 1; break;
        case 'k': c->cache_dir = a; break;
        case 'n':
            rc = gan_cli_parse_int("count", a, 10, 1000000, &c->count, err);
            c->count_given = 1;
            break;
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
    if (rc == 0 && !!c->checkpoint + !!c->samples + !!c->weights > 1)
        rc = gan_err_set(err, "eval: give one of --checkpoint FILE, --samples FILE and --weights "
                         "FILE");
    const char *what = c->checkpoint ? c->checkpoint : c->samples ? c->samples : c->weights;
    if (rc == 0 && (!what || !*what))
        rc = gan_err_set(err, "eval: --checkpoint FILE (or --samples FILE, --weights FILE) is "
                         "required");
    if (rc == 0 && (!*c->data_dir || (c->cache_dir && !*c->cache_dir)))
        rc = gan_err_set(err, "eval: empty folder name");
    return rc;
}

/* What is judged: a checkpoint's generator, or a set of saved images. */
typedef struct {
    gan_mlp G;
    int have_g;
    unsigned epoch;
    gan_dataset set;
    int rows, cols, channels, z_dim, count;
    char *names;   /* a conditional checkpoint's class names (owned) */
} eval_source;

/* The generator of a weights file (epoch 0: unknown). */
static int open_weights(const gan_eval_cmd *c, eval_source *src, gan_err *err)
{
    if (gan_st_load_generator(c->weights, 500, &src->G, &src->rows, &src->cols, &src->channels,
                              &src->names, err) != 0)
        return -1;
    src->have_g = 1;
    src->z_dim = src->G.dims[0];
    src->count = c->count;
    return 0;
}

static int open_source(const gan_eval_cmd *c, eval_source *src, gan_err *err)
{
    memset(src, 0, sizeof *src);
    if (c->samples) {
        if (gan_dataset_load_file(&src->set, c->samples, c->count_given ? (uint32_t)c->count : 0,
                                  err) != 0)
            return -1;
        if (c->count_given && src->set.count < (uint32_t)c->count)
            return gan_err_set(err, "%s: %u images, fewer than --count %d", c->samples,
                               src->set.count, c->count);
        if (src->set.count < 10)
            return gan_err_set(err, "%s: %u images; an evaluation needs at least 10", c->samples,
                               src->set.count);
        src->rows = (int)src->set.rows;
        src->cols = (int)src->set.cols;
        src->channels = (int)src->set.channels;
        src->z_dim = 1;
        src->count = (int)src->set.count;
        return 0;
    }
    if (c->weights)
        return open_weights(c, src, err);
    gan_ckpt_info in;
    unsigned char *data;
    size_t size;
    if (gan_checkpoint_read(c->checkpoint, &in, &data, &size, err) != 0)
        return -1;
    int made = gan_checkpoint_generator(&in, data, 500, 0, &src->G, err);
    const char *names = gan_checkpoint_class_names(&in, data);
    src->names = names ? strdup(names) : NULL;
    free(data);
    if (names && !src->names) {
        if (made == 0)
            gan_mlp_free(&src->G);
        return gan_err_set(err, "out of memory");
    }
    if (made != 0)
        return -1;
    src->have_g = 1;
    src->epoch = in.epoch;
    src->rows = (int)in.rows;
    src->cols = (int)in.cols;
    src->channels = (int)in.channels;
    src->z_dim = (int)in.z_dim;
    src->count = c->count;
    return 0;
}

/* A conditional G's lines: read as asked, per class the worst, intra-FID. */
static void class_report(const gan_eval_result *r, const char *names, int C, FILE *out)
{
    char name[GAN_CLASS_NAME_MAX + 1];
    fprintf(out, "asked:      %.4f of the samples read as the class asked for (%d a class); "
            "worst class %s: %.4f\n", r->class_acc, r->count / C,
            gan_class_name(names, r->worst_class, name, sizeof name), r->class_worst);
    if (r->intra_fid >= 0)
        fprintf(out, "intra-fid:  %.3f  (mean over classes, each class's samples against its "
                "reference images)\n", r->intra_fid);
    else
        fprintf(out, "intra-fid:  not taken: it needs %d samples and reference images in every "
                "class (--count %d or more)\n", GAN_EVAL_INTRA_MIN, GAN_EVAL_INTRA_MIN * C);
}

static void report(const gan_eval_cmd *c, const eval_source *src, const gan_evaluator *ev,
                   const gan_eval_result *r, FILE *out)
{
    int C = gan_evaluator_classes(ev);
    char what[4200];
    if (c->weights)
        snprintf(what, sizeof what, "weights:    %s", c->weights);
    else if (src->have_g)
        snprintf(what, sizeof what, "checkpoint: %s (epoch %u)", c->checkpoint, src->epoch);
    else
        snprintf(what, sizeof what, "samples:    %s (%u images in the file)", c->samples,
                 src->set.total);
    if (c->csv && src->have_g)
        fprintf(out, "checkpoint,epoch,count,fid,fid_floor,classes,kl_uniform,is,precision,recall,"
                "accuracy,class_acc,class_worst,intra_fid\n%s,%u,",
                c->weights ? c->weights : c->checkpoint, src->epoch);
    else if (c->csv)
        fprintf(out, "samples,count,fid,fid_floor,classes,kl_uniform,is,precision,recall,"
                "accuracy\n%s,", c->samples);
    if (c->csv) {
        fprintf(out, "%d,%.4f,%.4f,%d,%.5f,%.4f,%.4f,%.4f,%.4f", r->count, r->fid,
                gan_evaluator_fid_floor(ev), r->classes_covered, r->kl_uniform,
                r->inception_score, r->precision, r->recall, gan_evaluator_accuracy(ev));
        if (src->have_g && r->conditional && r->intra_fid >= 0)
            fprintf(out, ",%.4f,%.4f,%.4f", r->class_acc, r->class_worst, r->intra_fid);
        else if (src->have_g && r->conditional)
            fprintf(out, ",%.4f,%.4f,", r->class_acc, r->class_worst);
        else if (src->have_g)
            fprintf(out, ",,,");
        fputc('\n', out);
    } else {
        fprintf(out,
                "%s\n"
                "reference:  %s of %s; classifier accuracy %.2f%%\n"
                "measure:    %08x (the classifier and the count; FIDs compare only under one)\n"
                "%s    %d\n"
                "fid:        %.3f  (floor, %d real images against the reference: %.3f)\n"
                "classes:    %d of %d with at least %.0f%% of the samples; KL from uniform %.4f\n"
                "is:         %.3f  (at most %d)\n"
                "precision:  %.4f\n"
                "recall:     %.4f\n",
                what, gan_evaluator_reference(ev), c->data_dir,
                100.0 * gan_evaluator_accuracy(ev), (unsigned)gan_evaluator_id(ev),
                src->have_g ? "samples:" : "judged: ",
                r->count, r->fid, r->count, gan_evaluator_fid_floor(ev), r->classes_covered, C,
                100.0 * GAN_EVAL_MIN_SHARE, r->kl_uniform, r->inception_score, C, r->precision,
                r->recall);
        if (r->conditional)
            class_report(r, src->names, C, out);
    }
}

int gan_eval_cmd_run(const gan_eval_cmd *c, FILE *out, FILE *msg, gan_err *err)
{
    eval_source src;
    int rc = -1;
    gan_pool *pool = NULL;
    gan_evaluator *ev = NULL;
    if (open_source(c, &src, err) != 0)
        goto done;
    openblas_set_num_threads(1);
    if (gan_pool_init(&pool, c->threads ? c->threads : gan_pool_default_threads(), err) != 0)
        goto done;
    gan_eval_config ec = {c->data_dir, src.count, c->cache_dir};
    char why[512];
    int made = gan_evaluator_make(&ev, &ec, src.rows, src.cols, src.channels, src.z_dim, pool,
                                  msg, why, sizeof why, err);
    if (made == 1)
        gan_err_set(err, "%s", why);
    if (made != 0)
        goto done;
    gan_eval_result r;
    if ((src.have_g ? gan_evaluate(ev, &src.G, &r, err)
                    : gan_evaluate_set(ev, &src.set, &r, err)) != 0)
        goto done;
    report(c, &src, ev, &r, out);
    rc = fflush(out) == 0 ? 0 : gan_err_set(err, "standard output: write failed");
done:
    gan_evaluator_free(ev);
    gan_pool_free(pool);
    if (src.have_g)
        gan_mlp_free(&src.G);
    free(src.names);
    gan_dataset_free(&src.set);
    return rc;
}

/* import.c: `gan-train import` (gan_import.h): the options, the order and the
 * split, decoding into temporary raw streams, and the data set written and
 * renamed into place. */
#define _GNU_SOURCE
#include "gan_import.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gan_cli.h"
#include "gan_file.h"
#include "gan_rng.h"
#include "gan_run.h"

static const char *const FIT_NAMES[] = {"pad", "crop", "stretch"};
static const char *const ORDER_NAMES[] = {"shuffle", "name"};

/* The files a data set in DIR may have (any of them marks one). */
static const char *const SET_FILES[] = {
    "train-images-idx3-ubyte.gz", "train-images-idx3-ubyte", "train-images-idx4-ubyte.gz",
    "train-images-idx4-ubyte",    "train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte.gz",  "t10k-images-idx3-ubyte",  "t10k-images-idx4-ubyte.gz",
    "t10k-images-idx4-ubyte",     "t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte",
    "classes.txt",                "import.txt"};
#define NSET_FILES (sizeof SET_FILES / sizeof *SET_FILES)

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: gan-train import SRC... --out DIR [--size WxH (28x28)] [--channels 1|3 (1)]\n"
            "         [--fit pad|crop|stretch (pad)] [--order shuffle|name (shuffle)] [--seed N (1)]\n"
            "         [--test-fraction F (0.1)] [--strict] [--force] [--quiet]\n"
            "Makes a data folder that training, eval and sample take like data/mnist from\n"
            "folders of PNG and JPEG images (recognised by their bytes). Each subfolder of a\n"
            "SRC is a class (labels in name order: numeric where all names are whole numbers;\n"
            "DIR/classes.txt); a SRC without subfolders gives an unlabelled data set.\n"
            "  --out DIR            the data folder to write (created if missing)\n"
            "  --size WxH           every image made W x H pixels (each side 1 to %d)\n"
            "  --channels 1|3       1: grey (Rec. 601 luma of colour), 3: colour (R, G, B)\n"
            "  --fit pad|crop|stretch  another shape: keep the aspect and pad with black, keep\n"
            "                       it and crop the centre, or stretch\n"
            "  --order shuffle|name  shuffled by --seed (classes interleaved), or by class and\n"
            "                       file name; DIR/import.txt names the source of every index\n"
            "  --seed N             the shuffle's and the split's seed\n"
            "  --test-fraction F    held out per class as the t10k split (0 to below 1; 0: none)\n"
            "  --strict             a file that cannot be used is an error (nothing written)\n"
            "                       rather than skipped and named\n"
            "  --force              replace a data set already in DIR\n"
            "  --quiet              print nothing but errors\n"
            "Alpha is composited over black; images of more than %llu pixels are refused\n"
            "before decoding, files over %u MiB skipped; hidden names ('.') are not walked.\n",
            GAN_IMPORT_MAX_SIDE, (unsigned long long)GAN_DECODE_MAX_PIXELS,
            GAN_IMPORT_MAX_FILE >> 20);
}

static int find_name(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

static int parse_size(const char *a, gan_decode_opts *o, gan_err *err)
{
    char *end;
    long w = strtol(a, &end, 10), h = 0;
    int ok = end != a && (*end == 'x' || *end == 'X') && a[0] >= '0' && a[0] <= '9';
    if (ok) {
        const char *b = end + 1;
        h = strtol(b, &end, 10);
        ok = end != b && *end == '\0' && b[0] >= '0' && b[0] <= '9';
    }
    if (!ok || w < 1 || h < 1 || w > GAN_IMPORT_MAX_SIDE || h > GAN_IMPORT_MAX_SIDE)
        return gan_err_set(err, "--size: '%s' is not WxH with each side from 1 to %d", a,
                           GAN_IMPORT_MAX_SIDE);
    o->width = (int)w;
    o->height = (int)h;
    return 0;
}

int gan_import_parse(gan_import_config *c, int argc, char **argv, FILE *out, gan_err *err)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},      {"size", required_argument, NULL, 's'},
        {"channels", required_argument, NULL, 'c'}, {"fit", required_argument, NULL, 'f'},
        {"order", required_argument, NULL, 'r'},    {"seed", required_argument, NULL, 'e'},
        {"test-fraction", required_argument, NULL, 't'}, {"strict", no_argument, NULL, 'S'},
        {"force", no_argument, NULL, 'F'},          {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    memset(c, 0, sizeof *c);
    c->img = (gan_decode_opts){28, 28, 1, GAN_FIT_PAD, 0};
    c->order = GAN_ORDER_SHUFFLE;
    c->seed = 1;
    c->test_fraction = 0.1;
    optind = 0;
    opterr = 0;
    int o, rc = 0, k;
    while (rc == 0 && (o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        const char *a = optarg;
        switch (o) {
        case 'o': c->out_dir = a; break;
        case 's': rc = parse_size(a, &c->img, err); break;
        case 'c':
            if (strcmp(a, "1") != 0 && strcmp(a, "3") != 0)
                rc = gan_err_set(err, "--channels: '%s' is not 1 (grey) or 3 (colour)", a);
            c->img.channels = a[0] - '0';
            break;
        case 'f':
            if ((k = find_name(FIT_NAMES, 3, a)) < 0)
                rc = gan_err_set(err, "--fit: '%s' is not pad, crop or stretch", a);
            c->img.fit = (gan_fit)(k < 0 ? 0 : k);
            break;
        case 'r':
            if ((k = find_name(ORDER_NAMES, 2, a)) < 0)
                rc = gan_err_set(err, "--order: '%s' is not shuffle or name", a);
            c->order = (gan_import_order)(k < 0 ? 0 : k);
            break;
        case 'e': rc = gan_cli_parse_u64("seed", a, &c->seed, err); break;
        case 't':
            rc = gan_cli_parse_real("test-fraction", a, 0.0, 1, 1.0, 0, &c->test_fraction, err);
            break;
        case 'S': c->strict = 1; break;
        case 'F': c->force = 1; break;
        case 'q': c->quiet = 1; break;
        case 'h': usage(out); return 1;
        default:
            rc = gan_err_set(err, "import: %s: unknown option or missing value (see --help)",
                             argv[optind - 1]);
            break;
        }
    }
    for (int i = optind; rc == 0 && i < argc; i++) {
        if (c->nsrc == GAN_IMPORT_MAX_SOURCES)
            rc = gan_err_set(err, "import: more than %d source folders", GAN_IMPORT_MAX_SOURCES);
        else if (!*argv[i])
            rc = gan_err_set(err, "import: empty source folder name");
        else
            c->src[c->nsrc++] = argv[i];
    }
    if (rc == 0 && c->nsrc == 0)
        rc = gan_err_set(err, "import: give at least one source folder (SRC...)");
    if (rc == 0 && (!c->out_dir || !*c->out_dir))
        rc = gan_err_set(err, "import: --out DIR is required");
    return rc;
}

/* Everything an import holds while it runs. */
typedef struct {
    const gan_import_config *c;
    gan_import_list list;
    size_t *order;              /* (nfiles) indices into list.files, in output order */
    unsigned char *test;        /* (nfiles) 1: the file was drawn for t10k */
    size_t *index[2];           /* per split (0 train, 1 t10k): the files written, in order */
    uint8_t *labels[2];
    size_t count[2];
    int (*per_class)[2];        /* (nclasses or 1) images written per split */
    uint8_t *px;                /* one image */
    char tmp[4200];             /* the hidden temporary folder in DIR */
    int made_out;               /* DIR did not exist: on failure it goes again (if empty) */
    FILE *raw[2];
} import_state;

static const char *const SPLIT[2] = {"train", "t10k"};

static void path_in(char *buf, size_t len, const char *dir, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

/* Name order, or a shuffle of it (stream 5); then the split (stream 6): of the
 * n files of each class, round(F n) (at most n - 1) drawn for t10k. */
static int plan(import_state *s)
{
    size_t n = s->list.nfiles;
    s->order = malloc(n * sizeof *s->order);
    s->test = calloc(n, 1);
    size_t *pick = malloc(n * sizeof *pick);
    if (!s->order || !s->test || !pick) {
        free(pick);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        s->order[i] = i;
    gan_rng rng;
    if (s->c->order == GAN_ORDER_SHUFFLE) {
        gan_rng_seed(&rng, s->c->seed, 5);
        for (size_t i = n; i > 1; i--) {
            size_t j = gan_rng_below(&rng, (uint32_t)i), t = s->order[i - 1];
            s->order[i - 1] = s->order[j];
            s->order[j] = t;
        }
    }
    gan_rng_seed(&rng, s->c->seed, 6);
    for (size_t lo = 0; lo < n;) { /* files are by label: each class is a run */
        size_t hi = lo;
        while (hi < n && s->list.files[hi].label == s->list.files[lo].label)
            hi++;
        size_t m = hi - lo, k = (size_t)floor(s->c->test_fraction * (double)m + 0.5);
        k = k >= m ? m - 1 : k;
        for (size_t i = 0; i < m; i++)
            pick[i] = lo + i;
        for (size_t i = 0; i < k; i++) { /* a partial Fisher-Yates */
            size_t j = i + gan_rng_below(&rng, (uint32_t)(m - i)), t = pick[i];
            pick[i] = pick[j];
            pick[j] = t;
            s->test[pick[i]] = 1;
        }
        lo = hi;
    }
    free(pick);
    return 0;
}

/* "PATH: why" on msg, and into the list for import.txt; with --strict an error. */
static int skip(import_state *s, FILE *msg, const char *path, const char *why, gan_err *err)
{
    if (s->c->strict)
        return gan_err_set(err, "%s: %s (--strict)", path, why);
    if (msg)
        fprintf(msg, "skipped %s: %s\n", path, why);
    if (gan_import_skip_add(&s->list, path, why) != 0)
        return gan_err_set(err, "out of memory");
    return 0;
}

/* The progress line on a terminal. */
static void progress(FILE *tty, size_t done, size_t n, double t0)
{
    double el = gan_now_seconds() - t0, rate = el > 0 ? done / el : 0;
    char eta[32];
    gan_fmt_duration(eta, sizeof eta, rate > 0 ? (n - done) / rate : 0);
    fprintf(tty, "\r  import %zu/%zu files  %.0f files/s  ETA %s\033[K", done, n, rate, eta);
    fflush(tty);
}

/* Decodes every file in order into the raw streams of its split. */
static int decode_all(import_state *s, FILE *msg, const volatile sig_atomic_t *stop, gan_err *err)
{
    const gan_decode_opts *o = &s->c->img;
    size_t bytes = (size_t)o->width * o->height * o->channels, n = s->list.nfiles;
    FILE *tty = msg && isatty(fileno(msg)) ? msg : NULL;
    double t0 = gan_now_seconds(), last = t0;
    for (size_t i = 0; i < n; i++) {
        if (stop && *stop)
            return 1;
        if (tty && gan_now_seconds() - last >= 0.25) {
            progress(tty, i, n, t0);
            last = gan_now_seconds();
        }
        const gan_import_file *f = &s->list.files[s->order[i]];
        unsigned char *buf;
        size_t len;
        char why[256];
        int rc = gan_read_file(f->path, GAN_IMPORT_MAX_FILE, &buf, &len, why, sizeof why);
        if (rc == 0) {
            rc = gan_decode_image(s->px, buf, len, o, NULL, NULL, why, sizeof why);
            free(buf);
        }
        if (rc < 0)
            return gan_err_set(err, "%s: out of memory", f->path);
        if (tty && rc > 0)
            fputs("\r\033[K", tty);
        if (rc > 0 && skip(s, msg, f->path, why, err) != 0)
            return -1;
        if (rc > 0)
            continue;
        int sp = s->test[s->order[i]];
        if (fwrite(s->px, 1, bytes, s->raw[sp]) != bytes)
            return gan_err_set(err, "%s/%s.raw: write failed: %s", s->tmp, SPLIT[sp], strerror(errno));
        s->index[sp][s->count[sp]] = s->order[i];
        s->labels[sp][s->count[sp]] = (uint8_t)(f->label < 0 ? 0 : f->label);
        s->count[sp]++;
        s->per_class[f->label < 0 ? 0 : f->label][sp]++;
    }
    if (tty) {
        fputs("\r\033[K", tty);
        fflush(tty);
    }
    return 0;
}

/* Writes a text file tmp/name with the lines of fill. */
static int write_text(const char *tmp, const char *name, const import_state *s,
                      void (*fill)(FILE *, const import_state *), gan_err *err)
{
    char path[4400];
    path_in(path, sizeof path, tmp, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return gan_err_set(err, "%s: cannot create: %s", path, strerror(errno));
    fill(f, s);
    int ok = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    return ok ? 0 : gan_err_set(err, "%s: write failed", path);
}

/* A path on one line of a text file: control characters as '?'. */
static void put_path(FILE *f, const char *p)
{
    for (; *p; p++)
        fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, f);
}

static void fill_classes(FILE *f, const import_state *s)
{
    for (int i = 0; i < s->list.nclasses; i++) {
        put_path(f, s->list.classes[i]);
        fputc('\n', f);
    }
}

static void fill_report(FILE *f, const import_state *s)
{
    const gan_import_config *c = s->c;
    fprintf(f, "# gan-train %s import; the lines after 'index:' are SPLIT<TAB>INDEX<TAB>SOURCE\n",
            GAN_VERSION);
    fprintf(f, "sources:");
    for (int i = 0; i < c->nsrc; i++) {
        fputc(' ', f);
        put_path(f, c->src[i]);
    }
    fprintf(f, "\noptions: --size %dx%d --channels %d --fit %s --order %s --seed %llu "
            "--test-fraction %g%s\n", c->img.width, c->img.height, c->img.channels,
            FIT_NAMES[c->img.fit], ORDER_NAMES[c->order], (unsigned long long)c->seed,
            c->test_fraction, c->strict ? " --strict" : "");
    fprintf(f, "images: %zu train, %zu t10k, %d x %d, %s; %zu files skipped\n", s->count[0],
            s->count[1], c->img.width, c->img.height,
            c->img.channels == 1 ? "grey (1 channel)" : "colour (3 channels, R G B per pixel)",
            s->list.nskipped);
    int nc = s->list.nclasses ? s->list.nclasses : 1;
    for (int k = 0; k < nc; k++) {
        fprintf(f, "class %d ", k);
        put_path(f, s->list.nclasses ? s->list.classes[k] : "(unlabelled)");
        fprintf(f, ": %d train, %d t10k\n", s->per_class[k][0], s->per_class[k][1]);
    }
    for (size_t i = 0; i < s->list.nskipped; i++) {
        fprintf(f, "skipped\t");
        put_path(f, s->list.skipped[i].path);
        fprintf(f, "\t%s\n", s->list.skipped[i].why);
    }
    fprintf(f, "index:\n");
    for (int sp = 0; sp < 2; sp++)
        for (size_t i = 0; i < s->count[sp]; i++) {
            fprintf(f, "%s\t%zu\t", SPLIT[sp], i);
            put_path(f, s->list.files[s->index[sp][i]].path);
            fputc('\n', f);
        }
}

/* The data set's files in the temporary folder, in the order they are
 * renamed into DIR (the training images last: a data set is one once they
 * are there). */
static int output_names(const import_state *s, const char **names)
{
    int n = 0, colour = s->c->img.channels == 3, labelled = s->list.nclasses > 0;
    names[n++] = "import.txt";
    if (labelled)
        names[n++] = "classes.txt";
    if (s->count[1] > 0) {
        if (labelled)
            names[n++] = "t10k-labels-idx1-ubyte.gz";
        names[n++] = colour ? "t10k-images-idx4-ubyte.gz" : "t10k-images-idx3-ubyte.gz";
    }
    if (labelled)
        names[n++] = "train-labels-idx1-ubyte.gz";
    names[n++] = colour ? "train-images-idx4-ubyte.gz" : "train-images-idx3-ubyte.gz";
    return n;
}

static int write_outputs(import_state *s, gan_err *err)
{
    const gan_decode_opts *o = &s->c->img;
    int colour = o->channels == 3;
    for (int sp = 0; sp < 2; sp++) {
        if (s->count[sp] == 0)
            continue;
        char path[4400], raw[4400];
        uint32_t dims[4] = {(uint32_t)s->count[sp], (uint32_t)o->height, (uint32_t)o->width, 3};
        snprintf(path, sizeof path, "%s/%s-images-idx%d-ubyte.gz", s->tmp, SPLIT[sp], colour ? 4 : 3);
        snprintf(raw, sizeof raw, "%s/%s.raw", s->tmp, SPLIT[sp]);
        if (gan_idx_write_gz(path, colour ? 4 : 3, dims, NULL, 0, raw, err) != 0)
            return -1;
        unlink(raw);
        snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", s->tmp, SPLIT[sp]);
        if (s->list.nclasses > 0 &&
            gan_idx_write_gz(path, 1, dims, s->labels[sp], s->count[sp], NULL, err) != 0)
            return -1;
    }
    if (s->list.nclasses > 0 && write_text(s->tmp, "classes.txt", s, fill_classes, err) != 0)
        return -1;
    return write_text(s->tmp, "import.txt", s, fill_report, err);
}

/* Whether DIR holds a data set; with --force its files are removed. */
static int clear_old(const import_state *s, gan_err *err)
{
    char path[4400];
    for (size_t i = 0; i < NSET_FILES; i++) {
        path_in(path, sizeof path, s->c->out_dir, SET_FILES[i]);
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        if (!s->c->force)
            return gan_err_set(err, "%s: holds a data set (%s); choose another --out or add --force",
                               s->c->out_dir, SET_FILES[i]);
        if (unlink(path) != 0)
            return gan_err_set(err, "%s: cannot remove (--force): %s", path, strerror(errno));
    }
    return 0;
}

static int install(const import_state *s, gan_err *err)
{
    const char *names[8];
    int n = output_names(s, names);
    if (clear_old(s, err) != 0)
        return -1;
    for (int i = 0; i < n; i++) {
        char from[4400], to[4400];
        path_in(from, sizeof from, s->tmp, names[i]);
        path_in(to, sizeof to, s->c->out_dir, names[i]);
        if (rename(from, to) != 0)
            return gan_err_set(err, "%s: cannot rename into place: %s", to, strerror(errno));
    }
    return 0;
}

/* Removes the temporary folder and whatever is left in it. */
static void remove_tmp(import_state *s)
{
    for (int sp = 0; sp < 2; sp++)
        if (s->raw[sp]) {
            fclose(s->raw[sp]);
            s->raw[sp] = NULL;
        }
    if (!s->tmp[0])
        return;
    static const char *const extra[] = {"train.raw", "t10k.raw"};
    char path[4400];
    for (size_t i = 0; i < NSET_FILES + 2; i++) {
        path_in(path, sizeof path, s->tmp, i < NSET_FILES ? SET_FILES[i] : extra[i - NSET_FILES]);
        unlink(path);
    }
    rmdir(s->tmp);
    s->tmp[0] = '\0';
}

static void summary(FILE *msg, const import_state *s, double secs)
{
    const gan_import_config *c = s->c;
    size_t files = s->count[0] + s->count[1];
    fprintf(msg, "import:   %zu images of %d x %d, %s, from %d source%s in %.1f s (%.0f images/s)\n",
            files, c->img.width, c->img.height, c->img.channels == 1 ? "grey" : "colour (R, G, B)",
            c->nsrc, c->nsrc == 1 ? "" : "s", secs, secs > 0 ? files / secs : 0.0);
    fprintf(msg, "          %zu train, %zu t10k (--test-fraction %g), %zu skipped\n", s->count[0],
            s->count[1], c->test_fraction, s->list.nskipped);
    if (s->list.nclasses == 0)
        fprintf(msg, "classes:  none (unlabelled: training works, evaluation needs labels)\n");
    for (int k = 0; k < s->list.nclasses; k++)
        fprintf(msg, "%s %3d = %s: %d train, %d t10k\n", k ? "         " : "classes: ", k,
                s->list.classes[k], s->per_class[k][0], s->per_class[k][1]);
    fprintf(msg, "done:     %s (list of sources: %s/import.txt)\n", c->out_dir, c->out_dir);
}

static int run(import_state *s, FILE *msg, const volatile sig_atomic_t *stop, gan_err *err)
{
    const gan_import_config *c = s->c;
    if (gan_import_walk(&s->list, c->src, c->nsrc, err) != 0)
        return -1;
    if (c->strict && s->list.nskipped > 0)
        return gan_err_set(err, "%s: %s (--strict)", s->list.skipped[0].path, s->list.skipped[0].why);
    if (msg && !c->quiet)
        for (size_t i = 0; i < s->list.nskipped; i++)
            fprintf(msg, "skipped %s: %s\n", s->list.skipped[i].path, s->list.skipped[i].why);
    size_t n = s->list.nfiles;
    if (n == 0)
        return gan_err_set(err, "%s%s: no files to import", c->src[0], c->nsrc > 1 ? " ..." : "");
    if (n > UINT32_MAX)
        return gan_err_set(err, "%zu files; a data set holds at most %u", n, UINT32_MAX);
    struct stat st;
    s->made_out = stat(c->out_dir, &st) != 0;
    if (gan_make_dirs(c->out_dir, err) != 0 || (!c->force && clear_old(s, err) != 0))
        return -1; /* without --force, clear_old only looks */
    int nc = s->list.nclasses ? s->list.nclasses : 1;
    size_t bytes = (size_t)c->img.width * c->img.height * c->img.channels;
    for (int sp = 0; sp < 2; sp++) {
        s->index[sp] = malloc(n * sizeof *s->index[sp]);
        s->labels[sp] = malloc(n);
    }
    s->per_class = calloc((size_t)nc, sizeof *s->per_class);
    s->px = malloc(bytes);
    if (!s->index[0] || !s->index[1] || !s->labels[0] || !s->labels[1] || !s->per_class ||
        !s->px || plan(s) != 0)
        return gan_err_set(err, "out of memory for %zu files", n);
    snprintf(s->tmp, sizeof s->tmp, "%s/.import-XXXXXX", c->out_dir);
    if (!mkdtemp(s->tmp)) {
        int e = errno;
        s->tmp[0] = '\0';
        return gan_err_set(err, "%s: cannot make a temporary folder: %s", c->out_dir, strerror(e));
    }
    for (int sp = 0; sp < 2; sp++) {
        char raw[4400];
        snprintf(raw, sizeof raw, "%s/%s.raw", s->tmp, SPLIT[sp]);
        if (!(s->raw[sp] = fopen(raw, "wb")))
            return gan_err_set(err, "%s: cannot create: %s", raw, strerror(errno));
    }
    int rc = decode_all(s, msg && !c->quiet ? msg : NULL, stop, err);
    if (rc != 0)
        return rc;
    for (int sp = 0; sp < 2; sp++) {
        int bad = fclose(s->raw[sp]) != 0;
        s->raw[sp] = NULL;
        if (bad)
            return gan_err_set(err, "%s/%s.raw: write failed", s->tmp, SPLIT[sp]);
    }
    if (s->count[0] == 0)
        return gan_err_set(err, "%s%s: no image could be imported (%zu files skipped)", c->src[0],
                           c->nsrc > 1 ? " ..." : "", s->list.nskipped);
    if (write_outputs(s, err) != 0 || (stop && *stop))
        return stop && *stop ? 1 : -1;
    return install(s, err);
}

int gan_import_run(const gan_import_config *c, FILE *msg, const volatile sig_atomic_t *stop,
                   gan_err *err)
{
    import_state s;
    memset(&s, 0, sizeof s);
    s.c = c;
    double t0 = gan_now_seconds();
    int rc = run(&s, msg, stop, err);
    remove_tmp(&s);
    if (rc != 0 && s.made_out)
        rmdir(c->out_dir);
    if (rc == 0 && msg && !c->quiet)
        summary(msg, &s, gan_now_seconds() - t0);
    if (rc == 1 && msg)
        fprintf(msg, "import interrupted; nothing written to %s\n", c->out_dir);
    gan_import_list_free(&s.list);
    free(s.order);
    free(s.test);
    for (int sp = 0; sp < 2; sp++) {
        free(s.index[sp]);
        free(s.labels[sp]);
    }
    free(s.per_class);
    free(s.px);
    return rc;
}

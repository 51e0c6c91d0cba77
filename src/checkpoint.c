/* checkpoint.c: the checkpoint file of gan_checkpoint.h. Every number is
 * encoded byte by byte, so the file is the same on any machine. */
#define _POSIX_C_SOURCE 200809L
#include "gan_checkpoint.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "gan_file.h"

static const unsigned char MAGIC[8] = {'G', 'A', 'N', 'C', 'K', 'P', 'T', 0};

/* A file being written, with its running CRC. */
typedef struct {
    gan_atomic a;
    uLong crc;
    int failed;
    gan_err *err;
} ckpt_writer;

static void write_bytes(ckpt_writer *w, const unsigned char *p, size_t n)
{
    if (w->failed)
        return;
    if (gan_write_all(w->a.f, p, n, w->a.path, w->err) != 0) {
        w->failed = 1;
        return;
    }
    w->crc = crc32(w->crc, p, (uInt)n);
}

static void write_floats(ckpt_writer *w, const float *x, size_t n)
{
    unsigned char buf[4096];
    while (n > 0 && !w->failed) {
        size_t k = n < sizeof buf / 4 ? n : sizeof buf / 4;
        for (size_t i = 0; i < k; i++)
            gan_putf32(buf + 4 * i, x[i]);
        write_bytes(w, buf, 4 * k);
        x += k;
        n -= k;
    }
}

/* The class names block's size: the names, a NUL, zeros to a multiple of 4. */
static uint32_t names_bytes(const gan_config *cfg)
{
    return cfg->class_names ? ((uint32_t)strlen(cfg->class_names) + 4u) & ~3u : 0;
}

/* The header of the trainer's state (the format above). */
static void fill_header(unsigned char h[GAN_CKPT_HEADER], const gan_trainer *t,
                        const gan_config *cfg, int rows, int cols, int channels)
{
    memset(h, 0, GAN_CKPT_HEADER);
    memcpy(h, MAGIC, 8);
    gan_put32(h + 8, GAN_CKPT_VERSION);
    gan_put32(h + 12, GAN_CKPT_HEADER);
    gan_put32(h + 16, (uint32_t)rows);
    gan_put32(h + 20, (uint32_t)cols);
    gan_put32(h + 24, (uint32_t)t->z_dim);
    gan_put32(h + 28, (uint32_t)t->G.dims[1]);
    gan_put32(h + 32, (uint32_t)t->batch);
    gan_put32(h + 36, (uint32_t)t->grid);
    gan_put32(h + 40, t->G.slope > 0.0f ? 1u : 0u);
    gan_putf32(h + 44, t->G.slope);
    gan_putf64(h + 48, t->adam.lr);
    gan_putf64(h + 56, t->adam.beta1);
    gan_putf64(h + 64, t->adam.beta2);
    gan_putf64(h + 72, t->adam.eps);
    gan_put64(h + 80, cfg->seed);
    gan_put32(h + 88, (uint32_t)t->epoch);
    gan_put32(h + 92, t->count);
    gan_put64(h + 96, (uint64_t)t->step);
    gan_put64(h + 104, t->rng.state);
    gan_put64(h + 112, t->rng.inc);
    gan_put64(h + 120, (uint64_t)t->G.adam_t);
    gan_put64(h + 128, (uint64_t)t->D.adam_t);
    gan_put64(h + 136, t->G.nparams);
    gan_put64(h + 144, t->D.nparams);
    gan_put32(h + 152, (uint32_t)(t->grid * t->grid));
    gan_put32(h + 156, t->pos);
    gan_put32(h + 160, (uint32_t)t->sums.steps);
    gan_putf64(h + 168, t->sums.loss_d);
    gan_putf64(h + 176, t->sums.loss_g);
    gan_putf64(h + 184, t->sums.d_real);
    gan_putf64(h + 192, t->sums.d_fake);
    gan_put32(h + 164, (uint32_t)t->sums.r1_steps);
    gan_putf64(h + 200, t->sums.r1);
    gan_putf64(h + 208, t->r1_gamma);
    gan_put32(h + 216, (uint32_t)t->r1_every);
    gan_put32(h + 220, (uint32_t)cfg->preset);
    gan_put32(h + 224, (uint32_t)cfg->limit);
    gan_put32(h + 228, (uint32_t)t->track.evals);
    gan_put32(h + 232, (uint32_t)t->track.best_epoch);
    gan_put32(h + 236, (uint32_t)t->track.since_best);
    gan_putf64(h + 240, t->track.best_fid);
    gan_put32(h + 248, (uint32_t)channels);
    gan_put32(h + 252, t->track.scorer);
    gan_put32(h + 256, (uint32_t)(t->loss - gan_loss_get(0)));
    gan_putf64(h + 264, t->ema_decay);
    gan_put32(h + 260, (uint32_t)t->n_critic);
    gan_putf64(h + 272, t->gp);
    gan_put32(h + 280, (uint32_t)t->sums.g_steps);
    gan_putf64(h + 288, t->sums.wass);
    if (t->classes) {
        gan_put32(h + 284, (uint32_t)t->classes);
        gan_put32(h + 296, cfg->cond_d);
        gan_put32(h + 300, (uint32_t)cfg->cond_g);
        gan_putf64(h + 304, t->ac_weight);
        gan_put32(h + 312, names_bytes(cfg));
    }
    gan_put32(h + 316, (uint32_t)cfg->precision);
}

int gan_checkpoint_save(const gan_trainer *t, const gan_config *cfg, int rows, int cols,
                        int channels, const char *path, gan_err *err)
{
    unsigned char h[GAN_CKPT_HEADER];
    fill_header(h, t, cfg, rows, cols, channels);
    ckpt_writer w = {.crc = crc32(0L, Z_NULL, 0), .err = err};
    if (gan_atomic_open(&w.a, path, err) != 0)
        return -1;
    write_bytes(&w, h, sizeof h);
    if (t->classes) {
        unsigned char names[256 * (GAN_CLASS_NAME_MAX + 1) + 4] = {0};
        uint32_t n = names_bytes(cfg);
        if (n > sizeof names) {
            gan_atomic_abort(&w.a);
            return gan_err_set(err, "%s: the class names are too long", path);
        }
        memcpy(names, cfg->class_names, strlen(cfg->class_names));
        write_bytes(&w, names, n);
    }
    write_floats(&w, t->fixed_z, (size_t)t->grid * t->grid * t->z_dim);
    const gan_mlp *nets[2] = {&t->G, &t->D};
    for (int k = 0; k < 2; k++) {
        write_floats(&w, nets[k]->params, nets[k]->nparams);
        write_floats(&w, nets[k]->adam_m, nets[k]->nparams);
        write_floats(&w, nets[k]->adam_v, nets[k]->nparams);
    }
    if (t->ema_decay > 0.0)
        write_floats(&w, t->Gema.params, t->Gema.nparams);
    unsigned char buf[4096];
    for (uint32_t i = 0; i < t->count && !w.failed;) {
        uint32_t k = t->count - i < sizeof buf / 4 ? t->count - i : (uint32_t)(sizeof buf / 4);
        for (uint32_t q = 0; q < k; q++)
            gan_put32(buf + 4 * q, t->perm[i + q]);
        write_bytes(&w, buf, 4 * (size_t)k);
        i += k;
    }
    unsigned char tail[4];
    gan_put32(tail, (uint32_t)w.crc);
    if (!w.failed && gan_write_all(w.a.f, tail, 4, path, err) != 0)
        w.failed = 1;
    if (w.failed) {
        gan_atomic_abort(&w.a);
        return -1;
    }
    return gan_atomic_commit(&w.a, err);
}

uint32_t gan_checkpoint_header_size(uint32_t version)
{
    return version == 1 ? GAN_CKPT_HEADER_V1 : version <= 4 ? GAN_CKPT_HEADER_V2 : GAN_CKPT_HEADER;
}

void gan_checkpoint_net_shape(const gan_ckpt_info *in, int net, int dims[4], gan_cond *cond)
{
    int P = (int)(in->rows * in->cols * in->channels), H = (int)in->hidden;
    gan_cond g, d;
    gan_cond_specs((int)in->classes, in->cond_d, (int)in->cond_g, &g, &d);
    dims[0] = net ? P : (int)in->z_dim;
    dims[1] = dims[2] = H;
    dims[3] = net ? 1 : P;
    *cond = net ? d : g;
}

/* Its tensors (gan_mlp_layout). */
static int net_layout(const gan_ckpt_info *in, int net, size_t *sizes, const char **names)
{
    int d[4];
    gan_cond c;
    gan_checkpoint_net_shape(in, net, d, &c);
    return gan_mlp_layout(d[0], d[1], d[2], d[3], &c, sizes, names);
}

/* The fields later versions added (from 248 on), each with its value for
 * the versions before it; returns the OR of the reserved words (zero in a
 * sound file). */
static uint32_t read_later_fields(const unsigned char *h, gan_ckpt_info *in)
{
    const uint32_t version = in->version, header = in->header;
    /* grey before version 3, whose byte 248 on was reserved (zero) */
    in->channels = version >= 3 ? gan_get32(h + 248) : 1;
    /* which measure scored the best FID from version 4; zero (reserved) before */
    in->track.scorer = version >= 4 ? gan_get32(h + 252) : 0;
    uint32_t reserved = version == 3 ? gan_get32(h + 252) : 0;
    /* the loss from version 5 (bce before), then zeros to the header's end */
    in->loss = version >= 5 ? gan_get32(h + 256) : GAN_LOSS_BCE;
    in->ema = version >= 5 ? gan_getf64(h + 264) : 0.0;
    /* critic steps, wgan-gp's lambda and two more partial sums from version 6:
     * before, one D step per G step, so every step summed had its G step */
    in->n_critic = version >= 6 ? gan_get32(h + 260) : 1;
    in->gp = version >= 6 ? gan_getf64(h + 272) : 0.0;
    in->sums.g_steps = version >= 6 ? (int)gan_get32(h + 280) : in->sums.steps;
    in->sums.wass = version >= 6 ? gan_getf64(h + 288) : 0.0;
    reserved |= version == 5 ? gan_get32(h + 260) : version == 6 ? gan_get32(h + 284) : 0;
    /* the conditional forms from version 7 (0: unconditional) */
    in->classes = version >= 7 ? gan_get32(h + 284) : 0;
    in->cond_d = version >= 7 ? gan_get32(h + 296) : 0;
    in->cond_g = version >= 7 ? gan_get32(h + 300) : 0;
    in->ac_weight = version >= 7 ? gan_getf64(h + 304) : 0.0;
    in->names_len = version >= 7 ? gan_get32(h + 312) : 0;
    /* the products' precision from version 8 (fp32 before) */
    in->precision = version >= 8 ? gan_get32(h + 316) : GAN_PREC_FP32;
    for (uint32_t at = version >= 8 ? 320 : version == 7 ? 316 : version == 6 ? 296 : 272;
         version >= 5 && at < header; at += 4)
        reserved |= gan_get32(h + at);
    in->body = header + in->names_len;
    return reserved;
}

/* A conditional run's fields: all zero, or 2 to 256 classes, forms that
 * exist, a head's weight exactly with the head, a names block that can hold
 * the names (checked whole by check_names). */
static int cond_sane(const gan_ckpt_info *in)
{
    if (in->classes == 0)
        return in->cond_d == 0 && in->cond_g == 0 && in->ac_weight == 0.0 && in->names_len == 0;
    return in->classes >= 2 && in->classes <= 256 && in->cond_d >= 1 && in->cond_d <= 7 &&
           in->cond_g <= 1 && isfinite(in->ac_weight) &&
           ((in->cond_d & GAN_COND_ACGAN) ? in->ac_weight > 0.0 && in->ac_weight <= 1e6
                                          : in->ac_weight == 0.0) &&
           in->names_len % 4 == 0 && in->names_len >= 2 * in->classes &&
           in->names_len <= 256 * (GAN_CLASS_NAME_MAX + 1) + 4;
}

/* The settings within the command line's limits, and sizes and counts that
 * agree with each other. */
static int header_sane(const gan_ckpt_info *in, uint32_t reserved)
{
    /* the G steps among the steps summed: those after steps k with
     * (k + 1) % n_critic == 0, k from step - pos to step - 1 */
    uint64_t n = in->n_critic ? in->n_critic : 1, g_expect = in->step / n;
    g_expect -= in->step >= in->pos ? (in->step - in->pos) / n : 0;
    return in->rows >= 1 && in->rows <= 4096 && in->cols >= 1 && in->cols <= 4096 &&
           in->z_dim >= 1 && in->z_dim <= 65536 && in->hidden >= 1 && in->hidden <= 65536 &&
           in->batch >= 1 && in->batch <= 65536 && in->grid >= 1 && in->grid <= 64 &&
           in->count >= 1 && in->activation <= 1 &&
           (in->activation == 0 ? in->slope == 0.0f : in->slope > 0.0f && in->slope < 1.0f) &&
           isfinite(in->lr) && in->lr > 0 && in->beta1 >= 0 && in->beta1 < 1 &&
           in->beta2 >= 0 && in->beta2 < 1 && isfinite(in->eps) && in->eps >= 0 &&
           in->adam_t_g >= 0 && in->adam_t_d >= 0 && in->nfixed == in->grid * in->grid &&
           (in->rng_inc & 1u) && in->sums.steps >= 0 && (uint32_t)in->sums.steps == in->pos &&
           (uint64_t)in->pos * in->batch < in->count && in->sums.r1_steps >= 0 &&
           in->sums.r1_steps <= in->sums.steps && isfinite(in->sums.r1) &&
           isfinite(in->r1_gamma) && in->r1_gamma >= 0 && in->r1_gamma <= 1e6 &&
           in->r1_every >= 1 && in->r1_every <= 1000000 && in->preset < GAN_PRESET_COUNT &&
           in->limit <= INT32_MAX && (in->limit == 0 || in->limit == in->count) &&
           in->track.evals >= 0 && in->track.best_epoch >= 0 &&
           (uint32_t)in->track.best_epoch <= in->epoch && in->track.since_best >= 0 &&
           in->track.since_best <= in->track.evals && isfinite(in->track.best_fid) &&
           in->track.best_fid >= 0 && (in->channels == 1 || in->channels == 3) && reserved == 0 &&
           in->loss < GAN_LOSS_COUNT && in->ema >= 0.0 && in->ema < 1.0 &&
           in->n_critic >= 1 && in->n_critic <= 1000000 && isfinite(in->gp) &&
           in->gp >= 0.0 && in->gp <= 1e6 && in->step >= in->pos &&
           (gan_loss_get((int)in->loss)->gp ? in->gp > 0.0 && in->r1_gamma == 0.0
                                            : in->gp == 0.0) &&
           in->sums.g_steps >= 0 && (uint64_t)in->sums.g_steps == g_expect &&
           isfinite(in->sums.wass) && in->precision <= GAN_PREC_BF16 && cond_sane(in);
}

static int parse_header(const unsigned char *h, gan_ckpt_info *in, const char *path, gan_err *err)
{
    if (memcmp(h, MAGIC, 8) != 0)
        return gan_err_set(err, "%s: not a gan-train checkpoint (bad magic)", path);
    uint32_t version = gan_get32(h + 8);
    if (version < 1 || version > GAN_CKPT_VERSION)
        return gan_err_set(err, "%s: checkpoint format version %u; this gan-train reads versions 1 "
                           "to %u", path, version, GAN_CKPT_VERSION);
    uint32_t header = gan_checkpoint_header_size(version);
    if (gan_get32(h + 12) != header)
        return gan_err_set(err, "%s: corrupt checkpoint (header size %u, expected %u)", path,
                           gan_get32(h + 12), header);
    in->version = version;
    in->header = header;
    in->rows = gan_get32(h + 16);
    in->cols = gan_get32(h + 20);
    in->z_dim = gan_get32(h + 24);
    in->hidden = gan_get32(h + 28);
    in->batch = gan_get32(h + 32);
    in->grid = gan_get32(h + 36);
    in->activation = gan_get32(h + 40);
    in->slope = gan_getf32(h + 44);
    in->lr = gan_getf64(h + 48);
    in->beta1 = gan_getf64(h + 56);
    in->beta2 = gan_getf64(h + 64);
    in->eps = gan_getf64(h + 72);
    in->seed = gan_get64(h + 80);
    in->epoch = gan_get32(h + 88);
    in->count = gan_get32(h + 92);
    in->step = gan_get64(h + 96);
    in->rng_state = gan_get64(h + 104);
    in->rng_inc = gan_get64(h + 112);
    in->adam_t_g = (int64_t)gan_get64(h + 120);
    in->adam_t_d = (int64_t)gan_get64(h + 128);
    in->nparams_g = gan_get64(h + 136);
    in->nparams_d = gan_get64(h + 144);
    in->nfixed = gan_get32(h + 152);
    in->pos = gan_get32(h + 156);
    in->sums.steps = (int)gan_get32(h + 160);
    in->sums.loss_d = gan_getf64(h + 168);
    in->sums.loss_g = gan_getf64(h + 176);
    in->sums.d_real = gan_getf64(h + 184);
    in->sums.d_fake = gan_getf64(h + 192);
    in->sums.r1_steps = (int)gan_get32(h + 164);
    in->sums.r1 = gan_getf64(h + 200);
    if (version == 1) {
        /* the seed's recipe, all images, no evaluation; 164 and 200 were zero */
        in->r1_gamma = 0.0;
        in->r1_every = 1;
        in->preset = GAN_PRESET_SEED;
        in->limit = 0;
        memset(&in->track, 0, sizeof in->track);
    } else {
        in->r1_gamma = gan_getf64(h + 208);
        in->r1_every = gan_get32(h + 216);
        in->preset = gan_get32(h + 220);
        in->limit = gan_get32(h + 224);
        in->track.evals = (int)gan_get32(h + 228);
        in->track.best_epoch = (int)gan_get32(h + 232);
        in->track.since_best = (int)gan_get32(h + 236);
        in->track.best_fid = gan_getf64(h + 240);
    }
    uint32_t reserved = read_later_fields(h, in);
    if (!header_sane(in, reserved))
        return gan_err_set(err, "%s: corrupt checkpoint (settings out of range)", path);
    size_t sizes[2][GAN_MLP_MAX_TENSORS];
    const char *names[GAN_MLP_MAX_TENSORS];
    uint64_t total[2] = {0, 0};
    for (int net = 0; net < 2; net++) {
        int n = net_layout(in, net, sizes[net], names);
        for (int k = 0; k < n; k++)
            total[net] += sizes[net][k];
    }
    if (in->nparams_g != total[0] || in->nparams_d != total[1])
        return gan_err_set(err, "%s: corrupt checkpoint (parameter counts do not match the model)",
                           path);
    return 0;
}

/* The tensors of one block of network net at *p (moved past them): finite,
 * and not negative where nonneg (Adam's v); else err names them as "WHO's
 * TENSOR PART". */
static int check_block(const unsigned char **p, const gan_ckpt_info *in, int net, const char *who,
                       const char *part, int nonneg, const char *path, gan_err *err)
{
    size_t sizes[GAN_MLP_MAX_TENSORS];
    const char *names[GAN_MLP_MAX_TENSORS];
    int n = net_layout(in, net, sizes, names);
    for (int k = 0; k < n; k++) {
        for (size_t i = 0; i < sizes[k]; i++, *p += 4) {
            float v = gan_getf32(*p);
            if (!isfinite(v) || (nonneg && v < 0.0f))
                return gan_err_set(err, "%s: %s's %s%s holds a value that is %s at index %zu; "
                                   "refusing these weights", path, who, names[k], part,
                                   isfinite(v) ? "negative" : "not finite (NaN or Inf)", i);
        }
    }
    return 0;
}

/* The class names block: exactly `classes` names of 1 to GAN_CLASS_NAME_MAX
 * printable bytes with '\n' between, then only zero bytes (one at least). */
static int check_names(const gan_ckpt_info *in, const unsigned char *buf)
{
    const unsigned char *p = buf + in->header, *end = p + in->names_len;
    uint32_t names = 0, len = 0;
    for (; p < end && *p; p++) {
        if (*p == '\n') {
            if (len == 0)
                return 0;
            names++;
            len = 0;
        } else if (*p < 0x20 || *p == 0x7f || ++len > GAN_CLASS_NAME_MAX) {
            return 0;
        }
    }
    if (p == end || len == 0 || names + 1 != in->classes)
        return 0;
    for (; p < end; p++)
        if (*p)
            return 0;
    return 1;
}

/* Every float of the file is a number (a sound CRC says only that the file is
 * as written, and a training run stops before it saves a NaN), and Adam's
 * second moments are not negative; else err names the tensor, under the
 * safetensors names of gan_safetensors.h. The class names are sound. */
static int check_values(const gan_ckpt_info *in, const unsigned char *buf, const char *path,
                        gan_err *err)
{
    static const char *const parts[3] = {"", " (Adam m)", " (Adam v)"};
    if (in->classes && !check_names(in, buf))
        return gan_err_set(err, "%s: corrupt checkpoint (its class names)", path);
    const unsigned char *p = buf + in->body;
    for (size_t i = 0; i < (size_t)in->nfixed * in->z_dim; i++, p += 4)
        if (!isfinite(gan_getf32(p)))
            return gan_err_set(err, "%s: corrupt checkpoint (the fixed noise holds a value that "
                               "is not finite)", path);
    for (int net = 0; net < 2; net++)
        for (int part = 0; part < 3; part++)
            if (check_block(&p, in, net, net ? "D" : "G", parts[part], part == 2, path, err) != 0)
                return -1;
    if (in->ema > 0.0 && check_block(&p, in, 0, "the EMA of G", "", 0, path, err) != 0)
        return -1;
    return 0;
}

/* The header's bytes from f into h (*got of them: fewer where the file is
 * shorter), checked and parsed into info. */
static int read_head(FILE *f, const char *path, unsigned char *h, size_t *got,
                     gan_ckpt_info *info, gan_err *err)
{
    *got = fread(h, 1, GAN_CKPT_HEADER, f);
    if (*got == 0)
        return gan_err_set(err, "%s: empty file, expected a gan-train checkpoint", path);
    if (memcmp(h, MAGIC, *got < 8 ? *got : 8) != 0)
        return gan_err_set(err, "%s: not a gan-train checkpoint (bad magic)", path);
    uint32_t version = *got >= 12 ? gan_get32(h + 8) : 0;
    uint32_t hsize = *got >= 12 ? gan_checkpoint_header_size(version) : GAN_CKPT_HEADER;
    if (*got < hsize && (*got < 12 || (version >= 1 && version <= GAN_CKPT_VERSION)))
        return gan_err_set(err, "%s: truncated checkpoint (%zu of %u header bytes)", path, *got,
                           hsize);
    return parse_header(h, info, path, err);
}

/* The CRC-32 of n bytes, in pieces zlib's uInt can count. */
static uint32_t body_crc(const unsigned char *buf, size_t n)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < n;) {
        size_t k = n - off > (1u << 30) ? (1u << 30) : n - off;
        crc = crc32(crc, buf + off, (uInt)k);
        off += k;
    }
    return (uint32_t)crc;
}

int gan_checkpoint_read(const char *path, gan_ckpt_info *info, unsigned char **data,
                        size_t *size, gan_err *err)
{
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return gan_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return gan_err_set(err, "%s: not a regular file", path);
    }
    unsigned char h[GAN_CKPT_HEADER];
    size_t got;
    if (read_head(f, path, h, &got, info, err) != 0) {
        fclose(f);
        return -1;
    }
    uint64_t floats = (uint64_t)info->nfixed * info->z_dim + 3 * info->nparams_g +
                      (info->ema > 0.0 ? info->nparams_g : 0) +
                      3 * info->nparams_d + info->count; /* + the order, 4 bytes an image */
    uint64_t want = info->body + 4 * floats + 4;
    if ((uint64_t)st.st_size != want) {
        fclose(f);
        return gan_err_set(err, "%s: %s checkpoint (%lld bytes, its header says %llu)", path,
                           (uint64_t)st.st_size < want ? "truncated" : "corrupt",
                           (long long)st.st_size, (unsigned long long)want);
    }
    if (want > SIZE_MAX) {
        fclose(f);
        return gan_err_set(err, "%s: checkpoint too large for this machine", path);
    }
    unsigned char *buf = malloc((size_t)want);
    if (!buf) {
        fclose(f);
        return gan_err_set(err, "%s: out of memory for %llu bytes", path, (unsigned long long)want);
    }
    /* the first read took up to 256 bytes: those of a version-1 file's data
     * are in h already */
    size_t first = got < (size_t)want ? got : (size_t)want;
    memcpy(buf, h, first);
    size_t rest = (size_t)want - first;
    got = fread(buf + first, 1, rest, f);
    int rerr = ferror(f);
    fclose(f);
    if (got != rest) {
        free(buf);
        return gan_err_set(err, "%s: %s", path, rerr ? "read error" : "truncated checkpoint");
    }
    if (body_crc(buf, (size_t)want - 4) != gan_get32(buf + want - 4)) {
        free(buf);
        return gan_err_set(err, "%s: corrupt checkpoint (CRC mismatch)", path);
    }
    if (check_values(info, buf, path, err) != 0) {
        free(buf);
        return -1;
    }
    *data = buf;
    *size = (size_t)want;
    return 0;
}

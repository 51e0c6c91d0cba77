/* fuzz_cli.c: the argument parsers (training, `sample`, `eval`, `export`, `import`) on
 * any argument lists: the input is split at NUL bytes into argv; each
 * parser's accepted settings must be ones its command can run with. */
#include "fuzz_common.h" /* first: it sets _GNU_SOURCE */
#include <stdlib.h>
#include <string.h>

#include "gan_cli.h"
#include "gan_eval.h"
#include "gan_import.h"
#include "gan_safetensors.h"
#include "gan_sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *buf = malloc(size + 1);
    char *argv[130];
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    int argc = 0;
    argv[argc++] = (char *)"gan-train";
    for (size_t i = 0; i <= size && argc < 128;) {
        argv[argc++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    argv[argc] = NULL;
    gan_config cfg;
    gan_err err = {""};
    FILE *out = fopen("/dev/null", "w");
    gan_cli_result r = gan_cli_parse(&cfg, argc, argv, out ? out : stderr, &err);
    if (r == GAN_CLI_USAGE && !err.msg[0])
        abort();
    if (r == GAN_CLI_RUN && (cfg.epochs < 1 || cfg.batch < 1 || !(cfg.lr > 0) || cfg.threads < 0))
        abort(); /* a run never starts with an invalid setting (threads 0: the default) */
    if (r == GAN_CLI_RUN && (!(cfg.r1_gamma >= 0) || cfg.r1_every < 1 || cfg.preset < 0 ||
                             cfg.preset >= GAN_PRESET_COUNT || cfg.limit < 0 ||
                             cfg.eval_every < 0 || cfg.eval_count < 10 || cfg.patience < 0 ||
                             !(cfg.beta1 >= 0 && cfg.beta1 < 1)))
        abort();
    if (r == GAN_CLI_RUN && (cfg.cond_d < 1 || cfg.cond_d > 7 || cfg.cond_g < 0 || cfg.cond_g > 1 ||
                             !(cfg.ac_weight > 0) ||
                             (!cfg.conditional && !cfg.resume_path &&
                              (cfg.set & (GAN_SET_COND_D | GAN_SET_COND_G | GAN_SET_AC_WEIGHT)))))
        abort(); /* the conditional forms are sound, and given only with --conditional */
    gan_eval_cmd e;
    if (argc > 1 && gan_eval_cmd_parse(&e, argc - 1, argv + 1, out ? out : stderr, &err) == 0 &&
        (!!e.checkpoint + !!e.samples + !!e.weights != 1 || (e.checkpoint && !*e.checkpoint) ||
         (e.samples && !*e.samples) || (e.weights && !*e.weights) || e.count < 10 ||
         !e.data_dir || e.threads < 0))
        abort(); /* exactly one thing to judge */
    gan_sample_config s;
    /* a sample run has exactly one source of weights: a checkpoint or a G.safetensors */
    if (argc > 1 && gan_sample_parse(&s, argc - 1, argv + 1, out ? out : stderr, &err) == 0 &&
        (!s.checkpoint == !s.weights || s.count < 1 || (!s.png_path && !s.idx_path) ||
         s.interpolate < 0 || s.png_scale < 1 || s.grid < 0))
        abort();
    gan_import_config im;
    if (argc > 1 && gan_import_parse(&im, argc - 1, argv + 1, out ? out : stderr, &err) == 0 &&
        (im.nsrc < 1 || im.nsrc > GAN_IMPORT_MAX_SOURCES || !im.out_dir || !*im.out_dir ||
         im.img.width < 1 || im.img.width > GAN_IMPORT_MAX_SIDE || im.img.height < 1 ||
         im.img.height > GAN_IMPORT_MAX_SIDE || (im.img.channels != 1 && im.img.channels != 3) ||
         im.img.fit > GAN_FIT_STRETCH || !(im.test_fraction >= 0 && im.test_fraction < 1)))
        abort();
    gan_export_cmd x;
    if (argc > 1 && gan_export_parse(&x, argc - 1, argv + 1, out ? out : stderr, &err) == 0 &&
        (!x.checkpoint || !x.out_dir))
        abort();
    if (out)
        fclose(out);
    free(buf);
    return 0;
}

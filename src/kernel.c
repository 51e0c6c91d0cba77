/* kernel.c: the OpenBLAS kernel choice of gan_kernel.h. */
#define _POSIX_C_SOURCE 200809L
#include "gan_kernel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cblas.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

void gan_cpu_detect(gan_cpu *cpu)
{
    memset(cpu, 0, sizeof *cpu);
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d))
        return;
    unsigned max_leaf = a;
    char vendor[13];
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = '\0';
    cpu->vendor = !strcmp(vendor, "GenuineIntel")   ? GAN_VENDOR_INTEL
                  : !strcmp(vendor, "AuthenticAMD") ? GAN_VENDOR_AMD
                  : !strcmp(vendor, "HygonGenuine") ? GAN_VENDOR_HYGON
                                                    : GAN_VENDOR_OTHER;
    if (max_leaf < 1 || !__get_cpuid(1, &a, &b, &c, &d))
        return;
    int base_family = (a >> 8) & 0xf, base_model = (a >> 4) & 0xf;
    cpu->family = base_family == 0xf ? base_family + (int)((a >> 20) & 0xff) : base_family;
    cpu->model = base_family == 0x6 || base_family == 0xf
                     ? base_model + (int)(((a >> 16) & 0xf) << 4)
                     : base_model;
    cpu->fma = (c >> 12) & 1;
    cpu->avx = (c >> 28) & 1;
    if ((c >> 27) & 1) { /* OSXSAVE: XCR0 says which register state the OS saves */
        unsigned xlo, xhi;
        __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(xlo), "=d"(xhi) : "c"(0));
        cpu->os_ymm = (xlo & 0x6) == 0x6;
        cpu->os_zmm = (xlo & 0xe6) == 0xe6;
    }
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        unsigned subleaves = a;
        cpu->avx2 = (b >> 5) & 1;
        cpu->avx512f = (b >> 16) & 1;
        cpu->avx512dq = (b >> 17) & 1;
        cpu->avx512bw = (b >> 30) & 1;
        cpu->avx512vl = (b >> 31) & 1;
        cpu->clflushopt = (b >> 23) & 1;
        if (subleaves >= 1) {
            __cpuid_count(7, 1, a, b, c, d);
            cpu->avx512bf16 = (a >> 5) & 1;
        }
    }
#endif
}

const char *gan_kernel_best(const gan_cpu *cpu)
{
    int ymm = cpu->os_ymm && cpu->avx;
    if (ymm && cpu->os_zmm && cpu->avx2 && cpu->fma && cpu->avx512f && cpu->avx512bw &&
        cpu->avx512dq && cpu->avx512vl)
        return cpu->avx512bf16 ? "Cooperlake" : "SkylakeX";
    /* Haswell's kernels ran 12-16% faster than Zen's on an AMD Zen 3 on 2
     * threads (README, scripts/bench.sh --kernels); on the earlier Zen
     * families and Hygon, unmeasured, Zen's (the library's own pick) */
    if (ymm && cpu->avx2 && cpu->fma)
        return (cpu->vendor == GAN_VENDOR_AMD && cpu->family < 25) || cpu->vendor == GAN_VENDOR_HYGON
                   ? "Zen"
                   : "Haswell";
    if (ymm)
        return "Sandybridge";
    return NULL;
}

/* OpenBLAS 0.3.21's x86-64 core names by the instructions their kernels use
 * (SapphireRapids is a later library's), and which single-precision GEMM
 * they run: Cooperlake adds bf16 kernels to SkylakeX's, SapphireRapids
 * those and more; Zen runs Haswell's kernels with its own blocking. */
static const struct {
    const char *name;
    int level;
    const char *sgemm;
} levels[] = {
    {"Katmai", 0, NULL}, {"Coppermine", 0, NULL}, {"Northwood", 0, NULL}, {"Prescott", 0, NULL},
    {"Banias", 0, NULL}, {"Atom", 0, NULL}, {"Core2", 0, NULL}, {"Penryn", 0, NULL},
    {"Dunnington", 0, NULL}, {"Nehalem", 0, NULL}, {"Athlon", 0, NULL}, {"Opteron", 0, NULL},
    {"Opteron_SSE3", 0, NULL}, {"Barcelona", 0, NULL}, {"Nano", 0, NULL}, {"Bobcat", 0, NULL},
    {"Sandybridge", 1, NULL}, {"Bulldozer", 1, NULL}, {"Piledriver", 1, NULL},
    {"Steamroller", 1, NULL}, {"Excavator", 1, NULL}, {"Haswell", 2, NULL}, {"Zen", 2, NULL},
    {"SkylakeX", 3, NULL}, {"Cooperlake", 3, "SkylakeX"}, {"SapphireRapids", 3, "SkylakeX"},
};

static int level_index(const char *name)
{
    for (size_t i = 0; name && i < sizeof levels / sizeof *levels; i++)
        if (!strcasecmp(name, levels[i].name))
            return (int)i;
    return -1;
}

int gan_kernel_level(const char *name)
{
    int i = level_index(name);
    return i < 0 ? -1 : levels[i].level;
}

/* Whether two known kernels run the same single-precision GEMM. */
static int same_sgemm(const char *a, const char *b)
{
    int i = level_index(a), j = level_index(b);
    const char *x = levels[i].sgemm ? levels[i].sgemm : levels[i].name;
    const char *y = levels[j].sgemm ? levels[j].sgemm : levels[j].name;
    return !strcmp(x, y);
}

/* "AMD family 25 model 1, AVX2" */
static void cpu_summary(char *buf, size_t len, const gan_cpu *cpu)
{
    static const char *vendors[] = {"x86-64", "Intel", "AMD", "Hygon"};
    const char *best = gan_kernel_best(cpu);
    int level = gan_kernel_level(best);
    const char *isa = level == 3 ? (cpu->avx512bf16 ? "AVX-512 with BF16" : "AVX-512")
                      : level == 2 ? "AVX2"
                      : level == 1 ? "AVX"
                                   : "no AVX";
    snprintf(buf, len, "%s family %d model %d, %s", vendors[cpu->vendor], cpu->family, cpu->model,
             isa);
}

void gan_kernel_plan_make(gan_kernel_plan *plan, const gan_cpu *cpu, const char *in_use,
                          const char *env, const char *from)
{
    char what[96];
    cpu_summary(what, sizeof what, cpu);
    const char *best = gan_kernel_best(cpu);
    int have = gan_kernel_level(in_use), can = gan_kernel_level(best);
    size_t n = sizeof plan->text;
    plan->restart_with = NULL;
    if (env && from) {
        if (!strcasecmp(env, in_use))
            snprintf(plan->text, n, "%s, chosen by gan-train: OpenBLAS picked %s for this CPU (%s)",
                     in_use, from, what);
        else
            snprintf(plan->text, n, "%s: gan-train asked OpenBLAS for %s (it had picked %s for "
                     "this CPU, %s) and it runs %s", in_use, env, from, what, in_use);
    } else if (env) {
        int n0 = snprintf(plan->text, n, "%s, from %s=%s in the environment", in_use,
                          GAN_KERNEL_ENV, env);
        if (have >= 0 && have < can && n0 > 0 && (size_t)n0 < n)
            snprintf(plan->text + n0, n - (size_t)n0, "; this CPU (%s) can run %s", what, best);
    } else if (!best) {
        snprintf(plan->text, n, "%s, OpenBLAS's own pick for this CPU (%s)", in_use, what);
    } else if (have < 0) {
        snprintf(plan->text, n, "%s, OpenBLAS's own pick for this CPU (%s; a kernel gan-train "
                 "does not rank, so kept)", in_use, what);
    } else if (have > can || same_sgemm(in_use, best)) {
        snprintf(plan->text, n, "%s, OpenBLAS's own pick for this CPU (%s)", in_use, what);
    } else {
        plan->restart_with = best;
        if (have < can)
            snprintf(plan->text, n, "%s, OpenBLAS's own pick, older than this CPU (%s) can run: "
                     "set %s=%s to use %s", in_use, what, GAN_KERNEL_ENV, best, best);
        else
            snprintf(plan->text, n, "%s, OpenBLAS's own pick; this CPU (%s) runs %s faster: "
                     "set %s=%s to use it", in_use, what, best, GAN_KERNEL_ENV, best);
    }
}

void gan_kernel_plan_here(gan_kernel_plan *plan)
{
    gan_cpu cpu;
    gan_cpu_detect(&cpu);
    gan_kernel_plan_make(plan, &cpu, openblas_get_corename(), getenv(GAN_KERNEL_ENV),
                         getenv(GAN_KERNEL_FROM_ENV));
}

int gan_kernel_restart(char **argv, gan_err *err)
{
    gan_kernel_plan plan;
    gan_kernel_plan_here(&plan);
    /* a restarted process has OPENBLAS_CORETYPE set, so its plan never
     * restarts it again; GAN_TRAIN_KERNEL_FROM is checked too, to be sure */
    if (!plan.restart_with || getenv(GAN_KERNEL_FROM_ENV))
        return 0;
    if (setenv(GAN_KERNEL_FROM_ENV, openblas_get_corename(), 1) != 0 ||
        setenv(GAN_KERNEL_ENV, plan.restart_with, 1) != 0)
        return gan_err_set(err, "cannot set %s: %s", GAN_KERNEL_ENV, strerror(errno));
    execv("/proc/self/exe", argv);
    int e = errno;
    /* still here: go on with the library's pick, the environment as it was */
    unsetenv(GAN_KERNEL_ENV);
    unsetenv(GAN_KERNEL_FROM_ENV);
    return gan_err_set(err, "could not restart with %s=%s (/proc/self/exe: %s); running on "
                       "OpenBLAS's %s kernels", GAN_KERNEL_ENV, plan.restart_with, strerror(e),
                       openblas_get_corename());
}

void gan_kernel_describe(char *buf, size_t len)
{
    gan_kernel_plan plan;
    gan_kernel_plan_here(&plan);
    /* "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ...": its first two words */
    const char *config = openblas_get_config();
    int words = 0;
    size_t k = 0;
    while (config && config[k] && !(config[k] == ' ' && ++words == 2))
        k++;
    snprintf(buf, len, "%.*s, kernel %s", (int)k, config ? config : "OpenBLAS", plan.text);
}

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
    if (ymm && cpu->avx2 && cpu->fma)
        return cpu->vendor == GAN_VENDOR_AMD || cpu->vendor == GAN_VENDOR_HYGON ? "Zen" : "Haswell";
    if (ymm)
        return "Sandybridge";
    return NULL;
}

/* OpenBLAS 0.3.21's x86-64 core names by the instructions their kernels use
 * (SapphireRapids is a later library's). */
static const struct {
    const char *name;
    int level;
} levels[] = {
    {"Katmai", 0}, {"Coppermine", 0}, {"Northwood", 0}, {"Prescott", 0}, {"Banias", 0},
    {"Atom", 0}, {"Core2", 0}, {"Penryn", 0}, {"Dunnington", 0}, {"Nehalem", 0},
    {"Athlon", 0}, {"Opteron", 0}, {"Opteron_SSE3", 0}, {"Barcelona", 0}, {"Nano", 0},
    {"Bobcat", 0}, {"Sandybridge", 1}, {"Bulldozer", 1}, {"Piledriver", 1},
    {"Steamroller", 1}, {"Excavator", 1}, {"Haswell", 2}, {"Zen", 2}, {"SkylakeX", 3},
    {"Cooperlake", 3}, {"SapphireRapids", 3},
};

int gan_kernel_level(const char *name)
{
    for (size_t i = 0; name && i < sizeof levels / sizeof *levels; i++)
        if (!strcasecmp(name, levels[i].name))
            return levels[i].level;
    return -1;
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
    } else if (have >= can) {
        snprintf(plan->text, n, "%s, OpenBLAS's own pick for this CPU (%s)", in_use, what);
    } else {
        plan->restart_with = best;
        snprintf(plan->text, n, "%s, OpenBLAS's own pick, older than this CPU (%s) can run: "
                 "set %s=%s to use %s", in_use, what, GAN_KERNEL_ENV, best, best);
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

/*
 * test_kernel.c: the OpenBLAS kernel choice (gan_kernel.h). The decision on
 * the cpuid bits of the CPUs this project has met and of others around
 * them; the cpuid reader against Linux's /proc/cpuinfo; and the kernel chosen
 * for this CPU, forced in a child process, runs a product right here (a
 * kernel this CPU cannot run dies of SIGILL).
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gan_kernel.h"
#include "test_util.h"

/* CPUs as cpuid shows them: vendor, family, model, then the feature bits */
static gan_cpu cpu_avx512(int vendor, int family, int model, int bf16)
{
    gan_cpu c = {vendor, family, model, 1, 1, 1, 1, 1, 1, 1, (unsigned)bf16, 1, 1, 1};
    return c;
}

static gan_cpu cpu_avx2(int vendor, int family, int model)
{
    gan_cpu c = {vendor, family, model, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0};
    return c;
}

static void check_best(const gan_cpu *c, const char *want, const char *what)
{
    const char *got = gan_kernel_best(c);
    if (!want)
        CHECK_MSG(got == NULL, "%s: got %s, want none", what, got);
    else
        CHECK_MSG(got && !strcmp(got, want), "%s: got %s, want %s", what, got ? got : "none", want);
}

static void test_levels(void)
{
    CHECK(gan_kernel_level("Prescott") == 0);
    CHECK(gan_kernel_level("Nehalem") == 0);
    CHECK(gan_kernel_level("Barcelona") == 0);
    CHECK(gan_kernel_level("Sandybridge") == 1);
    CHECK(gan_kernel_level("Excavator") == 1);
    CHECK(gan_kernel_level("Haswell") == 2);
    CHECK(gan_kernel_level("Zen") == 2);
    CHECK(gan_kernel_level("SkylakeX") == 3);
    CHECK(gan_kernel_level("Cooperlake") == 3);
    CHECK(gan_kernel_level("SapphireRapids") == 3);
    CHECK(gan_kernel_level("zen") == 2);      /* OpenBLAS takes any case */
    CHECK(gan_kernel_level("SKYLAKEX") == 3);
    CHECK(gan_kernel_level("Unknown") == -1);
    CHECK(gan_kernel_level("Zen4") == -1);
    CHECK(gan_kernel_level("") == -1);
    CHECK(gan_kernel_level(NULL) == -1);
}

static void test_best(void)
{
    gan_cpu c;
    /* Intel family 6 model 207, Emerald Rapids: AVX-512 with BF16 */
    c = cpu_avx512(GAN_VENDOR_INTEL, 6, 207, 1);
    check_best(&c, "Cooperlake", "Emerald Rapids");
    /* Skylake-SP / Cascade Lake: AVX-512 without BF16 */
    c = cpu_avx512(GAN_VENDOR_INTEL, 6, 85, 0);
    check_best(&c, "SkylakeX", "Skylake-SP");
    /* AMD Zen 4 (family 25 model 17): AVX-512 with BF16 */
    c = cpu_avx512(GAN_VENDOR_AMD, 25, 17, 1);
    check_best(&c, "Cooperlake", "Zen 4");
    /* the same CPU under an OS that does not save the zmm state */
    c.os_zmm = 0;
    check_best(&c, "Haswell", "Zen 4 without zmm state");
    c = cpu_avx512(GAN_VENDOR_INTEL, 6, 207, 1);
    c.os_zmm = 0;
    check_best(&c, "Haswell", "Emerald Rapids without zmm state");
    /* Knights Landing: AVX-512 F but no BW, DQ or VL */
    c = cpu_avx512(GAN_VENDOR_INTEL, 6, 87, 0);
    c.avx512bw = c.avx512dq = c.avx512vl = 0;
    check_best(&c, "Haswell", "AVX-512F only");
    c = cpu_avx512(GAN_VENDOR_INTEL, 6, 85, 0);
    c.avx512vl = 0;
    check_best(&c, "Haswell", "AVX-512 without VL");
    /* AVX2 machines: AMD Zen 3 (family 25 model 1, this project's one:
     * Haswell's kernels measured faster there), Zen 2 and Hygon Dhyana (the
     * library's Zen), Intel Haswell */
    c = cpu_avx2(GAN_VENDOR_AMD, 25, 1);
    check_best(&c, "Haswell", "Zen 3");
    c = cpu_avx2(GAN_VENDOR_AMD, 23, 49);
    check_best(&c, "Zen", "Zen 2");
    c = cpu_avx2(GAN_VENDOR_HYGON, 24, 0);
    check_best(&c, "Zen", "Hygon");
    c = cpu_avx2(GAN_VENDOR_INTEL, 6, 63);
    check_best(&c, "Haswell", "Haswell");
    c = cpu_avx2(GAN_VENDOR_OTHER, 7, 59);
    check_best(&c, "Haswell", "another vendor with AVX2");
    /* AVX2 without FMA (a hypervisor can hide it): the AVX level */
    c = cpu_avx2(GAN_VENDOR_INTEL, 6, 63);
    c.fma = 0;
    check_best(&c, "Sandybridge", "AVX2 without FMA");
    /* Sandy Bridge: AVX only */
    c = cpu_avx2(GAN_VENDOR_INTEL, 6, 42);
    c.avx2 = c.fma = 0;
    check_best(&c, "Sandybridge", "Sandy Bridge");
    /* AVX that the OS does not save: nothing to choose */
    c = cpu_avx2(GAN_VENDOR_INTEL, 6, 63);
    c.os_ymm = 0;
    check_best(&c, NULL, "AVX without ymm state");
    /* an SSE-era CPU, and what a failed cpuid leaves */
    c = (gan_cpu){GAN_VENDOR_INTEL, 6, 23, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    check_best(&c, NULL, "Core 2");
    memset(&c, 0, sizeof c);
    check_best(&c, NULL, "nothing known");
}

static void check_plan(const gan_cpu *c, const char *in_use, const char *env, const char *from,
                       const char *restart, const char *text_start, const char *text_part)
{
    gan_kernel_plan p;
    gan_kernel_plan_make(&p, c, in_use, env, from);
    if (restart)
        CHECK_MSG(p.restart_with && !strcmp(p.restart_with, restart),
                  "%s (env %s): restart with %s, want %s", in_use, env ? env : "unset",
                  p.restart_with ? p.restart_with : "nothing", restart);
    else
        CHECK_MSG(!p.restart_with, "%s (env %s): restart with %s, want none", in_use,
                  env ? env : "unset", p.restart_with);
    CHECK_MSG(!strncmp(p.text, text_start, strlen(text_start)), "text '%s' does not start '%s'",
              p.text, text_start);
    CHECK_MSG(strstr(p.text, text_part) != NULL, "text '%s' lacks '%s'", p.text, text_part);
}

static void test_plan(void)
{
    gan_cpu er = cpu_avx512(GAN_VENDOR_INTEL, 6, 207, 1);
    gan_cpu zen3 = cpu_avx2(GAN_VENDOR_AMD, 25, 1);
    gan_cpu zen4 = cpu_avx512(GAN_VENDOR_AMD, 25, 17, 1);
    gan_cpu old = {GAN_VENDOR_INTEL, 6, 23, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

    /* the case: OpenBLAS 0.3.21 does not know Emerald Rapids */
    check_plan(&er, "Prescott", NULL, NULL, "Cooperlake", "Prescott, OpenBLAS's own pick, "
               "older than", "set OPENBLAS_CORETYPE=Cooperlake");
    check_plan(&er, "Prescott", NULL, NULL, "Cooperlake", "Prescott",
               "(Intel family 6 model 207, AVX-512 with BF16)");
    /* ... and the restarted process: never again */
    check_plan(&er, "Cooperlake", "Cooperlake", "Prescott", NULL,
               "Cooperlake, chosen by gan-train: OpenBLAS picked Prescott for this CPU "
               "(Intel family 6 model 207, AVX-512 with BF16)", "");
    /* restarted, but the library ran something else than asked */
    check_plan(&zen4, "Haswell", "Cooperlake", "Zen", NULL, "Haswell: gan-train asked OpenBLAS "
               "for Cooperlake (it had picked Zen", "and it runs Haswell");
    /* any other SSE-era pick, and an older AVX one, are raised too */
    check_plan(&er, "Nehalem", NULL, NULL, "Cooperlake", "Nehalem", "older than this CPU");
    check_plan(&er, "Haswell", NULL, NULL, "Cooperlake", "Haswell", "older than");
    check_plan(&zen3, "Sandybridge", NULL, NULL, "Haswell", "Sandybridge", "=Haswell");
    check_plan(&zen3, "Prescott", NULL, NULL, "Haswell", "Prescott", "AMD family 25 model 1, AVX2");
    /* Zen 4 with this library: Zen (AVX2) where AVX-512 with BF16 runs */
    check_plan(&zen4, "Zen", NULL, NULL, "Cooperlake", "Zen", "AMD family 25 model 17");
    /* Zen 3: the library's Zen, of the same level, measured slower */
    check_plan(&zen3, "Zen", NULL, NULL, "Haswell", "Zen, OpenBLAS's own pick; this CPU "
               "(AMD family 25 model 1, AVX2) runs Haswell faster", "=Haswell");
    check_plan(&zen3, "Haswell", NULL, NULL, NULL, "Haswell, OpenBLAS's own pick for this CPU "
               "(AMD family 25 model 1, AVX2)", "");
    gan_cpu zen2 = cpu_avx2(GAN_VENDOR_AMD, 23, 49);
    check_plan(&zen2, "Zen", NULL, NULL, NULL, "Zen, OpenBLAS's own pick", "");
    /* kernels with the same single-precision GEMM: kept */
    check_plan(&er, "SkylakeX", NULL, NULL, NULL, "SkylakeX, OpenBLAS's own pick", "");
    check_plan(&er, "Cooperlake", NULL, NULL, NULL, "Cooperlake, OpenBLAS's own pick", "");
    gan_cpu skx = cpu_avx512(GAN_VENDOR_INTEL, 6, 85, 0);
    check_plan(&skx, "Cooperlake", NULL, NULL, NULL, "Cooperlake, OpenBLAS's own pick", "");
    /* a newer library's kernel, or one this table does not know: kept */
    check_plan(&er, "SapphireRapids", NULL, NULL, NULL, "SapphireRapids, OpenBLAS's own", "");
    check_plan(&er, "Zen5", NULL, NULL, NULL, "Zen5, OpenBLAS's own pick", "does not rank");
    /* nothing better to run */
    check_plan(&old, "Core2", NULL, NULL, NULL, "Core2, OpenBLAS's own pick", "no AVX");
    /* the user's value is never overridden, even an odd one */
    check_plan(&er, "Haswell", "Haswell", NULL, NULL,
               "Haswell, from OPENBLAS_CORETYPE=Haswell in the environment",
               "; this CPU (Intel family 6 model 207, AVX-512 with BF16) can run Cooperlake");
    check_plan(&er, "Prescott", "Prescott", NULL, NULL, "Prescott, from OPENBLAS_CORETYPE", "");
    check_plan(&zen3, "Zen", "Zen", NULL, NULL, "Zen, from OPENBLAS_CORETYPE=Zen in the "
               "environment", "");
    check_plan(&zen3, "Haswell", "bogus", NULL, NULL, "Haswell, from OPENBLAS_CORETYPE=bogus", "");
    check_plan(&zen3, "Haswell", "", NULL, NULL, "Haswell, from OPENBLAS_CORETYPE= in", "");
    /* no restart without a CPU to judge */
    gan_cpu none;
    memset(&none, 0, sizeof none);
    check_plan(&none, "Prescott", NULL, NULL, NULL, "Prescott, OpenBLAS's own pick", "");
}

/* "flags : fpu vme ..." has the word `flag` */
static int has_flag(const char *flags, const char *flag)
{
    size_t n = strlen(flag);
    for (const char *p = flags; (p = strstr(p, flag)) != NULL; p += n)
        if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
            return 1;
    return 0;
}

/* The cpuid reader against Linux's view of this CPU. Linux lists a feature
 * only where the OS also saves its registers, so the bits are compared with
 * the matching state bit folded in. */
static void test_detect(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) {
        printf("test_kernel: no /proc/cpuinfo; the cpuid reader is not compared\n");
        return;
    }
    static char line[8192], flags[8192];
    char vendor[64] = "";
    int family = -1, model = -1;
    flags[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "vendor_id", 9) && !vendor[0])
            sscanf(strchr(line, ':') + 1, "%63s", vendor);
        else if (!strncmp(line, "cpu family", 10) && family < 0)
            family = atoi(strchr(line, ':') + 1);
        else if (!strncmp(line, "model\t", 6) && model < 0)
            model = atoi(strchr(line, ':') + 1);
        else if (!strncmp(line, "flags", 5) && !flags[0])
            snprintf(flags, sizeof flags, "%s", strchr(line, ':') + 1);
    }
    fclose(f);
    gan_cpu c;
    gan_cpu_detect(&c);
    int want_vendor = !strcmp(vendor, "GenuineIntel")   ? GAN_VENDOR_INTEL
                      : !strcmp(vendor, "AuthenticAMD") ? GAN_VENDOR_AMD
                      : !strcmp(vendor, "HygonGenuine") ? GAN_VENDOR_HYGON
                                                        : GAN_VENDOR_OTHER;
    CHECK_MSG(c.vendor == want_vendor, "vendor %d, /proc/cpuinfo says %s", c.vendor, vendor);
    CHECK_MSG(c.family == family, "family %d, /proc/cpuinfo says %d", c.family, family);
    CHECK_MSG(c.model == model, "model %d, /proc/cpuinfo says %d", c.model, model);
    struct {
        const char *flag;
        int ours;
    } f2[] = {
        {"avx", c.avx && c.os_ymm},           {"avx2", c.avx2 && c.os_ymm},
        {"fma", c.fma && c.os_ymm},           {"avx512f", c.avx512f && c.os_zmm},
        {"avx512bw", c.avx512bw && c.os_zmm}, {"avx512dq", c.avx512dq && c.os_zmm},
        {"avx512vl", c.avx512vl && c.os_zmm}, {"avx512_bf16", c.avx512bf16 && c.os_zmm},
    };
    for (size_t i = 0; i < sizeof f2 / sizeof *f2; i++)
        CHECK_MSG(f2[i].ours == has_flag(flags, f2[i].flag), "%s: cpuid says %d, /proc/cpuinfo %d",
                  f2[i].flag, f2[i].ours, has_flag(flags, f2[i].flag));
    gan_kernel_plan p;
    gan_kernel_plan_here(&p);
    printf("test_kernel: this CPU: %s %d/%d, best kernel %s; now: %s\n", vendor, family, model,
           gan_kernel_best(&c) ? gan_kernel_best(&c) : "(none)", p.text);
}

/* In the child: a product on the kernel OPENBLAS_CORETYPE names, against a
 * plain loop; prints the library's core name. */
static int child_gemm(void)
{
    enum { M = 37, N = 71, K = 129 };
    static float a[M * K], b[K * N], c[M * N];
    for (int i = 0; i < M * K; i++)
        a[i] = (float)((i * 7) % 13) - 6.0f;
    for (int i = 0; i < K * N; i++)
        b[i] = (float)((i * 5) % 11) - 5.0f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, a, K, b, N, 0.0f, c, N);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float s = 0.0f; /* small integers: every order of summation is exact */
            for (int k = 0; k < K; k++)
                s += a[i * K + k] * b[k * N + j];
            if (c[i * N + j] != s)
                return 3;
        }
    printf("%s\n", openblas_get_corename());
    return fflush(stdout) == 0 ? 0 : 1;
}

static void test_best_runs_here(const char *self)
{
    gan_cpu c;
    gan_cpu_detect(&c);
    const char *best = gan_kernel_best(&c);
    if (!best) {
        printf("test_kernel: no kernel to choose on this CPU\n");
        return;
    }
    int fd[2];
    CHECK(pipe(fd) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], STDOUT_FILENO);
        close(fd[0]);
        setenv(GAN_KERNEL_ENV, best, 1);
        execl(self, self, "--gemm", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char got[64] = "";
    ssize_t n = read(fd[0], got, sizeof got - 1);
    close(fd[0]);
    if (n > 0)
        got[strcspn(got, "\n")] = '\0';
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "a product on %s: %s %d", best, WIFSIGNALED(status) ? "signal" : "exit",
              WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    CHECK_MSG(!strcasecmp(got, best), "OPENBLAS_CORETYPE=%s gave %s", best, got);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--gemm"))
        return child_gemm();
    test_levels();
    test_best();
    test_plan();
    test_detect();
    test_best_runs_here(argv[0]);
    TEST_MAIN_END();
}

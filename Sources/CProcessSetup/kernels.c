// Choosing OpenBLAS's kernels where OpenBLAS cannot.
//
// An OpenBLAS built with DYNAMIC_ARCH (Debian's is) picks its kernels at load time from the CPU's
// family and model. A CPU newer than the library is not in its table, and OpenBLAS then falls back
// to its "Prescott" kernels: SSE3, 4-wide. Debian 12's OpenBLAS 0.3.21 does this on Intel's Xeon
// of family 6 model 207 (Emerald Rapids, AVX-512): a 2048^3 sgemm runs at 32 GFLOP/s a core where
// its "Cooperlake" kernels, which the CPU runs, give 155 (bench/RESULTS.md, 2026-12-06).
//
// This constructor runs before `main` and after OpenBLAS's own (the executable's initializers
// run after those of the libraries it needs), while no BLAS call has been made. If OpenBLAS fell
// back to Prescott on a CPU that has AVX2 and the environment does not name a core
// (OPENBLAS_CORETYPE, which always wins), it points OpenBLAS at the best core the CPU supports
// through the library's own switch: OPENBLAS_CORETYPE read by `gotoblas_dynamic_init`, after
// `gotoblas_dynamic_quit` cleared the first choice. Both are exported by every DYNAMIC_ARCH
// build; where they or the named core are missing, OpenBLAS's choice stays. The environment is
// left as it was found, so child processes decide for themselves.
#include "CProcessSetup.h"

#if defined(__linux__) && defined(__x86_64__)
#include <cpuid.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char detected[32];
static char chosen[32];
static int setByEnvironment;

static void copyName(char *to, const char *from) {
    strncpy(to, from ? from : "", 31);
    to[31] = 0;
}

/// XCR0: which register states the operating system saves (bits 1-2 SSE/AVX, 5-7 AVX-512).
static unsigned long long xcr0(void) {
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

/// The OpenBLAS cores this CPU can run, best first (NULL-terminated).
static void candidateCores(const char **out) {
    unsigned int a, b, c, d;
    int n = 0;
    out[0] = NULL;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    if (!osxsave || !avx) return;
    unsigned long long x = xcr0();
    int ymm = (x & 0x6) == 0x6, zmm = ymm && (x & 0xe0) == 0xe0;
    if (!ymm) return;
    unsigned int b7 = 0, c7 = 0, d7 = 0, a71 = 0, max7 = 0;
    if (__get_cpuid_count(7, 0, &max7, &b7, &c7, &d7)) {
        unsigned int b71, c71, d71;
        if (max7 >= 1) __get_cpuid_count(7, 1, &a71, &b71, &c71, &d71);
    }
    int avx2 = (b7 >> 5) & 1;
    int avx512 = zmm && ((b7 >> 16) & 1) && ((b7 >> 17) & 1) && ((b7 >> 28) & 1) && ((b7 >> 30) & 1)
        && ((b7 >> 31) & 1);  // F, DQ, CD, BW, VL: what OpenBLAS's SkylakeX kernels use
    int bf16 = avx512 && ((a71 >> 5) & 1);
    if (bf16) out[n++] = "Cooperlake";
    if (avx512) out[n++] = "SkylakeX";
    if (avx2 && fma) out[n++] = "Haswell";
    out[n] = NULL;
}

__attribute__((constructor)) static void sculptChooseOpenBLASKernels(void) {
    typedef char *(*NameFunction)(void);
    typedef void (*VoidFunction)(void);
    NameFunction corename = (NameFunction)dlsym(RTLD_DEFAULT, "openblas_get_corename");
    if (!corename) return;
    copyName(detected, corename());
    if (getenv("OPENBLAS_CORETYPE")) { setByEnvironment = 1; return; }
    if (strcasecmp(detected, "Prescott") != 0) return;
    VoidFunction quit = (VoidFunction)dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
    VoidFunction init = (VoidFunction)dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
    if (!quit || !init) return;
    const char *cores[4];
    candidateCores(cores);
    for (int i = 0; cores[i]; i++) {
        setenv("OPENBLAS_CORETYPE", cores[i], 1);
        quit();
        init();
        unsetenv("OPENBLAS_CORETYPE");
        if (strcasecmp(corename(), cores[i]) == 0) { copyName(chosen, cores[i]); return; }
    }
    // None of them is in this build: back to OpenBLAS's own choice.
    if (cores[0]) { quit(); init(); }
}

const char *sculpt_blas_cpu_best_core(void) {
    const char *cores[4];
    candidateCores(cores);
    return cores[0] ? cores[0] : "";
}

const char *sculpt_blas_detected_core(void) { return detected; }
const char *sculpt_blas_chosen_core(void) { return chosen; }
int sculpt_blas_core_set_by_environment(void) { return setByEnvironment; }

#else
const char *sculpt_blas_cpu_best_core(void) { return ""; }
const char *sculpt_blas_detected_core(void) { return ""; }
const char *sculpt_blas_chosen_core(void) { return ""; }
int sculpt_blas_core_set_by_environment(void) { return 0; }
#endif

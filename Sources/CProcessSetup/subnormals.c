// Subnormal results flushed to zero on Sculpt's threads.
//
// A float below 2^-126 is subnormal. Intel cores take a microcode assist of ~100 cycles for every
// operation whose result is subnormal, and training makes them wherever values saturate: a sigmoid
// output near 0 times its gradient, say. W1's relu3_linear9 trained 1,500 epochs ran at 18.6-25 us a
// step on an Intel Xeon (Emerald Rapids) against 4.6-5.3 us with flush-to-zero, and the README's first
// command (`sculpt paint --shape square --hidden 3 --linear 9`) trained in 1.48 s against 0.36 s, to
// the same printed MSE after the same 2,445 epochs (bench/RESULTS.md, 2026-12-06). TensorFlow and
// XLA flush on CPU by default; PyTorch offers it (`torch.set_flush_denormal(True)`).
//
// This constructor runs on the main thread before `main` and sets flush-to-zero there (x86-64:
// MXCSR.FTZ; arm64: FPCR.FZ). Threads created afterwards inherit it (glibc copies the creating
// thread's floating-point environment): `Parallel`'s helpers, Dispatch's and Swift concurrency's
// threads. OpenBLAS's own threads were created before it and keep gradual underflow. Only results
// are flushed: subnormal inputs (read from a file, say) still compute as IEEE says, and comparisons
// are untouched. SCULPT_SUBNORMALS=keep in the environment keeps IEEE gradual underflow.
#include "CProcessSetup.h"

#include <stdlib.h>
#include <string.h>

static int flushedAtStartup;

#if defined(__linux__) && defined(__x86_64__)
#include <xmmintrin.h>
static int threadFlushes(void) { return (_mm_getcsr() & _MM_FLUSH_ZERO_ON) != 0; }
static void setFlush(void) { _mm_setcsr(_mm_getcsr() | _MM_FLUSH_ZERO_ON); }
#define SCULPT_CAN_FLUSH 1
#elif defined(__linux__) && defined(__aarch64__)
static unsigned long fpcr(void) { unsigned long v; __asm__ volatile("mrs %0, fpcr" : "=r"(v)); return v; }
static int threadFlushes(void) { return (fpcr() >> 24) & 1; }
static void setFlush(void) { unsigned long v = fpcr() | (1UL << 24); __asm__ volatile("msr fpcr, %0" : : "r"(v)); }
#define SCULPT_CAN_FLUSH 1
#endif

#ifdef SCULPT_CAN_FLUSH
__attribute__((constructor)) static void sculptFlushSubnormals(void) {
    const char *mode = getenv("SCULPT_SUBNORMALS");
    if (mode && strcmp(mode, "keep") == 0) return;
    setFlush();
    flushedAtStartup = 1;
}
int sculpt_thread_flushes_subnormals(void) { return threadFlushes(); }
#else
int sculpt_thread_flushes_subnormals(void) { return 0; }
#endif

int sculpt_subnormals_flushed_at_startup(void) { return flushedAtStartup; }

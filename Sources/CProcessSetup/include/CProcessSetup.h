// What Sculpt sets up in the process before `main`: OpenBLAS's kernels (kernels.c) and subnormal
// results flushed to zero (subnormals.c).
#ifndef SCULPT_CPROCESSSETUP_H
#define SCULPT_CPROCESSSETUP_H

/// The OpenBLAS core whose kernels OpenBLAS picked for this CPU at load time ("Prescott",
/// "Cooperlake", ...), or "" where the library is not OpenBLAS with DYNAMIC_ARCH.
const char *sculpt_blas_detected_core(void);

/// The core Sculpt switched OpenBLAS to, or "" where it left OpenBLAS's own choice alone
/// (the usual case: only OpenBLAS's Prescott fallback on a CPU with AVX2 is replaced).
const char *sculpt_blas_chosen_core(void);

/// The best OpenBLAS core this CPU runs, of those Sculpt would switch to ("Cooperlake" with
/// AVX-512 BF16, "SkylakeX" with AVX-512, "Haswell" with AVX2 and FMA), or "" (none of them, or
/// not x86-64 Linux).
const char *sculpt_blas_cpu_best_core(void);

/// 1 when the environment named OPENBLAS_CORETYPE at start-up (the user's choice, left alone).
int sculpt_blas_core_set_by_environment(void);

/// 1 when the start-up constructor set flush-to-zero on the main thread (0: SCULPT_SUBNORMALS=keep,
/// or a platform where Sculpt does not set it).
int sculpt_subnormals_flushed_at_startup(void);

/// 1 when the calling thread flushes subnormal results to zero.
int sculpt_thread_flushes_subnormals(void);

#endif

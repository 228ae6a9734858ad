// Winograd's element-wise products with beta = 0: C cleared row by row and then accumulated with
// beta = 1 (what `BLAS.gemm` did for every output of up to 2^16 elements), against beta = 0 handed
// to OpenBLAS, whose small-matrix kernels (Skylake-X / Cooper Lake, m n k <= 100^3) then never read
// C. Each case is one chunk's 16 products of W7's Winograd layers, (O x C) by (C x tiles); the two
// ways alternate in one process and the best of 100 rounds is printed.
//
//   gcc -O2 bench/gemm_beta0.c -o /tmp/gemm_beta0 -lopenblas
//   OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Cooperlake /tmp/gemm_beta0   # the kernels `sculpt bench` reports
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void run(int m, int n, int k, int rounds) {
    int ld = n + 8;  // Winograd's leading dimension: tiles + 8
    float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * 16 * k * ld);
    float *c = malloc(sizeof(float) * 16 * m * ld);
    for (int i = 0; i < m * k; i++) a[i] = rand() / (float)RAND_MAX;
    for (int i = 0; i < 16 * k * ld; i++) b[i] = rand() / (float)RAND_MAX;
    double best[2] = {1e9, 1e9};
    for (int r = 0; r < rounds; r++) {
        for (int way = 0; way < 2; way++) {
            double t = now();
            for (int point = 0; point < 16; point++) {
                float *cp = c + point * m * ld;
                if (way == 0) {
                    for (int row = 0; row < m; row++) memset(cp + row * ld, 0, sizeof(float) * n);
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b + point * k * ld, ld,
                            way == 0 ? 1 : 0, cp, ld);
            }
            t = now() - t;
            if (t < best[way]) best[way] = t;
        }
    }
    printf("m %3d n %4d k %3d (m n k = %7d): cleared + beta 1 %.3f ms, beta 0 %.3f ms (%.2fx)\n", m, n, k, m * n * k,
           best[0] * 1e3, best[1] * 1e3, best[1] / best[0]);
    free(a);
    free(b);
    free(c);
}

int main(void) {
    // W7's chunks at two threads: 28x28 16 -> 16 (5 samples), 14x14 16 -> 32 and 32 -> 32 (10), 7x7 32 -> 64
    // and 64 -> 64 (16); the input gradients' products have O and C swapped
    int cases[][3] = {{16, 980, 16}, {32, 490, 16}, {16, 490, 32}, {32, 490, 32}, {64, 256, 32}, {32, 256, 64},
                      {64, 256, 64}};
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) run(cases[i][0], cases[i][1], cases[i][2], 100);
    return 0;
}

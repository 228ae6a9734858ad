/*
 * W5 reference in plain C: cblas_sgemm, float32, n x n x n (default n = 2048) into a
 * preallocated output, 3 warm-up calls + 10 timed calls, GFLOP/s = 2 n^3 / median seconds.
 * The same protocol as `sculpt bench --workloads gemm` and bench/torch_reference.py's W5 (bench/README.md).
 *
 *   cc -O2 bench/sgemm_openblas.c -o /tmp/sgemm_openblas -lopenblas
 *   /tmp/sgemm_openblas THREADS [N]      # prints one JSON line
 */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* OpenBLAS's thread control (declared in its cblas.h; repeated for other cblas headers). */
void openblas_set_num_threads(int num_threads);

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Standard-normal fill (Box-Muller on a 64-bit LCG); the values do not affect the timing. */
static void fill_normal(float *x, size_t count, uint64_t *state) {
    for (size_t i = 0; i < count; i++) {
        *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
        double u1 = ((double)(*state >> 11) + 1.0) / 9007199254740993.0;
        *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
        double u2 = (double)(*state >> 11) / 9007199254740992.0;
        x[i] = (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
    }
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    int n = argc > 2 ? atoi(argv[2]) : 2048;
    const int warmup = 3, timed = 10;
    if (threads < 1 || n < 1) {
        fprintf(stderr, "usage: %s THREADS [N]  (positive integers)\n", argv[0]);
        return 2;
    }
    openblas_set_num_threads(threads);
    size_t count = (size_t)n * (size_t)n;
    float *a = malloc(count * sizeof(float)), *b = malloc(count * sizeof(float));
    float *c = calloc(count, sizeof(float));
    if (!a || !b || !c) {
        fprintf(stderr, "out of memory for n = %d\n", n);
        return 1;
    }
    uint64_t state = 0;
    fill_normal(a, count, &state);
    fill_normal(b, count, &state);

    for (int i = 0; i < warmup; i++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    double times[10];
    for (int i = 0; i < timed; i++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        times[i] = now() - t0;
    }
    double sorted[10];
    for (int i = 0; i < timed; i++) sorted[i] = times[i];
    qsort(sorted, timed, sizeof(double), compare);
    double median = (sorted[timed / 2 - 1] + sorted[timed / 2]) / 2; /* timed is even */
    double flop = 2.0 * (double)n * (double)n * (double)n;
    printf("{\"workload\": \"gemm\", \"model\": \"sgemm_%d\", \"implementation\": \"C cblas_sgemm (OpenBLAS)\", "
           "\"threads\": %d, \"gflops\": %.3f, \"gflopsBest\": %.3f, \"medianSeconds\": %.6f, \"check\": %.3f}\n",
           n, threads, flop / median / 1e9, flop / sorted[0] / 1e9, median, (double)c[count / 2]);
    free(a);
    free(b);
    free(c);
    return 0;
}

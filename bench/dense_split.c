// How to split W2's dense products over two threads: the eight sgemm calls of one training step of the
// MLP 784-512-512-10 at batch 128 (forward x W^T, weight gradients dy^T x, input gradients dy W), timed
// one thread alone, split by rows (samples; units for the weight gradients), split by output columns for
// the forward and input-gradient products (units for the weight gradients: what Sculpt's `denseProduct`
// does), and handed whole to OpenBLAS's two threads. Each split block is its own single-threaded sgemm on
// a helper that spins 100 us and then sleeps, as Sculpt's WorkerPool does.
//
//   gcc -O2 bench/dense_split.c -o /tmp/dense_split -lopenblas -lpthread
//   OPENBLAS_CORETYPE=Cooperlake /tmp/dense_split    # the kernels `sculpt bench` reports (BLAS: ...)
#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern void openblas_set_num_threads(int);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct { int ta, tb, m, n, k; float *a, *b, *c; int lda, ldb, ldc; float beta; } Product;

static void run(const Product *g) {
    cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans, g->m, g->n,
                g->k, 1, g->a, g->lda, g->b, g->ldb, g->beta, g->c, g->ldc);
}

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static volatile int generation = 0, finished = 0;
static Product job;

static void *helper(void *unused) {
    (void)unused;
    int seen = 0;
    for (;;) {
        double start = now();
        while (generation == seen) {
            if (now() - start > 100e-6) {
                pthread_mutex_lock(&mutex);
                while (generation == seen) pthread_cond_wait(&wake, &mutex);
                pthread_mutex_unlock(&mutex);
            }
        }
        seen = generation;
        run(&job);
        __sync_synchronize();
        finished = seen;
    }
    return NULL;
}

// The product in two halves, by rows of C ('R') or by columns ('C'); the caller runs the first half.
static void split(Product g, char how) {
    Product first = g, second = g;
    if (how == 'R') {
        int h = g.m / 2;
        first.m = h;
        second.m = g.m - h;
        second.a = g.ta ? g.a + h : g.a + (long)h * g.lda;
        second.c = g.c + (long)h * g.ldc;
    } else {
        int h = g.n / 2;
        first.n = h;
        second.n = g.n - h;
        second.b = g.tb ? g.b + (long)h * g.ldb : g.b + h;
        second.c = g.c + h;
    }
    job = second;
    __sync_synchronize();
    int mine = generation + 1;
    pthread_mutex_lock(&mutex);
    generation = mine;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&mutex);
    run(&first);
    while (finished != mine) {}
}

static float *filled(long n) {
    float *p = malloc(sizeof(float) * n);
    for (long i = 0; i < n; i++) p[i] = (float)(rand() % 100) / 100.0f;
    return p;
}

int main(void) {
    const int b = 128;
    float *x = filled(b * 784), *w1 = filled(512 * 784), *w2 = filled(512 * 512), *w3 = filled(10 * 512);
    float *h1 = filled(b * 512), *h2 = filled(b * 512), *y = filled(b * 10), *dy = filled(b * 10);
    float *dh2 = filled(b * 512), *dh1 = filled(b * 512);
    float *dw1 = filled(512 * 784), *dw2 = filled(512 * 512), *dw3 = filled(10 * 512);
    // {transA, transB, m, n, k, a, b, c, lda, ldb, ldc, beta}: forward (bias already in C: beta 1), then
    // backward layer by layer: weight gradient (accumulated: beta 1), input gradient (not for the input)
    const Product step[] = {
        {0, 1, b, 512, 784, x, w1, h1, 784, 784, 512, 1},   {0, 1, b, 512, 512, h1, w2, h2, 512, 512, 512, 1},
        {0, 1, b, 10, 512, h2, w3, y, 512, 512, 10, 1},     {1, 0, 10, 512, b, dy, h2, dw3, 10, 512, 512, 1},
        {0, 0, b, 512, 10, dy, w3, dh2, 10, 512, 512, 0},   {1, 0, 512, 512, b, dh2, h1, dw2, 512, 512, 512, 1},
        {0, 0, b, 512, 512, dh2, w2, dh1, 512, 512, 512, 0}, {1, 0, 512, 784, b, dh1, x, dw1, 512, 784, 784, 1},
    };
    const int products = sizeof step / sizeof step[0], rounds = 40, steps = 20;
    const char *names[] = {"one thread", "split by rows (samples; units for dW)",
                           "split by columns (units for dW)", "OpenBLAS's two threads"};
    double total[4] = {0}, best[4] = {1e9, 1e9, 1e9, 1e9};
    pthread_t thread;
    pthread_create(&thread, NULL, helper, NULL);
    for (int round = 0; round < rounds; round++) {
        for (int s = 0; s < 4; s++) {
            if (s == 3) nanosleep(&(struct timespec){0, 300000}, NULL);  // the helper asleep first
            openblas_set_num_threads(s == 3 ? 2 : 1);
            double start = now();
            for (int r = 0; r < steps; r++) {
                for (int i = 0; i < products; i++) {
                    const Product g = step[i];
                    if (s == 0 || s == 3) run(&g);
                    else if (s == 1) split(g, g.m >= 16 ? 'R' : 'C');
                    else if (g.ta) split(g, g.m >= 16 ? 'R' : 'C');  // weight gradient: by units
                    else split(g, g.n >= 16 ? 'C' : 'R');
                }
            }
            double t = (now() - start) / steps;
            total[s] += t;
            if (t < best[s]) best[s] = t;
        }
    }
    printf("W2's eight products of one step, ms (mean and best of %d rounds of %d steps, strategies alternated):\n",
           rounds, steps);
    for (int s = 0; s < 4; s++) printf("  %-40s %.3f  %.3f\n", names[s], total[s] / rounds * 1e3, best[s] * 1e3);
    return 0;
}

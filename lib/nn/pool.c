#include "nn/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NN_PAUSE() _mm_pause()
#else
#define NN_PAUSE() ((void)0)
#endif

/* pause loops a worker spins for a new job before it sleeps (~50-100 us) */
#define SPIN_ITERS 20000

typedef struct worker {
    nn_pool *pool;
    unsigned index;
    pthread_t th;
} worker;

struct nn_pool {
    unsigned n;               /* threads including the caller */
    worker *w;                /* n - 1 */
    unsigned started;         /* workers successfully created */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_uint gen;          /* job generation, bumped per run */
    atomic_uint pending;      /* workers still busy with the current job */
    atomic_int sleeping;      /* workers waiting on cv */
    atomic_int quit;
    nn_pool_fn fn;
    void *ctx;
};

static void *worker_main(void *arg)
{
    worker *me = arg;
    nn_pool *p = me->pool;
    unsigned seen = 0;
    for (;;) {
        unsigned g;
        int spins = 0;
        while ((g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen &&
               !atomic_load_explicit(&p->quit, memory_order_acquire)) {
            if (++spins < SPIN_ITERS) {
                NN_PAUSE();
                continue;
            }
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->sleeping, 1);
            while (atomic_load(&p->gen) == seen && !atomic_load(&p->quit))
                pthread_cond_wait(&p->cv, &p->mu);
            atomic_fetch_sub(&p->sleeping, 1);
            pthread_mutex_unlock(&p->mu);
            spins = 0;
        }
        if (atomic_load_explicit(&p->quit, memory_order_acquire))
            return NULL;
        seen = g;
        p->fn(p->ctx, me->index, p->n);
        atomic_fetch_sub_explicit(&p->pending, 1, memory_order_release);
    }
}

nn_pool *nn_pool_new(unsigned nthreads)
{
    nn_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->n = nthreads ? nthreads : 1;
    atomic_init(&p->gen, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->sleeping, 0);
    atomic_init(&p->quit, 0);
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p);
        return NULL;
    }
    if (pthread_cond_init(&p->cv, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
    }
    if (p->n > 1) {
        p->w = calloc(p->n - 1, sizeof *p->w);
        if (!p->w) {
            nn_pool_free(p);
            return NULL;
        }
        for (unsigned i = 0; i + 1 < p->n; i++) {
            p->w[i].pool = p;
            p->w[i].index = i + 1;
            if (pthread_create(&p->w[i].th, NULL, worker_main, &p->w[i]) != 0) {
                nn_pool_free(p);
                return NULL;
            }
            p->started++;
        }
    }
    return p;
}

void nn_pool_free(nn_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->quit, 1);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->started; i++)
        pthread_join(p->w[i].th, NULL);
    free(p->w);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

unsigned nn_pool_size(const nn_pool *p)
{
    return p ? p->n : 1;
}

void nn_pool_run(nn_pool *p, nn_pool_fn fn, void *ctx)
{
    if (!p || p->n == 1) {
        fn(ctx, 0, 1);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    atomic_store_explicit(&p->pending, p->n - 1, memory_order_relaxed);
    atomic_fetch_add(&p->gen, 1); /* seq_cst: pairs with the sleeping count */
    if (atomic_load(&p->sleeping) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    fn(ctx, 0, p->n);
    while (atomic_load_explicit(&p->pending, memory_order_acquire) != 0)
        NN_PAUSE();
}

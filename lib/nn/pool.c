#include "nn/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NN_PAUSE() _mm_pause()
#else
#define NN_PAUSE() ((void)0)
#endif

/* pause loops a worker spins for a new job before it sleeps (~100 us) */
#define SPIN_ITERS 20000

/* state: job generation in the high 32 bits (odd: open to join, even:
 * closed), workers inside the current job in the low 32 bits. */
#define GEN(s) ((uint32_t)((s) >> 32))
#define ACTIVE(s) ((uint32_t)(s))

typedef struct worker {
    struct nn_pool *pool;
    unsigned index;
    pthread_t th;
} worker;

struct nn_pool {
    unsigned n;               /* threads including the caller */
    worker *w;                /* n - 1 */
    unsigned started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    _Atomic uint64_t state;
    atomic_int sleeping;      /* workers waiting on cv */
    atomic_int quit;
    nn_pool_fn fn;            /* written before a job opens */
    void *ctx;
};

static void *worker_main(void *arg)
{
    worker *me = arg;
    struct nn_pool *p = me->pool;
    uint32_t seen = 0;
    for (;;) {
        uint64_t s;
        int spins = 0;
        while (GEN(s = atomic_load(&p->state)) == seen && !atomic_load(&p->quit)) {
            if (++spins < SPIN_ITERS) {
                NN_PAUSE();
                continue;
            }
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->sleeping, 1);
            while (GEN(atomic_load(&p->state)) == seen && !atomic_load(&p->quit))
                pthread_cond_wait(&p->cv, &p->mu);
            atomic_fetch_sub(&p->sleeping, 1);
            pthread_mutex_unlock(&p->mu);
            spins = 0;
        }
        if (atomic_load(&p->quit))
            return NULL;
        /* join the job only while it is open */
        for (;;) {
            uint32_t g = GEN(s);
            if (!(g & 1u)) {
                seen = g;
                break;
            }
            if (atomic_compare_exchange_weak(&p->state, &s, s + 1)) {
                p->fn(p->ctx, me->index, p->n);
                atomic_fetch_sub(&p->state, 1);
                seen = g;
                break;
            }
        }
    }
}

nn_pool *nn_pool_new(unsigned nthreads)
{
    struct nn_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->n = nthreads ? nthreads : 1;
    atomic_init(&p->state, 0);
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
    /* open: the generation becomes odd (no worker is inside: the last job
     * waited for them all) */
    atomic_fetch_add(&p->state, (uint64_t)1 << 32);
    if (atomic_load(&p->sleeping) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    fn(ctx, 0, p->n);
    /* close (even generation), then wait for the workers that joined */
    uint64_t s = atomic_fetch_add(&p->state, (uint64_t)1 << 32) + ((uint64_t)1 << 32);
    while (ACTIVE(s) != 0) {
        NN_PAUSE();
        s = atomic_load(&p->state);
    }
}

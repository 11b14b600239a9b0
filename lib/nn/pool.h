/* A tiny fork-join pool owned by one nn_workspace: the calling thread plus
 * n-1 workers.  nn_pool_run(p, fn, ctx) calls fn(ctx, t, n) once for every
 * t in [0, n) (t == 0 on the calling thread) and returns when all are done.
 * Workers spin briefly between jobs, then sleep on a condition variable. */
#ifndef NER_NN_POOL_H
#define NER_NN_POOL_H

typedef struct nn_pool nn_pool;
typedef void (*nn_pool_fn)(void *ctx, unsigned t, unsigned n);

/* NULL on failure.  nthreads 0 is taken as 1 (no workers). */
nn_pool *nn_pool_new(unsigned nthreads);
void nn_pool_free(nn_pool *p);
unsigned nn_pool_size(const nn_pool *p);
void nn_pool_run(nn_pool *p, nn_pool_fn fn, void *ctx);

#endif

/* A tiny fork-join pool owned by one nn_workspace: the calling thread plus
 * n-1 workers.  nn_pool_run(p, fn, ctx) calls fn(ctx, t, n) on the calling
 * thread (t = 0) and on every worker that is free to join (t = 1..n-1), and
 * returns when all calls that started have returned.  A worker that does not
 * get the CPU in time simply misses the job, so fn must share its work out
 * dynamically (an atomic chunk counter in ctx): whatever the callers leave,
 * t = 0 finishes.  Chunks fixed in advance keep results independent of who
 * ran them.  Workers spin briefly between jobs, then sleep. */
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

/*
 * engine_threads - a thread-pool engine: N threads run the reqs as plain
 * blocking syscalls, so N of them are in flight at once, as in copiers
 * built on thread pools (xcp, fcp, mcp).
 *
 * It exists to be measured against the ring (UCP_ENGINE=threads,
 * UCP_THREADS=N, default 4; see doc/PERFORMANCE.md); the default engine is
 * whichever wins there.  A chain of linked reqs is one unit of work: one
 * thread runs it in order with the link rules of engine.h (a failed or
 * short req cancels the rest), so the copy logic cannot tell the engines
 * apart.  Chains are queued in a ring of pointers sized to the engine's
 * depth: nothing is allocated on the I/O path.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "engine.h"

#define MAX_THREADS 64

struct pool_engine {
	struct engine e;
	pthread_mutex_t lock;
	pthread_cond_t work;		/* chains queued, or stopping */
	pthread_cond_t done_cond;	/* reqs done */
	struct req **q;			/* chain heads waiting for a thread */
	unsigned qcap, qhead, qlen;
	struct req_list done;		/* run, not yet delivered */
	struct req *chain, *chain_tail;	/* being queued: link was set */
	bool stop;
	unsigned nthreads;
	pthread_t thr[MAX_THREADS];
};

static void *pool_thread(void *arg)
{
	struct pool_engine *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct req_list out = { NULL, NULL };
		struct req *r;
		bool broken = false;

		while (!p->qlen && !p->stop)
			pthread_cond_wait(&p->work, &p->lock);
		if (!p->qlen)
			break;
		r = p->q[p->qhead];
		p->qhead = (p->qhead + 1) % p->qcap;
		p->qlen--;
		pthread_mutex_unlock(&p->lock);
		while (r) {
			struct req *next = r->link ? r->next : NULL;

			r->res = broken ? -ECANCELED : engine_exec_sync(r);
			broken = broken || engine_breaks_chain(r);
			req_list_push(&out, r);
			r = next;
		}
		pthread_mutex_lock(&p->lock);
		if (p->done.tail)
			p->done.tail->next = out.head;
		else
			p->done.head = out.head;
		p->done.tail = out.tail;
		pthread_cond_signal(&p->done_cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int pool_queue(struct engine *e, struct req *r)
{
	struct pool_engine *p = (struct pool_engine *)e;

	r->next = NULL;
	if (p->chain_tail)
		p->chain_tail->next = r;
	else
		p->chain = r;
	p->chain_tail = r;
	e->inflight++;
	if (r->link)
		return 0;	/* the chain goes on */
	pthread_mutex_lock(&p->lock);
	if (p->qlen == p->qcap) {
		/* More chains than the depth allows: the caller's bug. */
		pthread_mutex_unlock(&p->lock);
		return -EBUSY;
	}
	p->q[(p->qhead + p->qlen++) % p->qcap] = p->chain;
	p->chain = p->chain_tail = NULL;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static int pool_run(struct engine *e, unsigned min_complete,
		    engine_complete_fn fn, void *ctx)
{
	struct pool_engine *p = (struct pool_engine *)e;
	struct req_list got;

	pthread_mutex_lock(&p->lock);
	while (min_complete && !p->done.head)
		pthread_cond_wait(&p->done_cond, &p->lock);
	got = p->done;
	p->done.head = p->done.tail = NULL;
	pthread_mutex_unlock(&p->lock);
	return (int)req_list_deliver(e, &got, fn, ctx);
}

static void pool_destroy(struct engine *e)
{
	struct pool_engine *p = (struct pool_engine *)e;

	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->thr[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done_cond);
	free(p->q);
	free(p);
}

static const struct engine_ops pool_ops = {
	.name = "threads",
	.queue = pool_queue,
	.run = pool_run,
	.destroy = pool_destroy,
};

int engine_threads_create(struct engine **out, const struct engine_config *cfg,
			  unsigned nthreads)
{
	struct pool_engine *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->qcap = cfg->depth ? cfg->depth : 64;
	p->q = calloc(p->qcap, sizeof(*p->q));
	if (!p->q) {
		free(p);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done_cond, NULL);
	p->e.ops = &pool_ops;
	p->e.link_rw = !engine_policy.no_link;
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	for (; p->nthreads < nthreads; p->nthreads++)
		if (pthread_create(&p->thr[p->nthreads], NULL, pool_thread, p))
			break;
	if (!p->nthreads) {
		pool_destroy(&p->e);
		return -EAGAIN;
	}
	*out = &p->e;
	return 0;
}

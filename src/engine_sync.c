/*
 * engine_sync - the synchronous engine: every req is a plain syscall,
 * executed when queued and delivered on the next engine_run().
 *
 * It is the fallback where io_uring is refused (seccomp in containers,
 * kernel.io_uring_disabled, RLIMIT_MEMLOCK) and the oracle the tests compare
 * the ring against.  It emulates io_uring's link rules exactly (see
 * engine.h), so the copy logic cannot tell the engines apart.
 */
#include <errno.h>
#include <stdlib.h>

#include "engine.h"

struct sync_engine {
	struct engine e;
	struct req_list done;		/* executed, not yet delivered */
	bool chain_broken;		/* an earlier linked req failed */
	bool in_chain;			/* the previous req had link set */
};

static int sync_queue(struct engine *e, struct req *r)
{
	struct sync_engine *s = (struct sync_engine *)e;
	bool link = r->link;

	if (s->in_chain && s->chain_broken)
		r->res = -ECANCELED;
	else
		r->res = engine_exec_sync(r);
	if (link) {
		if (!s->in_chain)
			s->chain_broken = false;
		s->chain_broken = s->chain_broken || engine_breaks_chain(r);
	} else {
		s->chain_broken = false;
	}
	s->in_chain = link;
	req_list_push(&s->done, r);
	e->inflight++;
	return 0;
}

static int sync_run(struct engine *e, unsigned min_complete,
		    engine_complete_fn fn, void *ctx)
{
	struct sync_engine *s = (struct sync_engine *)e;

	(void)min_complete;	/* everything queued is already done */
	return (int)req_list_deliver(e, &s->done, fn, ctx);
}

static void sync_destroy(struct engine *e)
{
	free(e);
}

static const struct engine_ops sync_ops = {
	.name = "sync",
	.queue = sync_queue,
	.run = sync_run,
	.destroy = sync_destroy,
};

int engine_sync_create(struct engine **out, const struct engine_config *cfg)
{
	struct sync_engine *s = calloc(1, sizeof(*s));

	(void)cfg;
	if (!s)
		return -ENOMEM;
	s->e.ops = &sync_ops;
	s->e.link_rw = !engine_policy.no_link;
	*out = &s->e;
	return 0;
}

/*
 * engine_ring - the io_uring engine.
 *
 * Each req becomes one SQE with user_data pointing back at the req.  Ops the
 * kernel lacks (decided by io_uring_get_probe(), never by version) or that
 * the policy asks to run inline are executed as plain syscalls and
 * delivered with the next batch of CQEs; the copy logic never links such
 * ops, so chains stay entirely inside the ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "compat.h"
#include "engine.h"

struct ring_engine {
	struct engine e;
	struct io_uring ring;
	bool inline_op[OP_COUNT];
	bool openat2;			/* OPENAT2 for beneath opens */
	unsigned queued;		/* SQEs not yet submitted */
	unsigned *free_pairs;		/* fixed-file slot pairs, as a stack */
	unsigned nfree_pairs;
	struct req_list done;		/* inline ops, to deliver */
	/* The buffers to register at the first want_bufs(), if the kernel
	 * has READ_FIXED/WRITE_FIXED; NULL once tried (or never). */
	struct iovec *reg_iov;
	unsigned reg_n;
};

static const unsigned char uring_op[OP_COUNT] = {
	[OP_NOP] = IORING_OP_NOP,	  [OP_OPENAT] = IORING_OP_OPENAT,
	[OP_STATX] = IORING_OP_STATX,	  [OP_READ] = IORING_OP_READ,
	[OP_WRITE] = IORING_OP_WRITE,	  [OP_CLOSE] = IORING_OP_CLOSE,
	[OP_LINKAT] = IORING_OP_LINKAT,	  [OP_RENAMEAT] = IORING_OP_RENAMEAT,
	[OP_MKDIRAT] = IORING_OP_MKDIRAT, [OP_SYMLINKAT] = IORING_OP_SYMLINKAT,
	[OP_UNLINKAT] = IORING_OP_UNLINKAT,
	[OP_SYNC_RANGE] = IORING_OP_SYNC_FILE_RANGE,
	[OP_FSYNC] = IORING_OP_FSYNC,
};

static int ring_submit(struct ring_engine *re, unsigned wait_nr)
{
	int ret;

	do
		ret = wait_nr ? io_uring_submit_and_wait(&re->ring, wait_nr) :
				io_uring_submit(&re->ring);
	while (ret == -EINTR);
	if (ret >= 0)
		re->queued = 0;
	return ret < 0 ? ret : 0;
}

static void prep(struct ring_engine *re, struct io_uring_sqe *sqe,
		 struct req *r)
{
	switch ((enum req_op)r->op) {
	case OP_NOP:
		io_uring_prep_nop(sqe);
		break;
	case OP_OPENAT:
		if (r->beneath && re->openat2) {
			r->how = req_open_how(r);
			io_uring_prep_openat2(sqe, r->fd, r->path, &r->how);
		} else {
			io_uring_prep_openat(sqe, r->fd, r->path, r->oflags,
					     r->mode);
		}
		break;
	case OP_STATX:
		io_uring_prep_statx(sqe, r->fd, r->path, r->oflags,
				    STATX_BASIC_STATS, r->addr);
		break;
	case OP_READ:
		if (re->e.fixed_bufs && r->buf >= 0)
			io_uring_prep_read_fixed(sqe, r->fd, r->addr,
						 engine_read_len(r, false),
						 r->off, r->buf);
		else
			io_uring_prep_read(sqe, r->fd, r->addr,
					   engine_read_len(r, false), r->off);
		break;
	case OP_WRITE:
		if (re->e.fixed_bufs && r->buf >= 0)
			io_uring_prep_write_fixed(sqe, r->fd, r->addr, r->len,
						  r->off, r->buf);
		else
			io_uring_prep_write(sqe, r->fd, r->addr, r->len,
					    r->off);
		break;
	case OP_CLOSE:
		io_uring_prep_close(sqe, r->fd);
		break;
	case OP_LINKAT:
		io_uring_prep_linkat(sqe, r->fd, r->path, r->fd2, r->path2,
				     r->oflags);
		break;
	case OP_RENAMEAT:
		io_uring_prep_renameat(sqe, r->fd, r->path, r->fd2, r->path2,
				       (unsigned)r->oflags);
		break;
	case OP_MKDIRAT:
		io_uring_prep_mkdirat(sqe, r->fd, r->path, r->mode);
		break;
	case OP_SYMLINKAT:
		io_uring_prep_symlinkat(sqe, r->path, r->fd2, r->path2);
		break;
	case OP_UNLINKAT:
		io_uring_prep_unlinkat(sqe, r->fd, r->path, r->oflags);
		break;
	case OP_SYNC_RANGE:
		io_uring_prep_sync_file_range(sqe, r->fd, r->len, r->off,
					      r->oflags);
		break;
	case OP_FSYNC:
		io_uring_prep_fsync(sqe, r->fd, 0);
		break;
	case OP_COUNT:
		break;
	}
	if (r->fixed)
		sqe->flags |= IOSQE_FIXED_FILE;
	if (r->link)
		sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data(sqe, r);
}

static bool run_inline(const struct ring_engine *re, const struct req *r)
{
	if (re->inline_op[r->op])
		return true;
	if (r->op == OP_OPENAT && req_creates(r))
		return engine_policy.inline_create;
	if (r->op == OP_OPENAT && (r->oflags & O_DIRECTORY))
		return engine_policy.inline_diropen;
	if (r->op == OP_STATX && (r->oflags & AT_EMPTY_PATH))
		return engine_policy.inline_fstat;
	return false;
}

/* Run r now as a plain syscall if the policy says so; delivered later. */
static bool queue_inline(struct ring_engine *re, struct req *r)
{
	if (!run_inline(re, r))
		return false;
	r->res = engine_exec_sync(r);
	req_list_push(&re->done, r);
	return true;
}

static int ring_queue(struct engine *e, struct req *r)
{
	struct ring_engine *re = (struct ring_engine *)e;
	struct io_uring_sqe *sqe;
	int ret;

	if (queue_inline(re, r)) {
		e->inflight++;
		return 0;
	}
	sqe = io_uring_get_sqe(&re->ring);
	if (!sqe) {
		ret = ring_submit(re, 0);
		if (ret < 0)
			return ret;
		sqe = io_uring_get_sqe(&re->ring);
		if (!sqe)
			return -EBUSY;
	}
	prep(re, sqe, r);
	re->queued++;
	e->inflight++;
	return 0;
}

static int ring_run(struct engine *e, unsigned min_complete,
		    engine_complete_fn fn, void *ctx)
{
	struct ring_engine *re = (struct ring_engine *)e;
	struct io_uring_cqe *cqe;
	struct req *r;
	unsigned n, wait;
	int ret;

	/* Inline completions first: they are already done. */
	n = req_list_deliver(e, &re->done, fn, ctx);

	wait = n >= min_complete ? 0 : min_complete - n;
	if (wait > e->inflight)
		wait = e->inflight;
	if (re->queued || wait) {
		ret = ring_submit(re, wait);
		if (ret < 0 && ret != -EBUSY && ret != -EAGAIN)
			return ret;
	}
	while (io_uring_peek_cqe(&re->ring, &cqe) == 0) {
		r = io_uring_cqe_get_data(cqe);
		r->res = cqe->res;
		io_uring_cqe_seen(&re->ring, cqe);
		e->inflight--;
		fn(ctx, r);
		n++;
	}
	return (int)n;
}

static int ring_fix_pair(struct engine *e, int fd0, int fd1)
{
	struct ring_engine *re = (struct ring_engine *)e;
	int fds[2] = { fd0, fd1 };
	unsigned slot;
	int ret;

	/* A slot means nothing to a plain syscall. */
	if (!e->fixed_files)
		return -EOPNOTSUPP;
	if (!re->nfree_pairs)
		return -EBUSY;
	slot = re->free_pairs[--re->nfree_pairs] * 2;
	ret = io_uring_register_files_update(&re->ring, slot, fds, 2);
	if (ret != 2) {
		re->free_pairs[re->nfree_pairs++] = slot / 2;
		return ret < 0 ? ret : -EIO;
	}
	return (int)slot;
}

static void ring_unfix_pair(struct engine *e, int slot)
{
	struct ring_engine *re = (struct ring_engine *)e;
	int fds[2] = { -1, -1 };

	/* Drop the ring's references, so closing the fds closes the files. */
	io_uring_register_files_update(&re->ring, (unsigned)slot, fds, 2);
	re->free_pairs[re->nfree_pairs++] = (unsigned)slot / 2;
}

static void ring_want_bufs(struct engine *e)
{
	struct ring_engine *re = (struct ring_engine *)e;

	if (!re->reg_iov)
		return;
	/* -ENOMEM here is RLIMIT_MEMLOCK: plain buffers.  Requests already
	 * in flight keep their plain READ/WRITE; later ones go fixed. */
	e->fixed_bufs = io_uring_register_buffers(&re->ring, re->reg_iov,
						  re->reg_n) == 0;
	free(re->reg_iov);
	re->reg_iov = NULL;
}

static void ring_destroy(struct engine *e)
{
	struct ring_engine *re = (struct ring_engine *)e;

	/* Unregister before exit: the kernel releases pinned pages of a
	 * dead ring asynchronously, and back-to-back runs of a non-root
	 * user would otherwise fail against RLIMIT_MEMLOCK. */
	if (e->fixed_bufs)
		io_uring_unregister_buffers(&re->ring);
	io_uring_queue_exit(&re->ring);
	free(re->reg_iov);
	free(re->free_pairs);
	free(re);
}

static const struct engine_ops ring_ops = {
	.name = "ring",
	.queue = ring_queue,
	.run = ring_run,
	.destroy = ring_destroy,
	.fix_pair = ring_fix_pair,
	.want_bufs = ring_want_bufs,
	.unfix_pair = ring_unfix_pair,
};

static int ring_init(struct io_uring *ring, unsigned depth)
{
	/* SUBMIT_ALL is required: without it one bad SQE stops the rest of
	 * the batch and a wait for their completions never returns.  The
	 * others only reduce overhead; drop them one by one if refused. */
	static const unsigned extra[] = {
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER |
			IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER,
		IORING_SETUP_COOP_TASKRUN,
		0,
	};
	struct io_uring_params p;
	int ret = -EINVAL;

	for (unsigned i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_SUBMIT_ALL | extra[i];
		if (engine_policy.no_defer && (extra[i] &
					       IORING_SETUP_SINGLE_ISSUER))
			continue;
		ret = io_uring_queue_init_params(depth, ring, &p);
		if (ret != -EINVAL)
			break;
	}
	return ret;
}

int engine_ring_create(struct engine **out, const struct engine_config *cfg)
{
	struct ring_engine *re = calloc(1, sizeof(*re));
	struct io_uring_probe *probe;
	int ret;

	if (!re)
		return -ENOMEM;
	ret = ring_init(&re->ring, cfg->depth);
	if (ret < 0) {
		free(re);
		return ret;
	}
	probe = io_uring_get_probe_ring(&re->ring);
	for (int op = 0; op < OP_COUNT; op++) {
		re->inline_op[op] = engine_policy.inline_op[op];
		if (!probe || !io_uring_opcode_supported(probe, uring_op[op]))
			re->inline_op[op] = true;
	}
	re->openat2 = probe && !engine_policy.no_openat2 &&
		      io_uring_opcode_supported(probe, IORING_OP_OPENAT2);
	/* READ_FIXED/WRITE_FIXED are only used when registration works,
	 * and the buffers are registered when first wanted (ring_want_bufs):
	 * a run that copies no data (a no-op --sync, clones, empty files)
	 * never pins them. */
	if (probe && cfg->bufs && !engine_policy.no_regbuf &&
	    io_uring_opcode_supported(probe, IORING_OP_READ_FIXED) &&
	    io_uring_opcode_supported(probe, IORING_OP_WRITE_FIXED)) {
		re->reg_iov = calloc(cfg->nbufs, sizeof(*re->reg_iov));
		re->reg_n = cfg->nbufs;
		for (unsigned i = 0; re->reg_iov && i < cfg->nbufs; i++) {
			re->reg_iov[i].iov_base = (char *)cfg->bufs +
						  i * cfg->buf_size;
			re->reg_iov[i].iov_len = cfg->buf_size;
		}
	}
	if (probe)
		io_uring_free_probe(probe);
	/* Fixed-file slots, in pairs (source, destination), for the files
	 * whose many requests make the fd lookup worth saving. */
	if (cfg->fixed_pairs && !engine_policy.no_fixed &&
	    io_uring_register_files_sparse(&re->ring,
					   2 * cfg->fixed_pairs) == 0) {
		re->free_pairs = calloc(cfg->fixed_pairs,
					sizeof(*re->free_pairs));
		if (re->free_pairs)
			for (unsigned i = 0; i < cfg->fixed_pairs; i++)
				re->free_pairs[re->nfree_pairs++] = i;
	}
	re->e.fixed_files = re->free_pairs && !re->inline_op[OP_READ] &&
			    !re->inline_op[OP_WRITE];
	/* A chain must stay inside the ring: an op run inline would run
	 * before the SQE it is linked to. */
	re->e.link_rw = !engine_policy.no_link && !re->inline_op[OP_READ] &&
			!re->inline_op[OP_WRITE];
	/* Blocking ops (FSYNC) each hold an io-wq worker until they end:
	 * allow as many as asked for (the kernel's default is 4 per CPU).
	 * Best effort: kernels before 5.15 keep their default. */
	if (cfg->iowq_workers) {
		unsigned n[2] = { cfg->iowq_workers, 0 };

		(void)io_uring_register_iowq_max_workers(&re->ring, n);
	}
	re->e.ops = &ring_ops;
	*out = &re->e;
	return 0;
}

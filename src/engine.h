/*
 * engine - the interface between the copy logic and the I/O machinery.
 *
 * The copy logic describes each operation as a struct req (an op code, its
 * arguments and an owner) and queues it on an engine.  An engine carries it
 * out and later hands it back, with req->res set to the result (a
 * non-negative count or a negative errno, as io_uring reports it), to the
 * completion callback given to engine_run().  Two engines implement this:
 *
 *   ring     io_uring: each req becomes an SQE whose user_data is the req.
 *   sync     plain syscalls, executed when queued, completed on the next run.
 *   threads  a pool of threads running plain blocking syscalls (a chain of
 *            linked reqs per thread at a time), for comparison.
 *
 * Link semantics are the same in both: a req queued with link=1 chains the
 * next queued req to it; if a req in a chain fails, or a READ/WRITE returns
 * fewer bytes than asked, every later req of the chain completes with
 * -ECANCELED without being executed.  (IOSQE_IO_HARDLINK is never used: it
 * would run the write after a short read and write stale bytes.)
 *
 * Path strings passed in a req must stay valid until the req completes (the
 * ring reads them at submit time, not at queue time).
 *
 * An engine is owned by one thread.  No allocation happens on the I/O path:
 * reqs belong to the caller (see the worker's freelist in copy.c).
 */
#ifndef UCP_ENGINE_H
#define UCP_ENGINE_H

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

enum req_op {
	OP_NOP,
	OP_OPENAT,	/* fd=dirfd path oflags mode [beneath] -> new fd */
	OP_STATX,	/* fd=dirfd path oflags=AT_* stx -> 0 */
	OP_READ,	/* fd addr len off [buf = registered index] -> bytes */
	OP_WRITE,	/* fd addr len off [buf] -> bytes */
	OP_CLOSE,	/* fd -> 0 */
	OP_LINKAT,	/* fd path fd2 path2 oflags=AT_* -> 0 */
	OP_RENAMEAT,	/* fd path fd2 path2 oflags=RENAME_* -> 0 */
	OP_MKDIRAT,	/* fd path mode -> 0 */
	OP_SYMLINKAT,	/* path(target) fd2 path2 -> 0 */
	OP_UNLINKAT,	/* fd path oflags=AT_REMOVEDIR? -> 0 */
	OP_SYNC_RANGE,	/* fd off len oflags=SYNC_FILE_RANGE_* -> 0 */
	OP_FSYNC,	/* fd -> 0 (fsync: data and metadata) */
	OP_COUNT
};

struct statx;

struct req {
	uint8_t op;		/* enum req_op */
	uint8_t kind;		/* whose completion this is (copy.c) */
	uint8_t link;		/* chain the next queued req to this one */
	uint8_t tag;		/* free for the owner (e.g. which fd) */
	uint8_t fixed;		/* READ/WRITE: fd is a fixed-file slot */
	uint8_t beneath;	/* OPENAT of a destination name: resolve it
				   with openat2 RESOLVE_BENEATH |
				   RESOLVE_NO_SYMLINKS where the kernel has
				   it (O_NOFOLLOW alone otherwise) */
	int res;		/* result: >= 0, or -errno */
	int fd, fd2;
	int buf;		/* registered buffer index, or -1 */
	unsigned len;
	uint64_t off;
	int oflags;
	unsigned mode;
	const char *path, *path2;
	void *addr;		/* data buffer, or struct statx * */
	void *owner;
	struct open_how how;	/* the ring's OPENAT2 argument: read by the
				   kernel at submit time, so it lives here */
	struct req *next;	/* owner's freelist; engine's done list */
};

struct engine;

typedef void (*engine_complete_fn)(void *ctx, struct req *r);

struct engine_ops {
	const char *name;
	/* Queue r; it completes on a later engine_run(). 0 or -errno. */
	int (*queue)(struct engine *e, struct req *r);
	/*
	 * Submit what was queued, then deliver completions to fn.  Waits
	 * until at least min_complete have been delivered (0: don't wait).
	 * Returns the number delivered or -errno.
	 */
	int (*run)(struct engine *e, unsigned min_complete,
		   engine_complete_fn fn, void *ctx);
	void (*destroy)(struct engine *e);
	/*
	 * Optional (NULL when the engine has none): install two fds in a
	 * pair of fixed-file slots, returning the first slot (the second is
	 * slot + 1) or -errno; release the pair again.  The fds stay open
	 * and usable as normal fds.
	 */
	int (*fix_pair)(struct engine *e, int fd0, int fd1);
	void (*unfix_pair)(struct engine *e, int slot);
	/* Optional: the caller is about to do I/O through the buffers of
	 * engine_config; register them now if the engine can (sets
	 * fixed_bufs).  Called once per engine, at its first data copy. */
	void (*want_bufs)(struct engine *e);
};

struct engine_config {
	unsigned depth;		/* ring entries / max reqs in flight */
	void *bufs;		/* buffer slab to register (may be NULL) */
	size_t buf_size;	/* size of one buffer */
	unsigned nbufs;
	unsigned fixed_pairs;	/* fixed-file slot pairs to reserve */
	unsigned iowq_workers;	/* ring: io-wq's bounded workers (0: the
				   kernel's default) */
	bool prefer_sync;	/* a few files: the synchronous engine, which
				   starts faster (never under UCP_ENGINE=ring:
				   copy_run_exec() decides) */
};

struct engine {
	const struct engine_ops *ops;
	bool fixed_bufs;	/* buffers registered: use req->buf (false
				   until want_bufs() has registered them) */
	bool link_rw;		/* READ may be linked to WRITE: both go
				   through the same ring (or sync) path */
	bool fixed_files;	/* fix_pair() can succeed */
	unsigned inflight;	/* queued and not yet delivered */
};

/* Feature switches, decided once per process (env UCP_ENGINE,
 * UCP_RING_DISABLE; see engine.c). */
struct engine_policy {
	bool force_sync;	/* UCP_ENGINE=sync */
	bool force_ring;	/* UCP_ENGINE=ring: even for a few files */
	unsigned threads;	/* UCP_ENGINE=threads: this many (UCP_THREADS) */
	bool no_regbuf;		/* don't register buffers */
	bool no_link;		/* the copy logic must not link reqs: it
				   waits for each read before its write */
	bool no_defer;		/* no SINGLE_ISSUER/DEFER_TASKRUN */
	bool no_fixed;		/* no fixed files */
	bool no_openat2;	/* plain openat for destination names */
	bool inline_op[OP_COUNT]; /* run this op as a plain syscall even on
				     the ring */
	bool inline_create;	/* ... OPENAT that creates (O_CREAT, O_TMPFILE) */
	bool inline_fstat;	/* ... STATX of an open fd (AT_EMPTY_PATH) */
	bool inline_diropen;	/* ... OPENAT of a directory (O_DIRECTORY) */
	unsigned short_reads;	/* UCP_TEST_SHORT_READS: % of reads cut short */
};
extern struct engine_policy engine_policy;

/* Read UCP_ENGINE and UCP_RING_DISABLE from the environment. */
void engine_policy_init(void);

/*
 * Create the engine a worker uses: the ring unless the policy or
 * cfg->prefer_sync says sync or the kernel refuses a ring (EPERM, ENOSYS,
 * ENOMEM, EINVAL), in which case the sync engine is returned and
 * *fell_back is set with the reason.
 */
int engine_create(struct engine **out, const struct engine_config *cfg,
		  int *fell_back);

int engine_ring_create(struct engine **out, const struct engine_config *cfg);
int engine_sync_create(struct engine **out, const struct engine_config *cfg);
int engine_threads_create(struct engine **out, const struct engine_config *cfg,
			  unsigned nthreads);

/* Does r's result cancel the rest of its chain (failed, or a short READ
 * or WRITE)?  For the engines that emulate io_uring's links. */
bool engine_breaks_chain(const struct req *r);

/* What openat2 resolves destination names with (req->beneath). */
#define UCP_RESOLVE_DST (RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH)

/* Does this OPENAT create a file (O_CREAT, O_TMPFILE)?  (glibc's
 * __O_TMPFILE includes O_DIRECTORY: testing it alone matches every
 * directory open.) */
static inline bool req_creates(const struct req *r)
{
	return (r->oflags & O_CREAT) || (r->oflags & O_TMPFILE) == O_TMPFILE;
}

/* The openat2 argument of a beneath OPENAT. */
static inline struct open_how req_open_how(const struct req *r)
{
	return (struct open_how){
		.flags = (uint64_t)(unsigned)r->oflags,
		.mode = req_creates(r) ? r->mode : 0,
		.resolve = UCP_RESOLVE_DST,
	};
}

/* openat, or for a beneath req openat2 with UCP_RESOLVE_DST where the
 * kernel has it: the fd or -errno. */
int engine_openat(const struct req *r);

/* Run one req as a plain syscall; returns what io_uring would put in res. */
int engine_exec_sync(struct req *r);

/* The length to issue a READ with: r->len, or (tests, UCP_TEST_SHORT_READS)
 * for some reads a shorter one, at least 1, so that the caller sees a
 * genuine short read.  The ring cuts only reads not linked to a write
 * (the kernel would run the write anyway); the emulating engines cut any,
 * and cancel the chain as io_uring does. */
unsigned engine_read_len(const struct req *r, bool linked_ok);

/* Reqs executed at queue time, waiting to be delivered (both engines). */
struct req_list {
	struct req *head, *tail;
};

void req_list_push(struct req_list *l, struct req *r);

/* Deliver what is on l now to fn (reqs fn queues wait for the next call,
 * so a handler that requeues cannot recurse without bound).  Returns the
 * number delivered. */
unsigned req_list_deliver(struct engine *e, struct req_list *l,
			  engine_complete_fn fn, void *ctx);

static inline int engine_queue(struct engine *e, struct req *r)
{
	return e->ops->queue(e, r);
}

static inline int engine_run(struct engine *e, unsigned min_complete,
			     engine_complete_fn fn, void *ctx)
{
	return e->ops->run(e, min_complete, fn, ctx);
}

/* A pair of fixed-file slots for fd0/fd1: the first slot, or -errno
 * (always -EOPNOTSUPP on an engine without fixed files). */
static inline int engine_fix_pair(struct engine *e, int fd0, int fd1)
{
	return e->ops->fix_pair ? e->ops->fix_pair(e, fd0, fd1) : -EOPNOTSUPP;
}

static inline void engine_unfix_pair(struct engine *e, int slot)
{
	e->ops->unfix_pair(e, slot);
}

static inline void engine_want_bufs(struct engine *e)
{
	if (e->ops->want_bufs)
		e->ops->want_bufs(e);
}

static inline void engine_destroy(struct engine *e)
{
	if (e)
		e->ops->destroy(e);
}

const char *engine_op_name(enum req_op op);

#endif

/*
 * engine - policy, fallback selection, and the syscall executor shared by
 * the sync engine and by ops the ring runs inline.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine.h"

struct engine_policy engine_policy;

static const char *const op_names[OP_COUNT] = {
	[OP_NOP] = "nop",	  [OP_OPENAT] = "openat",
	[OP_STATX] = "statx",	  [OP_READ] = "read",
	[OP_WRITE] = "write",	  [OP_CLOSE] = "close",
	[OP_LINKAT] = "linkat",	  [OP_RENAMEAT] = "renameat",
	[OP_MKDIRAT] = "mkdirat", [OP_SYMLINKAT] = "symlinkat",
	[OP_UNLINKAT] = "unlinkat", [OP_SYNC_RANGE] = "sync_file_range",
	[OP_FSYNC] = "fsync",
};

const char *engine_op_name(enum req_op op)
{
	return op < OP_COUNT ? op_names[op] : "?";
}

/*
 * UCP_ENGINE=ring|sync|threads selects the engine (tests run the suite
 * under each; threads, with UCP_THREADS of them, is there to be measured).
 * Unset, a run of a few files takes the synchronous engine and any other
 * the ring (copy_run_exec()).
 * UCP_RING_DISABLE=a,b,... turns off ring features one by one, so tests can
 * prove each has a working fallback: "regbuf" (registered buffers), "link"
 * (linked SQEs), "defer" (SINGLE_ISSUER/DEFER_TASKRUN), "fixed" (fixed
 * files), "openat2" (destination names opened with plain openat and
 * O_NOFOLLOW, as on kernels before 5.6), or an op name (that op runs as
 * a plain syscall: "statx", "openat", "mkdirat", ...), "create" (only
 * OPENATs that create a file), "diropen" (only OPENATs of directories)
 * or "fstat" (only STATX of an open fd).
 */
void engine_policy_init(void)
{
	const char *e = getenv("UCP_ENGINE");
	const char *d = getenv("UCP_RING_DISABLE");

	if (e && !strcmp(e, "sync"))
		engine_policy.force_sync = true;
	if (e && !strcmp(e, "ring"))
		engine_policy.force_ring = true;
	if (e && !strcmp(e, "threads")) {
		const char *n = getenv("UCP_THREADS");

		engine_policy.threads = n && atoi(n) > 0 ? (unsigned)atoi(n) : 4;
	}
	/*
	 * Fixed files are opt-in.  Measured on the bench's large tree (4 x
	 * 512 MiB, ext4, 5 interleaved runs, command + sync, ratio to cp -r):
	 * with them 0.80x hot and 0.87x cold, without 0.79x and 0.67x, and
	 * 6% more CPU with them: two files_update calls per file cost more
	 * than the fd lookups they save.  The mechanism stays, tested, for
	 * workloads where it may win.
	 */
	e = getenv("UCP_FIXED_FILES");
	engine_policy.no_fixed = !(e && !strcmp(e, "1"));
	/*
	 * Which ops run inline, as plain syscalls in the worker, and which
	 * go on the ring.  Measured on the bench's small and mixed trees
	 * (ext4 with a journal on a loop device with direct I/O, so that
	 * reads queue as on a disk; 5 interleaved runs, command + sync,
	 * ratio to cp -r, hot / cold): with STATX of an open fd and
	 * directory opens inline and the rest on the ring, small 0.51 /
	 * 0.33, mixed 0.84 / 0.69; with file creates, LINKAT and STATX of
	 * names inline as well (the earlier default) 0.60 / 0.34 and
	 * 0.89 / 0.73; everything on the ring 0.55 / 0.35 (n=3).  An io-wq
	 * hand-off costs less here than a syscall from the worker, and
	 * io-wq runs creates and name lookups beside the workers.  --sync
	 * (3 runs, ratio to rsync -a): 1%-changed small 0.49 / 0.58 against
	 * 0.55 / 0.65, no-op small the same (0.46 / 0.52).  On a buffered
	 * loop device (cold reads one at a time) the two measure the same
	 * (small 0.55 / 0.54).  See doc/PERFORMANCE.md.
	 * UCP_RING_ALL=1 puts everything on the ring.
	 */
	e = getenv("UCP_TEST_SHORT_READS");
	if (e && atoi(e) > 0)
		engine_policy.short_reads = (unsigned)atoi(e);
	e = getenv("UCP_RING_ALL");
	if (!(e && !strcmp(e, "1"))) {
		engine_policy.inline_fstat = true;
		engine_policy.inline_diropen = true;
	}
	while (d && *d) {
		size_t n = strcspn(d, ",");

		if (n == 6 && !strncmp(d, "regbuf", n))
			engine_policy.no_regbuf = true;
		else if (n == 4 && !strncmp(d, "link", n))
			engine_policy.no_link = true;
		else if (n == 5 && !strncmp(d, "defer", n))
			engine_policy.no_defer = true;
		else if (n == 5 && !strncmp(d, "fixed", n))
			engine_policy.no_fixed = true;
		else if (n == 7 && !strncmp(d, "openat2", n))
			engine_policy.no_openat2 = true;
		else if (n == 6 && !strncmp(d, "create", n))
			engine_policy.inline_create = true;
		else if (n == 5 && !strncmp(d, "fstat", n))
			engine_policy.inline_fstat = true;
		else if (n == 7 && !strncmp(d, "diropen", n))
			engine_policy.inline_diropen = true;
		for (int op = 0; op < OP_COUNT; op++)
			if (strlen(op_names[op]) == n &&
			    !strncmp(d, op_names[op], n))
				engine_policy.inline_op[op] = true;
		d += n + (d[n] == ',');
	}
}

int engine_create(struct engine **out, const struct engine_config *cfg,
		  int *fell_back)
{
	int ret;

	*fell_back = 0;
	if (engine_policy.threads)
		return engine_threads_create(out, cfg, engine_policy.threads);
	if (!engine_policy.force_sync && !cfg->prefer_sync) {
		ret = engine_ring_create(out, cfg);
		if (!ret)
			return 0;
		if (ret != -EPERM && ret != -ENOSYS && ret != -ENOMEM &&
		    ret != -EINVAL && ret != -EACCES)
			return ret;
		*fell_back = -ret;
	}
	return engine_sync_create(out, cfg);
}

/*
 * Destination names are single components relative to a directory fd the
 * run opened, and are opened with O_NOFOLLOW; openat2 adds the kernel's
 * guarantee on top: RESOLVE_BENEATH (nothing outside that directory, no
 * "..", no absolute path) and RESOLVE_NO_SYMLINKS (no symlink anywhere in
 * the resolution).  Kernels before 5.6, and seccomp profiles that do not
 * know the syscall, answer ENOSYS (or EPERM from some container runtimes
 * for unknown syscalls): then plain openat, for the rest of the run.
 */
static atomic_bool openat2_missing;

int engine_openat(const struct req *r)
{
	int ret, err2;

	if (r->beneath && !engine_policy.no_openat2 &&
	    !atomic_load_explicit(&openat2_missing, memory_order_relaxed)) {
		struct open_how how = req_open_how(r);

		ret = (int)syscall(SYS_openat2, r->fd, r->path, &how,
				   sizeof(how));
		if (ret >= 0 || (errno != ENOSYS && errno != EPERM))
			return ret < 0 ? -errno : ret;
		err2 = errno;
		ret = openat(r->fd, r->path, r->oflags, r->mode);
		/* EPERM from both is the file's answer (immutable...). */
		if (err2 == ENOSYS || ret >= 0)
			atomic_store(&openat2_missing, true);
		return ret < 0 ? -errno : ret;
	}
	ret = openat(r->fd, r->path, r->oflags, r->mode);
	return ret < 0 ? -errno : ret;
}

int engine_exec_sync(struct req *r)
{
	ssize_t n;
	int ret = 0;

	switch ((enum req_op)r->op) {
	case OP_NOP:
		break;
	case OP_OPENAT:
		return engine_openat(r);
	case OP_STATX:
		ret = statx(r->fd, r->path, r->oflags, STATX_BASIC_STATS,
			    r->addr);
		break;
	case OP_READ:
		do
			n = pread(r->fd, r->addr, engine_read_len(r, true),
				  (off_t)r->off);
		while (n < 0 && errno == EINTR);
		return n < 0 ? -errno : (int)n;
	case OP_WRITE:
		do
			n = pwrite(r->fd, r->addr, r->len, (off_t)r->off);
		while (n < 0 && errno == EINTR);
		return n < 0 ? -errno : (int)n;
	case OP_CLOSE:
		ret = close(r->fd);
		/* Linux closes the fd even when close() fails with EINTR. */
		if (ret < 0 && errno == EINTR)
			ret = 0;
		break;
	case OP_LINKAT:
		ret = linkat(r->fd, r->path, r->fd2, r->path2, r->oflags);
		break;
	case OP_RENAMEAT:
		ret = renameat2(r->fd, r->path, r->fd2, r->path2,
				(unsigned)r->oflags);
		break;
	case OP_MKDIRAT:
		ret = mkdirat(r->fd, r->path, r->mode);
		break;
	case OP_SYMLINKAT:
		ret = symlinkat(r->path, r->fd2, r->path2);
		break;
	case OP_UNLINKAT:
		ret = unlinkat(r->fd, r->path, r->oflags);
		break;
	case OP_SYNC_RANGE:
		ret = sync_file_range(r->fd, (off_t)r->off, r->len,
				      (unsigned)r->oflags);
		break;
	case OP_FSYNC:
		ret = fsync(r->fd);
		break;
	case OP_COUNT:
		return -EINVAL;
	}
	return ret < 0 ? -errno : ret;
}

unsigned engine_read_len(const struct req *r, bool linked_ok)
{
	static _Atomic unsigned long n;
	unsigned long h;

	if (!engine_policy.short_reads || r->len < 2 || (r->link && !linked_ok))
		return r->len;
	/* A cheap deterministic mix of a counter: which reads, how short. */
	h = (n++ + 1) * 0x9e3779b97f4a7c15UL;
	h ^= h >> 29;
	if (h % 100 >= engine_policy.short_reads)
		return r->len;
	return 1 + (unsigned)((h >> 8) % (r->len - 1));
}

bool engine_breaks_chain(const struct req *r)
{
	if (r->res < 0)
		return true;
	return (r->op == OP_READ || r->op == OP_WRITE) &&
	       (unsigned)r->res != r->len;
}

void req_list_push(struct req_list *l, struct req *r)
{
	r->next = NULL;
	if (l->tail)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
}

unsigned req_list_deliver(struct engine *e, struct req_list *l,
			  engine_complete_fn fn, void *ctx)
{
	struct req *r = l->head, *end = l->tail;
	unsigned n = 0;

	l->head = l->tail = NULL;
	while (r) {
		struct req *next = r->next;
		bool last = r == end;

		e->inflight--;
		fn(ctx, r);
		n++;
		if (last)
			break;
		r = next;
	}
	return n;
}

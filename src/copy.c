/*
 * copy - workers, the shared directory stack, and the per-entry job state
 * machine.  See copy.h for the overall flow.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/sysmacros.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "bufpool.h"
#include "copy.h"
#include "engine.h"
#include "hash.h"
#include "json.h"
#include "log.h"
#include "meta.h"
#include "pathbuf.h"
#include "sync.h"

#define MAX_FILE_CHUNKS 16
#define FEW_FILES 16	/* at most this many file operands, */
#define FEW_BYTES (32 << 20)	/* this many bytes: no ring */
#define DENTS_BUF 32768
#define ENTRIES_PER_TAKE 16
#define FIXED_FILE_MIN_CHUNKS 4
/* A file below this size that replaces an existing one is written to a
 * named temp and renamed (see file_create_tmp). */
#define NAMED_TMP_MAX (1 << 20)
#define HL_BUCKETS 1024	/* initial size; doubles at two entries each */
#define PRESERVE_META (PRESERVE_OWNERSHIP | PRESERVE_XATTR | PRESERVE_MODE | \
		       PRESERVE_TIMESTAMPS)

/* Set by the SIGINT/SIGTERM handler (main.c): stop admitting, abandon
 * unpublished files, exit. */
volatile sig_atomic_t copy_stop_signal;
volatile sig_atomic_t copy_status_signal;

/*
 * The identities of a directory and its ancestors, as an immutable shared
 * list: each directory node holds one, pointing at its parent's.  Only
 * copies that follow symlinks need it (a followed link may lead back up:
 * cp -L, cp -rl); it costs one small allocation per directory and no fd.
 */
struct anc {
	atomic_int refs;
	uint64_t dev, ino;
	struct anc *up;
};

static struct anc *anc_new(uint64_t dev, uint64_t ino, struct anc *up)
{
	struct anc *a = malloc(sizeof(*a));

	if (!a)
		return NULL;
	atomic_init(&a->refs, 1);
	a->dev = dev;
	a->ino = ino;
	a->up = up;
	if (up)
		atomic_fetch_add(&up->refs, 1);
	return a;
}

static void anc_put(struct anc *a)
{
	while (a && atomic_fetch_sub(&a->refs, 1) == 1) {
		struct anc *up = a->up;

		free(a);
		a = up;
	}
}

/*
 * A directory tree copied to a name that did not exist is built under a
 * temp name in the destination's parent and renamed to its name when its
 * last entry is done.  Inside it no entry can exist or be seen at its
 * final path, so files are created at their own names (O_CREAT|O_EXCL),
 * not as O_TMPFILE + LINKAT: about a quarter of the kernel's work per
 * small file (ext4's orphan list, a second path walk).  Every directory
 * node of the tree holds a reference; the last one out renames.  A killed
 * run leaves the temp tree, which the next run into that parent removes
 * (sweep_temps).
 */
struct stage {
	atomic_int refs;
	int pdfd;		/* the parent directory */
	bool fsync;		/* --fsync: sync the parent after the rename */
	char *tmp, *name;	/* the temp and final names in it */
	char *tmp_disp, *disp;	/* ... as the messages name them */
};

static struct stage *stage_get(struct stage *s)
{
	if (s)
		atomic_fetch_add(&s->refs, 1);
	return s;
}

static void stage_free(struct stage *s)
{
	if (s->pdfd >= 0)
		close(s->pdfd);
	free(s->tmp);
	free(s->name);
	free(s->tmp_disp);
	free(s->disp);
	free(s);
}

struct dnode {
	struct dnode *next;	/* on the run's stack */
	struct anc *anc;	/* this directory and its ancestors */
	int sfd, dfd;		/* dfd < 0: -errno, destination unusable */
	atomic_int refs;	/* listing + entries in flight */
	bool fresh;		/* made by this run: no entry can exist yet */
	bool root;		/* a command-line operand: one entry */
	bool borrowed;		/* root: sfd and dfd are the caller's */
	bool dst_absent;	/* root: its destination was missing */
	bool staged_entry;	/* root: that entry is built under a temp
				   name (struct stage syncs the parent) */
	bool follow;		/* root: dereference a symlink source */
	bool asked;		/* root: -i was asked already (a file copied
				   to where a destination symlink leads) */
	bool fix_mode;		/* apply final_mode when the last entry ends */
	atomic_bool no_tmpfile;	/* O_TMPFILE refused here: named temps */
	bool meta;		/* apply stx's attributes then (--preserve) */
	uint64_t ddev;		/* device of the destination directory */
	uint64_t sdev;		/* device of the source directory (-x) */
	mode_t final_mode;
	struct statx stx;	/* the source directory, for meta (root:
				   the operand, if stx_mask is set) */
	char *spath, *dpath;	/* display paths (root: of the entry itself) */
	char *root_base;	/* root: what its entries' paths start with
				   (the operand, less --strip-trailing-slashes) */
	char *root_name, *root_dname;
	char *dents;		/* getdents64 buffer while listing */
	int dpos, dlen;
	/* --sync */
	char *rel;		/* path below the root ("" for the root) */
	int ldfd;		/* the same directory under --link-dest, or -1 */
	bool dry;		/* --dry-run: the destination does not exist */
	bool sync_attrs;	/* existed: fix what differs when done */
	struct statx_timestamp dmtime;	/* its mtime then */
	struct nameset *seen;	/* --delete: the source's names */
	atomic_uint dmiss;	/* entries found missing here (dir_missed()) */
	_Atomic(struct nameset *) dnames;	/* and then its listing */
	struct stage *stage;	/* in a tree built under a temp name */
	struct dhold *hold;	/* for hard links to its entries (hl_lock) */
};

struct chunk {
	int buf;		/* buffer index; -1 when the slot is idle */
	uint64_t off;		/* file offset of the current read */
	unsigned want;		/* bytes the current read asks for */
	unsigned got;		/* bytes that read returned */
	unsigned wrote;		/* of got, bytes written */
	uint8_t pending;	/* reqs in flight for this chunk */
	bool linked;		/* the write was queued linked to the read */
	bool read_failed;
	bool hash_wait;		/* --verify: written, waits to be hashed */
};

enum jstate {
	J_FREE,
	J_DSTAT,	/* STATX of an existing destination name */
	J_STAT,		/* STATX of a non-regular (or top-level) source */
	J_OPEN,		/* OPENAT of a regular source */
	J_FSTAT,	/* STATX of the opened source fd */
	J_TMPFILE,	/* OPENAT O_TMPFILE in the destination directory */
	J_SPECOPEN,	/* OPENAT of a FIFO or device at the destination */
	J_COPY,		/* READ/WRITE chunks */
	J_FSYNC,	/* FSYNC of the copy (--fsync, --verify) */
	J_VERIFY,	/* READs of the copy back (--verify) */
	J_PUBCLOSE,	/* CLOSE of a named temp, before it is published */
	J_PUBLISH,	/* LINKAT to the final (or temp) name */
	J_RENAME,	/* RENAMEAT temp name over the existing destination */
	J_UNLINK,	/* UNLINKAT of a temp name after a failure */
	J_CLOSE,	/* CLOSE of the fds */
	J_MKDIR,	/* MKDIRAT */
	J_OPENDIR,	/* OPENAT of the source and destination directories */
	J_SYMLINK,	/* SYMLINKAT (to the final or temp name) */
	J_HLWAIT,	/* parked: another copy of this inode is running */
	J_HLINK,	/* LINKAT to the first copy of this inode */
	J_SPACEWAIT,	/* parked after ENOSPC, to be retried alone */
	J_NSTATES
};

struct job {
	enum jstate state;
	struct job *next;	/* freelist; buffer wait list */
	struct dnode *dir;
	const char *dname;	/* destination name: name or root_dname */
	char name[NAME_MAX + 1];
	unsigned char dtype;
	bool dst_exists;	/* replace: publish via temp name + rename */
	bool dst_absent;	/* a root whose destination was missing a
				   moment ago: not looked at again */
	bool keep_dst_mode;	/* cp: overwriting keeps the file's mode */
	bool checked;		/* check_existing() has run */
	bool announce;		/* cp -v would have listed it by now: a
				   failure prints its line first */
	bool announced;		/* ... and that line is out */
	bool asked;		/* -i: answered yes already */
	bool redirected;	/* handed to a root job at the symlink's
				   target: not counted here */
	int sfd, tfd;
	int fslot;		/* fixed-file slots (sfd, tfd) or -1 */
	struct hlink *hl;	/* hard-link group this job copies or joins */
	bool hl_first;		/* ... as its first copy */
	bool hl_pend;		/* ... would be, but waits (HL_PENDING) */
	bool hl_met;		/* counted in its group's unmet already */
	bool hl_claimed;	/* has claimed a group (w->preclaim) */
	unsigned hl_seq;	/* hl_pend: the worker's count then */
	bool linked;		/* made by LINKAT: the source's own inode */
	bool deref;		/* follow a symlink at this entry (-L, -H) */
	bool nospc;		/* hit ENOSPC; not reported yet */
	bool space_retried;	/* ... and was already retried once */
	int pending;		/* reqs in flight */
	int err;		/* first failure (errno), reported once */
	uint64_t next_off, eof_off;
	uint64_t data_end;	/* end of the data extent being read */
	bool planned_all, changed;
	bool sparse;		/* has holes: read only the data extents */
	bool cloned;		/* FICLONE shared the data */
	bool inplace;		/* --inplace: tfd is the destination itself */
	bool tmp_denied;	/* no temp file may be made in the directory:
				   inplace, opened with O_TRUNC (cp), so holes
				   may still be skipped */
	bool into_special;	/* ... a FIFO or device, written into as cp does */
	bool forced;		/* -f removed an entry cp could not open:
				   cp -v says so after the file's line */
	bool target_links;	/* a symlink to a file with other links:
				   removed first under --preserve=links */
	bool made;		/* cp --stats: this run created the entry */
	bool clone_tried;	/* FICLONE was attempted (--debug) */
	bool dst_follow;	/* --keep-directory-symlink: the destination
				   is a symlink to a directory, followed */
	bool zero_holes;	/* --sparse=always: zero blocks become holes */
	bool stream;		/* a FIFO or device's contents, copied */
	char *backup_sfx;	/* cp -b: the backup's name after dname's */
	bool named_tmp;		/* the data went to tmpname (no O_TMPFILE, a
				   small replacement, or its own name in a
				   staged tree) */
	bool staged;		/* ... that one: tmpname is dname, and it is
				   final once complete */
	bool no_stage;		/* create it the usual way after all */
	struct stage *stage;	/* a root directory made under a temp name */
	bool published;		/* ... and it was renamed into place */
	bool hl_relink;		/* --sync: unchanged, relinked to its group */
	bool upd_skip;		/* cp -u skipped it: linked to its group's
				   file only */
	bool ld_same;		/* --link-dest replaces a copy with the same
				   data: no backup of it */
	bool backed_up;		/* --inplace --backup: copied before it is
				   written over */
	bool ld_link;		/* --link-dest: linked to the earlier copy */
	unsigned items;		/* --sync: ITEM_* of what changes */
	uint64_t wb_off;	/* writeback started up to here */
	unsigned wb_pending;	/* SYNC_RANGE reqs in flight */
	unsigned nchunks;
	struct statx stx, dstx;
	char tmpname[NAME_MAX + 1];
	uint64_t hash_off;	/* --verify: source bytes hashed, in order */
	XXH128_hash_t digest;	/* ... the source's hash, once known */
	bool have_digest;
	struct chunk chunk[MAX_FILE_CHUNKS];
	/* Not cleared when the slot is reused: */
	XXH3_state_t *xs;	/* --verify: the source's hash as it is read */
};

/* A FIFO of jobs waiting for something (threaded through job->next). */
struct job_fifo {
	struct job *head, *tail;
};

static void fifo_push(struct job_fifo *f, struct job *j)
{
	j->next = NULL;
	if (f->tail)
		f->tail->next = j;
	else
		f->head = j;
	f->tail = j;
}

static struct job *fifo_pop(struct job_fifo *f)
{
	struct job *j = f->head;

	if (j) {
		f->head = j->next;
		if (!f->head)
			f->tail = NULL;
	}
	return j;
}

/* Firsts a worker keeps waiting (HL_PENDING) at most (run->pend_max):
 * each holds a job of its own, beyond cfg.jobs (made HL_PEND_CHUNK at a
 * time), and its source's descriptor. */
#define HL_PEND_MAX 256
#define HL_PEND_CHUNK 16

struct worker {
	struct copy_run *run;
	unsigned id;
	pthread_t thr;
	struct engine *eng;
	struct req *reqs, *free_reqs;
	struct job *jobs, *free_jobs;
	/* Up to run->pend_max more, made HL_PEND_CHUNK at a time as jobs
	 * park on groups (hl_more_jobs()). */
	struct job *pend_jobs[HL_PEND_MAX / HL_PEND_CHUNK];
	unsigned pend_chunks;
	unsigned active_jobs;
	struct job_fifo bufwait;	/* waiting for a buffer */
	struct job *hlwait;	/* parked on a hard-link group */
	struct job_fifo hlpend;	/* ... as its first, waiting (HL_PENDING) */
	unsigned hl_nparked;	/* ... so many */
	/* Jobs taken that have neither claimed a group (hl_claim()) nor
	 * ended: only they may still meet a name of a waiting group.  Raised
	 * under run->lock as they are taken from the stack; published in
	 * busy for hl_quiet() (hl_defer only). */
	unsigned preclaim;
	atomic_uint busy;
	unsigned hl_pending;	/* ... of them, hl_pend */
	unsigned hl_seq;	/* hl_pend jobs so far */
	unsigned hl_epoch;	/* run->hl_epoch when they were last looked at */
	struct job_fifo spacewait;	/* parked after ENOSPC */
	struct dnode *cur;	/* the directory it took entries from last
				   (run->lock; compared, never followed) */
	struct bufpool bp;
	unsigned tmp_counter;
	int engine_err;
	bool no_fixed;		/* the engine has no fixed files */
	bool bufs_wanted;	/* engine_want_bufs() was called */
	unsigned bufs_taken;	/* ... or buffers taken until then */
	/* The last (source, destination) device pair FICLONE refused: with
	 * --reflink=auto the same pair is not tried again, so a filesystem
	 * without clones costs one failed ioctl per run, not per file. */
	uint64_t noclone_src, noclone_dst;
	/* The last anonymous device asked about in size_unreliable(). */
	uint64_t pseudo_dev;
	bool pseudo_known, pseudo;
};

struct copy_run {
	struct copy_config cfg;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct dnode *stack;
	atomic_long active;	/* dnodes + jobs alive */
	atomic_uint errors;
	atomic_bool fallback_noticed;
	atomic_uint regbuf_workers;	/* UCP_DEBUG: workers that registered */
	atomic_bool space_low;	/* an ENOSPC was seen: one file at a time */
	mode_t umask;
	bool is_root;
	struct stat dst_root;	/* --sync: DEST itself (st_nlink 0: unknown) */
	bool register_bufs;	/* pinning the pools fits RLIMIT_MEMLOCK */
	pid_t pid;
	dev_t swept_dev;	/* the last root destination directory swept */
	ino_t swept_ino;
	int last_dfd;		/* the last borrowed destination descriptor */
	atomic_bool borrowed_unsynced;	/* --fsync: the caller's to do */
	dev_t last_dev;		/* and what it is */
	ino_t last_ino;
	struct dnode **roots_end;	/* where copy_run_add() appends */
	unsigned nroots;
	bool has_dirs;		/* a directory operand: use every core */
	bool sizes_unknown;	/* a root added without its stat, or a
				   directory */
	uint64_t root_bytes;	/* the file roots' sizes, from the plan */
	bool few_files;		/* take the synchronous engine */
	unsigned few_count;	/* file operands, and the files of small
				   flat directory operands */
	struct worker *w;
	unsigned nworkers;
	pthread_mutex_t hl_lock;	/* the groups, holds and their counts */
	struct hlink **hl;
	size_t hl_buckets, hl_count;
	unsigned holds, holds_max;	/* struct dhold: open, allowed */
	bool hl_defer;		/* --sync: a group's first may wait for a
				   name DEST or --link-dest has */
	unsigned pend_max;	/* ... so many a worker, in jobs of their own */
	atomic_uint hl_found;	/* ... that met the name DEST has */
	atomic_uint hl_vain;	/* ... that another name let go on */
	atomic_uint hl_epoch;	/* ... changes: a group found, all met */
	/* What --progress and SIGUSR1 report: completed writes, not
	 * submissions; totals grow while the walk goes on. */
	atomic_ullong bytes_done, bytes_total;
	atomic_ulong ents_done, ents_total;
	atomic_uint workers_left;
	/* A flat directory starts with one worker; the others start once
	 * it has taken LAZY_ENTRIES entries, or after lazy_ms (lazy_start). */
	bool lazy;
	bool trees;	/* a directory operand has subdirectories */
	atomic_uint taken;
	atomic_bool want_workers;
	pthread_mutex_t prog_lock;	/* with prog_cond: workers ending,
					   and want_workers */
	pthread_cond_t prog_cond;
	char cur[NAME_MAX + 1];	/* the file started last (prog_lock) */
	struct timespec t0;
};

static void busy_pub(struct worker *w)
{
	if (w->run->hl_defer)
		atomic_store(&w->busy, w->preclaim);
}

/* j has claimed its group, or ends. */
static void job_claimed(struct worker *w, struct job *j)
{
	if (!j->hl_claimed) {
		j->hl_claimed = true;
		w->preclaim--;
		busy_pub(w);
	}
}

/*
 * A hard-link group (--preserve=links): source inodes with more than one
 * link, and under -L (and -H, for operands) every file, since a symlink
 * can reach a file with one link twice; cp links the second copy to the
 * first.  The first entry of a group met in the walk copies the data; the
 * others wait until it is published and then LINKAT to it, through a dup
 * of its destination directory's fd (so no path is ever resolved).  That
 * dup, a struct dhold, is shared by every group whose first copy is in
 * the directory, and closed when none of them expects another link.
 */
/* HL_PENDING: --sync, a first name that DEST lacks waits a while for a
 * name of the group that DEST or --link-dest has (hl_claim()). */
enum hl_state { HL_PENDING, HL_COPYING, HL_DONE, HL_FAILED };

struct dhold {
	int fd;
	unsigned refs;		/* its groups, and its directory's node */
};

struct hlink {
	struct hlink *next;
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	enum hl_state state;
	bool open;		/* -L/-H: any number of links may come */
	bool have_digest;
	bool kept;		/* the first copy is an inode DEST had (written
				   in place, or unchanged): its other names
				   there may be links to it already */
	struct dhold *dh;	/* the first copy's directory */
	unsigned left;		/* other links still expected (!open) */
	unsigned unmet;		/* HL_PENDING: names of it not met yet */
	unsigned users;		/* LINKATs in flight */
	char *rel;		/* --sync: the first copy's path, for -i */
	XXH128_hash_t digest;	/* --checksum-file: the first copy's */
	char *name;		/* the first copy's name in dh */
};

static pthread_mutex_t prompt_lock = PTHREAD_MUTEX_INITIALIZER;

typedef void (*job_handler)(struct worker *w, struct job *j, struct req *r);

/* ------------------------------------------------------------------ */
/* configuration */

static unsigned env_uint(const char *name, unsigned def)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return def;
	v = strtoul(s, &end, 10);
	return *end || v > UINT_MAX ? def : (unsigned)v;
}

void copy_config_defaults(struct copy_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->clobber = CLOBBER_YES;
	cfg->workers = env_uint("UCP_WORKERS", 0);
	cfg->chunk = env_uint("UCP_TEST_IOSIZE", 128 * 1024);
	if (!cfg->chunk)
		cfg->chunk = 1;
	/* Tests (the torture test) vary the depths: buffers and entries in
	 * flight per worker, chunks in flight per file. */
	cfg->nbufs = env_uint("UCP_TEST_NBUFS", 64);
	cfg->file_chunks = env_uint("UCP_TEST_CHUNKS", 8);
	cfg->jobs = env_uint("UCP_TEST_JOBS", 64);
	if (!cfg->nbufs)
		cfg->nbufs = 64;
	if (!cfg->jobs)
		cfg->jobs = 64;
	cfg->overread = env_uint("UCP_TEST_OVERREAD", 0);
	/* Measured on ext4 (4 x 512 MiB, command + final sync): no kicks
	 * 1.16x cp's time, every 2 MiB 0.96x, 4 MiB 0.65-0.84x, 8 MiB
	 * 0.68-0.72x hot and 0.70x cold, 32 MiB 0.89x. */
	cfg->writeback = (size_t)env_uint("UCP_WRITEBACK_MB", 8) << 20;
	/* mixed (3,000 files, 570 MB; loop ext4 with direct I/O), 7 runs,
	 * ratio to cp -r, hot / cold: no tail kicks 0.87 / 0.73, files of
	 * 16 KiB or more 0.86 / 0.70, 64 KiB 0.76 / 0.72, 256 KiB 0.86 /
	 * 0.66; each time the final flush shorter by a quarter. */
	cfg->writeback_tail = (size_t)env_uint("UCP_WRITEBACK_TAIL_KB", 64) << 10;
	cfg->stage = env_uint("UCP_STAGE", 1) != 0;
	/* Tests make the timer of lazy_start() long, to see the counts. */
	cfg->lazy_ms = env_uint("UCP_TEST_LAZY_MS", 5);
	/* Tests only: damage the copies whose names contain this string,
	 * after their data is written, as a failing disk would. */
	cfg->test_corrupt = getenv("UCP_TEST_CORRUPT");
	if (cfg->test_corrupt && !*cfg->test_corrupt)
		cfg->test_corrupt = NULL;
	/* Tests only: sleep this long after each chunk is written, so that
	 * a copy lasts long enough to be watched, signalled or raced on any
	 * machine (small requests alone are too fast on a quick one). */
	cfg->test_slow_us = env_uint("UCP_TEST_SLOW_US", 0);
}

/* ------------------------------------------------------------------ */
/* display paths and failures */

static char *src_disp(const struct job *j)
{
	return j->dir->root ? strdup(j->dir->spath) :
			      path_join(j->dir->spath, j->name);
}

static char *dst_disp(const struct job *j)
{
	return j->dir->root ? strdup(j->dir->dpath) :
			      path_join(j->dir->dpath, j->dname);
}

/* cp -v: "'src' -> 'dst'", and " (backup: 'dst~')" when one was made. */
static void verbose_line(const struct job *j)
{
	char *s = src_disp(j), *d = dst_disp(j);
	char *b = d && j->backup_sfx ? malloc(strlen(d) +
					      strlen(j->backup_sfx) + 1) : NULL;

	if (b)
		strcat(strcpy(b, d), j->backup_sfx);
	if (s && d && b)
		log_out("%s -> %s (backup: %s)", log_quote(s), log_quote(d),
			log_quote(b));
	else if (s && d)
		log_out("%s -> %s", log_quote(s), log_quote(d));
	free(s);
	free(d);
	free(b);
}

/* cp -v lists a non-directory before it creates it, so a file that fails
 * after cp's checks of the destination is listed too, before its error;
 * ucp lists the others when they are done. */
static void job_announce(struct worker *w, struct job *j)
{
	if (w->run->cfg.verbose && !w->run->cfg.sync && j->announce &&
	    !j->announced && !S_ISDIR(j->stx.stx_mode)) {
		j->announced = true;
		verbose_line(j);
	}
}

/*
 * Report one failure of this entry: fmt has one %s, filled with the quoted
 * source (which_dst false) or destination display path.  Only the first
 * failure of a job is reported; later ones are consequences.
 */
static void __attribute__((format(printf, 5, 0)))
job_fail(struct worker *w, struct job *j, int err, bool which_dst,
	 const char *fmt)
{
	char *p;

	if (j->err)
		return;
	j->err = err ? err : EIO;
	if (copy_stop_signal)
		return;
	job_announce(w, j);
	p = which_dst ? dst_disp(j) : src_disp(j);
	if (w->run->cfg.sync && !which_dst && err == ENOENT) {
		/* Listed, then gone: rsync's "vanished", not a failure. */
		log_error(0, "file has vanished: %s", log_quote(p ? p : j->name));
		atomic_fetch_add(&w->run->cfg.sync->vanished, 1);
		free(p);
		return;
	}
	log_error(err, fmt, log_quote(p ? p : j->name));
	free(p);
	/* A source that could not be read fully must not drive deletions. */
	if (w->run->cfg.sync && !which_dst)
		atomic_store(&w->run->cfg.sync->io_error, true);
	atomic_fetch_add(&w->run->errors, 1);
}

/* --sync: the entry's path below the root, for -v/-i (malloc'd). */
static char *job_rel(const struct job *j)
{
	const struct dnode *d = j->dir;

	if (d->root || !d->rel)
		return strdup("");
	return *d->rel ? path_join(d->rel, j->name) : strdup(j->name);
}

/* --sync: print the entry's line for -v/-i (extra: " -> target"...). */
static void job_report(struct worker *w, struct job *j, const char *extra)
{
	struct sync_state *ss = w->run->cfg.sync;
	char *rel;

	/* Made like --link-dest's namesake, with nothing else to say. */
	if ((!ss->o->itemize && !w->run->cfg.verbose) || j->items == ITEM_LOCAL)
		return;
	if (!ss->o->itemize && !S_ISDIR(j->stx.stx_mode) &&
	    !(j->items & (ITEM_XFER | ITEM_NEW | ITEM_LOCAL | ITEM_HLINK)))
		return;
	if (!extra && S_ISLNK(j->stx.stx_mode)) {
		char t[PATH_MAX + 4] = " -> ";
		ssize_t n = readlinkat(j->dir->sfd, j->name, t + 4, PATH_MAX - 1);

		if (n >= 0) {
			t[n + 4] = 0;
			snprintf(t + 4, PATH_MAX, "%s", log_escape(t + 4));
			rel = job_rel(j);
			if (rel)
				sync_report(ss, j->items, j->stx.stx_mode, rel, t);
			free(rel);
			return;
		}
	}
	rel = job_rel(j);
	if (rel)
		sync_report(ss, j->items, j->stx.stx_mode, rel, extra);
	free(rel);
}

/*
 * A failure whose message names both paths: the source first ("%s and %s
 * are the same file"), or the destination first (dst_first: "cannot
 * create hard link %s to %s").  err: the errno to append, or 0.
 */
static void __attribute__((format(printf, 5, 0)))
job_fail2(struct worker *w, struct job *j, int err, bool dst_first,
	  const char *fmt)
{
	char *s = src_disp(j), *d = dst_disp(j);
	const char *sq = log_quote(s ? s : j->name);
	const char *dq = log_quote(d ? d : j->dname);

	j->err = err ? err : EINVAL;
	job_announce(w, j);
	if (dst_first)
		log_error(err, fmt, dq, sq);
	else
		log_error(err, fmt, sq, dq);
	free(s);
	free(d);
	atomic_fetch_add(&w->run->errors, 1);
}

/* Report what meta_apply_*() could not keep, as cp does: only when
 * asked to keep it (-p, --preserve; xattrs only when named). */
static void report_meta(struct copy_run *run, const char *disp,
			const struct meta_result *res)
{
	for (int a = 0; a < META_N; a++) {
		bool required = a == META_XATTR ? run->cfg.require_xattr :
						  run->cfg.require_preserve;

		if (!res->err[a] || !required)
			continue;
		log_error(res->err[a], meta_message((enum meta_attr)a),
			  log_quote(disp));
		atomic_fetch_add(&run->errors, 1);
	}
}

static bool meta_failed(const struct meta_result *res)
{
	for (int a = 0; a < META_N; a++)
		if (res->err[a])
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* requests */

static struct req *req_get(struct worker *w, struct job *j, enum req_op op)
{
	struct req *r = w->free_reqs;

	/* The pool is sized for the worst case (copy_run_exec), so running
	 * out is a bug, not a condition to handle. */
	assert(r);
	w->free_reqs = r->next;
	memset(r, 0, sizeof(*r));
	r->op = (uint8_t)op;
	r->owner = j;
	r->buf = -1;
	return r;
}

static void req_put(struct worker *w, struct req *r)
{
	r->next = w->free_reqs;
	w->free_reqs = r;
}

static void req_submit(struct worker *w, struct job *j, struct req *r)
{
	int ret = engine_queue(w->eng, r);

	if (ret < 0) {
		/* Cannot happen with the pool sized to the ring; deliver the
		 * error through the normal path anyway. */
		r->res = ret;
		w->engine_err = ret;
	}
	j->pending++;
}

/* ------------------------------------------------------------------ */
/* directory nodes */

/* fsync a directory, also through an O_PATH fd (which fsync refuses). */
int copy_fsync_dir(int dfd)
{
	int fd, rc;

	if (fsync(dfd) == 0)
		return 0;
	if (errno != EBADF)
		return -1;
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	if (rc < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	return 0;
}

struct stage *copy_stage_new(int pdfd, const char *tmp, const char *name,
			     const char *disp, bool fsync)
{
	struct stage *s = calloc(1, sizeof(*s));
	char *dir = path_dir(disp);

	if (!s) {
		if (pdfd >= 0)
			close(pdfd);
		free(dir);
		return NULL;
	}
	atomic_init(&s->refs, 1);
	s->pdfd = pdfd;
	s->fsync = fsync;
	s->tmp = strdup(tmp);
	s->name = strdup(name);
	s->disp = strdup(disp);
	s->tmp_disp = dir ? path_join(dir, tmp) : NULL;
	free(dir);
	if (pdfd < 0 || !s->tmp || !s->name || !s->disp || !s->tmp_disp) {
		stage_free(s);
		return NULL;
	}
	return s;
}

/* The last node of a staged tree is done: give the tree its name.  Never
 * over anything that appeared there meanwhile: that is reported, and the
 * copy stays under its temp name, complete. */
bool copy_stage_put(struct stage *s)
{
	bool ok = true;
	int rc;

	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return true;
	rc = renameat2(s->pdfd, s->tmp, s->pdfd, s->name, RENAME_NOREPLACE);
	if (rc < 0 && errno == EINVAL) {
		/* No RENAME_NOREPLACE here: a plain rename where the name
		 * is still free (it would replace an empty directory). */
		struct stat st;

		if (fstatat(s->pdfd, s->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			errno = EEXIST;
		else
			rc = renameat(s->pdfd, s->tmp, s->pdfd, s->name);
	}
	if (rc < 0) {
		log_error(errno, "cannot move %s to %s",
			  log_quote(s->tmp_disp), log_quote(s->disp));
		ok = false;
	} else if (s->fsync && copy_fsync_dir(s->pdfd) < 0) {
		log_error(errno, "error syncing %s", log_quote(s->disp));
		ok = false;
	}
	stage_free(s);
	return ok;
}

static void stage_put(struct copy_run *run, struct stage *s)
{
	if (!copy_stage_put(s))
		atomic_fetch_add(&run->errors, 1);
}

static void sweep_temps(struct copy_run *run, int dfd);

/* --sync --dry-run: nothing in the destination may change. */
static bool run_dry(const struct copy_run *run)
{
	return run->cfg.sync && run->cfg.sync->o->dry_run;
}

static void dhold_put(struct copy_run *run, struct dhold *h);

static void dnode_free(struct copy_run *run, struct dnode *d)
{
	/* A directory that existed may hold a killed run's temps.  Swept
	 * when its entries are done, not when it is opened: by then their
	 * lookups have read its blocks, so the listing costs no disk read
	 * in the worker (a no-op --sync of 25,000 files: 2% less).  Not an
	 * operand's node: copy_run_add() swept its directory, once for all
	 * the operands that share it. */
	if (!d->fresh && !d->root && d->dfd >= 0 && !run_dry(run))
		sweep_temps(run, d->dfd);
	if (d->sync_attrs && d->dfd >= 0 && !run_dry(run)) {
		struct statx now;
		const char *what = NULL;
		unsigned diff;
		int err = 0;

		/* Entries made or deleted in it changed its times: then to
		 * the nanosecond, whatever the window (as rsync). */
		if (statx(d->dfd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &now) < 0) {
			err = errno, what = "cannot stat %s";
		} else {
			diff = sync_diff(run->cfg.sync, &d->stx, &now);
			if ((now.stx_mtime.tv_sec != d->dmtime.tv_sec ||
			     now.stx_mtime.tv_nsec != d->dmtime.tv_nsec) &&
			    sync_time_off(&d->stx, &now))
				diff |= ITEM_TIME;
			if (diff)
				err = sync_fix_attrs(run->cfg.sync, d->dfd, ".",
						     &d->stx, diff, &what);
		}
		if (err) {
			log_error(err, what, log_quote(d->dpath));
			atomic_fetch_add(&run->errors, 1);
		}
	} else if (d->dfd >= 0) {
		struct meta_result res;

		if (d->meta) {
			meta_apply_fd(d->dfd, d->sfd, &d->stx,
				      run->cfg.preserve, run->is_root, &res);
			if (meta_failed(&res))
				report_meta(run, d->dpath, &res);
		}
		/* Made open to its owner: its own mode back, unless the
		 * source's was just set (--preserve=ownership alone, or
		 * xattr or timestamps, still need this). */
		if (d->fix_mode && !(run->cfg.preserve & PRESERVE_MODE) &&
		    meta_fchmod(d->dfd, d->final_mode) < 0) {
			log_error(errno, "cannot change permissions of %s",
				  log_quote(d->dpath));
			atomic_fetch_add(&run->errors, 1);
		}
	}
	/* --fsync: its entries (and attributes) are final now.  A borrowed
	 * directory is its operands' target: the caller syncs it once,
	 * after the run (5,000 operands, one fsync). */
	if (run->cfg.fsync && d->dfd >= 0 && !d->staged_entry) {
		if (d->borrowed) {
			atomic_store(&run->borrowed_unsynced, true);
		} else if (copy_fsync_dir(d->dfd) < 0) {
			log_error(errno, "error syncing %s", log_quote(d->dpath));
			atomic_fetch_add(&run->errors, 1);
		}
	}
	if (d->hold) {
		pthread_mutex_lock(&run->hl_lock);
		dhold_put(run, d->hold);
		pthread_mutex_unlock(&run->hl_lock);
	}
	if (d->sfd >= 0 && !d->borrowed)
		close(d->sfd);
	if (d->dfd >= 0 && !d->borrowed)
		close(d->dfd);
	if (d->ldfd >= 0)
		close(d->ldfd);
	nameset_free(d->seen);
	nameset_free(atomic_load(&d->dnames));
	free(d->rel);
	anc_put(d->anc);
	stage_put(run, d->stage);
	free(d->root_base);
	free(d->spath);
	free(d->dpath);
	free(d->root_name);
	free(d->root_dname);
	free(d->dents);
	free(d);
	if (atomic_fetch_sub(&run->active, 1) == 1) {
		pthread_mutex_lock(&run->lock);
		pthread_cond_broadcast(&run->cond);
		pthread_mutex_unlock(&run->lock);
	}
}

static void dnode_put(struct copy_run *run, struct dnode *d)
{
	if (atomic_fetch_sub(&d->refs, 1) == 1)
		dnode_free(run, d);
}

static struct dnode *dnode_new(struct copy_run *run)
{
	struct dnode *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->sfd = d->dfd = d->ldfd = -1;
	atomic_init(&d->refs, 1);	/* the listing */
	atomic_fetch_add(&run->active, 1);
	return d;
}

static uint64_t dev_of(uint32_t maj, uint32_t min)
{
	return (uint64_t)maj << 32 | min;
}

/* The device of a directory fd (0 if unknown): a directory's worth of
 * entries share it, so it is looked up once per directory. */
static uint64_t fd_dev(int fd)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return 0;
	return dev_of(major(st.st_dev), minor(st.st_dev));
}

static void stack_push(struct copy_run *run, struct dnode *d)
{
	pthread_mutex_lock(&run->lock);
	d->next = run->stack;
	run->stack = d;
	pthread_cond_broadcast(&run->cond);
	pthread_mutex_unlock(&run->lock);
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/*
 * Take at most max entries from the directory pick_dir() chooses into
 * out[] (name and type).  Called with run->lock held; reads the directory
 * with one getdents64 when its buffer is used up, so the work done under
 * the lock is bounded.  Returns the number taken; *done_dir gets a node
 * whose listing ended (the caller drops its reference outside the lock).
 */
struct entry {
	struct dnode *dir;
	unsigned char type;
	const char *name;	/* into dents, or the root's name */
};

/*
 * --sync: is this entry of d part of the transfer (filters, --files-from)?
 * Entries that are get into d's name set for --delete.  Under run->lock.
 */
static bool sync_take(struct copy_run *run, struct dnode *d,
		      struct linux_dirent64 *de)
{
	struct sync_state *ss = run->cfg.sync;
	bool filtered = ss->o->filters.n || ss->only;

	if (filtered) {
		char buf[PATH_MAX];
		bool is_dir = de->d_type == DT_DIR;
		int n = snprintf(buf, sizeof(buf), "%s%s%s", d->rel,
				 *d->rel ? "/" : "", de->d_name);

		if (de->d_type == DT_UNKNOWN) {
			struct stat sb;

			is_dir = !fstatat(d->sfd, de->d_name, &sb,
					  AT_SYMLINK_NOFOLLOW) &&
				 S_ISDIR(sb.st_mode);
		}
		/* Deeper than PATH_MAX below the root: rules with a path
		 * cannot be told apart there; the name alone decides. */
		if (!sync_included(ss, n < (int)sizeof(buf) ? buf : de->d_name,
				   is_dir))
			return false;
	}
	if (d->seen && nameset_add(d->seen, de->d_name) < 0) {
		nameset_free(d->seen);
		d->seen = NULL;
		log_error(ENOMEM, "not deleting in %s", log_quote(d->dpath));
		atomic_fetch_add(&run->errors, 1);
	}
	return true;
}

/*
 * The directory worker w takes entries from next: the first on the stack
 * that no other worker is taking from, or the top when every one is.
 * Creating entries in one directory does not scale (the filesystem locks
 * the directory: 20,000 files made by two threads in one ext4 directory
 * took 0.198 s, by one thread 0.193 s, by two in two directories 0.112 s),
 * so workers spread over directories when there are several.  Under
 * run->lock.  Returns the link that points at it.
 */
static struct dnode **pick_dir(struct copy_run *run, const struct worker *w)
{
	for (struct dnode **pp = &run->stack; *pp; pp = &(*pp)->next) {
		bool busy = false;

		for (unsigned i = 0; i < run->nworkers && !busy; i++)
			busy = &run->w[i] != w && run->w[i].cur == *pp;
		if (!busy)
			return pp;
	}
	return &run->stack;
}

static unsigned take_entries(struct copy_run *run, struct worker *w,
			     struct entry *out, unsigned max,
			     struct dnode **done_dir)
{
	struct dnode **pp = pick_dir(run, w);
	struct dnode *d = *pp;
	unsigned n = 0;

	*done_dir = NULL;
	w->cur = d;
	if (!d)
		return 0;
	if (d->root) {
		*pp = d->next;
		atomic_fetch_add(&d->refs, 1);
		out[0].dir = d;
		out[0].type = DT_UNKNOWN;
		out[0].name = d->root_name;
		*done_dir = d;
		atomic_fetch_add(&run->ents_total, 1);
		return 1;
	}
	while (n < max) {
		struct linux_dirent64 *de;

		if (d->dpos >= d->dlen) {
			long got;

			if (n)	/* names point into the buffer: hand these
				   out before it is refilled */
				break;
			if (!d->dents && !(d->dents = malloc(DENTS_BUF))) {
				got = -ENOMEM;
			} else {
				got = syscall(SYS_getdents64, d->sfd, d->dents,
					      DENTS_BUF);
				if (got < 0)
					got = -errno;
			}
			if (got <= 0) {
				if (got < 0) {
					log_error((int)-got,
						  "cannot read directory %s",
						  log_quote(d->spath));
					atomic_fetch_add(&run->errors, 1);
					/* A partial listing: nothing in
					 * it may be deleted. */
					nameset_free(d->seen);
					d->seen = NULL;
					if (run->cfg.sync)
						atomic_store(&run->cfg.sync->io_error,
							     true);
				}
				*pp = d->next;
				*done_dir = d;
				w->cur = NULL;
				break;
			}
			d->dlen = (int)got;
			d->dpos = 0;
		}
		de = (struct linux_dirent64 *)(d->dents + d->dpos);
		d->dpos += de->d_reclen;
		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] ||
		     (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (d->rel && !sync_take(run, d, de))
			continue;
		atomic_fetch_add(&d->refs, 1);
		out[n].dir = d;
		out[n].type = de->d_type;
		out[n].name = de->d_name;
		n++;
	}
	atomic_fetch_add(&run->ents_total, n);
	return n;
}

/*
 * Remove a tree a killed run was building under a temp name (struct
 * stage): its files may be partial.  Never through a symlink; made
 * searchable and writable first (a copied read-only directory would keep
 * its entries); listed again until a pass removes nothing, since removing
 * entries while listing may skip some.  Gives up 64 levels down.
 */
static bool remove_tree(int dfd, const char *name, int depth)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					   O_CLOEXEC);
	char *buf = fd >= 0 && depth < 64 ? malloc(DENTS_BUF) : NULL;
	bool again = buf != NULL;

	if (fd >= 0)
		(void)!fchmod(fd, S_IRWXU);
	while (again) {
		long got;

		again = false;
		lseek(fd, 0, SEEK_SET);
		while ((got = syscall(SYS_getdents64, fd, buf, DENTS_BUF)) > 0) {
			for (long pos = 0; pos < got;) {
				struct linux_dirent64 *de = (void *)(buf + pos);
				const char *n = de->d_name;

				pos += de->d_reclen;
				if (!strcmp(n, ".") || !strcmp(n, ".."))
					continue;
				/* Only progress makes another pass. */
				if (unlinkat(fd, n, 0) == 0 ||
				    (errno == EISDIR &&
				     remove_tree(fd, n, depth + 1)))
					again = true;
			}
		}
	}
	free(buf);
	if (fd >= 0)
		close(fd);
	return unlinkat(dfd, name, AT_REMOVEDIR) == 0;
}

pid_t copy_temp_pid(const char *name)
{
	size_t len = strlen(name);
	char *end;
	long pid;

	if (strncmp(name, ".ucp.", 5) || len < 10 ||
	    strcmp(name + len - 4, ".tmp"))
		return 0;
	pid = strtol(name + 5, &end, 10);
	return *end == '.' && pid > 0 && pid <= INT_MAX ? (pid_t)pid : 0;
}

struct nameset *copy_list_names(int dirfd, const char *path, size_t max,
				struct stat *clean)
{
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *buf = NULL;
	struct nameset *names = NULL;
	struct statfs sf;
	bool temps = false;
	size_t n = 0;
	int flags = 0;
	long got;

	if (clean)
		clean->st_nlink = 0;
	if (fd < 0)
		return NULL;
	if (fstatfs(fd, &sf) < 0 ||
	    (sf.f_type != TMPFS_MAGIC && sf.f_type != EXT4_SUPER_MAGIC &&
	     sf.f_type != BTRFS_SUPER_MAGIC) ||
	    (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 &&
	     (flags & FS_CASEFOLD_FL)) ||
	    !(buf = malloc(DENTS_BUF)) || !(names = nameset_new()))
		goto fail;
	while ((got = syscall(SYS_getdents64, fd, buf, DENTS_BUF)) > 0) {
		for (long pos = 0; pos < got;) {
			struct linux_dirent64 *de = (void *)(buf + pos);

			pos += de->d_reclen;
			temps |= copy_temp_pid(de->d_name) > 0;
			if (++n > max || nameset_add(names, de->d_name) < 0)
				goto fail;
		}
	}
	if (got < 0)	/* a partial listing proves nothing missing */
		goto fail;
	if (clean && !temps && fstat(fd, clean) < 0)
		clean->st_nlink = 0;
	free(buf);
	close(fd);
	return names;
fail:
	nameset_free(names);
	free(buf);
	close(fd);
	return NULL;
}

/*
 * Remove the temp names a killed run left in a destination directory that
 * existed before this run: ".ucp.PID.*.tmp" whose PID is gone.  They can
 * only be there where a replaced entry was between its LINKAT to a temp
 * name and its RENAMEAT, where a small file replacing one was written
 * (under 1 MiB: a named temp), on filesystems without O_TMPFILE, where
 * every copy is a named temp until it is complete, and (directories)
 * where a new tree was being built under its temp name.  One listing per
 * directory.
 */
static void sweep_temps_of(pid_t self, int dfd)
{
	int fd = dfd >= 0 ? openat(dfd, ".", O_RDONLY | O_DIRECTORY |
					      O_CLOEXEC) : -1;
	char *buf = fd >= 0 ? malloc(DENTS_BUF) : NULL;
	long got;

	while (buf && (got = syscall(SYS_getdents64, fd, buf, DENTS_BUF)) > 0) {
		for (long pos = 0; pos < got;) {
			struct linux_dirent64 *de = (void *)(buf + pos);
			const char *n = de->d_name;
			pid_t pid = copy_temp_pid(n);

			pos += de->d_reclen;
			if (pid <= 0 || pid == self || kill(pid, 0) == 0 ||
			    errno != ESRCH)
				continue;
			if (unlinkat(dfd, n, 0) < 0 && errno == EISDIR)
				remove_tree(dfd, n, 0);
		}
	}
	free(buf);
	if (fd >= 0)
		close(fd);
}

static void sweep_temps(struct copy_run *run, int dfd)
{
	sweep_temps_of(run->pid, dfd);
}

void copy_sweep_temps(int dfd)
{
	sweep_temps_of(getpid(), dfd);
}

/* ------------------------------------------------------------------ */
/* job lifecycle */

static void hl_release(struct copy_run *run, struct job *j);
static void src_link(struct worker *w, struct job *j);

static void job_release_bufs(struct worker *w, struct job *j)
{
	for (unsigned i = 0; i < MAX_FILE_CHUNKS; i++) {
		if (j->chunk[i].buf >= 0) {
			bufpool_put(&w->bp, j->chunk[i].buf);
			j->chunk[i].buf = -1;
		}
		j->chunk[i].hash_wait = false;
	}
	j->nchunks = 0;
}

static void job_finish(struct worker *w, struct job *j)
{
	struct dnode *d = j->dir;

	assert(!j->pending);
	if (j->stage) {
		/* A staged root that never became a directory node: its
		 * directory (empty) takes its name now. */
		stage_put(w->run, j->stage);
		j->stage = NULL;
	}
	if (j->hl)
		hl_release(w->run, j);
	job_release_bufs(w, j);
	free(j->backup_sfx);
	j->backup_sfx = NULL;
	if (!j->redirected)
		atomic_fetch_add(&w->run->ents_done, 1);
	if (w->run->cfg.stats && !w->run->cfg.sync && j->stx.stx_mode &&
	    !j->redirected)
		xfer_count(w->run->cfg.stats, j->stx.stx_mode, j->stx.stx_size,
			   j->made);
	j->state = J_FREE;
	j->next = w->free_jobs;
	w->free_jobs = j;
	w->active_jobs--;
	job_claimed(w, j);
	dnode_put(w->run, d);
	if (atomic_fetch_sub(&w->run->active, 1) == 1) {
		pthread_mutex_lock(&w->run->lock);
		pthread_cond_broadcast(&w->run->cond);
		pthread_mutex_unlock(&w->run->lock);
	}
}

/* Close what the job holds and finish once the closes complete. */
/* Give back the job's fixed-file slots, if it holds any. */
static void job_unfix(struct worker *w, struct job *j)
{
	if (j->fslot >= 0) {
		engine_unfix_pair(w->eng, j->fslot);
		j->fslot = -1;
	}
}

static void job_close(struct worker *w, struct job *j)
{
	job_unfix(w, j);
	if (j->named_tmp && !j->published && j->state != J_UNLINK) {
		/* Failed or stopped before its rename (rare: only where
		 * there is no O_TMPFILE, whose files vanish by themselves). */
		unlinkat(j->dir->dfd, j->tmpname, 0);
	}
	j->state = J_CLOSE;
	if (j->sfd >= 0) {
		struct req *r = req_get(w, j, OP_CLOSE);

		r->fd = j->sfd;
		j->sfd = -1;
		req_submit(w, j, r);
	}
	if (j->tfd >= 0) {
		struct req *r = req_get(w, j, OP_CLOSE);

		r->fd = j->tfd;
		r->tag = 1;
		j->tfd = -1;
		req_submit(w, j, r);
	}
	if (!j->pending)
		job_finish(w, j);
}

static void job_start(struct worker *w, struct job *j);
static void file_open(struct worker *w, struct job *j);
static void stat_source(struct worker *w, struct job *j);
static void copy_pump(struct worker *w, struct job *j);
static void verify_pump(struct worker *w, struct job *j);
static void symlink_start(struct worker *w, struct job *j);
static bool check_existing(struct worker *w, struct job *j);
static bool symlink_refused(struct worker *w, struct job *j,
			    const char *target);

/* Wait for a free buffer; resumed by buf_release(). */
static void job_wait_buf(struct worker *w, struct job *j)
{
	fifo_push(&w->bufwait, j);
}

static void resume_buf_waiters(struct worker *w)
{
	while (w->bufwait.head && w->bp.nfree) {
		struct job *j = fifo_pop(&w->bufwait);

		if (j->state == J_COPY)
			copy_pump(w, j);
		else if (j->state == J_VERIFY)
			verify_pump(w, j);
		else
			symlink_start(w, j);
	}
}

/* ------------------------------------------------------------------ */
/* publishing: the final name, or a temp name to rename over it */

/*
 * The name a new entry is created or linked under: its own, or, when it
 * replaces an existing entry, a fresh temp name in the same directory that
 * entry_created() renames over the old one (atomic replacement).
 */
/* ".ucp.PID.WORKER.N.NAME.tmp" (NAME cut to 120 bytes): unique in the
 * run, recognisable by sweep_temps(), and telling whose it is. */
void copy_temp_name(char *buf, size_t size, pid_t pid, unsigned worker,
		    unsigned n, const char *name)
{
	snprintf(buf, size, ".ucp.%d.%u.%u.%.120s.tmp", (int)pid, worker, n,
		 name);
}

static const char *temp_name(struct worker *w, struct job *j)
{
	copy_temp_name(j->tmpname, sizeof(j->tmpname), w->run->pid, w->id,
		       w->tmp_counter++, j->dname);
	return j->tmpname;
}

static const char *publish_name(struct worker *w, struct job *j)
{
	return j->dst_exists ? temp_name(w, j) : j->dname;
}

static void file_rename(struct worker *w, struct job *j);
static void job_unlink_tmp(struct worker *w, struct job *j);

/* The entry exists under publish_name(): move it into place, or done. */
static void hl_published(struct copy_run *run, struct job *j);

/* The entry is at its final name. */
static pthread_mutex_t manifest_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * --checksum-file: one line per regular file written, "<xxh128>  <path>"
 * as xxh128sum prints it, the path as the diagnostics name the copy.  A
 * name with a newline is written escaped as GNU's *sum tools do (a line
 * starting with '\', "\n" and "\\" inside).
 */
static void manifest_add(struct worker *w, struct job *j)
{
	const XXH128_hash_t *h = j->have_digest ? &j->digest :
				 j->linked && j->hl && j->hl->have_digest ?
						   &j->hl->digest : NULL;
	char *d;

	if (!h || !S_ISREG(j->stx.stx_mode))
		return;
	d = dst_disp(j);
	if (!d)
		d = strdup(j->dname);
	if (!d)
		return;
	pthread_mutex_lock(&manifest_lock);
	if (strchr(d, '\n')) {
		fprintf(w->run->cfg.manifest, "\\%016llx%016llx  ",
			(unsigned long long)h->high64,
			(unsigned long long)h->low64);
		for (const char *p = d; *p; p++) {
			if (*p == '\n')
				fputs("\\n", w->run->cfg.manifest);
			else if (*p == '\\')
				fputs("\\\\", w->run->cfg.manifest);
			else
				fputc(*p, w->run->cfg.manifest);
		}
		fputc('\n', w->run->cfg.manifest);
	} else {
		fprintf(w->run->cfg.manifest, "%016llx%016llx  %s\n",
			(unsigned long long)h->high64,
			(unsigned long long)h->low64, d);
	}
	pthread_mutex_unlock(&manifest_lock);
	free(d);
}

static const char *kind_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symlink";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	case S_IFCHR: return "char-device";
	case S_IFBLK: return "block-device";
	default: return "unknown";
	}
}

/*
 * --debug: how a regular file's data got there, after its -v line, in the
 * words of cp 9.2+ ("copy offload: ..., reflink: ..., sparse detection:
 * ...") so that what parses cp's line parses ours, then ucp's own method.
 * As cp, nothing for hard links or --attributes-only: no data was copied.
 */
static void debug_line(struct worker *w, const struct job *j)
{
	const struct copy_config *cfg = &w->run->cfg;
	const char *reflink;
	char how[64];

	if (j->linked || cfg->attr_only)
		return;
	reflink = j->cloned ? "yes" :
		  cfg->reflink == REFLINK_NEVER ? "avoided" :
		  j->clone_tried ? "unsupported" :
		  j->stx.stx_size ? "unsupported (known for this filesystem pair)" :
				    "no";
	if (j->cloned)
		snprintf(how, sizeof(how), "FICLONE");
	else if (j->into_special)
		snprintf(how, sizeof(how), "read/write into the existing node");
	else
		snprintf(how, sizeof(how), "%s engine, %zu %s requests",
			 w->eng->ops->name, cfg->chunk % 1024 ? cfg->chunk :
				 cfg->chunk / 1024, cfg->chunk % 1024 ? "B" : "KiB");
	log_out("copy offload: %s, reflink: %s, sparse detection: %s, "
		"method: %s%s", j->cloned ? "unknown" : "no", reflink,
		j->cloned ? "unknown" : j->sparse ? "SEEK_HOLE" : "no", how,
		cfg->verify ? ", verified" : "");
}

/* --json: a "file" record for an entry made or replaced. */
static void json_file(const struct job *j)
{
	char *s = src_disp(j), *d = dst_disp(j);
	struct json r;

	json_begin(&r, "file");
	json_name(&r, "path", d ? d : j->dname);
	json_name(&r, "source", s ? s : j->name);
	json_str(&r, "kind", kind_name(j->stx.stx_mode));
	if (S_ISREG(j->stx.stx_mode))
		json_u64(&r, "size", j->stx.stx_size);
	json_str(&r, "action", j->dst_exists ? "replaced" : "created");
	if (j->linked)
		json_bool(&r, "hardlink", true);
	json_end(&r);
	free(s);
	free(d);
}

/* Would cp have removed the destination entry before making this one
 * (and said so under -v)?  It does with --remove-destination, for a file
 * with other hard links when links are kept, and for anything but a
 * regular file when it dereferences nothing; a backup moves the entry
 * instead.  ucp replaces the entry in one rename when the new one is
 * complete, and says "removed" then. */
static bool cp_unlinks_first(const struct copy_run *run,
			     const struct job *j)
{
	const struct copy_config *cfg = &run->cfg;
	/* cp's DEREF_NEVER: -P, or -H below the operands */
	bool never = cfg->deref_never || (!cfg->deref_all && !j->dir->root);

	if (!j->dst_exists || S_ISDIR(j->dstx.stx_mode) ||
	    cfg->backup != BACKUP_NONE)
		return false;
	/* (the last two only when it copies data: not --attributes-only) */
	return cfg->remove_dest || j->target_links ||
	       (!cfg->attr_only &&
		(((cfg->preserve & PRESERVE_LINKS) && j->dstx.stx_nlink > 1) ||
		 (never && !S_ISREG(j->stx.stx_mode))));
}

static bool cp_removes(const struct copy_run *run, const struct job *j)
{
	return !j->into_special && !run->cfg.symbolic_link &&
	       cp_unlinks_first(run, j);
}

/* cp -v's line for an entry it removed. */
static void removed_line(const struct job *j)
{
	char *d = dst_disp(j);

	log_out("removed %s", log_quote(d ? d : j->dname));
	free(d);
}

static void entry_published(struct worker *w, struct job *j)
{
	struct sync_state *ss = w->run->cfg.sync;

	if (json_on)
		json_file(j);

	if (w->run->cfg.manifest)
		manifest_add(w, j);

	if (ss) {
		char *extra = NULL;

		if (S_ISREG(j->stx.stx_mode) && (j->items & ITEM_XFER)) {
			atomic_fetch_add(&ss->stats.xfer_files, 1);
			atomic_fetch_add(&ss->stats.xfer_size, j->stx.stx_size);
		}
		if (j->items & ITEM_HLINK)
			extra = j->hl && j->hl->rel ?
					malloc(strlen(j->hl->rel) + 5) : NULL;
		if (extra)
			sprintf(extra, " => %s", j->hl->rel);
		if (!j->ld_link)	/* rsync's -i leaves those out */
			job_report(w, j, extra);
		free(extra);
	} else {
		struct xfer_stats *st = w->run->cfg.stats;

		if (j->upd_skip) {
			/* cp's link over it says only this */
			if (w->run->cfg.verbose)
				removed_line(j);
		} else if (w->run->cfg.verbose && cp_removes(w->run, j)) {
			removed_line(j);
		}
		if (w->run->cfg.verbose && !j->announced && !j->upd_skip) {
			verbose_line(j);
			j->announced = true;
		}
		if (w->run->cfg.verbose && j->forced)
			removed_line(j);
		if (w->run->cfg.verbose && j->linked && !j->upd_skip &&
		    !w->run->cfg.hard_link && !w->run->cfg.sync &&
		    j->dst_exists && !cp_unlinks_first(w->run, j)) {
			/* A link to the group's first copy replaced the
			 * entry: cp's link says so after the file's line. */
			removed_line(j);
		}
		if (w->run->cfg.debug && S_ISREG(j->stx.stx_mode))
			debug_line(w, j);
		if (st && S_ISREG(j->stx.stx_mode) && !j->linked) {
			atomic_fetch_add(&st->xfer_files, 1);
			atomic_fetch_add(&st->xfer_size, j->stx.stx_size);
		}
		j->made = !j->dst_exists;
	}
	if (j->hl_first)
		hl_published(w->run, j);
	job_close(w, j);
}

static void entry_created(struct worker *w, struct job *j)
{
	struct copy_run *run = w->run;
	unsigned keep = run->cfg.preserve & PRESERVE_META;

	/* cp -s keeps only the source's times, on the link itself. */
	if (run->cfg.symbolic_link)
		keep &= PRESERVE_TIMESTAMPS;
	/* Symlinks and specials take their attributes by name (files took
	 * theirs through the fd before they were linked in).  A hard link
	 * (-l, --preserve=links) is the source's own inode: never touched. */
	if ((!S_ISREG(j->stx.stx_mode) || run->cfg.symbolic_link) &&
	    !j->linked && keep) {
		struct meta_result res;

		meta_apply_at(j->dir->dfd, j->dst_exists ? j->tmpname : j->dname,
			      &j->stx, keep, run->is_root, &res);
		if (meta_failed(&res)) {
			char *d = dst_disp(j);

			report_meta(run, d ? d : j->dname, &res);
			free(d);
		}
	}
	/* A file over an entry of another type: rsync deletes that entry
	 * first, and its delete step backs up no name that already ends
	 * in the suffix (sync_backs_up()). */
	if (j->dst_exists && run->cfg.sync && run->cfg.sync->o->backup &&
	    !j->hl_relink && !j->ld_same && !j->backed_up &&
	    (!S_ISREG(j->stx.stx_mode) || S_ISREG(j->dstx.stx_mode) ||
	     sync_backs_up(run->cfg.sync, j->dname))) {
		char *rel = job_rel(j);
		int err = rel ? sync_backup(run->cfg.sync, j->dir->dfd, j->dname,
					    rel, false) : ENOMEM;

		free(rel);
		if (err) {
			job_fail(w, j, err, true, "cannot back up %s");
			job_unlink_tmp(w, j);
			return;
		}
	}
	if (j->dst_exists && run->cfg.backup != BACKUP_NONE && !j->inplace) {
		/* cp -b: the entry being replaced keeps its inode under the
		 * backup name; the rename below then replaces the name. */
		char bname[NAME_MAX + 1];
		int err = backup_name(j->dir->dfd, j->dname, run->cfg.backup,
				      run->cfg.backup_suffix, bname,
				      sizeof(bname));

		if (!err)
			err = backup_make(j->dir->dfd, j->dname, j->dir->dfd,
					  bname, true);
		if (err && err != ENOENT) {
			job_fail(w, j, err, true, "cannot backup %s");
			job_unlink_tmp(w, j);
			return;
		}
		if (!err)
			j->backup_sfx = strdup(bname + strlen(j->dname));
	}
	if (j->staged) {
		j->published = true;	/* complete at its own name */
	} else if (j->dst_exists || j->named_tmp) {
		file_rename(w, j);
		return;
	}
	entry_published(w, j);
}

/* ------------------------------------------------------------------ */
/* hard-link groups (--preserve=links) */

enum hl_claim { HL_FIRST, HL_LINK, HL_WAIT, HL_COPY, HL_DEFER };

/* Newer HL_PENDING groups let the oldest go on (hl_window()): past the
 * last HL_PEND_MAX a worker met, less one for each group that waited in
 * vain, more 16 for each that found its name, and never fewer than
 * HL_PEND_MIN.  A tree whose groups all have names outside it (a
 * snapshot's, linked to earlier snapshots, mirrored to a DEST that lacks
 * them) only waits: 5,000 such files of 2,000 B, 6% longer than without
 * waiting, where a window of 256 throughout took 11% and one of 64 8%. */
#define HL_PEND_MIN 16

/* Does j's inode take part in hard-link groups? */
static bool hl_member(const struct copy_run *run, const struct job *j)
{
	return (run->cfg.preserve & PRESERVE_LINKS) &&
	       (j->stx.stx_nlink > 1 || (j->deref && !run->cfg.sync));
}

static size_t hl_bucket(const struct copy_run *run, uint64_t ino,
			uint32_t minor)
{
	return (size_t)((ino ^ minor) % run->hl_buckets);
}

/* Under -L every file is a group: keep lookups short.  Under hl_lock;
 * without memory the table stays as it is, only slower. */
static void hl_grow(struct copy_run *run)
{
	size_t nb = run->hl_buckets ? run->hl_buckets * 2 : HL_BUCKETS;
	struct hlink **old = run->hl, **t = calloc(nb, sizeof(*t));
	size_t ob = run->hl_buckets;

	if (!t)
		return;
	run->hl = t;
	run->hl_buckets = nb;
	for (size_t b = 0; b < ob; b++) {
		while (old[b]) {
			struct hlink *e = old[b];
			size_t nbk = hl_bucket(run, e->ino, e->dev_minor);

			old[b] = e->next;
			e->next = t[nbk];
			t[nbk] = e;
		}
	}
	free(old);
}

/*
 * Join or open the group of j's source inode (j->stx).  copier: j makes
 * its entry anew (not a file DEST or the --link-dest snapshot has the
 * same).
 *
 * rsync -H knows every name of a group before it copies one, and links
 * a name DEST lacks to a name DEST (or --link-dest) has unchanged.  Here
 * names come as the walk meets them and complete in any order, so under
 * --sync a copier that would be a group's first waits instead
 * (HL_DEFER; the group is HL_PENDING) until: another name of the group
 * that is not a copier comes, and stands for the group (the waiting one
 * is then linked to it); or every other name was met; or the walk can
 * find no more (hl_quiet()).  Only while DEST or a snapshot may have such
 * a name, and for the last hl_window() such groups a worker met: an
 * older one is copied, and its other names linked to it.
 */
static enum hl_claim hl_claim(struct worker *w, struct job *j, bool copier)
{
	struct copy_run *run = w->run;
	uint64_t ino = j->stx.stx_ino;
	enum hl_claim ret;
	struct hlink *e = NULL;
	size_t b;

	job_claimed(w, j);
	pthread_mutex_lock(&run->hl_lock);
	if (run->hl_count >= 2 * run->hl_buckets)
		hl_grow(run);
	if (!run->hl_buckets) {
		ret = HL_COPY;
		goto out;
	}
	b = hl_bucket(run, ino, j->stx.stx_dev_minor);
	for (e = run->hl[b]; e; e = e->next)
		if (e->ino == ino && e->dev_major == j->stx.stx_dev_major &&
		    e->dev_minor == j->stx.stx_dev_minor)
			break;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e) {
			ret = HL_COPY;
			goto out;
		}
		e->ino = ino;
		e->dev_major = j->stx.stx_dev_major;
		e->dev_minor = j->stx.stx_dev_minor;
		e->state = HL_COPYING;
		e->open = j->deref;
		e->left = e->unmet = j->stx.stx_nlink - 1;
		e->next = run->hl[b];
		run->hl[b] = e;
		run->hl_count++;
		j->hl = e;
		if (copier && run->hl_defer && !e->open && e->unmet) {
			e->state = HL_PENDING;
			j->hl_pend = true;
			j->hl_seq = ++w->hl_seq;
			ret = HL_DEFER;
		} else {
			j->hl_first = true;
			ret = HL_FIRST;
		}
	} else if (e->state == HL_PENDING) {
		if (!j->hl_met && e->unmet && !--e->unmet)
			atomic_fetch_add(&run->hl_epoch, 1);
		j->hl_met = true;
		if (copier) {
			ret = HL_WAIT;
		} else {
			/* DEST's (or the snapshot's): the group's file. */
			atomic_fetch_add(&run->hl_found, 1);
			atomic_fetch_add(&run->hl_epoch, 1);
			e->state = HL_COPYING;
			j->hl = e;
			j->hl_first = true;
			ret = HL_FIRST;
		}
	} else if (e->state == HL_COPYING) {
		ret = HL_WAIT;
	} else if (e->state == HL_DONE && e->dh) {
		e->users++;
		if (e->left)
			e->left--;
		j->hl = e;
		ret = HL_LINK;
	} else {
		ret = HL_COPY;	/* the first copy failed: copy this one */
	}
out:
	pthread_mutex_unlock(&run->hl_lock);
	return ret;
}

static void dhold_put(struct copy_run *run, struct dhold *h)
{
	if (--h->refs)
		return;
	close(h->fd);
	free(h);
	run->holds--;
}

/* The descriptor of d for a group whose first copy is in it: shared by
 * all of them.  Under hl_lock.  NULL without one (EMFILE, or too many
 * kept open for -L's groups): the others copy instead of linking, so the
 * data stays right and the link is lost. */
static struct dhold *dhold_get(struct copy_run *run, struct dnode *d,
			       bool open)
{
	struct dhold *h = d->hold;

	if (!h) {
		if (open && run->holds >= run->holds_max)
			return NULL;
		h = malloc(sizeof(*h));
		if (!h)
			return NULL;
		h->fd = fcntl(d->dfd, F_DUPFD_CLOEXEC, 0);
		if (h->fd < 0) {
			free(h);
			return NULL;
		}
		h->refs = 1;	/* d's own, dropped when d is done */
		d->hold = h;
		run->holds++;
	}
	h->refs++;
	return h;
}

/* The first copy is at its final name: later links may go to it. */
static void hl_published(struct copy_run *run, struct job *j)
{
	struct hlink *e = j->hl;

	pthread_mutex_lock(&run->hl_lock);
	e->name = strdup(j->dname);
	e->dh = e->name && (e->open || e->left) ?
			dhold_get(run, j->dir, e->open) : NULL;
	e->state = e->dh ? HL_DONE : HL_FAILED;
	e->digest = j->digest;
	e->have_digest = j->have_digest;
	e->kept = j->dst_exists && (j->inplace || j->hl_relink || j->upd_skip);
	if (run->cfg.sync && !e->rel)
		e->rel = job_rel(j);
	j->hl_first = false;
	j->hl = NULL;
	pthread_mutex_unlock(&run->hl_lock);
}

/* A job ends: a first copy that never got published fails its group; a
 * linker lets go, and the directory's hold goes once no link is
 * expected. */
static void hl_release(struct copy_run *run, struct job *j)
{
	struct hlink *e = j->hl;

	pthread_mutex_lock(&run->hl_lock);
	if (j->hl_first) {
		e->state = HL_FAILED;
	} else if (e->users && !--e->users && !e->left && !e->open && e->dh) {
		dhold_put(run, e->dh);
		e->dh = NULL;
		e->state = HL_FAILED;
	}
	j->hl = NULL;
	j->hl_first = false;
	pthread_mutex_unlock(&run->hl_lock);
}

/* Is st (the group's file) j's destination entry already?  (Linked
 * again, the temp name would stay: rename(2) does nothing between two
 * links of one file.) */
static bool hl_is_dest(const struct job *j, const struct stat *st)
{
	return j->dst_exists && st->st_ino == j->dstx.stx_ino &&
	       major(st->st_dev) == j->dstx.stx_dev_major &&
	       minor(st->st_dev) == j->dstx.stx_dev_minor;
}

/* The group's file, by name: 0 or -1 (errno). */
static int hl_stat(const struct job *j, struct stat *st)
{
	return fstatat(j->hl->dh->fd, j->hl->name, st, AT_SYMLINK_NOFOLLOW);
}

static void entry_published(struct worker *w, struct job *j);

static void hl_link(struct worker *w, struct job *j)
{
	struct req *r;
	struct stat st;

	if (j->hl->kept && j->dst_exists && hl_stat(j, &st) == 0 &&
	    hl_is_dest(j, &st)) {
		/* The entry is that link already (the group's file was
		 * written in place: --inplace, --attributes-only): linked
		 * again, its temp name would stay.  cp -v lists it; rsync
		 * reports nothing.  (A first copy that is a new inode
		 * cannot be: no fstatat then.) */
		j->linked = j->published = true;
		if (w->run->cfg.sync)
			job_close(w, j);
		else
			entry_published(w, j);
		return;
	}
	r = req_get(w, j, OP_LINKAT);
	j->state = J_HLINK;
	j->linked = true;
	j->items = j->dst_exists ? (j->items & ~ITEM_XFER) | ITEM_HLINK :
				   ITEM_HLINK | ITEM_NEW;
	r->fd = j->hl->dh->fd;
	r->path = j->hl->name;
	r->fd2 = j->dir->dfd;
	r->path2 = publish_name(w, j);
	req_submit(w, j, r);
}

/* Publish the job's entry as a hard link to fd/path. */
static void link_from(struct worker *w, struct job *j, int fd,
		      const char *path, int oflags)
{
	struct req *r = req_get(w, j, OP_LINKAT);

	j->state = J_HLINK;
	j->linked = true;
	r->fd = fd;
	r->path = path;
	r->fd2 = j->dir->dfd;
	r->path2 = publish_name(w, j);
	r->oflags = oflags;
	req_submit(w, j, r);
}

/* -l: link the source itself (through a symlink unless -P, as cp). */
static void src_link(struct worker *w, struct job *j)
{
	link_from(w, j, j->dir->sfd, j->name,
		  j->deref ? AT_SYMLINK_FOLLOW : 0);
}

/* --link-dest: link the earlier snapshot's copy, which is the same. */
static void ld_link(struct worker *w, struct job *j)
{
	link_from(w, j, j->dir->ldfd, j->name, 0);
}

static void create_entry(struct worker *w, struct job *j);

static const char *replace_fails(const struct worker *w, struct job *j,
				 int err);

static void job_on_hlink(struct worker *w, struct job *j, struct req *r)
{
	const char *why;
	int err = -r->res;

	assert(r->op == OP_LINKAT);
	if (r->res == -EEXIST) {
		/* Appeared since we looked, or the temp name is taken. */
		j->dst_exists = true;
		if (j->ld_link)
			ld_link(w, j);
		else if (j->hl)
			hl_link(w, j);
		else
			src_link(w, j);
		return;
	}
	if (r->res < 0 && j->ld_link) {
		/* Too many links, another filesystem...: a copy of its own,
		 * as rsync falls back to. */
		j->ld_link = j->linked = false;
		j->items = j->dst_exists ? ITEM_XFER : ITEM_NEW | ITEM_XFER;
		if (!S_ISREG(j->stx.stx_mode))
			j->items ^= ITEM_XFER | ITEM_LOCAL;
		create_entry(w, j);
		return;
	}
	if (r->res == -EPERM && !j->hl && j->dst_exists) {
		/* Another's file (fs.protected_hardlinks): cp's removal of
		 * the old entry fails first where the directory is not
		 * ours to write, with that error; else the link fails. */
		err = faccessat(j->dir->dfd, ".", W_OK, AT_EACCESS) == 0 ?
			      0 : errno;
	}
	if (r->res < 0 && !j->hl && err &&
	    (why = replace_fails(w, j, err))) {
		job_fail(w, j, err, true, why);
		job_close(w, j);
		return;
	}
	if (r->res < 0) {
		j->announce = !j->hl;	/* cp -v names it first */
		job_fail2(w, j, -r->res, true, "cannot create hard link %s to %s");
		job_close(w, j);
		return;
	}
	entry_created(w, j);
}

static void file_create_tmp(struct worker *w, struct job *j);
static void space_defer(struct worker *w, struct job *j);

/* The jobs parked on groups take beyond cfg.jobs (fill()): made as they
 * are needed, which a run without hard links never pays for.  Without
 * memory, they take from cfg.jobs' as before. */
static void hl_more_jobs(struct worker *w)
{
	struct job *c;
	unsigned n = HL_PEND_CHUNK;

	if (w->hl_nparked < w->pend_chunks * HL_PEND_CHUNK ||
	    (w->pend_chunks + 1) * HL_PEND_CHUNK > w->run->pend_max ||
	    !(c = calloc(n, sizeof(*c))))
		return;
	w->pend_jobs[w->pend_chunks++] = c;
	while (n-- > 0) {
		c[n].next = w->free_jobs;
		w->free_jobs = &c[n];
	}
}

/* A job waits for its group's first copy (resume_hl_waiters). */
static void hl_park(struct worker *w, struct job *j)
{
	hl_more_jobs(w);
	j->state = J_HLWAIT;
	j->next = w->hlwait;
	w->hlwait = j;
	w->hl_nparked++;
}

/* Decide, for a regular file with more than one link, whether to copy it
 * or link it to an earlier copy.  Returns true when the job goes on to
 * copy the data. */
static bool hl_start(struct worker *w, struct job *j)
{
	if (j->hl_first)
		return true;	/* its group's first already (a --link-dest
				   link that fell back to a copy) */
	switch (hl_claim(w, j, w->run->cfg.sync)) {
	case HL_FIRST:
	case HL_COPY:
		return true;
	case HL_LINK:
		hl_link(w, j);
		return false;
	case HL_DEFER:
		hl_more_jobs(w);
		w->hl_pending++;
		w->hl_nparked++;
		j->state = J_HLWAIT;
		fifo_push(&w->hlpend, j);	/* in hl_seq order */
		return false;
	case HL_WAIT:
		hl_park(w, j);
		return false;
	}
	return true;
}

/*
 * The same for a file --link-dest has the same: true when the job goes on
 * to link the snapshot's file (the group's first, or a group that is the
 * snapshot's file already); else it joins the group's file (a copy made
 * for a name the snapshot lacks) or waits for it.
 */
static bool ld_hl_start(struct worker *w, struct job *j)
{
	struct stat a, b;

	switch (hl_claim(w, j, false)) {
	case HL_FIRST:
	case HL_COPY:
	case HL_DEFER:	/* not for a non-copier */
		return true;
	case HL_LINK:
		if (hl_stat(j, &a) == 0) {
			if (hl_is_dest(j, &a)) {	/* DEST has it so */
				job_close(w, j);
				return false;
			}
			if (fstatat(j->dir->ldfd, j->name, &b,
				    AT_SYMLINK_NOFOLLOW) == 0 &&
			    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
				return true;
		}
		j->ld_link = false;
		hl_link(w, j);
		return false;
	case HL_WAIT:
		hl_park(w, j);	/* ld_link kept: resumed here */
		return false;
	}
	return true;
}

static bool sync_hl_unchanged(struct worker *w, struct job *j);
static void special_create(struct worker *w, struct job *j);

/*
 * May the groups waiting in HL_PENDING be copied now?  When the walk can
 * meet no other name: no directory left to list, and every job taken has
 * claimed its group or ended.  And when this worker can take no more
 * (every job parked, nothing in flight): its firsts may be what the
 * others wait for.
 */
static bool hl_quiet(struct worker *w)
{
	struct copy_run *run = w->run;
	bool quiet;

	if (copy_stop_signal || (!w->free_jobs && !w->eng->inflight))
		return true;
	if (w->preclaim)
		return false;
	pthread_mutex_lock(&run->lock);
	quiet = !run->stack;
	for (unsigned i = 0; quiet && i < run->nworkers; i++)
		quiet = !atomic_load(&run->w[i].busy);
	pthread_mutex_unlock(&run->lock);
	return quiet;
}

/* How many of a worker's latest HL_PENDING groups keep waiting. */
static unsigned hl_window(const struct copy_run *run)
{
	long n = HL_PEND_MAX + 16L * atomic_load(&run->hl_found) -
		 (long)atomic_load(&run->hl_vain);

	if (n < HL_PEND_MIN)
		n = HL_PEND_MIN;
	return n < (long)run->pend_max ? (unsigned)n : run->pend_max;
}

/* A job in HL_PENDING: still waiting (0); its group's first now, to be
 * copied (1); or another name took the group, so it joins it (2).  Either
 * way hl_rejoin() takes it on. */
static int hl_pend_poll(struct copy_run *run, struct job *j, bool quiet)
{
	struct hlink *e = j->hl;
	int ret = 2;

	pthread_mutex_lock(&run->hl_lock);
	if (e->state == HL_PENDING) {
		if (e->unmet && !quiet) {
			pthread_mutex_unlock(&run->hl_lock);
			return 0;
		}
		e->state = HL_COPYING;
		j->hl_first = true;
		ret = 1;
	} else {
		j->hl = NULL;
	}
	j->hl_pend = false;
	pthread_mutex_unlock(&run->hl_lock);
	return ret;
}

static void hl_rejoin(struct worker *w, struct job *j);

/* Is there room for a parked job to go back to work (cfg.jobs at most;
 * the parked ones have pend_max jobs more)? */
static bool hl_room(const struct worker *w)
{
	return w->active_jobs - w->hl_nparked < w->run->cfg.jobs;
}

/*
 * Let the waiting firsts (w->hlpend, oldest first) go on where they may:
 * the oldest past the window, and, when a group changed or the walk is
 * quiet, any whose group another name took or whose names all came.
 */
static void resume_hl_pending(struct worker *w)
{
	struct job_fifo keep = { NULL, NULL };
	bool quiet = hl_quiet(w);
	unsigned window = hl_window(w->run);
	unsigned epoch = atomic_load(&w->run->hl_epoch);
	bool all = quiet || epoch != w->hl_epoch;
	struct job *j;

	w->hl_epoch = epoch;
	while ((j = w->hlpend.head) && hl_room(w)) {
		bool old = w->hl_seq - j->hl_seq >= window;
		int r;

		if (!all && !old)
			break;	/* the rest are newer still */
		fifo_pop(&w->hlpend);
		r = hl_pend_poll(w->run, j, quiet || old);
		if (!r) {
			fifo_push(&keep, j);
			continue;
		}
		if (r == 1 && old && !quiet)
			atomic_fetch_add(&w->run->hl_vain, 1);
		w->hl_pending--;
		w->hl_nparked--;
		hl_rejoin(w, j);	/* the group's first (hl_start() says
					   so), or it joins another's */
	}
	/* Those kept were older than what is left: back in front. */
	if (keep.head) {
		keep.tail->next = w->hlpend.head;
		if (!w->hlpend.head)
			w->hlpend.tail = keep.tail;
		w->hlpend.head = keep.head;
	}
}

/* Retry the jobs parked on groups whose first copy was running. */
static void resume_hl_waiters(struct worker *w)
{
	struct job *list = w->hlwait;

	w->hlwait = NULL;
	while (list) {
		struct job *j = list;

		list = j->next;
		if (!hl_room(w)) {	/* cfg.jobs at work: later */
			j->next = w->hlwait;
			w->hlwait = j;
			continue;
		}
		w->hl_nparked--;
		hl_rejoin(w, j);
	}
}

/* A parked job claims its group again. */
static void hl_rejoin(struct worker *w, struct job *j)
{
	if (j->hl_relink) {
		if (!sync_hl_unchanged(w, j))
			job_close(w, j);
	} else if (j->upd_skip) {
		if (hl_start(w, j))	/* the group failed */
			job_close(w, j);
	} else if (j->ld_link) {
		if (ld_hl_start(w, j))
			ld_link(w, j);
	} else if (hl_start(w, j)) {
		if (S_ISREG(j->stx.stx_mode))
			file_create_tmp(w, j);
		else
			special_create(w, j);
	}
}

/* ------------------------------------------------------------------ */
/* regular files: open, stat, create, copy, publish */

static void file_finish_data(struct worker *w, struct job *j);

/*
 * Copy j->sfd to j->tfd in order with plain read/write, to the source's
 * end: for a FIFO or device at either end, which the ring's concurrent
 * positional chunks cannot serve (a FIFO is a stream, and its length is
 * not known).  xs: also hash what is read (--verify, --checksum-file).
 * Returns the bytes copied, or -1 after the diagnostic.
 */
static int64_t stream_copy(struct worker *w, struct job *j, XXH3_state_t *xs)
{
	enum { BUFSZ = 128 << 10 };
	char *buf = malloc(BUFSZ);
	int64_t total = 0;
	bool ok = true;

	if (!buf) {
		job_fail(w, j, ENOMEM, false, "cannot copy %s");
		return -1;
	}
	while (ok) {
		ssize_t n = read(j->sfd, buf, BUFSZ), done = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			job_fail(w, j, errno, false, "error reading %s");
			ok = false;
		}
		if (n <= 0)
			break;
		if (xs)
			XXH3_128bits_update(xs, buf, (size_t)n);
		while (ok && done < n) {
			ssize_t k = write(j->tfd, buf + done, (size_t)(n - done));

			if (k < 0 && errno != EINTR) {
				job_fail(w, j, errno, true, "error writing %s");
				ok = false;
			}
			done += k > 0 ? k : 0;
		}
		total += done;
		atomic_fetch_add(&w->run->bytes_done, (uint64_t)done);
	}
	free(buf);
	return ok ? total : -1;
}

/*
 * A FIFO or a device at the destination name is written into, as cp does
 * (cp f /dev/null), never replaced by a regular file; opening it waits for
 * a reader, as cp waits.  The open is a request: on the ring io-wq waits
 * (an OPENAT with O_TRUNC is never tried inline), not this worker with
 * the other files it has in flight.  If it cannot be opened, -f replaces
 * it (cp unlinks it).
 */
static void file_into_special(struct worker *w, struct job *j)
{
	struct req *r = req_get(w, j, OP_OPENAT);

	j->state = J_SPECOPEN;
	r->fd = j->dir->dfd;
	r->path = j->dname;
	r->oflags = O_WRONLY | O_TRUNC | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC;
	req_submit(w, j, r);
}

static void file_on_specopen(struct worker *w, struct job *j, struct req *r)
{
	assert(r->op == OP_OPENAT);
	if (r->res < 0 && w->run->cfg.force) {
		j->into_special = false;
		j->keep_dst_mode = false;
		j->forced = true;
		file_create_tmp(w, j);
		return;
	}
	if (r->res < 0) {
		job_fail(w, j, -r->res, true, "cannot create regular file %s");
		job_close(w, j);
		return;
	}
	j->tfd = r->res;
	j->inplace = true;
	atomic_fetch_add(&w->run->bytes_total, j->stx.stx_size);
	if (stream_copy(w, j, NULL) < 0) {
		job_close(w, j);
		return;
	}
	file_finish_data(w, j);
}

/*
 * The contents of a FIFO or device source, copied into a new regular file
 * (cp without -r, as in cp /dev/null f, or with --copy-contents).  Opened
 * blocking, as cp opens it: a FIFO waits for a writer (O_NONBLOCK would
 * read an empty FIFO as its end).
 */
static void stream_open(struct worker *w, struct job *j)
{
	int fd = openat(j->dir->sfd, j->name, O_RDONLY | O_NOCTTY | O_CLOEXEC |
						     (j->deref ? 0 : O_NOFOLLOW));

	if (fd < 0) {
		j->announce = true;
		job_fail(w, j, errno, false, "cannot open %s for reading");
		job_close(w, j);
		return;
	}
	j->sfd = fd;
	file_create_tmp(w, j);
}

/* ... and once its temp file is open: copy, then as a regular file. */
static void stream_contents(struct worker *w, struct job *j)
{
	int64_t n = stream_copy(w, j, j->xs && (w->run->cfg.verify ||
						w->run->cfg.manifest) ?
					      j->xs : NULL);

	if (n < 0) {
		job_close(w, j);
		return;
	}
	j->stx.stx_mode = S_IFREG | (j->stx.stx_mode & 07777);
	j->stx.stx_size = (uint64_t)n;
	j->hash_off = (uint64_t)n;
	file_finish_data(w, j);
}

/* The permission bits a new entry starts from: the source's, or with
 * --no-preserve=mode cp's defaults, 0777 for directories (which keep
 * their sticky bit, as mkdir does) and sockets and 0666 for the rest.
 * The umask applies to both. */
static mode_t new_perms(const struct copy_run *run, const struct statx *stx)
{
	if (!run->cfg.default_mode)
		return stx->stx_mode & 07777;
	if (S_ISDIR(stx->stx_mode))
		return 0777 | (stx->stx_mode & S_ISVTX);
	return S_ISSOCK(stx->stx_mode) ? 0777 : 0666;
}

/*
 * --sync --inplace, before the file itself is opened: with --backup it is
 * first copied to its backup (a link would share the inode being
 * written), once, not again when retried; then a read-only one of ours
 * is made writable, as rsync does (its mode is set after the data).
 * False when the backup failed (reported; the job is over).
 */
static bool inplace_prepare(struct worker *w, struct job *j)
{
	struct sync_state *ss = w->run->cfg.sync;

	if (ss->o->backup && !j->backed_up) {
		char *rel = job_rel(j);
		int err = rel ? sync_backup_copy(ss, j->dir->dfd, j->dname,
						 rel) : ENOMEM;

		free(rel);
		j->backed_up = true;
		if (err) {
			job_fail(w, j, err, true, "cannot back up %s");
			job_close(w, j);
			return false;
		}
	}
	(void)sync_open_to_us(ss, j->dir->dfd, j->dname, j->dstx.stx_mode,
			      j->dstx.stx_uid, S_IWUSR);
	return true;
}

static void file_create_tmp(struct worker *w, struct job *j)
{
	struct req *r;
	mode_t mode = new_perms(w->run, &j->stx) & 0777;

	if (j->into_special) {
		file_into_special(w, j);
		return;
	}
	if (j->keep_dst_mode)
		mode = j->dstx.stx_mode & 07777;
	j->state = J_TMPFILE;
	r = req_get(w, j, OP_OPENAT);
	r->fd = j->dir->dfd;
	r->path = ".";
	/* --verify reads the copy back through the same fd. */
	r->oflags = O_TMPFILE | (w->run->cfg.verify ? O_RDWR : O_WRONLY) |
		    O_CLOEXEC;
	r->mode = mode;
	j->staged = false;
	if (j->dir->stage && !j->dst_exists && !j->no_stage) {
		/* In a tree built under a temp name: its own name. */
		j->named_tmp = j->staged = true;
		snprintf(j->tmpname, sizeof(j->tmpname), "%s", j->dname);
		r->path = j->tmpname;
		r->oflags = O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
			    (w->run->cfg.verify ? O_RDWR : O_WRONLY);
	} else if (atomic_load(&j->dir->no_tmpfile) ||
		   (j->dst_exists && j->stx.stx_size < NAMED_TMP_MAX)) {
		/* FUSE, NFS, vfat...: a named temp, renamed into place.
		 * Also a small file replacing one: O_TMPFILE would need a
		 * LINKAT to a temp name before the RENAMEAT, a third
		 * operation io-wq runs, and ext4's orphan list (-rT over a
		 * copy of 5,000 files: 7-12% less time).  A killed run
		 * leaves such a temp only for as long as one small file
		 * takes to write; sweep_temps() removes it.  A large file
		 * stays O_TMPFILE: a crash frees its blocks. */
		j->named_tmp = true;
		r->path = temp_name(w, j);
		r->oflags = O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
			    (w->run->cfg.verify ? O_RDWR : O_WRONLY);
	}
	if (w->run->cfg.attr_only && j->dst_exists &&
	    S_ISREG(j->dstx.stx_mode) && w->run->cfg.backup == BACKUP_NONE &&
	    !w->run->cfg.remove_dest) {
		/* --attributes-only: the file keeps its data (cp opens it
		 * without O_TRUNC); only its attributes change.  Not with
		 * --remove-destination, where cp makes a new, empty file. */
		j->inplace = true;
		r->path = j->dname;
		r->oflags = O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
	} else if (w->run->cfg.sync && w->run->cfg.sync->o->inplace &&
		   j->dst_exists && S_ISREG(j->dstx.stx_mode)) {
		/* --inplace: write over the file itself (not atomic). */
		if (!inplace_prepare(w, j)) {
			req_put(w, r);
			return;
		}
		j->inplace = true;
		r->path = j->dname;
		r->oflags = (w->run->cfg.verify ? O_RDWR : O_WRONLY) |
			    O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
	} else if (j->keep_dst_mode && j->tmp_denied) {
		/* A file we may write, in a directory where we may not
		 * create: write into it, as cp always does (not atomic,
		 * as in cp), rather than fail where cp succeeds. */
		j->inplace = true;
		r->path = j->dname;
		r->oflags = (w->run->cfg.verify ? O_RDWR : O_WRONLY) |
			    O_TRUNC | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
	}
	if (j->inplace)
		j->named_tmp = false;	/* no temp: the file itself */
	r->beneath = 1;
	req_submit(w, j, r);
}

static void file_on_open(struct worker *w, struct job *j, struct req *r)
{
	assert(r->op == OP_OPENAT);
	if (r->res < 0) {
		if (r->res == -ELOOP && !j->deref) {
			/* Became a symlink since the listing: copy as such. */
			j->dtype = DT_UNKNOWN;
			stat_source(w, j);
			return;
		}
		if (r->res == -EACCES || (j->dst_exists && !j->checked &&
					  !w->run->cfg.sync)) {
			/* In a directory that may be read but not searched,
			 * cp's lstat fails first: say what it says.  And cp
			 * decides about an existing destination before it
			 * opens the source: -n, -u, -i and a directory in
			 * the way come first. */
			enum jstate before = j->state;

			if (statx(j->dir->sfd, j->name,
				  j->deref ? 0 : AT_SYMLINK_NOFOLLOW,
				  STATX_BASIC_STATS, &j->stx) < 0) {
				job_fail(w, j, errno, false, "cannot stat %s");
				job_close(w, j);
				return;
			}
			if (j->dst_exists && !w->run->cfg.sync &&
			    !check_existing(w, j)) {
				if (j->state == before)
					job_close(w, j);
				return;
			}
		}
		j->announce = true;
		job_fail(w, j, -r->res, false, "cannot open %s for reading");
		job_close(w, j);
		return;
	}
	j->sfd = r->res;
	j->state = J_FSTAT;
	r = req_get(w, j, OP_STATX);
	r->fd = j->sfd;
	r->path = "";
	r->oflags = AT_EMPTY_PATH;
	r->addr = &j->stx;
	req_submit(w, j, r);
}

/*
 * A file of the kernel's pseudo filesystems (/proc, /sys, debugfs, ...)
 * has no size to trust: /proc says 0 bytes, /sys 4096, and the contents
 * are made as they are read.  cp reads such a file to its end; so does
 * ucp (j->stream), where the chunked copy, which reads what statx
 * promised, would report it as changed.  Such files have no blocks and an
 * anonymous device: only those are asked about, with fstatfs, once per
 * device and worker.
 */
static bool size_unreliable(struct worker *w, const struct job *j)
{
	uint64_t dev = dev_of(j->stx.stx_dev_major, j->stx.stx_dev_minor);
	struct statfs sf;

	if (j->stx.stx_blocks || j->stx.stx_dev_major)
		return false;
	if (w->pseudo_known && w->pseudo_dev == dev)
		return w->pseudo;
	if (fstatfs(j->sfd, &sf) < 0)
		return false;
	switch (sf.f_type) {
	case PROC_SUPER_MAGIC: case SYSFS_MAGIC: case DEBUGFS_MAGIC:
	case TRACEFS_MAGIC: case SECURITYFS_MAGIC: case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC: case PSTOREFS_MAGIC: case BPF_FS_MAGIC:
	case SELINUX_MAGIC: case SMACK_MAGIC:
	case 0x62656570:	/* configfs */
		w->pseudo = true;
		break;
	default:
		w->pseudo = false;
	}
	w->pseudo_dev = dev;
	w->pseudo_known = true;
	return w->pseudo;
}

static void file_on_fstat(struct worker *w, struct job *j, struct req *r)
{
	assert(r->op == OP_STATX);
	if (r->res < 0) {
		job_fail(w, j, -r->res, false, "cannot stat %s");
		job_close(w, j);
		return;
	}
	if (!S_ISREG(j->stx.stx_mode)) {
		/* Not what the listing said (raced, or DT_UNKNOWN was
		 * guessed wrong): close and handle it by its real type. */
		close(j->sfd);
		j->sfd = -1;
		j->dtype = DT_UNKNOWN;
		stat_source(w, j);
		return;
	}
	j->stream = size_unreliable(w, j);
	if (!check_existing(w, j)) {
		if (j->state == J_FSTAT)	/* not parked or linking */
			job_close(w, j);
		return;
	}
	j->announce = true;
	if (hl_member(w->run, j) && !hl_start(w, j))
		return;
	file_create_tmp(w, j);
}

/*
 * Out of space with many files in flight, every one of them can fail,
 * where cp, writing one file at a time, completes those that fit.  So the
 * first ENOSPC of a file is not reported: its temp is dropped (freeing its
 * blocks) and it waits to be retried alone, and from then on each worker
 * admits new work only when idle.  A second ENOSPC is reported as usual.
 */
static void space_defer(struct worker *w, struct job *j)
{
	job_unfix(w, j);
	if (j->tfd >= 0)
		close(j->tfd);
	j->tfd = -1;
	if (j->named_tmp)
		unlinkat(j->dir->dfd, j->tmpname, 0);
	j->named_tmp = j->staged = false;
	j->err = 0;
	j->nospc = false;
	j->space_retried = true;
	j->state = J_SPACEWAIT;
	fifo_push(&w->spacewait, j);
	atomic_store(&w->run->space_low, true);
}

/*
 * --reflink (auto by default, as in cp 9): share the source's extents
 * with FICLONE instead of copying (btrfs, xfs, ...).  No io_uring op
 * exists for it; it is one ioctl, metadata only.  Returns true when the
 * job has moved on (cloned, or failed with --reflink=always).
 */
static bool try_clone(struct worker *w, struct job *j)
{
	struct copy_run *run = w->run;
	uint64_t sdev = dev_of(j->stx.stx_dev_major, j->stx.stx_dev_minor);
	uint64_t ddev = j->dir->ddev;

	if (run->cfg.reflink == REFLINK_NEVER || !j->stx.stx_size)
		return false;
	if (run->cfg.reflink == REFLINK_AUTO && sdev == w->noclone_src &&
	    ddev == w->noclone_dst)
		return false;
	j->clone_tried = true;
	if (ioctl(j->tfd, FICLONE, j->sfd) == 0) {
		j->cloned = true;
		atomic_fetch_add(&run->bytes_done, j->stx.stx_size);
		file_finish_data(w, j);
		return true;
	}
	if (run->cfg.reflink == REFLINK_ALWAYS) {
		job_fail2(w, j, errno, true, "failed to clone %s from %s");
		job_close(w, j);
		return true;
	}
	if (errno == EOPNOTSUPP || errno == EXDEV || errno == EINVAL ||
	    errno == ENOTTY || errno == EBADF) {
		w->noclone_src = sdev;
		w->noclone_dst = ddev;
	}
	return false;
}

/*
 * An entry made over an existing one fails at its temp name where the
 * directory may not be written.  cp first moves the old entry aside
 * (-b), or removes it where cp_unlinks_first(), and that is what it
 * reports: the message for err, or NULL when the make's own is cp's too
 * (a file without -b: cp writes into the old one; -l: the link fails).
 * cp fails so before its -v line: with a message, j goes unlisted.
 * With -f, cp removes a file it could not open, after its -v line.
 */
static const char *replace_fails(const struct worker *w, struct job *j,
				 int err)
{
	const struct copy_config *cfg = &w->run->cfg;
	const char *why = NULL;

	if (!j->dst_exists || cfg->sync || cfg->symbolic_link ||
	    (err != EACCES && err != EPERM && err != EROFS))
		return NULL;
	if (cfg->backup != BACKUP_NONE)
		why = "cannot backup %s";
	else if (cp_unlinks_first(w->run, j))
		why = "cannot remove %s";
	else if (j->forced)	/* -f: after its open failed, and its -v line */
		return "cannot remove %s";
	if (why)
		j->announce = false;
	return why;
}

static void file_on_tmpfile(struct worker *w, struct job *j, struct req *r)
{
	const char *why;

	assert(r->op == OP_OPENAT);
	if ((r->res == -EOPNOTSUPP || r->res == -EISDIR) && !j->named_tmp &&
	    !j->inplace) {
		/* This filesystem has no O_TMPFILE (EISDIR: an old kernel). */
		atomic_store(&j->dir->no_tmpfile, true);
		file_create_tmp(w, j);
		return;
	}
	if (r->res == -EEXIST && j->staged) {
		/* Someone else writes into the staged tree: replace what
		 * they made, atomically, as anywhere else. */
		j->named_tmp = j->staged = false;
		j->no_stage = true;
		file_create_tmp(w, j);
		return;
	}
	if (r->res == -EEXIST && j->named_tmp) {
		file_create_tmp(w, j);	/* temp name taken: next name */
		return;
	}
	if ((r->res == -ENOSPC || r->res == -EDQUOT) && !j->space_retried) {
		j->named_tmp = j->staged = false;
		space_defer(w, j);	/* out of inodes: retry alone */
		return;
	}
	if (r->res < 0 && (why = replace_fails(w, j, -r->res))) {
		job_fail(w, j, -r->res, true, why);
		job_close(w, j);
		return;
	}
	if ((r->res == -EACCES || r->res == -EPERM) && j->keep_dst_mode &&
	    !j->inplace && !j->tmp_denied) {
		/* A directory we may not write to: cp writes into the
		 * existing file. */
		j->tmp_denied = true;
		j->named_tmp = j->staged = false;
		file_create_tmp(w, j);
		return;
	}
	if (r->res < 0) {
		job_fail(w, j, -r->res, true, "cannot create regular file %s");
		job_close(w, j);
		return;
	}
	j->tfd = r->res;
	atomic_fetch_add(&w->run->bytes_total, j->stx.stx_size);
	if (w->run->cfg.progress != PROGRESS_NONE) {
		pthread_mutex_lock(&w->run->prog_lock);
		snprintf(w->run->cur, sizeof(w->run->cur), "%s", j->name);
		pthread_mutex_unlock(&w->run->prog_lock);
	}
	if (j->keep_dst_mode && !j->inplace) {
		/* The file being replaced keeps its owner (as root) and exact
		 * mode (O_TMPFILE applied the umask), each set only where it
		 * differs, as for -p; best effort, as before. */
		struct meta_result res;

		meta_apply_fd(j->tfd, -1, &j->dstx, PRESERVE_MODE |
			      (w->run->is_root ? PRESERVE_OWNERSHIP : 0),
			      true, &res);
		/* ... and its xattrs and ACLs (best effort, as the owner:
		 * an old file we cannot read keeps only its mode). */
		(void)meta_keep_xattrs(j->dir->dfd, j->dname, j->tfd,
				       !(w->run->cfg.preserve & PRESERVE_MODE));
	}
	if (w->run->cfg.attr_only) {
		file_finish_data(w, j);	/* no data: attributes, publish */
		return;
	}
	/* (A clone is hashed too: --verify reads it back.) */
	if (w->run->cfg.verify || w->run->cfg.manifest) {
		if (!j->xs)
			j->xs = XXH3_createState();
		if (!j->xs) {
			job_fail(w, j, ENOMEM, false, "cannot hash %s");
			job_close(w, j);
			return;
		}
		XXH3_128bits_reset(j->xs);
	}
	if (try_clone(w, j))
		return;
	j->state = J_COPY;
	j->next_off = 0;
	j->eof_off = UINT64_MAX;
	j->planned_all = false;
	j->changed = false;
	/* Fewer blocks than bytes: there are holes (cp's test too).  Dense
	 * files never pay for the extent lookups. */
	j->sparse = j->stx.stx_size > 0 && (!j->inplace || j->tmp_denied) &&
		    w->run->cfg.sparse != SPARSE_NEVER &&
		    j->stx.stx_blocks * 512 < j->stx.stx_size;
	j->zero_holes = j->stx.stx_size > 0 &&
			(!j->inplace || j->tmp_denied) &&
			w->run->cfg.sparse == SPARSE_ALWAYS;
	j->data_end = j->sparse ? 0 : UINT64_MAX;
	j->wb_off = 0;
	j->wb_pending = 0;
	j->hash_off = 0;
	if (j->stream) {
		stream_contents(w, j);
		return;
	}
	/* A file of many requests saves an fd lookup on each with fixed
	 * files; small files would only pay the two registration calls. */
	if (j->stx.stx_size >= FIXED_FILE_MIN_CHUNKS * w->run->cfg.chunk &&
	    !w->no_fixed) {
		j->fslot = engine_fix_pair(w->eng, j->sfd, j->tfd);
		if (j->fslot == -EOPNOTSUPP)
			w->no_fixed = true;
	}
	copy_pump(w, j);
}

static void chunk_read(struct worker *w, struct job *j, unsigned ci,
		       uint64_t off, unsigned want, bool link)
{
	struct chunk *c = &j->chunk[ci];
	char *base = bufpool_addr(&w->bp, c->buf);
	struct req *r;

	c->off = off;
	c->want = want;
	c->got = c->wrote = 0;
	c->linked = link;
	c->read_failed = false;
	c->hash_wait = false;
	r = req_get(w, j, OP_READ);
	r->fd = j->fslot >= 0 ? j->fslot : j->sfd;
	r->fixed = j->fslot >= 0;
	r->addr = base;
	r->len = want;
	r->off = off;
	r->buf = c->buf;
	r->tag = (uint8_t)ci;
	r->link = link;
	c->pending++;
	req_submit(w, j, r);
	if (link) {
		r = req_get(w, j, OP_WRITE);
		r->fd = j->fslot >= 0 ? j->fslot + 1 : j->tfd;
		r->fixed = j->fslot >= 0;
		r->addr = base;
		r->len = want;
		r->off = off;
		r->buf = c->buf;
		r->tag = (uint8_t)ci;
		c->pending++;
		req_submit(w, j, r);
	}
}

#define HOLE_BLOCK 4096

static bool all_zero(const char *p, size_t n)
{
	return !n || (!p[0] && !memcmp(p, p + 1, n - 1));
}

/* The bytes of c at pos up to the end of pos's block (blocks aligned in
 * the file, so that a skipped one can be a hole), but no further than
 * what was read. */
static unsigned block_at(const struct chunk *c, unsigned pos)
{
	unsigned left = HOLE_BLOCK - (unsigned)((c->off + pos) % HOLE_BLOCK);

	return left < c->got - pos ? left : c->got - pos;
}

/*
 * --sparse=always: count the all-zero blocks at the start of what is left
 * of c as written (they stay holes; the file gets its size at the end)
 * and return the length of the data up to the next zero block.
 */
static unsigned zero_skip(struct worker *w, struct chunk *c)
{
	const char *buf = bufpool_addr(&w->bp, c->buf);
	unsigned pos = c->wrote, end;

	while (pos < c->got && all_zero(buf + pos, block_at(c, pos)))
		pos += block_at(c, pos);
	atomic_fetch_add(&w->run->bytes_done, pos - c->wrote);
	c->wrote = pos;
	for (end = pos; end < c->got && !all_zero(buf + end, block_at(c, end));)
		end += block_at(c, end);
	return end - pos;
}

/* Write what is left of c's data (--sparse=always: its next run of
 * non-zero blocks).  Returns false when nothing is left to write. */
static bool chunk_write(struct worker *w, struct job *j, unsigned ci)
{
	struct chunk *c = &j->chunk[ci];
	unsigned len = j->zero_holes ? zero_skip(w, c) : c->got - c->wrote;
	struct req *r;

	if (!len)
		return false;
	r = req_get(w, j, OP_WRITE);
	r->fd = j->fslot >= 0 ? j->fslot + 1 : j->tfd;
	r->fixed = j->fslot >= 0;
	r->addr = bufpool_addr(&w->bp, c->buf) + c->wrote;
	r->len = len;
	r->off = c->off + c->wrote;
	r->buf = c->buf;
	r->tag = (uint8_t)ci;
	c->pending++;
	req_submit(w, j, r);
	return true;
}

static void chunk_idle(struct worker *w, struct job *j, unsigned ci)
{
	bufpool_put(&w->bp, j->chunk[ci].buf);
	j->chunk[ci].buf = -1;
	j->chunk[ci].hash_wait = false;
	j->nchunks--;
}

static void writeback_kick(struct worker *w, struct job *j, uint64_t end,
			   bool last);

/* A chunk's data is written (and hashed): read the rest of a partial
 * chunk, or give the buffer back. */
static void chunk_next(struct worker *w, struct job *j, unsigned ci)
{
	struct chunk *c = &j->chunk[ci];

	c->hash_wait = false;
	if (c->got < c->want) {
		/* Partial read: continue the same chunk where it stopped. */
		chunk_read(w, j, ci, c->off + c->got, c->want - c->got, false);
		return;
	}
	if (c->off + c->got > j->stx.stx_size)
		j->changed = true;
	writeback_kick(w, j, c->off + c->got, false);
	chunk_idle(w, j, ci);
}

/*
 * --verify hashes the source in file order while chunks complete in any
 * order: a written chunk is hashed only when no chunk before it is still
 * in flight (chunks are planned in increasing offsets), otherwise it keeps
 * its buffer and waits.  A gap before it can only be holes of a sparse
 * source, which hash as the zeros they read as.
 */
static bool chunk_hashable(const struct job *j, unsigned ci)
{
	for (unsigned k = 0; k < MAX_FILE_CHUNKS; k++)
		if (k != ci && j->chunk[k].buf >= 0 &&
		    j->chunk[k].off < j->chunk[ci].off)
			return false;
	return true;
}

static const char zeros[64 * 1024];

static void hash_zeros(XXH3_state_t *xs, uint64_t n)
{
	while (n) {
		size_t k = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);

		XXH3_128bits_update(xs, zeros, k);
		n -= k;
	}
}

static void chunk_hash(struct worker *w, struct job *j, unsigned ci)
{
	struct chunk *c = &j->chunk[ci];

	assert(c->off >= j->hash_off);
	hash_zeros(j->xs, c->off - j->hash_off);
	XXH3_128bits_update(j->xs, bufpool_addr(&w->bp, c->buf), c->got);
	j->hash_off = c->off + c->got;
}

/* After a failure, parked chunks will never be hashed: free them. */
static void drop_parked(struct worker *w, struct job *j)
{
	for (unsigned k = 0; k < MAX_FILE_CHUNKS; k++)
		if (j->chunk[k].buf >= 0 && j->chunk[k].hash_wait) {
			j->chunk[k].hash_wait = false;
			chunk_idle(w, j, k);
		}
}

static void file_publish(struct worker *w, struct job *j);

/*
 * Issue reads while the file has chunks to plan and buffers allow; when
 * everything is read and written, check the file did not change and
 * publish it.  Full chunks inside the size seen at statx go out as linked
 * READ->WRITE pairs; the last read asks for one byte more than is left, so
 * that its result also proves EOF (or shows the file grew).
 */
/*
 * Sparse source: move next_off to the next data extent and set data_end to
 * its end (plain lseek calls, one pair per extent).  Past the last extent,
 * next_off goes to the end of the file, where the EOF-proving read is made.
 */
static void next_extent(struct job *j, uint64_t plan)
{
	off_t data, hole;

	data = lseek(j->sfd, (off_t)j->next_off, SEEK_DATA);
	if (data < 0) {
		/* ENXIO: only a hole is left.  Anything else: read it all. */
		if (errno == ENXIO && j->next_off < j->stx.stx_size)
			j->next_off = j->stx.stx_size;
		j->data_end = UINT64_MAX;
		return;
	}
	hole = lseek(j->sfd, data, SEEK_HOLE);
	j->next_off = (uint64_t)data;
	j->data_end = hole < 0 || (uint64_t)hole >= plan ? UINT64_MAX :
							   (uint64_t)hole;
}

/*
 * Register the worker's buffers once it has taken as many as its pool
 * holds.  Pinning them (8 MiB for a tree) takes 3-5 ms, more than a small
 * copy's whole run: ucp -r of a directory of three files on tmpfs took
 * 4.97 ms, now 1.73 ms (cp 1.27 ms; medians of 30); a large file or a
 * tree of thousands still registers after its first 64 chunks.
 */
static void want_bufs(struct worker *w)
{
	if (!w->bufs_wanted && ++w->bufs_taken >= w->bp.count) {
		w->bufs_wanted = true;
		engine_want_bufs(w->eng);
	}
}

static void copy_pump(struct worker *w, struct job *j)
{
	struct copy_run *run = w->run;
	uint64_t size = j->stx.stx_size;
	uint64_t plan = size + (uint64_t)run->cfg.overread * run->cfg.chunk;
	size_t chunk = run->cfg.chunk;

	assert(j->state == J_COPY);
	if (j->err || copy_stop_signal)
		drop_parked(w, j);
	while (!j->planned_all && !j->err && !copy_stop_signal &&
	       j->nchunks < run->cfg.file_chunks) {
		unsigned ci;
		bool link;
		unsigned want;

		/* The first buffer waits its turn; more are taken only when
		 * nobody is waiting, so small files are never starved. */
		if (!w->bp.nfree || (j->nchunks && w->bufwait.head))
			break;
		want_bufs(w);
		for (ci = 0; j->chunk[ci].buf >= 0; ci++)
			;
		j->chunk[ci].buf = bufpool_get(&w->bp);
		j->nchunks++;
		if (j->sparse && j->next_off >= j->data_end)
			next_extent(j, plan);
		/* --sparse=always looks at the data before writing it. */
		if (j->data_end < plan) {
			/* Inside a data extent that a hole follows. */
			want = (unsigned)(j->data_end - j->next_off < chunk ?
					  j->data_end - j->next_off : chunk);
			link = w->eng->link_rw && !j->zero_holes;
		} else if (j->next_off + chunk <= plan) {
			want = (unsigned)chunk;
			link = w->eng->link_rw && !j->zero_holes;
		} else {
			want = (unsigned)(plan - j->next_off + 1);
			link = false;
			j->planned_all = true;
		}
		chunk_read(w, j, ci, j->next_off, want, link);
		j->next_off += want;
	}
	if (!j->nchunks && j->planned_all && !j->err && !copy_stop_signal)
		writeback_kick(w, j, size, true);
	if (j->nchunks || j->wb_pending)
		return;
	if (!j->planned_all && !j->err && !copy_stop_signal) {
		job_wait_buf(w, j);
		return;
	}
	if (j->nospc && !copy_stop_signal) {
		space_defer(w, j);
		return;
	}
	if (j->err || copy_stop_signal) {
		job_close(w, j);
		return;
	}
	if (j->changed || j->eof_off != size) {
		job_fail(w, j, 0, false, "%s: file changed as we read it");
		job_close(w, j);
		return;
	}
	file_finish_data(w, j);
}

/* Tests only (UCP_TEST_CORRUPT): flip a byte of the copy in the middle,
 * after it was written, as a disk losing a write would. */
static void test_corrupt(struct worker *w, struct job *j)
{
	off_t at = (off_t)(j->stx.stx_size / 2);
	unsigned char b;

	if (!w->run->cfg.test_corrupt || !j->stx.stx_size ||
	    !strstr(j->dname, w->run->cfg.test_corrupt) ||
	    pread(j->sfd, &b, 1, at) != 1)
		return;
	b ^= 0xff;
	(void)!pwrite(j->tfd, &b, 1, at);
}

/*
 * --fsync and --verify, before the copy gets its name.  The fsync is an
 * FSYNC on the ring, so that the worker's other files go on meanwhile and
 * the filesystem commits many files' fsyncs together (a blocking fsync in
 * the worker cost --fsync 12x cp -r on 25,000 small files).  fsync's first
 * report is the one that counts (after a failed writeback a second fsync
 * can succeed with the data lost), so a failure fails the file.  --verify
 * then drops the copy's clean pages and reads it back through the ring,
 * one buffer at a time, so that the data compared comes from the disk, not
 * from the page cache that wrote it, and compares its hash with the
 * source's, taken as the source was read (or, for a clone, read now).
 * FIFOs and devices written into are not read back.
 */
static void file_checked(struct worker *w, struct job *j);

static void file_check_start(struct worker *w, struct job *j)
{
	const struct copy_config *cfg = &w->run->cfg;
	struct req *r;

	if (j->into_special) {
		file_publish(w, j);
		return;
	}
	if (!cfg->fsync && !(cfg->verify && !cfg->attr_only)) {
		file_checked(w, j);
		return;
	}
	r = req_get(w, j, OP_FSYNC);
	j->state = J_FSYNC;
	r->fd = j->tfd;
	req_submit(w, j, r);
}

/* A check's req is back: a failure is reported (fmt, naming the copy),
 * and a failed or stopped job closed.  true: go on. */
static bool __attribute__((format(printf, 4, 0)))
check_req_ok(struct worker *w, struct job *j, const struct req *r,
	     const char *fmt)
{
	if (r->res < 0)
		job_fail(w, j, -r->res, true, fmt);
	if (j->err || copy_stop_signal) {
		job_close(w, j);
		return false;
	}
	return true;
}

static void file_on_fsync(struct worker *w, struct job *j, struct req *r)
{
	assert(r->op == OP_FSYNC);
	if (check_req_ok(w, j, r, "error syncing %s"))
		file_checked(w, j);
}

/* The source's hash, into j->digest.  false after a diagnostic. */
static bool file_digest(struct worker *w, struct job *j)
{
	size_t bufsz = w->bp.size;
	char *buf;
	int err;

	if (!j->cloned) {
		if (j->hash_off < j->stx.stx_size)
			hash_zeros(j->xs, j->stx.stx_size - j->hash_off);
		j->digest = XXH3_128bits_digest(j->xs);
		j->have_digest = true;
		return true;
	}
	buf = malloc(bufsz);
	err = buf ? hash_fd(j->sfd, buf, bufsz, &j->digest) : ENOMEM;
	free(buf);
	if (err) {
		job_fail(w, j, err, false, "error reading %s");
		return false;
	}
	j->have_digest = true;
	return true;
}

/* Synced if asked: hash, read back, or publish. */
static void file_checked(struct worker *w, struct job *j)
{
	const struct copy_config *cfg = &w->run->cfg;

	if (cfg->attr_only || (!cfg->verify && !cfg->manifest)) {
		file_publish(w, j);
		return;
	}
	if (!file_digest(w, j)) {
		job_close(w, j);
		return;
	}
	if (!cfg->verify) {
		file_publish(w, j);
		return;
	}
	(void)posix_fadvise(j->tfd, 0, 0, POSIX_FADV_DONTNEED);
	XXH3_128bits_reset(j->xs);
	j->hash_off = 0;	/* now: bytes of the copy read back */
	j->state = J_VERIFY;
	verify_pump(w, j);
}

/*
 * The next read of the copy, into the job's one buffer (chunk 0).  Each
 * asks for one byte more than should be left, so that the read that ends
 * the file also proves its end; a short read before that is continued.
 */
static void verify_pump(struct worker *w, struct job *j)
{
	struct chunk *c = &j->chunk[0];
	uint64_t left = j->stx.stx_size - j->hash_off;
	struct req *r;

	assert(j->state == J_VERIFY && j->hash_off <= j->stx.stx_size);
	if (c->buf < 0) {
		if (!w->bp.nfree) {
			job_wait_buf(w, j);
			return;
		}
		want_bufs(w);
		c->buf = bufpool_get(&w->bp);
		j->nchunks = 1;
	}
	r = req_get(w, j, OP_READ);
	r->fd = j->fslot >= 0 ? j->fslot + 1 : j->tfd;
	r->fixed = j->fslot >= 0;
	r->addr = bufpool_addr(&w->bp, c->buf);
	r->len = left < w->bp.size ? (unsigned)left + 1 : (unsigned)w->bp.size;
	r->off = j->hash_off;
	r->buf = c->buf;
	req_submit(w, j, r);
}

static void file_on_verify(struct worker *w, struct job *j, struct req *r)
{
	uint64_t size = j->stx.stx_size;
	XXH128_hash_t got;

	assert(r->op == OP_READ);
	if (!check_req_ok(w, j, r, "error reading back %s"))
		return;
	if (r->res > 0) {
		XXH3_128bits_update(j->xs, r->addr, (size_t)r->res);
		j->hash_off += (unsigned)r->res;
		/* Not at the end yet (or cut short): read on. */
		if (j->hash_off < size ||
		    (j->hash_off == size && (unsigned)r->res == r->len)) {
			verify_pump(w, j);
			return;
		}
	}
	job_release_bufs(w, j);
	got = XXH3_128bits_digest(j->xs);
	if (j->hash_off != size || !XXH128_isEqual(j->digest, got)) {
		job_fail(w, j, 0, true, "%s: verification failed: the data "
					"read back differs from the source");
		job_close(w, j);
		return;
	}
	file_publish(w, j);
}

/* The data is in place (copied or cloned): size, attributes, publish. */
static void file_finish_data(struct worker *w, struct job *j)
{
	struct copy_run *run = w->run;
	uint64_t size = j->stx.stx_size;

	/* Holes are skipped, not written: a trailing one needs the size;
	 * a file written in place may have been longer. */
	if ((((j->sparse || j->zero_holes) && !j->cloned) ||
	     (j->inplace && !j->into_special && !run->cfg.attr_only)) &&
	    ftruncate(j->tfd, (off_t)size) < 0) {
		job_fail(w, j, errno, true, "error writing %s");
		job_close(w, j);
		return;
	}
	if (!j->into_special)
		test_corrupt(w, j);
	if (run->cfg.preserve & PRESERVE_META) {
		struct meta_result res;

		meta_apply_fd(j->tfd, j->sfd, &j->stx, run->cfg.preserve,
			      run->is_root, &res);
		if (meta_failed(&res)) {
			char *d = dst_disp(j);

			report_meta(run, d ? d : j->dname, &res);
			free(d);
		}
	}
	/* After the attributes, so that --fsync makes them durable too. */
	file_check_start(w, j);
}

/* What a read of c returned decides what comes next for the chunk. */
static void chunk_written(struct worker *w, struct job *j, unsigned ci);

static void chunk_after_read(struct worker *w, struct job *j, unsigned ci)
{
	struct chunk *c = &j->chunk[ci];
	uint64_t size = j->stx.stx_size;

	if (c->got < c->want) {
		uint64_t end = c->off + c->got;

		/* Short: EOF if nothing came or it ends where statx said
		 * the file ends; otherwise a partial read to continue. */
		if (c->got == 0 || end == size) {
			if (end < j->eof_off)
				j->eof_off = end;
			c->want = c->got;	/* nothing to re-read */
		}
	} else if (c->off + c->got > size) {
		j->changed = true;	/* more data than statx promised */
	}
	if (c->got > c->wrote) {
		if (!chunk_write(w, j, ci))
			chunk_written(w, j, ci);	/* all zeros */
		return;
	}
	chunk_idle(w, j, ci);
	copy_pump(w, j);
}

/*
 * Large files: once `writeback` bytes past the last kick are written, ask
 * the kernel to start writing them out (SYNC_FILE_RANGE_WRITE waits for
 * nothing).  The disk then works while the copy goes on, instead of
 * taking all the dirty data at the end.  last: the file's data is all
 * written; a file of at least `writeback_tail` bytes gets its rest kicked
 * too (--fsync writes it out anyway).
 */
static void writeback_kick(struct worker *w, struct job *j, uint64_t end,
			   bool last)
{
	const struct copy_config *cfg = &w->run->cfg;
	struct req *r;

	/* At most two in flight: the request pool is sized for that, and a
	 * kick that waits for a busy disk is covered by the next one. */
	if (j->wb_pending >= 2 || end <= j->wb_off)
		return;
	if (last ? !cfg->writeback_tail || cfg->fsync ||
			   j->stx.stx_size < cfg->writeback_tail :
		   !cfg->writeback || end < j->wb_off + cfg->writeback)
		return;
	r = req_get(w, j, OP_SYNC_RANGE);
	r->fd = j->tfd;
	r->off = j->wb_off;
	/* 0: to the end of the file (the rest may pass 4 GiB when the
	 * periodic kicks are off). */
	r->len = last ? 0 : (unsigned)(end - j->wb_off);
	r->oflags = SYNC_FILE_RANGE_WRITE;
	j->wb_off = end;
	j->wb_pending++;
	req_submit(w, j, r);
}

static void file_on_copy(struct worker *w, struct job *j, struct req *r)
{
	unsigned ci = r->tag;
	struct chunk *c = &j->chunk[ci];

	if (r->op == OP_SYNC_RANGE) {
		/* Only a hint: its failure changes nothing. */
		j->wb_pending--;
		copy_pump(w, j);
		return;
	}
	assert(ci < MAX_FILE_CHUNKS && c->buf >= 0 && c->pending);
	c->pending--;
	if (r->op == OP_READ) {
		if (r->res < 0) {
			c->read_failed = true;
			job_fail(w, j, -r->res, false, "error reading %s");
		} else {
			c->got = (unsigned)r->res;
		}
		if (c->linked && !c->read_failed && c->got == c->want)
			return;		/* the linked write carries on */
		if (c->linked && c->pending)
			return;		/* wait for the cancelled write */
	} else {
		assert(r->op == OP_WRITE);
		if (r->res == -ECANCELED && c->linked) {
			/* The read was short or failed; it has completed
			 * (links complete in order) and c->got is known. */
			if (c->pending)
				return;
		} else if ((r->res == -ENOSPC || r->res == -EDQUOT) &&
			   !j->space_retried && !j->err) {
			j->nospc = true;	/* retried alone: see space_defer */
			j->err = -r->res;
		} else if (r->res < 0) {
			job_fail(w, j, -r->res, true, "error writing %s");
		} else if (r->res == 0) {
			job_fail(w, j, EIO, true, "error writing %s");
		} else {
			atomic_fetch_add(&w->run->bytes_done, (uint64_t)r->res);
			if (w->run->cfg.test_slow_us)
				usleep(w->run->cfg.test_slow_us);
			if (c->linked)
				c->wrote = c->want;
			else
				c->wrote += (unsigned)r->res;
			if (c->linked && (unsigned)r->res < c->want) {
				/* short linked write: keep what was written */
				c->wrote = (unsigned)r->res;
			}
			if (c->wrote < c->got && !j->err) {
				c->linked = false;
				if (chunk_write(w, j, ci))
					return;
			}
		}
	}
	if (c->pending)
		return;
	c->linked = false;
	if (j->err || c->read_failed) {
		chunk_idle(w, j, ci);
		copy_pump(w, j);
		return;
	}
	if (r->op == OP_READ || (r->op == OP_WRITE && r->res == -ECANCELED)) {
		chunk_after_read(w, j, ci);
		return;
	}
	chunk_written(w, j, ci);
}

/* Everything read into chunk ci is written: hash it (in file order),
 * then continue a partial read or free it, and plan more. */
static void chunk_written(struct worker *w, struct job *j, unsigned ci)
{
	if (!w->run->cfg.verify && !w->run->cfg.manifest) {
		chunk_next(w, j, ci);
	} else if (!chunk_hashable(j, ci)) {
		j->chunk[ci].hash_wait = true;	/* an earlier chunk is not done */
		return;
	} else {
		/* Hash it, and the parked chunks that are now in order. */
		do {
			chunk_hash(w, j, ci);
			chunk_next(w, j, ci);
			for (ci = 0; ci < MAX_FILE_CHUNKS; ci++)
				if (j->chunk[ci].buf >= 0 &&
				    j->chunk[ci].hash_wait &&
				    chunk_hashable(j, ci))
					break;
		} while (ci < MAX_FILE_CHUNKS);
	}
	copy_pump(w, j);
}

static void file_publish(struct worker *w, struct job *j)
{
	struct req *r;

	if (j->inplace) {
		entry_published(w, j);
		return;
	}
	if (j->named_tmp) {
		/* Where there is no O_TMPFILE (FUSE, NFS) close() can report
		 * a failed flush: close first, so that such a copy is never
		 * renamed into place (or left in a staged tree). */
		job_unfix(w, j);
		r = req_get(w, j, OP_CLOSE);
		j->state = J_PUBCLOSE;
		r->fd = j->tfd;
		j->tfd = -1;
		req_submit(w, j, r);
		return;
	}
	r = req_get(w, j, OP_LINKAT);

	j->state = J_PUBLISH;
	r->fd = j->tfd;
	r->path = "";
	r->fd2 = j->dir->dfd;
	r->oflags = AT_EMPTY_PATH;
	r->path2 = publish_name(w, j);
	req_submit(w, j, r);
}

static void file_rename(struct worker *w, struct job *j)
{
	struct req *r = req_get(w, j, OP_RENAMEAT);

	j->state = J_RENAME;
	r->fd = j->dir->dfd;
	r->path = j->tmpname;
	r->fd2 = j->dir->dfd;
	r->path2 = j->dname;
	/* A named temp taking a name that was free: never clobber what
	 * may have appeared since. */
	r->oflags = j->dst_exists ? 0 : RENAME_NOREPLACE;
	req_submit(w, j, r);
}

static bool ask_overwrite(struct worker *w, const struct job *j,
			  const struct statx *dt);

/* -u: is a's modification time before b's? */
static bool older(const struct statx *a, const struct statx *b)
{
	return a->stx_mtime.tv_sec < b->stx_mtime.tv_sec ||
	       (a->stx_mtime.tv_sec == b->stx_mtime.tv_sec &&
		a->stx_mtime.tv_nsec < b->stx_mtime.tv_nsec);
}

/*
 * The destination was missing when we looked, and something has taken
 * the name since (another process, while the copy ran).  cp looks just
 * before it creates, so -n, --update and -i decide on what is there now
 * as they would have then: -n keeps it, -u keeps it unless it is older
 * than the source, -i asks.  Otherwise it is replaced atomically, with
 * its backup under -b (entry_created()).  True when it stays: the caller
 * drops the copy.
 */
static bool appeared_stays(struct worker *w, struct job *j)
{
	const struct copy_config *cfg = &w->run->cfg;
	struct statx st;

	if (cfg->clobber == CLOBBER_NO || cfg->update == UPDATE_NONE)
		return true;
	if (cfg->update == UPDATE_ALL && cfg->clobber != CLOBBER_ASK)
		return false;
	if (statx(j->dir->dfd, j->dname, AT_SYMLINK_NOFOLLOW,
		  STATX_TYPE | STATX_MODE | STATX_MTIME, &st) < 0)
		return false;	/* gone again: the name is free */
	if (cfg->update == UPDATE_NONE_FAIL) {
		job_fail(w, j, 0, true, "not replacing %s");
		return true;
	}
	if (cfg->update == UPDATE_OLDER && !older(&st, &j->stx))
		return true;
	return cfg->clobber == CLOBBER_ASK && !ask_overwrite(w, j, &st);
}

static void file_on_publish(struct worker *w, struct job *j, struct req *r)
{
	assert(r->op == OP_LINKAT);
	if (r->res == -EEXIST && !j->dst_exists && appeared_stays(w, j)) {
		job_close(w, j);	/* the unnamed copy goes with its fd */
		return;
	}
	if (r->res == -EEXIST && !j->dst_exists) {
		/* Appeared since we looked: replace it atomically. */
		j->dst_exists = true;
		file_publish(w, j);
		return;
	}
	if (r->res == -EEXIST) {
		file_publish(w, j);	/* temp name taken: next name */
		return;
	}
	if (r->res < 0) {
		job_fail(w, j, -r->res, true, "cannot create regular file %s");
		job_close(w, j);
		return;
	}
	entry_created(w, j);
}

static void job_unlink_tmp(struct worker *w, struct job *j)
{
	struct req *r = req_get(w, j, OP_UNLINKAT);

	j->state = J_UNLINK;
	r->fd = j->dir->dfd;
	r->path = j->tmpname;
	req_submit(w, j, r);
}

static void job_on_rename(struct worker *w, struct job *j, struct req *r)
{
	assert(r->op == OP_RENAMEAT);
	if (r->res == -EEXIST && !j->dst_exists && appeared_stays(w, j)) {
		job_unlink_tmp(w, j);	/* as file_on_publish() */
		return;
	}
	if ((r->res == -EEXIST || r->res == -EINVAL) && !j->dst_exists) {
		/* Appeared since we looked (or the filesystem has no
		 * RENAME_NOREPLACE): replace it, as a LINKAT would,
		 * backing it up first under -b. */
		j->dst_exists = true;
		entry_created(w, j);
		return;
	}
	if (r->res < 0) {
		job_fail(w, j, -r->res, true,
			 j->tfd >= 0 ? "cannot create regular file %s" :
				       "cannot create symbolic link %s");
		job_unlink_tmp(w, j);
		return;
	}
	j->published = true;
	entry_published(w, j);
}

static void job_on_unlink(struct worker *w, struct job *j, struct req *r)
{
	(void)r;
	job_close(w, j);
}

static void file_on_pubclose(struct worker *w, struct job *j, struct req *r)
{
	assert(r->op == OP_CLOSE);
	if (r->res < 0 && r->res != -EINTR) {
		job_fail(w, j, -r->res, true, "failed to close %s");
		job_close(w, j);
		return;
	}
	entry_created(w, j);
}

static void job_on_close(struct worker *w, struct job *j, struct req *r)
{
	assert(r->op == OP_CLOSE);
	if (r->res < 0 && r->tag == 1)
		job_fail(w, j, -r->res, true, "failed to close %s");
	if (!j->pending)
		job_finish(w, j);
}

/* ------------------------------------------------------------------ */
/* the destination check for entries whose directory existed before */

/* "rwxr-sr-t": ls's nine permission characters of mode. */
static void perm_string(mode_t mode, char out[10])
{
	static const char rwx[] = "rwxrwxrwx";

	for (int i = 0; i < 9; i++)
		out[i] = mode & (0400 >> i) ? rwx[i] : '-';
	if (mode & S_ISUID)
		out[2] = mode & S_IXUSR ? 's' : 'S';
	if (mode & S_ISGID)
		out[5] = mode & S_IXGRP ? 's' : 'S';
	if (mode & S_ISVTX)
		out[8] = mode & S_IXOTH ? 't' : 'T';
	out[9] = '\0';
}

/* -i's question, in cp's words: a file we may not write to (dt: what
 * cp's stat of the destination saw) is named with its mode. */
static bool ask_overwrite(struct worker *w, const struct job *j,
			  const struct statx *dt)
{
	const struct copy_config *cfg = &w->run->cfg;
	char *d = dst_disp(j);
	const char *q = log_quote(d ? d : j->dname);
	char line[64], perms[10];
	bool yes;

	pthread_mutex_lock(&prompt_lock);
	if (S_ISLNK(dt->stx_mode) || w->run->is_root ||
	    faccessat(j->dir->dfd, j->dname, W_OK, AT_EACCESS) == 0) {
		log_prompt("overwrite %s? ", q);
	} else {
		perm_string(dt->stx_mode, perms);
		log_prompt(cfg->force || cfg->remove_dest ?
				   "replace %s, overriding mode %04o (%s)? " :
				   "unwritable %s (mode %04o, %s); try anyway? ",
			   q, (unsigned)(dt->stx_mode & 07777), perms);
	}
	yes = fgets(line, sizeof(line), stdin) &&
	      (line[0] == 'y' || line[0] == 'Y');
	pthread_mutex_unlock(&prompt_lock);
	free(d);
	return yes;
}

/*
 * Copying into a directory that existed, each entry's destination is
 * looked at first (a STATX, through io-wq).  After DMISS_LIST of them
 * found nothing, the directory is listed once (at most DMISS_NAMES
 * entries), and job_start() takes a name the listing lacks as missing
 * without a look: "ucp -r s/. d" into an empty d.  A directory where the
 * names are there (a copy over an earlier one, a no-op --sync) is never
 * listed.  The run's own entries appear after the listing, but each
 * name is made by its own job only.
 */
#define DMISS_LIST	8
#define DMISS_NAMES	8192

static void dir_missed(struct dnode *d)
{
	if (atomic_fetch_add(&d->dmiss, 1) + 1 != DMISS_LIST || d->dfd < 0)
		return;
	atomic_store_explicit(&d->dnames,
			      copy_list_names(d->dfd, ".", DMISS_NAMES, NULL),
			      memory_order_release);
}

static void job_on_dstat(struct worker *w, struct job *j, struct req *r)
{
	assert(r->op == OP_STATX);
	if (r->res == -ENOENT) {
		j->dst_exists = false;
		dir_missed(j->dir);
		job_start(w, j);
		return;
	}
	if (r->res < 0) {
		/* cp stats the source first, and omits a directory without
		 * -r before it looks at the destination. */
		if (!j->stx.stx_mask &&
		    statx(j->dir->sfd, j->name,
			  j->deref ? 0 : AT_SYMLINK_NOFOLLOW,
			  STATX_BASIC_STATS, &j->stx) < 0) {
			job_fail(w, j, errno, false, "cannot stat %s");
		} else if (S_ISDIR(j->stx.stx_mode) &&
			   !w->run->cfg.recursive) {
			stat_source(w, j);	/* omitting directory */
			return;
		} else {
			job_fail(w, j, -r->res, true, "cannot stat %s");
		}
		job_close(w, j);
		return;
	}
	j->dst_exists = true;
	/* The source's type decides what an existing destination means;
	 * directories merge, everything else is replaced. */
	stat_source(w, j);
}

/* ------------------------------------------------------------------ */
/* non-regular entries: stat, then by type */

static bool is_ancestor_or_self(int dirfd, const struct statx *src);
static void dir_open(struct worker *w, struct job *j);
static void open_source(struct worker *w, struct job *j, int extra);

/*
 * --sync: an unchanged file with other links.  The first of its group met
 * stands for the group; a later one that is not already the same inode at
 * the destination is relinked to it (its name replaced atomically), as
 * rsync -H does.  Returns true when the job went on (linking, or parked
 * until the group's first copy is published).
 */
static bool sync_hl_unchanged(struct worker *w, struct job *j)
{
	struct stat st;

	j->hl_relink = true;	/* its data stays: no backup of it */
	switch (hl_claim(w, j, false)) {
	case HL_FIRST:
		hl_published(w->run, j);
		return false;
	case HL_WAIT:
		hl_park(w, j);
		return true;
	case HL_LINK:
		if (hl_stat(j, &st) == 0 && hl_is_dest(j, &st)) {
			hl_release(w->run, j);
			return false;
		}
		if (w->run->cfg.sync->o->dry_run) {
			char *extra = j->hl->rel ? malloc(strlen(j->hl->rel) + 5) : NULL;

			j->items = ITEM_HLINK;
			if (extra)
				sprintf(extra, " => %s", j->hl->rel);
			job_report(w, j, extra);
			free(extra);
			hl_release(w->run, j);
			return false;
		}
		hl_link(w, j);
		return true;
	case HL_COPY:
	case HL_DEFER:	/* not for a non-copier */
		break;
	}
	return false;
}

/* Are a and b the same inode? */
static bool same_inode(const struct statx *a, const struct statx *b)
{
	return a->stx_ino == b->stx_ino &&
	       a->stx_dev_major == b->stx_dev_major &&
	       a->stx_dev_minor == b->stx_dev_minor;
}

/* --link-dest --backup: does DEST's copy hold the data the link brings
 * (then it is not backed up)?  The same content with --checksum, else the
 * same size and time: not --size-only's or --ignore-times' judgement,
 * which says nothing of the data. */
static bool ld_same_data(const struct sync_state *ss, const struct job *j)
{
	int err;

	if (ss->o->checksum)
		return sync_same_data(ss, &j->stx, &j->dstx, j->dir->sfd,
				      j->name, j->dir->dfd, j->dname, &err);
	return j->stx.stx_size == j->dstx.stx_size &&
	       !(sync_diff(ss, &j->stx, &j->dstx) & ITEM_TIME);
}

/* --link-dest for an entry DEST does not have (or has as another type):
 * true when the earlier snapshot has it the same, to be linked; else
 * j->items says what is new against what the snapshot has (rsync's -i). */
static bool sync_ld_new(struct sync_state *ss, struct job *j)
{
	unsigned items;

	if (j->dir->ldfd < 0)
		return false;
	switch (sync_ld_compare(ss, j->dir->ldfd, j->name, &j->stx,
				j->dir->sfd, j->name, &items, NULL)) {
	case LD_SAME:
		j->ld_link = true;
		j->items = 0;
		return true;
	case LD_DIFF:
		j->items = items;
		break;
	case LD_NONE:
		break;
	}
	return false;
}

/* --dry-run: would rmdir(dfd/name) fail?  0, or the errno it would
 * give (ENOTEMPTY for a directory with entries). */
static int dir_in_way(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					   O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int err = 0;

	if (!dir) {
		err = errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	while (!err && (errno = 0, de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			err = ENOTEMPTY;
	if (!err && errno)
		err = errno;
	closedir(dir);
	return err;
}

/*
 * --sync's decision for an entry whose source is known (j->stx) and whose
 * destination was looked at (j->dst_exists, j->dstx): skip it, fix only
 * its attributes, or go on to (re)create it (true).  Sets j->items.
 */
static bool sync_check(struct worker *w, struct job *j)
{
	struct sync_state *ss = w->run->cfg.sync;
	const struct sync_opts *o = ss->o;
	mode_t smode = j->stx.stx_mode;
	bool dry = o->dry_run, made_room = false;
	unsigned diff, fix;

	if (j->dir->root && sync_root_unlisted(ss))
		return true;	/* only a way to what is listed */
	xfer_count(&ss->stats, smode, S_ISREG(smode) || S_ISLNK(smode) ?
			      j->stx.stx_size : 0,
		   !j->dst_exists || (j->dir->root && ss->root_created));
	if (S_ISREG(smode) && !j->dir->root &&
	    (j->stx.stx_size > o->max_size || j->stx.stx_size < o->min_size))
		return false;
	if (j->dst_exists &&
	    (S_ISDIR(j->dstx.stx_mode) != S_ISDIR(smode))) {
		/* A directory where a file goes, or the other way round:
		 * what is there makes way (a directory only with --delete
		 * or when empty, as rsync). */
		bool ddir = S_ISDIR(j->dstx.stx_mode);
		char *rel, *dd;
		unsigned f = 0;

		/* --existing: the name exists, so it changes type, as in
		 * rsync. */
		if (o->ignore_existing)
			return false;
		if (!ddir) {
			/* A file where a directory goes: replaced, as rsync
			 * does, without a deletion of its own. */
			char *rel2 = job_rel(j);
			int err = 0;

			if (!dry && !sync_backs_up(ss, j->dname))
				err = unlinkat(j->dir->dfd, j->dname, 0) < 0 ?
				      errno : 0;
			else if (!dry)
				err = rel2 ? sync_backup(ss, j->dir->dfd,
							 j->dname, rel2, true) :
					     ENOMEM;
			free(rel2);
			if (err) {
				job_fail(w, j, err, true, "cannot remove %s");
				return false;
			}
		} else if (o->del == DEL_NONE) {
			int err = dry ? dir_in_way(j->dir->dfd, j->dname) :
				  unlinkat(j->dir->dfd, j->dname,
					   AT_REMOVEDIR) < 0 ? errno : 0;

			if (err) {
				/* rsync's notice on stdout, then the failure. */
				if (err == ENOTEMPTY || err == EEXIST) {
					char *r = job_rel(j);

					if (r)
						sync_kept_dir(r);
					free(r);
				}
				job_fail(w, j, err, true,
					 "could not make way for %s");
				return false;
			}
		} else {
			bool kept = false;

			rel = job_rel(j);
			dd = j->dir->root ? path_dir(j->dir->dpath) :
					    strdup(j->dir->dpath);
			f = rel && dd ? sync_delete_entry(ss, j->dir->dfd,
							  j->dname, ddir, rel,
							  dd, false, &kept) : 1;
			free(rel);
			free(dd);
			if (!f && kept) {	/* the filters or the limit */
				job_fail(w, j, ENOTEMPTY, true,
					 "could not make way for %s");
				return false;
			}
		}
		if (f) {
			j->err = EIO;
			atomic_fetch_add(&w->run->errors, f);
			return false;
		}
		j->dst_exists = false;
		made_room = true;	/* not a new name for --existing */
	}
	if (j->dir->root && ss->root_created) {
		unsigned items;

		/* Against --link-dest's own directory, as rsync. */
		j->items = ss->ld_root >= 0 &&
				   sync_ld_compare(ss, ss->ld_root, "", &j->stx,
						   -1, NULL, &items, NULL) == LD_DIFF ?
				   items : ITEM_NEW | ITEM_LOCAL;
		job_report(w, j, NULL);
		return true;
	}
	if (!j->dst_exists) {
		if (o->existing && !made_room)
			return false;
		j->items = ITEM_NEW | (S_ISREG(smode) ? ITEM_XFER : ITEM_LOCAL);
		if (sync_ld_new(ss, j))
			return !dry;
		if (dry) {
			job_report(w, j, NULL);
			return S_ISDIR(smode);
		}
		return true;
	}
	if (o->ignore_existing && !S_ISDIR(smode))
		return false;
	if (o->update && S_ISREG(smode) && S_ISREG(j->dstx.stx_mode) &&
	    sync_dst_newer(ss, &j->stx, &j->dstx))
		return false;	/* newer in DEST; rsync's -u is for files */
	diff = sync_diff(ss, &j->stx, &j->dstx);
	if ((smode & S_IFMT) != (j->dstx.stx_mode & S_IFMT)) {
		j->items = ITEM_NEW | (S_ISREG(smode) ? ITEM_XFER : ITEM_LOCAL);
		/* A file only: rsync makes other types anew here. */
		if (S_ISREG(smode) && sync_ld_new(ss, j))
			return !dry;	/* replaced by the link */
		goto replace;
	}
	switch (smode & S_IFMT) {
	case S_IFREG: {
		struct statx ls;
		unsigned items;
		int err;

		/* rsync links a file --link-dest has the same to it even
		 * when DEST's own copy is up to date (a run into a DEST that
		 * an earlier run left half done ends as if it had not). */
		if (j->dir->ldfd >= 0 &&
		    sync_ld_compare(ss, j->dir->ldfd, j->name, &j->stx,
				    j->dir->sfd, j->name, &items,
				    &ls) == LD_SAME &&
		    !same_inode(&ls, &j->dstx)) {
			/* rsync backs up nothing here; ucp keeps --backup's
			 * promise for data the link replaces, and makes no
			 * backup of the same data. */
			j->ld_link = true;
			j->items = 0;
			j->ld_same = o->backup && ld_same_data(ss, j);
			return !dry;
		}
		if (sync_same_data(ss, &j->stx, &j->dstx, j->dir->sfd, j->name,
				   j->dir->dfd, j->dname, &err))
			break;
		if (err) {
			job_fail(w, j, err, false, "cannot read %s");
			return false;
		}
		j->items = ITEM_XFER | diff | (o->checksum ? ITEM_CHECKSUM : 0);
		goto replace;
	}
	case S_IFLNK:
		if (sync_same_target(j->dir->sfd, j->name, j->dir->dfd,
				     j->dname))
			break;
		j->items = ITEM_LOCAL | ITEM_CHECKSUM | diff;
		goto replace;
	case S_IFCHR:
	case S_IFBLK:
		if (j->stx.stx_rdev_major == j->dstx.stx_rdev_major &&
		    j->stx.stx_rdev_minor == j->dstx.stx_rdev_minor)
			break;
		j->items = ITEM_LOCAL | ITEM_CHECKSUM | diff;
		goto replace;
	case S_IFDIR:
		/* Reported now, fixed when its last entry is done. */
		j->items = diff & ITEM_ATTRS;
		if (j->items)
			job_report(w, j, NULL);
		return true;
	default:
		break;
	}
	if (!S_ISLNK(smode) && j->stx.stx_nlink > 1 &&
	    (w->run->cfg.preserve & PRESERVE_LINKS)) {
		j->items = 0;
		if (sync_hl_unchanged(w, j))
			return false;	/* relinking: the job goes on */
	}
	/* The same data: only attributes may need fixing.  Another link of
	 * the same file may just have fixed them: look again. */
	if ((diff & ITEM_ATTRS) && j->stx.stx_nlink > 1 &&
	    statx(j->dir->dfd, j->dname, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS,
		  &j->dstx) == 0)
		diff = sync_diff(ss, &j->stx, &j->dstx);
	j->items = diff & ITEM_ATTRS;
	fix = j->items;
	/* rsync: a --checksum match gets the time to the nanosecond, and
	 * says nothing of it when only a fraction of a second was off. */
	if (o->checksum && S_ISREG(smode) && sync_time_off(&j->stx, &j->dstx))
		fix |= ITEM_TIME;
	if (!fix)
		return false;
	if (j->items)
		job_report(w, j, NULL);
	if (!dry) {
		const char *what = NULL;
		int err = sync_fix_attrs(ss, j->dir->dfd, j->dname, &j->stx,
					 fix, &what);

		if (err)
			job_fail(w, j, err, true, what);
	}
	return false;
replace:
	if (dry) {
		job_report(w, j, NULL);
		return false;
	}
	return true;
}

/* Are the source and the destination the same directory entry (not only
 * the same inode)? */
static bool same_entry(const struct job *j)
{
	struct stat a, b;

	return !strcmp(j->name, j->dname) && fstat(j->dir->sfd, &a) == 0 &&
	       fstat(j->dir->dfd, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* Is the source entry itself a symbolic link (when j->stx is what it
 * points to)? */
static bool src_is_link(const struct job *j)
{
	struct statx t;

	return statx(j->dir->sfd, j->name, AT_SYMLINK_NOFOLLOW, STATX_TYPE,
		     &t) == 0 && S_ISLNK(t.stx_mode);
}

/* The end of cp's same_file_ok(): with a symbolic link on either side
 * (and not on both, as copied symlinks), the two are the same file when
 * both lead to one inode.  Copying a link onto the file it points to
 * would replace that file's data by a link to itself; cp refuses, and so
 * does ucp.  A backup moves the old entry aside first, and
 * --remove-destination (or -s) replaces a destination link (dfollow is
 * then NULL: see dest_follow()), so both are allowed; -l links whatever
 * the names lead to. */
static bool symlink_onto_self(struct worker *w, struct job *j,
			      const struct statx *dfollow)
{
	const struct copy_config *cfg = &w->run->cfg;
	bool slink = !j->deref && S_ISLNK(j->stx.stx_mode);
	struct statx s;

	if (cfg->hard_link || cfg->clobber == CLOBBER_NO ||
	    cfg->backup != BACKUP_NONE)
		return false;
	if (S_ISLNK(j->dstx.stx_mode))
		return !slink && dfollow && same_inode(&j->stx, dfollow);
	if (!slink || statx(j->dir->sfd, j->name, 0, STATX_INO, &s) < 0)
		return false;
	return same_inode(&s, &j->dstx);
}

/*
 * A non-directory onto a destination symbolic link: cp's stat of the
 * destination follows the link (unless the source is a link copied as
 * one, or a backup, --remove-destination, -l or -s will move or replace
 * the entry itself), and decides on what it finds there: the same-file
 * test, and for a file -u compares with its time, a directory is refused
 * ("cannot overwrite directory"), and nothing makes its exclusive create
 * fail ("not writing through dangling symlink"), also with -f, -n and
 * -u, which decide on a file it did not find.  Returns 1 with *t filled
 * when the link was followed, 0 when not, -1 when the job is over.
 */
static bool source_unreadable(struct worker *w, struct job *j);

static int dest_follow(struct worker *w, struct job *j, bool src_reg,
		       struct statx *t)
{
	const struct copy_config *cfg = &w->run->cfg;

	if (!S_ISLNK(j->dstx.stx_mode) || cfg->hard_link ||
	    cfg->symbolic_link || cfg->backup != BACKUP_NONE ||
	    cfg->remove_dest || (!j->deref && S_ISLNK(j->stx.stx_mode)))
		return 0;
	if (statx(j->dir->dfd, j->dname, 0,
		  STATX_TYPE | STATX_MTIME | STATX_INO | STATX_NLINK, t) == 0)
		return 1;
	if (!src_reg)
		return 0;
	if (errno != ENOENT) {	/* a loop, a file on the way, ... */
		job_fail(w, j, errno, true, "cannot stat %s");
		return -1;
	}
	/* cp finds that out at its create, after opening the source. */
	if (j->sfd < 0 && source_unreadable(w, j))
		return -1;
	j->announce = true;	/* cp found no file there */
	job_fail(w, j, 0, true, "not writing through dangling symlink %s");
	return -1;
}

/* run_add_root()'s own flags, beside copy.h's COPY_ADD_* */
#define ROOT_BY_WORKER	0x100	/* a worker's: taken next, no sweep */
#define ROOT_ASKED	0x200	/* -i was asked already */

static int run_add_root(struct copy_run *run, int src_dirfd, const char *name,
			const char *src_disp_s, const char *src_base,
			int dst_dirfd, const char *dst_name,
			const char *dst_disp_s, unsigned flags,
			const struct stat *known);

/*
 * The directory (an O_PATH fd) and name of the file that the symlink
 * name in dirfd leads to, followed link by link as the kernel follows
 * them (at most 40), when that is the regular file want; -1 when not (a
 * race, a loop, a name too long).
 */
static int link_target(int dirfd, const char *name, char *base,
		       const struct statx *want)
{
	char link[PATH_MAX], cur[PATH_MAX];
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);

	snprintf(cur, sizeof(cur), "%s", name);
	for (int hop = 0; fd >= 0 && hop < 40; hop++) {
		struct statx st;
		ssize_t n;
		char *slash;
		int up;

		if (statx(fd, cur, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_INO,
			  &st) < 0)
			break;
		if (!S_ISLNK(st.stx_mode)) {
			if (!S_ISREG(st.stx_mode) || !same_inode(&st, want) ||
			    strlen(cur) > NAME_MAX)
				break;
			strcpy(base, cur);
			return fd;
		}
		n = readlinkat(fd, cur, link, sizeof(link) - 1);
		if (n <= 0)
			break;
		link[n] = 0;
		slash = strrchr(link, '/');
		if (!slash) {
			memcpy(cur, link, (size_t)n + 1);
			continue;
		}
		if (!slash[1])
			break;	/* "name/": not a file */
		memmove(cur, slash + 1, strlen(slash + 1) + 1);
		*slash = 0;
		/* the directory part, relative to the link's directory */
		up = openat(fd, slash == link ? "/" : link,
			    O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = up;
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

/*
 * cp writes a file through a destination symlink into the file it leads
 * to, which keeps the link.  ucp copies it there the way it replaces any
 * file, by a complete new file renamed over the old one, in a root job of
 * its own (messages still name the link, as cp's do).  Returns false to
 * fall back to replacing the link itself (the target cannot be reached).
 */
static bool copy_through_link(struct worker *w, struct job *j,
			      const struct statx *target)
{
	char base[NAME_MAX + 1];
	int tdir = link_target(j->dir->dfd, j->dname, base, target);
	int sdir = tdir < 0 ? -1 : fcntl(j->dir->sfd, F_DUPFD_CLOEXEC, 0);
	char *s = sdir < 0 ? NULL : src_disp(j);
	char *d = s ? dst_disp(j) : NULL;
	bool ok = false;

	if (d) {
		ok = run_add_root(w->run, sdir, j->name, s, s, tdir, base, d,
				  (j->deref ? COPY_ADD_FOLLOW : 0) |
					  ROOT_BY_WORKER | ROOT_ASKED,
				  NULL) == 0;
	} else {
		if (tdir >= 0)
			close(tdir);
		if (sdir >= 0)
			close(sdir);
	}
	free(s);
	free(d);
	j->redirected = ok;
	return ok;
}

/* cp opens a file's source before it creates or opens its destination:
 * an unreadable one is the error it reports.  True after that. */
static bool source_unreadable(struct worker *w, struct job *j)
{
	if (faccessat(j->dir->sfd, j->name, R_OK, AT_EACCESS) == 0)
		return false;
	j->announce = true;
	job_fail(w, j, errno, false, "cannot open %s for reading");
	return true;
}

/* cp opens the existing file it copies onto (also through a link) for
 * writing.  Where that would fail (not as root), -f removes the entry and
 * makes a new file: 1 (j->forced); else cp's error, and the job is over:
 * -1.  0: the file may be written. */
static int dest_unwritable(struct worker *w, struct job *j)
{
	int err;

	if (w->run->is_root ||
	    faccessat(j->dir->dfd, j->dname, W_OK, AT_EACCESS) == 0)
		return 0;
	err = errno;
	if (w->run->cfg.force) {
		j->forced = true;	/* cp -v: "removed" after the line */
		return 1;
	}
	if (!(j->sfd < 0 && source_unreadable(w, j))) {
		j->announce = true;	/* cp -v names it first */
		job_fail(w, j, err, true, "cannot create regular file %s");
	}
	return -1;
}

/*
 * cp -u skips a file whose destination is not older, but still records
 * it for its other names (remember_copied in cp's -u branch, with or
 * without --preserve=links): the first name met stands for its group as
 * it is, and another name skipped after it, or copied under
 * --preserve=links, becomes a hard link to it, replacing what is there
 * ("even if it was a newer separate file", says cp).  The job is then
 * over, linking, or waiting for the group's first.
 */
static void update_skip(struct worker *w, struct job *j)
{
	if (S_ISDIR(j->stx.stx_mode) || j->stx.stx_nlink < 2 ||
	    w->run->cfg.hard_link || w->run->cfg.symbolic_link)
		return;
	j->upd_skip = true;
	/* Linking or waiting, or: the group's first (kept: it is the file),
	 * or a group whose first failed (left as it is). */
	if (hl_start(w, j) && j->hl_first)
		hl_published(w->run, j);
}

/* After the source is known (j->stx), apply cp's rules for an existing
 * destination.  Returns false when the job is over (skipped or failed). */
static bool check_existing(struct worker *w, struct job *j)
{
	const struct copy_config *cfg = &w->run->cfg;
	bool src_dir = S_ISDIR(j->stx.stx_mode);
	bool dst_dir = S_ISDIR(j->dstx.stx_mode);
	bool src_reg = S_ISREG(j->stx.stx_mode) || j->stream;
	struct statx followed;
	const struct statx *dt = &j->dstx;
	int r;

	if (w->run->cfg.sync) {
		if (j->checked)
			return true;
		j->checked = true;
		return sync_check(w, j);
	}
	if (!j->dst_exists || j->checked)
		return true;
	j->checked = true;
	if (src_dir) {
		struct statx t;

		/* --keep-directory-symlink: a symlink to a directory stands
		 * for the directory (followed by dir_open()). */
		if (!dst_dir && cfg->keep_dir_symlink &&
		    S_ISLNK(j->dstx.stx_mode) &&
		    statx(j->dir->dfd, j->dname, 0, STATX_TYPE, &t) == 0 &&
		    S_ISDIR(t.stx_mode)) {
			j->dst_follow = true;
			return true;
		}
		if (!dst_dir && S_ISLNK(j->dstx.stx_mode) &&
		    cfg->deref_never && !cfg->hard_link &&
		    !cfg->symbolic_link && !cfg->remove_dest &&
		    cfg->backup == BACKUP_NONE && cfg->clobber != CLOBBER_NO &&
		    statx(j->dir->dfd, j->dname, 0, STATX_INO, &t) == 0 &&
		    same_inode(&t, &j->stx)) {
			/* cp -rT d link-to-d: cp's same-file test follows
			 * the link, and comes first; only under -P, not
			 * with -n (cp skips the test), and not where the
			 * link would be replaced (-l, -s,
			 * --remove-destination, a backup): then the type
			 * clash below is the error. */
			job_fail2(w, j, 0, false, "%s and %s are the same file");
			return false;
		}
		if (dst_dir && same_inode(&j->dstx, &j->stx) &&
		    !cfg->hard_link) {
			/* cp -rT d d, cp -r d .: not copied into itself
			 * file by file.  -n skips it quietly, as cp does. */
			if (cfg->clobber != CLOBBER_NO)
				job_fail2(w, j, 0, false,
					  "%s and %s are the same file");
			return false;
		}
		if (!dst_dir) {
			char *s = src_disp(j), *d = dst_disp(j);

			log_error(0, "cannot overwrite non-directory %s with "
				     "directory %s",
				  log_quote(d ? d : j->dname),
				  log_quote(s ? s : j->name));
			free(s);
			free(d);
			j->err = EEXIST;
			atomic_fetch_add(&w->run->errors, 1);
			return false;
		}
		return true;
	}
	r = dest_follow(w, j, src_reg, &followed);
	if (r < 0)
		return false;
	if (r > 0 && src_reg) {
		dt = &followed;	/* what cp's stat of it sees */
		dst_dir = S_ISDIR(followed.stx_mode);
	}
	if (same_inode(&j->dstx, &j->stx)) {
		bool ok;

		/* cp -l: that link exists already, nothing to do. */
		if (cfg->clobber == CLOBBER_NO || cfg->hard_link)
			return false;
		/* cp -b: the backup keeps the old data, so a file may be
		 * copied onto another link of itself, and with -f onto its
		 * own name (cp --force --backup f f makes f~).
		 * --remove-destination removes another link of the file
		 * before copying it there.  A symlink followed onto its own
		 * target never (cp's same_file_ok()). */
		if (j->deref && src_is_link(j))
			ok = false;
		else if (cfg->backup != BACKUP_NONE)
			ok = src_reg && (cfg->force || !same_entry(j));
		else
			ok = cfg->remove_dest && src_reg &&
			     j->dstx.stx_nlink > 1 && !same_entry(j);
		if (!ok) {
			job_fail2(w, j, 0, false, "%s and %s are the same file");
			return false;
		}
	} else if (symlink_onto_self(w, j, r > 0 ? &followed : NULL)) {
		job_fail2(w, j, 0, false, "%s and %s are the same file");
		return false;
	}
	/* -n, -u and -i decide before the type clash, as in cp: a file
	 * onto a directory is skipped quietly or after the question. */
	if (cfg->clobber == CLOBBER_NO || cfg->update == UPDATE_NONE)
		return false;
	if (cfg->update == UPDATE_NONE_FAIL) {
		job_fail(w, j, 0, true, "not replacing %s");
		return false;
	}
	if (cfg->update == UPDATE_OLDER && !older(dt, &j->stx)) {
		update_skip(w, j);	/* -u: the destination is not older */
		return false;
	}
	if (cfg->clobber == CLOBBER_ASK && !j->asked &&
	    !ask_overwrite(w, j, dt))
		return false;
	if (dst_dir) {
		job_fail(w, j, 0, true, "cannot overwrite directory %s with "
					"non-directory");
		return false;
	}
	/* Through a link to a file: copied there by a job of its own; not
	 * a file with other links, whose copy must be one of its group's
	 * (man STANDARDS).  One that -L or -H followed is a group of one
	 * until met again, and its first copy goes through the link.  A
	 * target we may not write is not replaced in its directory: cp's
	 * open of it fails, and -f then removes the link instead. */
	if (dt != &j->dstx && S_ISREG(dt->stx_mode) && !cfg->sync) {
		if ((cfg->preserve & PRESERVE_LINKS) && !cfg->attr_only &&
		    dt->stx_nlink > 1) {
			/* cp's stat followed the link to a file with other
			 * links: under --preserve=links it removes the link
			 * and makes a new file (its unlink-first rule). */
			j->target_links = true;
			return true;
		}
		if (!(hl_member(w->run, j) && j->stx.stx_nlink > 1)) {
			r = dest_unwritable(w, j);
			if (r)
				return r > 0;	/* -f: a new file there */
			if (copy_through_link(w, j, dt))
				return false;
		}
	}
	if (cfg->remove_dest)
		return true;	/* a new file, as if the old one was gone */
	if (cfg->hard_link || cfg->symbolic_link) {
		/* cp replaces an existing entry with a link only when told
		 * to: -f, -b, or (-l) a yes to -i; or (-l) where it removes
		 * the entry before making anything: a symlink or special
		 * under -P, or a file with other links under
		 * --preserve=links. */
		if (cfg->force || cfg->backup != BACKUP_NONE ||
		    (cfg->hard_link && cfg->clobber == CLOBBER_ASK) ||
		    (cfg->hard_link && cp_unlinks_first(w->run, j)))
			return true;
		j->announce = true;	/* cp -v names it first */
		if (cfg->hard_link) {
			job_fail2(w, j, EEXIST, true,
				  "cannot create hard link %s to %s");
		} else {
			char *p = src_disp(j);

			if (!p || !symlink_refused(w, j, p))
				job_fail2(w, j, EEXIST, true,
					  "cannot create symbolic link %s to %s");
			free(p);
		}
		return false;
	}
	if (cfg->backup != BACKUP_NONE) {
		/* A new entry: the old one is backed up, which cp does
		 * before it opens the source; so where that fails (a
		 * directory we may not write) an unreadable source is not
		 * what it reports. */
		int err = src_reg && j->sfd < 0 &&
			  faccessat(j->dir->dfd, ".", W_OK, AT_EACCESS) != 0 ?
				  errno : 0;

		if (err &&
		    faccessat(j->dir->sfd, j->name, R_OK, AT_EACCESS) != 0) {
			job_fail(w, j, err, true, "cannot backup %s");
			return false;
		}
		return true;
	}
	if (!src_reg && (cfg->attr_only ?
				 !(cfg->force && S_ISLNK(j->stx.stx_mode)) :
				 j->deref && !S_ISLNK(j->stx.stx_mode))) {
		/* cp removes an entry in the way of a link or special it
		 * makes only when it copies data, and then for a special
		 * only when it did not follow links to it (-L, or -H for
		 * an operand): else its make fails (-f retries a symlink
		 * after removing it). */
		mode_t m = j->stx.stx_mode;

		j->announce = true;	/* cp -v names it first */
		job_fail(w, j, EEXIST, true,
			 S_ISLNK(m) ? "cannot create symbolic link %s" :
			 S_ISFIFO(m) ? "cannot create fifo %s" :
				       "cannot create special file %s");
		return false;
	}
	if (src_reg && !S_ISREG(j->dstx.stx_mode) &&
	    !S_ISLNK(j->dstx.stx_mode)) {
		j->into_special = true;	/* a FIFO or device: written into */
		return true;
	}
	if (src_reg && S_ISREG(j->dstx.stx_mode)) {
		/* cp writes into the existing file, which keeps its mode and
		 * owner; only when it cannot be opened for writing does -f
		 * remove it and make a new one, with the source's mode. */
		j->keep_dst_mode = true;
		r = dest_unwritable(w, j);
		if (r > 0)
			j->keep_dst_mode = false;
		return r >= 0;
	}
	return true;
}

/* Is the directory fd the current directory (cp -s's rule)? */
static bool is_cwd(int dirfd)
{
	struct stat a, b;

	return fstat(dirfd, &a) < 0 || stat(".", &b) < 0 ||
	       (a.st_dev == b.st_dev && a.st_ino == b.st_ino);
}

/*
 * cp -s: the link's target is the source's path as cp names it.  A
 * relative one would only be right from the current directory, so, as cp,
 * it is refused elsewhere (before cp finds the name taken, too).  Returns
 * true after the diagnostic.
 */
static bool symlink_refused(struct worker *w, struct job *j,
			    const char *target)
{
	char *d;

	if (target[0] == '/' || is_cwd(j->dir->dfd))
		return false;
	d = dst_disp(j);
	j->announce = true;	/* cp -v names it first */
	job_announce(w, j);
	log_error(0, "%s: can make relative symbolic links only in current "
		     "directory", log_quote_min(d ? d : j->dname));
	free(d);
	j->err = EINVAL;
	atomic_fetch_add(&w->run->errors, 1);
	return true;
}

/* cp -s: the link's target is the source's path as cp names it.  Returns
 * false after the diagnostic. */
static bool source_target(struct worker *w, struct job *j, char *target)
{
	char *p = src_disp(j);
	size_t n = p ? strlen(p) : 0;

	if (!p || n >= w->bp.size) {
		job_fail(w, j, p ? ENAMETOOLONG : ENOMEM, true,
			 "cannot create symbolic link %s");
		free(p);
		return false;
	}
	memcpy(target, p, n + 1);
	free(p);
	return !symlink_refused(w, j, target);
}

static void symlink_create(struct worker *w, struct job *j)
{
	struct req *r;
	char *target = bufpool_addr(&w->bp, j->chunk[0].buf);
	ssize_t n;

	if (w->run->cfg.symbolic_link) {
		if (!source_target(w, j, target)) {
			job_close(w, j);
			return;
		}
	} else {
		n = readlinkat(j->dir->sfd, j->name, target, w->bp.size);
		if (n < 0 || (size_t)n >= w->bp.size) {
			job_fail(w, j, n < 0 ? errno : ENAMETOOLONG, false,
				 "cannot read symbolic link %s");
			job_close(w, j);
			return;
		}
		target[n] = 0;
	}
	j->state = J_SYMLINK;
	r = req_get(w, j, OP_SYMLINKAT);
	r->path = target;
	r->fd2 = j->dir->dfd;
	r->path2 = publish_name(w, j);
	req_submit(w, j, r);
}

static void job_on_symlink(struct worker *w, struct job *j, struct req *r)
{
	assert(r->op == OP_SYMLINKAT);
	if (r->res == -EEXIST && j->dst_exists) {
		symlink_create(w, j);	/* temp name taken: next one */
		return;
	}
	if (r->res == -EEXIST && !appeared_stays(w, j)) {
		j->dst_exists = true;
		symlink_create(w, j);
		return;
	}
	if (r->res < 0) {
		if (r->res != -EEXIST && w->run->cfg.symbolic_link)
			job_fail2(w, j, -r->res, true,
				  "cannot create symbolic link %s to %s");
		else if (r->res != -EEXIST)
			job_fail(w, j, -r->res, true,
				 replace_fails(w, j, -r->res) ? :
				 "cannot create symbolic link %s");
		job_close(w, j);
		return;
	}
	entry_created(w, j);
}

/* A symlink's target is read into a pool buffer, which must stay put until
 * SYMLINKAT has been submitted. */
static void symlink_start(struct worker *w, struct job *j)
{
	if (!w->bp.nfree) {
		job_wait_buf(w, j);
		return;
	}
	j->chunk[0].buf = bufpool_get(&w->bp);
	symlink_create(w, j);
}

static void special_create(struct worker *w, struct job *j)
{
	const char *name = publish_name(w, j);
	mode_t mode = (j->stx.stx_mode & S_IFMT) |
		      (new_perms(w->run, &j->stx) & 0777);
	dev_t dev = makedev(j->stx.stx_rdev_major, j->stx.stx_rdev_minor);

	if (mknodat(j->dir->dfd, name, mode, dev) < 0) {
		job_fail(w, j, errno, true,
			 replace_fails(w, j, errno) ? :
			 S_ISFIFO(mode) ? "cannot create fifo %s" :
					  "cannot create special file %s");
		job_close(w, j);
		return;
	}
	entry_created(w, j);
}

/* A directory reached through a followed symlink may be one of its own
 * ancestors: copying it would never end. */
static bool is_cycle(const struct job *j)
{
	uint64_t dev = dev_of(j->stx.stx_dev_major, j->stx.stx_dev_minor);

	for (const struct anc *a = j->dir->anc; a; a = a->up)
		if (a->dev == dev && a->ino == j->stx.stx_ino)
			return true;
	return false;
}

/* Should this root directory be built under a temp name (struct stage)?
 * Set j->stage if so.  cp's mode only: --sync has its own rules for a
 * destination that does not exist yet. */
static bool stage_new(struct worker *w, struct job *j)
{
	char *disp;

	if (!w->run->cfg.stage || w->run->cfg.sync || !w->run->cfg.recursive ||
	    !(disp = dst_disp(j)))
		return false;
	j->stage = copy_stage_new(fcntl(j->dir->dfd, F_DUPFD_CLOEXEC, 0),
				  temp_name(w, j), j->dname, disp,
				  w->run->cfg.fsync);
	free(disp);
	if (!j->stage)
		return false;
	j->dir->staged_entry = true;	/* its only entry */
	return true;
}

int dirops_add(struct dirops *t, const struct stat *st, unsigned idx,
	       const char *dpath)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct dirop *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n].dpath = strdup(dpath);
	if (!t->v[t->n].dpath)
		return -ENOMEM;
	t->v[t->n].dev = dev_of(major(st->st_dev), minor(st->st_dev));
	t->v[t->n].ino = st->st_ino;
	t->v[t->n].idx = idx;
	t->n++;
	return 0;
}

static int dirop_cmp(const void *pa, const void *pb)
{
	const struct dirop *a = pa, *b = pb;

	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

void dirops_sort(struct dirops *t)
{
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), dirop_cmp);
}

void dirops_free(struct dirops *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].dpath);
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

/* The first (lowest-numbered) operand that is directory dev:ino. */
static const struct dirop *dirop_find(const struct dirops *t, uint64_t dev,
				      uint64_t ino)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct dirop *m = &t->v[mid];

		if (m->dev < dev || (m->dev == dev && m->ino < ino))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->n && t->v[lo].dev == dev && t->v[lo].ino == ino)
		return &t->v[lo];
	return NULL;
}

/* A directory inside an operand's tree that an earlier operand named:
 * cp copied it then and refuses to copy it again here. */
static bool dirop_refused(struct worker *w, struct job *j)
{
	const struct dirops *t = w->run->cfg.dirops;
	const struct dirop *own, *earlier;
	const struct anc *a;
	char *d;

	if (!t || t->n < 2 || j->dir->root || !(a = j->dir->anc))
		return false;
	while (a->up)
		a = a->up;	/* the operand this tree is */
	own = dirop_find(t, a->dev, a->ino);
	earlier = dirop_find(t, dev_of(j->stx.stx_dev_major,
				       j->stx.stx_dev_minor), j->stx.stx_ino);
	if (!own || !earlier || earlier->idx >= own->idx)
		return false;
	d = dst_disp(j);
	log_error(0, "will not create hard link %s to directory %s",
		  log_quote(d ? d : j->dname), log_quote(earlier->dpath));
	free(d);
	j->err = EMLINK;
	atomic_fetch_add(&w->run->errors, 1);
	return true;
}

static void dir_mkdir(struct worker *w, struct job *j)
{
	struct req *r;

	if (j->deref && is_cycle(j)) {
		job_fail(w, j, 0, false, "cannot copy cyclic symbolic link %s");
		job_close(w, j);
		return;
	}
	if (dirop_refused(w, j)) {
		job_close(w, j);
		return;
	}

	if (w->run->cfg.sync) {
		const struct stat *d = &w->run->dst_root;

		/* DEST inside SRC (a backup of / kept in /backup): as rsync,
		 * no refusal, and its own mirror is never copied into it. */
		if (d->st_nlink && d->st_ino == j->stx.stx_ino &&
		    major(d->st_dev) == (unsigned)j->stx.stx_dev_major &&
		    minor(d->st_dev) == (unsigned)j->stx.stx_dev_minor) {
			job_close(w, j);
			return;
		}
	} else if (j->dir->root && is_ancestor_or_self(j->dir->dfd, &j->stx)) {
		job_fail2(w, j, 0, false,
			  "cannot copy a directory, %s, into itself, %s");
		job_close(w, j);
		return;
	}
	if (j->dst_exists || run_dry(w->run)) {
		dir_open(w, j);
		return;
	}
	j->state = J_MKDIR;
	r = req_get(w, j, OP_MKDIRAT);
	r->fd = j->dir->dfd;
	r->path = j->dname;
	if (j->dir->root && !j->no_stage && stage_new(w, j))
		r->path = j->stage->tmp;
	/* Owner rwx while filling it; the real mode when it is done.  As
	 * with cp, a directory keeps its sticky bit (mkdir honours it). */
	r->mode = (new_perms(w->run, &j->stx) & 01777) | S_IRWXU;
	req_submit(w, j, r);
}

static void job_on_mkdir(struct worker *w, struct job *j, struct req *r)
{
	assert(r->op == OP_MKDIRAT);
	if (j->stage && r->res < 0) {
		/* The temp name is taken (or refused): make it as usual. */
		stage_free(j->stage);
		j->stage = NULL;
		j->no_stage = true;
		j->dir->staged_entry = false;
		dir_mkdir(w, j);
		return;
	}
	if (r->res == -EEXIST) {
		/* Raced with someone: look at what is there now. */
		j->dst_exists = true;
		dir_open(w, j);
		return;
	}
	if (r->res < 0) {
		job_fail(w, j, -r->res, true, "cannot create directory %s");
		job_close(w, j);
		return;
	}
	if (w->run->cfg.sync)
		job_report(w, j, NULL);
	else if (w->run->cfg.verbose)
		verbose_line(j);
	j->made = true;
	if (json_on)
		json_file(j);
	dir_open(w, j);
}

/* Queue the OPENAT of the source entry: relative to its directory, never
 * through a symlink unless dereferencing, never blocking on a FIFO. */
static void open_source(struct worker *w, struct job *j, int extra)
{
	struct req *r = req_get(w, j, OP_OPENAT);

	r->fd = j->dir->sfd;
	r->path = j->name;
	r->oflags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | extra |
		    (j->deref ? 0 : O_NOFOLLOW);
	req_submit(w, j, r);
}

static void dir_open(struct worker *w, struct job *j)
{
	struct req *r;

	j->state = J_OPENDIR;
	open_source(w, j, O_DIRECTORY);
	if (!j->dst_exists && run_dry(w->run))
		return;		/* nothing to open on that side */
	/* rsync's rule: a directory of ours in the transfer is opened to
	 * us (u+rwx) while its entries are copied; its attributes are
	 * compared and set when it is done. */
	if (w->run->cfg.sync && j->dst_exists && S_ISDIR(j->dstx.stx_mode) &&
	    !j->stage)
		(void)sync_open_to_us(w->run->cfg.sync, j->dir->dfd, j->dname,
				      j->dstx.stx_mode, j->dstx.stx_uid,
				      S_IRWXU);
	r = req_get(w, j, OP_OPENAT);
	r->fd = j->dir->dfd;
	r->path = j->stage ? j->stage->tmp : j->dname;
	r->oflags = O_RDONLY | O_DIRECTORY | O_CLOEXEC |
		    (j->dst_follow ? 0 : O_NOFOLLOW);
	r->beneath = !j->dst_follow;
	r->tag = 1;
	req_submit(w, j, r);
}

/* --sync's state of a directory node made for job j. */
static int sync_dir_setup(struct copy_run *run, struct job *j, struct dnode *d)
{
	struct sync_state *ss = run->cfg.sync;
	const struct sync_opts *o = ss->o;
	bool root = j->dir->root;

	d->rel = job_rel(j);
	if (!d->rel)
		return -1;
	d->dry = d->dfd < 0;
	if (root && ss->root_created)
		d->fresh = true;
	if (root && sync_root_unlisted(ss)) {
		d->meta = false;	/* DEST's attributes are its own (no
					   --delete with --files-from) */
	} else if (!d->fresh && !d->dry) {
		/* Compare, fix only what differs, when it is done. */
		d->meta = false;
		d->sync_attrs = true;
		d->dmtime = j->dstx.stx_mtime;
		if (o->del == DEL_DURING && !(d->seen = nameset_new()))
			return -1;
	}
	if (d->dry)
		d->meta = false;
	if (root && ss->ld_root >= 0)
		d->ldfd = strcmp(j->dname, ".") ?
				  openat(ss->ld_root, j->dname,
					 O_PATH | O_DIRECTORY | O_CLOEXEC) :
				  fcntl(ss->ld_root, F_DUPFD_CLOEXEC, 0);
	else if (!root && j->dir->ldfd >= 0)
		d->ldfd = openat(j->dir->ldfd, j->name,
				 O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return 0;
}

static void job_on_opendir(struct worker *w, struct job *j, struct req *r)
{
	struct copy_run *run = w->run;
	struct dnode *d;

	assert(r->op == OP_OPENAT);
	if (r->res == -EACCES && r->tag == 1) {
		/* A destination directory we may not read (mode -wx, a
		 * drop box): cp copies into it by name, and so can an
		 * O_PATH fd; its attributes go through that fd too. */
		int fd = openat(j->dir->dfd, r->path, O_PATH | O_DIRECTORY |
				(j->dst_follow ? 0 : O_NOFOLLOW) | O_CLOEXEC);

		if (fd >= 0)
			r->res = fd;
	}
	if (r->res < 0) {
		if (r->tag == 0)	/* cp's words (savedir failed) */
			job_fail(w, j, -r->res, false, "cannot access %s");
		else if (r->res == -ENOTDIR || r->res == -ELOOP)
			check_existing(w, j);	/* reports the clash */
		else
			job_fail(w, j, -r->res, true, "cannot open directory %s");
		if (!j->err)
			j->err = -r->res;
	} else if (r->tag == 0) {
		j->sfd = r->res;
	} else {
		j->tfd = r->res;
	}
	if (j->pending)
		return;
	if (j->err && j->tfd >= 0 && !run->cfg.sync &&
	    (run->cfg.preserve & PRESERVE_META)) {
		/* A source directory that cannot be read: cp still gives
		 * its copy, new or not, the attributes it preserves (not
		 * xattrs or ACLs: nothing could be read). */
		struct meta_result res;
		char *dp = dst_disp(j);

		meta_apply_fd(j->tfd, -1, &j->stx, run->cfg.preserve &
				      ~(PRESERVE_XATTR | PRESERVE_ACL),
			      run->is_root, &res);
		if (meta_failed(&res))
			report_meta(run, dp ? dp : j->dname, &res);
		free(dp);
	}
	if (j->err && j->made && j->tfd >= 0 &&
	    !(run->cfg.preserve & PRESERVE_MODE)) {
		/* A directory made for a source that cannot be read stays,
		 * empty, with the mode it would have had (as cp leaves it),
		 * not the owner-only one it was made with. */
		(void)!meta_fchmod(j->tfd, new_perms(run, &j->stx) & 01777 &
					      ~run->umask);
	}
	if (j->err || copy_stop_signal) {
		job_close(w, j);
		return;
	}
	d = dnode_new(run);
	if (!d ||
	    !(d->spath = j->dir->root ? strdup(j->dir->root_base) : src_disp(j)) ||
	    !(d->dpath = dst_disp(j))) {
		if (d) {
			d->sfd = d->dfd = -1;
			dnode_put(run, d);
		}
		job_fail(w, j, ENOMEM, false, "cannot copy %s");
		job_close(w, j);
		return;
	}
	d->sfd = j->sfd;
	d->dfd = j->tfd;
	j->sfd = j->tfd = -1;
	d->ddev = fd_dev(d->dfd);
	d->sdev = dev_of(j->stx.stx_dev_major, j->stx.stx_dev_minor);
	d->anc = anc_new(d->sdev, j->stx.stx_ino, j->dir->anc);
	d->fresh = !j->dst_exists;
	if (j->stage)
		d->stage = j->stage;	/* the job's reference moves */
	else if (d->fresh && j->dir->stage)
		d->stage = stage_get(j->dir->stage);
	j->stage = NULL;
	d->stx = j->stx;
	d->meta = (run->cfg.preserve & PRESERVE_META) != 0;
	if (run->cfg.sync && sync_dir_setup(run, j, d) < 0) {
		dnode_put(run, d);
		job_fail(w, j, ENOMEM, false, "cannot copy %s");
		job_close(w, j);
		return;
	}
	if (run->cfg.sync && j->dir->root && d->fresh && !d->stage)
		d->stage = stage_get(run->cfg.dst_stage); /* --sync's DEST */
	if (d->fresh) {
		mode_t final = new_perms(run, &j->stx) & 01777 & ~run->umask;
		mode_t made = ((new_perms(run, &j->stx) & 01777) | S_IRWXU) &
			      ~run->umask;

		d->fix_mode = final != made;
		d->final_mode = final;
	}
	/* -x: a directory on another filesystem is made, empty, as cp does:
	 * its node ends at once (attributes applied, fds closed). */
	if (run->cfg.one_fs && !j->dir->root && d->sdev != j->dir->sdev)
		dnode_put(run, d);
	else
		stack_push(run, d);
	job_close(w, j);
}

/* Dispatch on the source's type, known from the listing or a STATX. */
static void stat_source(struct worker *w, struct job *j)
{
	enum jstate before;
	struct req *r;

	/* --sync looks at an existing (or would-be) copy before opening
	 * the source: an unchanged file is never opened. */
	if (j->dtype == DT_REG && !j->deref && !w->run->cfg.hard_link &&
	    !w->run->cfg.symbolic_link &&
	    !(w->run->cfg.sync &&
	      (j->dst_exists || j->dir->dry || j->dir->ldfd >= 0))) {
		file_open(w, j);
		return;
	}
	if (j->dtype == DT_UNKNOWN || !j->stx.stx_mask) {
		j->state = J_STAT;
		r = req_get(w, j, OP_STATX);
		r->fd = j->dir->sfd;
		r->path = j->name;
		r->oflags = j->deref ? 0 : AT_SYMLINK_NOFOLLOW;
		r->addr = &j->stx;
		req_submit(w, j, r);
		return;
	}
	/* cp copies the contents of a FIFO or device named on the command
	 * line without -r (cp /dev/null f), and inside a tree only with
	 * --copy-contents; otherwise it makes a new node. */
	j->stream = w->run->cfg.copy_as_regular && !w->run->cfg.hard_link &&
		    !w->run->cfg.symbolic_link && !S_ISREG(j->stx.stx_mode) &&
		    !S_ISDIR(j->stx.stx_mode) && !S_ISLNK(j->stx.stx_mode);
	if (S_ISDIR(j->stx.stx_mode) && !w->run->cfg.recursive) {
		/* Before anything about the destination, as cp. */
		char *s = src_disp(j);

		log_error(0, "-r not specified; omitting directory %s",
			  log_quote(s ? s : j->name));
		free(s);
		j->err = EISDIR;
		atomic_fetch_add(&w->run->errors, 1);
		job_close(w, j);
		return;
	}
	before = j->state;
	if (!check_existing(w, j)) {
		if (j->state == before)	/* not parked or linking */
			job_close(w, j);
		return;
	}
	j->announce = true;
	create_entry(w, j);
}

/* Make the destination entry of a job whose source is known and checked. */
static void create_entry(struct worker *w, struct job *j)
{
	if (j->ld_link) {
		/* A file with other links: the group stays one file (rsync
		 * -H --link-dest). */
		if (hl_member(w->run, j) && !j->hl && !ld_hl_start(w, j))
			return;	/* linked to the group, or waits */
		ld_link(w, j);
		return;
	}
	if (w->run->cfg.hard_link && !S_ISDIR(j->stx.stx_mode)) {
		src_link(w, j);
		return;
	}
	if (w->run->cfg.symbolic_link && !S_ISDIR(j->stx.stx_mode)) {
		symlink_start(w, j);	/* to the source's path */
		return;
	}
	if (j->stream) {
		stream_open(w, j);
		return;
	}
	switch (j->stx.stx_mode & S_IFMT) {
	case S_IFREG:
		file_open(w, j);
		break;
	case S_IFDIR:
		dir_mkdir(w, j);
		break;
	case S_IFLNK:
		symlink_start(w, j);
		break;
	default:
		/* FIFOs, sockets and devices are hard-linked too (cp -a,
		 * rsync -H). */
		if (hl_member(w->run, j) && !hl_start(w, j))
			break;
		special_create(w, j);
		break;
	}
}

static void job_on_stat(struct worker *w, struct job *j, struct req *r)
{
	assert(r->op == OP_STATX);
	if (r->res < 0) {
		job_fail(w, j, -r->res, false, "cannot stat %s");
		job_close(w, j);
		return;
	}
	j->dtype = DT_LNK;	/* anything but DT_UNKNOWN: stx decides */
	stat_source(w, j);
}

static void file_open(struct worker *w, struct job *j)
{
	j->state = J_OPEN;
	open_source(w, j, O_NOCTTY);
}

/*
 * Begin an entry.  Entries of a directory this run created cannot exist
 * at the destination, so they skip the destination STATX (the hot path);
 * elsewhere cp's rules for existing files apply.
 */
static void job_start(struct worker *w, struct job *j)
{
	struct req *r;

	if (j->dir->dfd < 0 && !j->dir->dry) {
		/* The destination's directory could not be opened. */
		j->state = J_STAT;
		if (!j->stx.stx_mask) {
			if (statx(j->dir->sfd, j->name,
				  j->deref ? 0 : AT_SYMLINK_NOFOLLOW,
				  STATX_BASIC_STATS, &j->stx) < 0) {
				job_fail(w, j, errno, false, "cannot stat %s");
				job_close(w, j);
				return;
			}
		}
		if (S_ISDIR(j->stx.stx_mode) && !w->run->cfg.recursive) {
			stat_source(w, j);	/* omitting directory */
			return;
		}
		/* cp stats the destination first: only a missing
		 * directory gets as far as the create, and for a file,
		 * after the open of the source. */
		j->announce = -j->dir->dfd == ENOENT;
		if (j->announce && S_ISREG(j->stx.stx_mode) &&
		    !w->run->cfg.hard_link && !w->run->cfg.symbolic_link &&
		    !w->run->cfg.sync && source_unreadable(w, j)) {
			job_close(w, j);
			return;
		}
		if ((w->run->cfg.hard_link || w->run->cfg.symbolic_link) &&
		    -j->dir->dfd == ENOENT && !S_ISDIR(j->stx.stx_mode)) {
			job_fail2(w, j, ENOENT, true,
				  w->run->cfg.hard_link ?
					  "cannot create hard link %s to %s" :
					  "cannot create symbolic link %s to %s");
			job_close(w, j);
			return;
		}
		job_fail(w, j, -j->dir->dfd, true,
			 -j->dir->dfd != ENOENT && !w->run->cfg.sync ?
				 "cannot stat %s" :
			 S_ISDIR(j->stx.stx_mode) ?
				 "cannot create directory %s" :
				 S_ISLNK(j->stx.stx_mode) ?
				 "cannot create symbolic link %s" :
				 "cannot create regular file %s");
		job_close(w, j);
		return;
	}
	if (!j->dir->fresh && j->state == J_FREE && !j->dst_absent) {
		const struct nameset *names = atomic_load_explicit(
			&j->dir->dnames, memory_order_acquire);

		if (names && !nameset_has(names, j->dname)) {
			j->dst_absent = true;	/* see dir_missed() */
			stat_source(w, j);
			return;
		}
		j->state = J_DSTAT;
		r = req_get(w, j, OP_STATX);
		r->fd = j->dir->dfd;
		r->path = j->dname;
		r->oflags = AT_SYMLINK_NOFOLLOW;
		r->addr = &j->dstx;
		req_submit(w, j, r);
		return;
	}
	stat_source(w, j);
}

/* ------------------------------------------------------------------ */
/* completion dispatch */

static const job_handler on_done[J_NSTATES] = {
	[J_DSTAT] = job_on_dstat,	[J_STAT] = job_on_stat,
	[J_OPEN] = file_on_open,	[J_FSTAT] = file_on_fstat,
	[J_TMPFILE] = file_on_tmpfile,	[J_SPECOPEN] = file_on_specopen,
	[J_COPY] = file_on_copy,
	[J_FSYNC] = file_on_fsync,	[J_VERIFY] = file_on_verify,
	[J_PUBCLOSE] = file_on_pubclose, [J_PUBLISH] = file_on_publish,
	[J_RENAME] = job_on_rename,
	[J_UNLINK] = job_on_unlink,	[J_CLOSE] = job_on_close,
	[J_MKDIR] = job_on_mkdir,	[J_OPENDIR] = job_on_opendir,
	[J_SYMLINK] = job_on_symlink,	[J_HLINK] = job_on_hlink,
};

static void complete(void *ctx, struct req *r)
{
	struct worker *w = ctx;
	struct job *j = r->owner;

	assert(j && j->state > J_FREE && j->state < J_NSTATES);
	assert(j->pending > 0);
	j->pending--;
	on_done[j->state](w, j, r);
	req_put(w, r);
}

/* ------------------------------------------------------------------ */
/* the top-level "into itself" check (cp -r d d/sub) */

static bool is_ancestor_or_self(int dirfd, const struct statx *src)
{
	struct stat st, up;
	int fd = dup(dirfd);
	bool found = false;

	while (fd >= 0) {
		int nfd;

		if (fstat(fd, &st) < 0)
			break;
		if (st.st_ino == src->stx_ino &&
		    major(st.st_dev) == (unsigned)src->stx_dev_major &&
		    minor(st.st_dev) == (unsigned)src->stx_dev_minor) {
			found = true;
			break;
		}
		if (fstatat(fd, "..", &up, 0) < 0 ||
		    (up.st_ino == st.st_ino && up.st_dev == st.st_dev))
			break;
		nfd = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = nfd;
	}
	if (fd >= 0)
		close(fd);
	return found;
}

/* ------------------------------------------------------------------ */
/* workers */

/*
 * A second worker (its thread, its ring, its buffers) costs about 1 ms,
 * more than a flat directory of a few files needs of it: ucp -r of three
 * files on tmpfs, 40 interleaved runs, 7.8 ms with two workers started,
 * 6.7 ms with one (cp 5.1 ms); 20 files 8.4 / 7.5 ms.  Such a run starts
 * with one worker, and the others start when it has taken LAZY_ENTRIES
 * entries or met a subdirectory, or cfg.lazy_ms (5) after the start if
 * it is still going (a large file, a slow disk).  A directory operand
 * with subdirectories (its link count says so) starts them all at once
 * (run->trees): started later, they cost such a tree more than they save
 * (100 files in 5 directories: 12.6 ms at once, 15.5 ms when the first
 * listing shows the subdirectories).
 */
#define LAZY_ENTRIES 64

/* A subdirectory: a tree, whose size nothing tells yet. */
static bool took_dir(struct job *const *taken, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!taken[i]->dir->root && (taken[i]->dtype == DT_DIR ||
					     taken[i]->dtype == DT_UNKNOWN))
			return true;
	return false;
}

/* The CLOCK_REALTIME time ms from now, for pthread_cond_timedwait(). */
static struct timespec deadline_ms(unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

/* Admit new entries while jobs are free.  Returns how many. */
static unsigned fill(struct worker *w)
{
	struct copy_run *run = w->run;
	struct entry ents[ENTRIES_PER_TAKE];
	struct job *taken[ENTRIES_PER_TAKE];
	unsigned total = 0;

	while (w->free_jobs && !copy_stop_signal) {
		struct dnode *done = NULL;
		unsigned n, max = 0;

		/* After an ENOSPC: parked files first, then one at a time. */
		if (atomic_load(&run->space_low) &&
		    (w->eng->inflight || w->spacewait.head))
			break;
		if (atomic_load(&run->space_low))
			max = 1;
		/* cfg.jobs at work; jobs parked on a group have pend_max
		 * more of their own. */
		for (struct job *j = w->free_jobs;
		     j && max < ENTRIES_PER_TAKE && !atomic_load(&run->space_low) &&
		     w->active_jobs + max < run->cfg.jobs + w->hl_nparked;
		     j = j->next)
			max++;
		if (!max)
			break;
		pthread_mutex_lock(&run->lock);
		n = take_entries(run, w, ents, max, &done);
		/* Copy the names out while the listing buffer is stable. */
		for (unsigned i = 0; i < n; i++) {
			struct job *j = w->free_jobs;
			struct dnode *d = ents[i].dir;

			w->free_jobs = j->next;
			memset(j, 0, offsetof(struct job, chunk));
			for (unsigned k = 0; k < MAX_FILE_CHUNKS; k++)
				j->chunk[k].buf = -1;
			j->dir = d;
			j->sfd = j->tfd = j->fslot = -1;
			j->dtype = ents[i].type;
			j->deref = d->follow || run->cfg.deref_all;
			j->asked = d->root && d->asked;
			if (d->root && d->stx.stx_mask) {
				j->stx = d->stx;
				j->dtype = IFTODT(d->stx.stx_mode);
			}
			j->dst_absent = d->root && d->dst_absent;
			snprintf(j->name, sizeof(j->name), "%s", ents[i].name);
			j->dname = d->root ? d->root_dname : j->name;
			taken[i] = j;
		}
		w->active_jobs += n;
		w->preclaim += n;
		busy_pub(w);
		pthread_mutex_unlock(&run->lock);
		atomic_fetch_add(&run->active, n);
		if (run->lazy && n && !atomic_load(&run->want_workers) &&
		    (atomic_fetch_add(&run->taken, n) + n >= LAZY_ENTRIES ||
		     took_dir(taken, n)) &&
		    !atomic_exchange(&run->want_workers, true)) {
			pthread_mutex_lock(&run->prog_lock);
			pthread_cond_broadcast(&run->prog_cond);
			pthread_mutex_unlock(&run->prog_lock);
		}
		for (unsigned i = 0; i < n; i++)
			job_start(w, taken[i]);
		if (done && done->seen && !copy_stop_signal) {
			/* --delete (during): the listing is complete. */
			unsigned f = sync_delete_extras(run->cfg.sync, done->seen,
							done->dfd, done->rel,
							done->dpath);

			atomic_fetch_add(&run->errors, f);
		}
		if (done)
			dnode_put(run, done);
		total += n;
		if (!n)
			break;
	}
	return total;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct copy_run *run = w->run;
	struct engine_config ecfg = {
		.depth = 0,
		.bufs = run->register_bufs ? w->bp.slab : NULL,
		.buf_size = w->bp.size,
		.nbufs = w->bp.count,
		.fixed_pairs = run->cfg.jobs,
		/* One FSYNC per job may be blocked in io-wq at a time; a
		 * journal commit takes in all that are waiting, so the more
		 * wait together the fewer commits: small, 25,000 files, hot,
		 * --fsync 3.7 s with the kernel's 8, 1.8 s with 64. */
		.iowq_workers = run->cfg.fsync || run->cfg.verify ?
				run->cfg.jobs : 0,
		.prefer_sync = run->few_files,
	};
	unsigned nreq;
	int fell_back, ret;

	/* Worst case in flight: two reqs per buffer (read+write), and per
	 * job two outside the copy stage or two writeback kicks in it.  Jobs
	 * parked on a hard-link group (pend_max more) have none: no more
	 * than cfg.jobs are at work (fill(), resume_hl_waiters(),
	 * resume_hl_pending()). */
	nreq = 2 * w->bp.count + 4 * run->cfg.jobs + 8;
	ecfg.depth = 1;
	while (ecfg.depth < nreq)
		ecfg.depth <<= 1;
	w->reqs = calloc(nreq, sizeof(*w->reqs));
	if (!w->reqs) {
		w->engine_err = -ENOMEM;
		return NULL;
	}
	for (unsigned i = 0; i < nreq; i++)
		req_put(w, &w->reqs[i]);

	/* The ring is created in the thread that uses it (SINGLE_ISSUER). */
	ret = engine_create(&w->eng, &ecfg, &fell_back);
	if (ret < 0) {
		w->engine_err = ret;
		return NULL;
	}
	if (fell_back && !atomic_exchange(&run->fallback_noticed, true))
		log_error(0, "io_uring unavailable (%s); using the "
			     "synchronous engine", strerror(fell_back));
	/* For tests and benchmarks: what the engine ended up with. */
	if (w->id == 0 && getenv("UCP_DEBUG"))
		log_error(0, "engine %s: workers=%u fixedfiles=%d link=%d",
			  w->eng->ops->name, run->nworkers,
			  w->eng->fixed_files, w->eng->link_rw);

	for (;;) {
		unsigned admitted;

		if (w->spacewait.head && !w->eng->inflight) {
			struct job *j = fifo_pop(&w->spacewait);

			if (copy_stop_signal)
				job_close(w, j);
			else
				file_create_tmp(w, j);
			continue;
		}
		/* Waiting firsts past the window go back to work before
		 * new entries take the room. */
		if (w->hlpend.head)
			resume_hl_pending(w);
		admitted = fill(w);

		resume_buf_waiters(w);
		if (w->hlwait)
			resume_hl_waiters(w);
		if (w->eng->inflight) {
			ret = engine_run(w->eng, 1, complete, w);
			if (ret < 0) {
				log_error(-ret, "io_uring");
				w->engine_err = ret;
				break;
			}
			continue;
		}
		if (admitted)
			continue;
		if (w->active_jobs) {
			/* Jobs waiting for buffers with nothing in flight
			 * cannot happen: a buffer holder has I/O in flight.
			 * Jobs parked on a hard-link group wait for another
			 * worker's copy: give it the CPU.  A group's first
			 * name waiting for the walk's end may wait long: do
			 * not spin on a core another worker needs. */
			assert(!w->bufwait.head);
			if (w->hl_pending)
				nanosleep(&(struct timespec){ .tv_nsec = 100000 },
					  NULL);
			else if (w->hlwait)
				sched_yield();
			continue;
		}
		pthread_mutex_lock(&run->lock);
		if (!run->stack && atomic_load(&run->active) == 0) {
			pthread_mutex_unlock(&run->lock);
			break;
		}
		if (copy_stop_signal && run->stack) {
			/* Stopping: nobody will list what is left; drop the
			 * listings' references so that the run can end. */
			struct dnode *left = run->stack;

			run->stack = NULL;
			pthread_mutex_unlock(&run->lock);
			while (left) {
				struct dnode *d = left;

				left = d->next;
				dnode_put(run, d);
			}
			continue;
		}
		if (!run->stack) {
			struct timespec ts = deadline_ms(2);

			pthread_cond_timedwait(&run->cond, &run->lock, &ts);
		}
		pthread_mutex_unlock(&run->lock);
		if (copy_stop_signal && atomic_load(&run->active) == 0)
			break;
	}
	if (w->eng->fixed_bufs)
		atomic_fetch_add(&run->regbuf_workers, 1);
	engine_destroy(w->eng);
	w->eng = NULL;
	pthread_mutex_lock(&run->prog_lock);
	if (atomic_fetch_sub(&run->workers_left, 1) == 1)
		pthread_cond_broadcast(&run->prog_cond);
	pthread_mutex_unlock(&run->prog_lock);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* what the user sees while it runs: --progress, SIGUSR1 */

static void fmt_bytes(char *out, size_t size, double v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
					    "PiB" };
	unsigned u = 0;

	while (v >= 1024 && u < 5)
		v /= 1024, u++;
	snprintf(out, size, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * One status: "42% 1.2 GiB / 2.9 GiB 310.0 MiB/s ETA 0:05 1234/5678 files
 * 0 errors NAME".  While directories remain to be listed the totals are
 * still growing: "scanning", a "+" after them, and no percent or ETA.
 */
static void progress_text(struct copy_run *run, char *out, size_t size,
			  bool with_name)
{
	uint64_t done = atomic_load(&run->bytes_done);
	uint64_t total = atomic_load(&run->bytes_total);
	unsigned long edone = atomic_load(&run->ents_done);
	unsigned long etotal = atomic_load(&run->ents_total);
	double secs = since(&run->t0), rate = secs > 0 ? done / secs : 0;
	char d[32], t[32], r[32], eta[32] = "", name[NAME_MAX + 2] = "";
	bool scanning;
	int n;

	pthread_mutex_lock(&run->lock);
	scanning = run->stack != NULL;
	pthread_mutex_unlock(&run->lock);
	if (total < done)
		total = done;
	fmt_bytes(d, sizeof(d), (double)done);
	fmt_bytes(t, sizeof(t), (double)total);
	fmt_bytes(r, sizeof(r), rate);
	if (!scanning && rate > 0 && total > done) {
		unsigned long s = (unsigned long)((total - done) / rate + 0.999);

		snprintf(eta, sizeof(eta), " ETA %lu:%02lu:%02lu", s / 3600,
			 s / 60 % 60, s % 60);
	}
	if (with_name) {
		pthread_mutex_lock(&run->prog_lock);
		snprintf(name, sizeof(name), " %s", run->cur);
		pthread_mutex_unlock(&run->prog_lock);
	}
	if (scanning)
		n = snprintf(out, size, "scanning %s / %s+ %s/s %lu/%lu+ files",
			     d, t, r, edone, etotal);
	else
		n = snprintf(out, size, "%3u%% %s / %s %s/s%s %lu/%lu files",
			     total ? (unsigned)(done * 100 / total) : 100, d, t,
			     r, eta, edone, etotal);
	if (n > 0 && (size_t)n < size)
		snprintf(out + n, size - (size_t)n, " %u errors%s",
			 atomic_load(&run->errors),
			 with_name ? log_escape(name) : "");
}

/*
 * The main thread, while the workers run: wakes when the last one ends,
 * and every 100 ms to print a SIGUSR1 status line or draw --progress.
 */
static void progress_loop(struct copy_run *run)
{
	double next = run->cfg.progress_ms / 1000.0;
	double next_json = run->cfg.json_ms / 1000.0;
	char line[640];

	if (run->cfg.progress == PROGRESS_BAR && !getenv("UCP_PROGRESS_MS") &&
	    next < 1)
		next = 1;	/* a quick copy draws nothing */

	pthread_mutex_lock(&run->prog_lock);
	while (atomic_load(&run->workers_left)) {
		struct timespec ts = deadline_ms(100);

		pthread_cond_timedwait(&run->prog_cond, &run->prog_lock, &ts);
		if (!atomic_load(&run->workers_left))
			break;
		pthread_mutex_unlock(&run->prog_lock);
		if (copy_status_signal) {
			copy_status_signal = 0;
			progress_text(run, line, sizeof(line), false);
			log_note("%s", line);
		}
		if (json_on && since(&run->t0) >= next_json) {
			struct json r;
			bool scanning;

			next_json += run->cfg.json_ms / 1000.0;
			pthread_mutex_lock(&run->lock);
			scanning = run->stack != NULL;
			pthread_mutex_unlock(&run->lock);
			json_begin(&r, "progress");
			json_u64(&r, "bytes_done", atomic_load(&run->bytes_done));
			json_u64(&r, "bytes_total", atomic_load(&run->bytes_total));
			json_u64(&r, "entries_done", atomic_load(&run->ents_done));
			json_u64(&r, "entries_total", atomic_load(&run->ents_total));
			json_u64(&r, "errors", atomic_load(&run->errors));
			json_bool(&r, "scanning", scanning);
			json_num(&r, "seconds", since(&run->t0));
			json_end(&r);
		}
		if (run->cfg.progress != PROGRESS_NONE && since(&run->t0) >= next) {
			next += run->cfg.progress_ms / 1000.0;
			progress_text(run, line, sizeof(line),
				      run->cfg.progress == PROGRESS_BAR);
			if (run->cfg.progress == PROGRESS_BAR)
				log_status(line);
			else
				log_note("%s", line);
		}
		pthread_mutex_lock(&run->prog_lock);
	}
	pthread_mutex_unlock(&run->prog_lock);
}

/* ------------------------------------------------------------------ */
/* the run */

int copy_run_new(struct copy_run **out, const struct copy_config *cfg)
{
	struct copy_run *run = calloc(1, sizeof(*run));
	long ncpu;

	if (!run)
		return -ENOMEM;
	run->cfg = *cfg;
	if (run->cfg.file_chunks > MAX_FILE_CHUNKS)
		run->cfg.file_chunks = MAX_FILE_CHUNKS;
	if (run->cfg.file_chunks < 1)
		run->cfg.file_chunks = 1;
	/* One worker per CPU; two with --sync, where most entries are only
	 * compared and a worker spends much of its time blocked in the
	 * syscalls that stay off the ring (directory opens and listings of
	 * cold trees).  bench 'small' (25,000 files), ratio to rsync -a,
	 * hot / cold, 5 runs: no-op 0.44 / 0.54 with two workers on two
	 * CPUs, 0.42 / 0.48 with four; 1% changed 0.45 / 0.55 and 0.44 /
	 * 0.53; a fresh mirror the same (0.33 / 0.34).  A plain copy gains
	 * nothing from four (cp -r ratio, small 0.53 / 0.32 either way,
	 * mixed 0.71 / 0.74 and 0.71 / 0.71) and would double its RSS. */
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	run->nworkers = cfg->workers ? cfg->workers :
				       (ncpu > 0 ? (unsigned)ncpu : 1) *
					       (cfg->sync ? 2 : 1);
	if (run->nworkers > 64)
		run->nworkers = 64;
	pthread_mutex_init(&run->lock, NULL);
	pthread_cond_init(&run->cond, NULL);
	pthread_mutex_init(&run->hl_lock, NULL);
	pthread_mutex_init(&run->prog_lock, NULL);
	pthread_cond_init(&run->prog_cond, NULL);
	run->umask = umask(0);
	umask(run->umask);
	run->is_root = geteuid() == 0;
	if (!cfg->sync || cfg->sync->dst_root < 0 ||
	    fstat(cfg->sync->dst_root, &run->dst_root) < 0)
		run->dst_root.st_nlink = 0;
	run->pid = getpid();
	run->last_dfd = -1;
	*out = run;
	return 0;
}

/* An operand's stat(2), as its job's statx would have read it. */
static void stat_to_statx(const struct stat *st, struct statx *stx)
{
	memset(stx, 0, sizeof(*stx));
	stx->stx_mask = STATX_BASIC_STATS;
	stx->stx_blksize = (uint32_t)st->st_blksize;
	stx->stx_nlink = (uint32_t)st->st_nlink;
	stx->stx_uid = st->st_uid;
	stx->stx_gid = st->st_gid;
	stx->stx_mode = (uint16_t)st->st_mode;
	stx->stx_ino = st->st_ino;
	stx->stx_size = (uint64_t)st->st_size;
	stx->stx_blocks = (uint64_t)st->st_blocks;
	stx->stx_atime.tv_sec = st->st_atim.tv_sec;
	stx->stx_atime.tv_nsec = (uint32_t)st->st_atim.tv_nsec;
	stx->stx_mtime.tv_sec = st->st_mtim.tv_sec;
	stx->stx_mtime.tv_nsec = (uint32_t)st->st_mtim.tv_nsec;
	stx->stx_ctime.tv_sec = st->st_ctim.tv_sec;
	stx->stx_ctime.tv_nsec = (uint32_t)st->st_ctim.tv_nsec;
	stx->stx_rdev_major = major(st->st_rdev);
	stx->stx_rdev_minor = minor(st->st_rdev);
	stx->stx_dev_major = major(st->st_dev);
	stx->stx_dev_minor = minor(st->st_dev);
}

/* copy_run_add(), and a root added by a worker (ROOT_BY_WORKER: the
 * run's destination directories were swept before it started; it is
 * taken next). */
static int run_add_root(struct copy_run *run, int src_dirfd, const char *name,
			const char *src_disp_s, const char *src_base,
			int dst_dirfd, const char *dst_name,
			const char *dst_disp_s, unsigned flags,
			const struct stat *known)
{
	struct dnode *d = dnode_new(run);
	bool borrowed = flags & COPY_ADD_BORROW;
	bool sweep = !(flags & ROOT_BY_WORKER);
	struct stat dst;
	bool dst_ok;

	if (!d) {
		if (src_dirfd >= 0 && !borrowed)
			close(src_dirfd);
		if (dst_dirfd >= 0 && !borrowed)
			close(dst_dirfd);
		return -ENOMEM;
	}
	d->root = true;
	d->borrowed = borrowed;
	d->follow = flags & COPY_ADD_FOLLOW;
	d->asked = flags & ROOT_ASKED;
	d->dst_absent = flags & COPY_ADD_NO_DEST;
	if (known)
		stat_to_statx(known, &d->stx);
	d->sfd = src_dirfd;
	d->dfd = dst_dirfd;
	/* The destination directory, looked at once: for its device and
	 * for the sweep; "ucp *.jpg DIR" lends every operand the same
	 * descriptor (borrowed ones are added before any worker runs). */
	if (borrowed && dst_dirfd >= 0 && dst_dirfd == run->last_dfd) {
		dst.st_dev = run->last_dev;
		dst.st_ino = run->last_ino;
		dst_ok = true;
	} else {
		dst_ok = dst_dirfd >= 0 && fstat(dst_dirfd, &dst) == 0;
		if (borrowed)
			run->last_dfd = dst_ok ? dst_dirfd : -1;
		if (borrowed && dst_ok) {
			run->last_dev = dst.st_dev;
			run->last_ino = dst.st_ino;
		}
	}
	d->ddev = dst_ok ? dev_of(major(dst.st_dev), minor(dst.st_dev)) : 0;
	d->spath = strdup(src_disp_s);
	d->root_base = strdup(src_base);
	d->dpath = strdup(dst_disp_s);
	d->root_name = strdup(name);
	d->root_dname = strdup(dst_name);
	if (!d->spath || !d->root_base || !d->dpath || !d->root_name ||
	    !d->root_dname) {
		dnode_put(run, d);
		return -ENOMEM;
	}
	/* The parent, where a staged tree would be (dst_name "." is the
	 * destination itself: its own node sweeps it, when it is done);
	 * operands usually share it, and it is swept once. */
	if (sweep && dst_ok && strcmp(dst_name, ".") && !run_dry(run) &&
	    (dst.st_dev != run->swept_dev || dst.st_ino != run->swept_ino)) {
		run->swept_dev = dst.st_dev;
		run->swept_ino = dst.st_ino;
		sweep_temps(run, dst_dirfd);
	}
	/* Roots keep command-line order: appended (at the end that the
	 * last one left: no worker runs yet).  One added by a worker goes
	 * first, so that it does not hold its descriptors while the rest
	 * of the tree is listed. */
	pthread_mutex_lock(&run->lock);
	struct dnode **pp = &run->stack;

	if (sweep) {
		pp = run->roots_end ? run->roots_end : &run->stack;
		while (*pp)
			pp = &(*pp)->next;
		run->roots_end = &d->next;
	}
	d->next = *pp;
	*pp = d;
	pthread_cond_broadcast(&run->cond);	/* workers may be waiting */
	pthread_mutex_unlock(&run->lock);
	return 0;
}

/*
 * A flat directory operand with a few small files is copied as a few file
 * operands are, by the synchronous engine (copy_run_exec()).  List it
 * before any worker starts: at most FEW_FILES regular files (symlinks
 * too, unless -L follows them), adding their entries and sizes to the
 * run's; anything else, or more, and it is not small.  At most FEW_FILES
 * + 1 names are looked at, so a large directory costs one getdents64.
 */
static bool flat_dir_small(struct copy_run *run, int src_dirfd,
			   const char *name, bool follow)
{
	char buf[4096] __attribute__((aligned(8)));
	unsigned n = run->few_count;
	uint64_t bytes = run->root_bytes;
	bool small = true;
	long got = 0;
	int fd;

	fd = openat(src_dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
					     (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return false;
	while (small && (got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long pos = 0; small && pos < got;) {
			struct linux_dirent64 *de = (void *)(buf + pos);
			const char *nm = de->d_name;
			struct stat st;

			pos += de->d_reclen;
			if (!strcmp(nm, ".") || !strcmp(nm, ".."))
				continue;
			if (++n > FEW_FILES)
				small = false;
			else if (de->d_type == DT_LNK)
				small = !run->cfg.deref_all;
			else if (de->d_type != DT_REG ||
				 fstatat(fd, nm, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
				 !S_ISREG(st.st_mode))
				small = false;
			else
				small = (bytes += (uint64_t)st.st_size) <= FEW_BYTES;
		}
	}
	close(fd);
	if (!small || got < 0)
		return false;
	run->few_count = n;
	run->root_bytes = bytes;
	return true;
}

int copy_run_add(struct copy_run *run, int src_dirfd, const char *name,
		 const char *src_disp_s, const char *src_base, int dst_dirfd,
		 const char *dst_name, const char *dst_disp_s, unsigned flags,
		 const struct stat *known)
{
	run->nroots++;
	run->has_dirs |= (flags & COPY_ADD_DIR) != 0;
	/* A directory's link count is 2 + its subdirectories (1 on btrfs,
	 * whatever it holds): a flat one may be small (lazy_start(), and
	 * flat_dir_small()). */
	if ((flags & COPY_ADD_DIR) &&
	    (!known || !S_ISDIR(known->st_mode) || known->st_nlink != 2))
		run->trees = true;
	if (known && !S_ISDIR(known->st_mode)) {
		run->few_count++;
		run->root_bytes += S_ISREG(known->st_mode) ?
					   (uint64_t)known->st_size : 0;
	} else if (run->trees || run->sizes_unknown ||
		   run->few_count > FEW_FILES || run->root_bytes > FEW_BYTES ||
		   engine_policy.force_ring || engine_policy.threads ||
		   !flat_dir_small(run, src_dirfd, name,
				   (flags & COPY_ADD_FOLLOW) != 0))
		run->sizes_unknown = true;
	return run_add_root(run, src_dirfd, name, src_disp_s, src_base,
			    dst_dirfd, dst_name, dst_disp_s,
			    flags & (COPY_ADD_FOLLOW | COPY_ADD_BORROW |
				     COPY_ADD_NO_DEST),
			    known);
}

/* Bytes per pool buffer: a request's size, but never less than a page,
 * so that a symlink target (< PATH_MAX) always fits. */
static size_t buf_size(const struct copy_run *run)
{
	return run->cfg.chunk < 4096 ? 4096 : run->cfg.chunk;
}

/* Raise the soft fd limit to the hard one: each file in flight holds two
 * descriptors and each open directory two. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Start workers from..to-1; returns the number of workers running from
 * 0 (they start in order, and stop at the first that cannot). */
static unsigned start_workers(struct copy_run *run, unsigned from,
			      unsigned to)
{
	unsigned i;

	atomic_fetch_add(&run->workers_left, to - from);
	for (i = from; i < to; i++) {
		struct worker *w = &run->w[i];
		unsigned jobs = run->cfg.jobs;

		w->run = run;
		w->id = i;
		if (bufpool_init(&w->bp, run->cfg.nbufs, buf_size(run)) < 0)
			break;
		w->jobs = calloc(jobs, sizeof(*w->jobs));
		if (!w->jobs)
			break;
		for (unsigned k = jobs; k-- > 0;) {
			w->jobs[k].next = w->free_jobs;
			w->free_jobs = &w->jobs[k];
		}
		if (pthread_create(&w->thr, NULL, worker_main, w) != 0)
			break;
	}
	if (i < to) {
		pthread_mutex_lock(&run->prog_lock);
		if (atomic_fetch_sub(&run->workers_left, to - i) == to - i)
			pthread_cond_broadcast(&run->prog_cond);
		pthread_mutex_unlock(&run->prog_lock);
	}
	return i;
}

/* The first worker runs: start the others once it has found enough to
 * do, or lazy_ms from now if it is still at work.  A worker that starts
 * after the work is done finds nothing and ends. */
static unsigned lazy_start(struct copy_run *run, unsigned started)
{
	struct timespec ts = deadline_ms(run->cfg.lazy_ms);

	pthread_mutex_lock(&run->prog_lock);
	while (atomic_load(&run->workers_left) &&
	       !atomic_load(&run->want_workers) &&
	       pthread_cond_timedwait(&run->prog_cond, &run->prog_lock,
				      &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&run->prog_lock);
	if (!atomic_load(&run->workers_left) || copy_stop_signal)
		return started;
	return start_workers(run, started, run->nworkers);
}

/*
 * Grow the descriptor table to a run's peak while the process has one
 * thread.  The kernel grows it on demand, doubling from 64 slots, and
 * while threads share it (workers, io-wq) each growth waits for an RCU
 * grace period (synchronize_rcu() in expand_fdtable()): 8-16 ms on this
 * machine, seen as a worker in D state under perf sched.  A child of bash
 * inherits 256 slots (bash holds fd 255) and grew once; a child of sh -c
 * starts at 64 and paid two grace periods on 5,000 small files, a third
 * of the run (doc/PERFORMANCE.md, "The descriptor table").  The slots
 * cost 8 bytes each.
 */
static void grow_fd_table(unsigned long want)
{
	struct rlimit rl;
	int fd, hi;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    want >= rl.rlim_cur)
		want = rl.rlim_cur - 1;
	if (want > INT_MAX || want < 64)
		return;
	fd = open("/", O_PATH | O_CLOEXEC);
	if (fd < 0)
		return;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, (int)want);
	if (hi >= 0)
		close(hi);
	close(fd);
}

unsigned copy_max_roots(void)
{
	struct rlimit rl;

	raise_nofile();
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur / 8 > UINT_MAX)
		return UINT_MAX;
	return rl.rlim_cur > 128 ? (unsigned)(rl.rlim_cur / 8) : 16;
}

unsigned copy_run_exec(struct copy_run *run, int *signo)
{
	struct rlimit rl;
	unsigned jobs = run->cfg.jobs;
	unsigned started = 0;

	if (!run->nroots)
		return 0;
	run->roots_end = NULL;	/* roots are taken from here on */
	/* Starting a worker (thread, ring, pinned buffers) costs ~3 ms:
	 * only directories, or thousands of file operands ("ucp *.jpg
	 * DIR"), have the work to keep more than one busy.  N files of
	 * 2,000 bytes into an existing directory on tmpfs, 15 interleaved
	 * runs, ratio to cp, one worker / two: 300 files 0.99 / 1.61,
	 * 1,000 0.85 / 0.85, 2,000 0.82 / 0.79, 5,000 0.81 / 0.70. */
	if (!run->has_dirs) {
		if (run->nroots < 2048)
			run->nworkers = 1;
		if (run->cfg.nbufs > 2 * run->cfg.file_chunks)
			run->cfg.nbufs = 2 * run->cfg.file_chunks;
	}
	/* A few files named on the command line: the synchronous engine.
	 * A ring (setup, registering the buffers) costs ~1.5 ms, and a few
	 * files gain nothing from it.  Into a directory on ext4, median ms
	 * of the command (and with sync -f after it) over 15 runs, cp /
	 * ring / sync: hot, one file of 2,000 bytes 1.66 (3.99) / 3.12
	 * (5.57) / 1.85 (4.46); 16 of them 2.25 (4.98) / 3.62 (6.37) / 2.23
	 * (5.11); 8 MiB 3.62 (8.70) / 5.41 (8.38) / 4.85 (7.87).  Cold (9
	 * runs), 32 MiB 34.9 (49.6) / 41.9 (48.9) / 40.2 (48.1), but 64 MiB
	 * 49.4 (74.1) / 62.9 (69.5) / 73.3 (79.5), and 100 small files
	 * 24.3 / 14.6 / 20.6: there the ring's reads in flight win. */
	run->few_files = !run->trees && !run->sizes_unknown &&
			 run->few_count <= FEW_FILES &&
			 run->root_bytes <= FEW_BYTES &&
			 !engine_policy.force_ring && !engine_policy.threads;
	/* ... one file after another, as cp: that engine makes one call at
	 * a time whatever is in flight, and a FIFO nobody reads, which
	 * blocks its open, then holds up no file named before it.  A
	 * directory's files (never FIFOs here) too, which touches one
	 * buffer instead of one per file (16 files: 6.8 -> 6.4 ms), unless
	 * a progress line is drawn: taken one at a time, a directory
	 * stays "scanning" until its last file, with no percentage. */
	if (run->few_files) {
		if (!run->has_dirs || run->cfg.progress == PROGRESS_NONE)
			jobs = 1;
		run->nworkers = 1;
	}
	/* A group's first name waits for one DEST or the snapshot has only
	 * where there may be one (hl_claim()): not in a DEST made now or
	 * empty (mkdir, then the first run: rmdir would take it), unless a
	 * snapshot is given. */
	run->hl_defer = run->cfg.sync &&
			(run->cfg.sync->ld_root >= 0 ||
			 (!run->cfg.sync->root_created &&
			  dir_in_way(run->cfg.sync->dst_root, ".")));
	run->pend_max = run->hl_defer ? HL_PEND_MAX : 0;
	raise_nofile();
	/* Keep the descriptors of files in flight within the limit, with
	 * room for directories and, under -L, for a quarter of the limit's
	 * directories kept open for links to their files (struct dhold). */
	run->holds_max = UINT_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		unsigned long avail = rl.rlim_cur > 48 ? rl.rlim_cur - 48 : 8;
		unsigned per = (unsigned)(avail / 4 / run->nworkers);

		if (per < 2)
			per = 2;
		if (jobs > per)
			jobs = per;
		if (run->pend_max > per / 2)	/* one descriptor each */
			run->pend_max = per / 2;
		run->holds_max = (unsigned)(avail / 4);
	}
	run->hl_defer = run->pend_max > 0;
	run->cfg.jobs = jobs;
	/* Two descriptors a file in flight, one a group's first waiting,
	 * and room for directories. */
	grow_fd_table((unsigned long)run->nworkers * (jobs * 2 + run->pend_max) +
		      64);
	/* Registered buffers are pinned and, without CAP_IPC_LOCK, count
	 * against RLIMIT_MEMLOCK (per user, and released only after a ring
	 * is torn down).  Register only when every pool fits in half the
	 * limit, leaving room for another run; plain buffers otherwise. */
	run->register_bufs = true;
	if (!run->is_root && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY)
		run->register_bufs = (uint64_t)run->nworkers * run->cfg.nbufs *
					     buf_size(run) <= rl.rlim_cur / 2;
	run->w = calloc(run->nworkers, sizeof(*run->w));
	if (!run->w) {
		log_error(ENOMEM, "cannot start");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &run->t0);
	run->lazy = run->has_dirs && !run->trees && run->nworkers > 1;
	started = start_workers(run, 0, run->lazy ? 1 : run->nworkers);
	if (run->lazy && started)
		started = lazy_start(run, started);
	progress_loop(run);
	for (unsigned i = 0; i < started; i++)
		pthread_join(run->w[i].thr, NULL);
	if (run->cfg.progress == PROGRESS_BAR)
		log_status_end();
	/* Buffers are registered at a worker's first data copy. */
	if (getenv("UCP_DEBUG"))
		log_error(0, "engine: regbuf=%u (workers that registered), "
			  "started=%u (workers)",
			  atomic_load(&run->regbuf_workers), started);
	for (unsigned i = 0; i < run->nworkers; i++) {
		if (run->w[i].engine_err) {
			if (run->w[i].engine_err != -ENOMEM || !started)
				log_error(-run->w[i].engine_err,
					  "cannot start the I/O engine");
			atomic_fetch_add(&run->errors, 1);
		}
	}
	if (!started) {
		log_error(ENOMEM, "cannot start");
		atomic_fetch_add(&run->errors, 1);
	}
	*signo = copy_stop_signal;
	return atomic_load(&run->errors);
}

void copy_run_swept(struct copy_run *run, dev_t dev, ino_t ino)
{
	run->swept_dev = dev;
	run->swept_ino = ino;
}

bool copy_run_unsynced(const struct copy_run *run)
{
	return atomic_load(&run->borrowed_unsynced);
}

void copy_run_totals(const struct copy_run *run, uint64_t *bytes,
		     unsigned long *entries)
{
	*bytes = atomic_load(&run->bytes_done);
	*entries = atomic_load(&run->ents_done);
}

void copy_run_free(struct copy_run *run)
{
	if (!run)
		return;
	if (run->w) {
		for (unsigned i = 0; i < run->nworkers; i++) {
			bufpool_free(&run->w[i].bp);
			for (unsigned k = 0; run->w[i].jobs && k < run->cfg.jobs; k++)
				XXH3_freeState(run->w[i].jobs[k].xs);
			for (unsigned c = 0; c < run->w[i].pend_chunks; c++) {
				for (unsigned k = 0; k < HL_PEND_CHUNK; k++)
					XXH3_freeState(run->w[i].pend_jobs[c][k].xs);
				free(run->w[i].pend_jobs[c]);
			}
			free(run->w[i].jobs);
			free(run->w[i].reqs);
		}
		free(run->w);
	}
	while (run->stack) {
		struct dnode *d = run->stack;

		run->stack = d->next;
		free(d->root_base);
		free(d->spath);
		free(d->dpath);
		free(d->root_name);
		free(d->root_dname);
		free(d->dents);
		nameset_free(d->seen);
		nameset_free(atomic_load(&d->dnames));
		if (d->sfd >= 0 && !d->borrowed)
			close(d->sfd);
		if (d->dfd >= 0 && !d->borrowed)
			close(d->dfd);
		if (d->hold)
			dhold_put(run, d->hold);
		free(d);
	}
	for (size_t b = 0; b < run->hl_buckets; b++) {
		while (run->hl[b]) {
			struct hlink *e = run->hl[b];

			run->hl[b] = e->next;
			if (e->dh)
				dhold_put(run, e->dh);
			free(e->name);
			free(e->rel);
			free(e);
		}
	}
	free(run->hl);
	pthread_mutex_destroy(&run->hl_lock);
	pthread_mutex_destroy(&run->lock);
	pthread_cond_destroy(&run->cond);
	free(run);
}

/*
 * copy - the copy run: workers, the shared directory stack, and the job
 * state machine for each entry.
 *
 * A run has one worker thread per core (UCP_WORKERS overrides), each owning
 * an engine (its own ring), a request freelist, a job table and a buffer
 * slab.  Work is shared through one LIFO stack of open directories: any
 * worker takes a bounded batch of entries from the directory on top,
 * reading it with getdents64 under the run lock, so even one huge
 * directory keeps every core busy, and a depth-first order keeps the
 * number of open directories near the depth of the tree.
 *
 * Each entry becomes a job.  A regular file:
 *
 *   [dst STATX, when the destination directory existed before the run]
 *   OPENAT src (O_NOFOLLOW|O_NONBLOCK) -> STATX on the fd -> OPENAT
 *   O_TMPFILE in the destination directory -> READ/WRITE chunks (linked
 *   pairs of whole chunks; an unlinked tail read that also proves EOF) ->
 *   LINKAT(AT_EMPTY_PATH) to the final name (or, to replace an existing
 *   file, LINKAT to a temp name + RENAMEAT over it) -> CLOSE both.
 *
 * --fsync flushes the file before LINKAT (FSYNC); --verify also hashes the
 * source in file order as chunks complete (a chunk that finished early
 * keeps its buffer until those before it are hashed), then after the FSYNC
 * drops the copy's pages and reads it back (READs, one buffer at a time)
 * to compare.
 *
 * So a file appears at its final name only with its complete data, and a
 * run killed at any moment leaves no temp file (an unlinked O_TMPFILE is
 * freed by the kernel).  Directories are MKDIRAT + two OPENATs, symlinks
 * readlinkat + SYMLINKAT, specials mknodat.  A directory's own metadata is
 * applied when its last entry is done.
 */
#ifndef UCP_COPY_H
#define UCP_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

#include "opts.h"

/* What --progress shows: nothing, a bar redrawn on a terminal, or whole
 * lines at intervals. */
enum progress { PROGRESS_NONE, PROGRESS_BAR, PROGRESS_LINES };

/* SIGUSR1: set by the handler; the run prints one status line. */
extern volatile sig_atomic_t copy_status_signal;

struct stage;

struct copy_config {
	bool verbose;
	bool recursive;
	bool force;
	enum clobber clobber;
	unsigned preserve;	/* PRESERVE_* (opts.h) */
	enum reflink reflink;
	enum update update;
	bool hard_link;		/* -l: link instead of copying */
	bool deref_all;		/* -L (or cp's default for -l, no -r) */
	bool deref_never;	/* -P, or -r's default: cp's DEREF_NEVER */
	bool one_fs;		/* -x */
	bool remove_dest;	/* --remove-destination */
	bool attr_only;		/* --attributes-only: no file data */
	bool debug;		/* --debug: how each file was copied */
	bool symbolic_link;	/* -s: symlinks to the sources, not copies */
	enum backup backup;	/* cp -b: back up each destination replaced */
	const char *backup_suffix;	/* ... as NAME + this (simple) */
	enum sparse sparse;	/* --sparse */
	bool copy_as_regular;	/* FIFOs and devices: copy their contents
				   (no -r, or --copy-contents) */
	bool keep_dir_symlink;	/* --keep-directory-symlink */
	bool require_preserve;	/* report failures to keep an attribute */
	bool require_xattr;
	bool default_mode;	/* --no-preserve=mode: cp's 0666 or 0777 less
				   the umask for new entries */
	const struct dirops *dirops;	/* cp -r, several operands */
	unsigned workers;	/* 0: one per online CPU */
	size_t chunk;		/* bytes per read/write request */
	unsigned nbufs;		/* buffers per worker */
	unsigned file_chunks;	/* chunks in flight per file */
	unsigned jobs;		/* entries in flight per worker */
	unsigned overread;	/* test: plan this many chunks past EOF */
	size_t writeback;	/* start writeback every N bytes (0: off) */
	size_t writeback_tail;	/* ... and of the rest of a file of at least
				   N bytes when its data is written (0: off) */
	bool fsync;		/* --fsync: files before publishing, then dirs */
	bool verify;		/* --verify: read back and compare first */
	FILE *manifest;		/* --checksum-file: "<xxh128>  <path>" lines */
	struct xfer_stats *stats;	/* cp's --stats (sync.h), or NULL */
	enum progress progress;	/* --progress, resolved: bar, lines or none */
	unsigned progress_ms;	/* between two updates */
	unsigned json_ms;	/* between two --json "progress" records */
	const char *test_corrupt;	/* UCP_TEST_CORRUPT: names to damage */
	unsigned lazy_ms;	/* start the other workers after this long */
	unsigned test_slow_us;	/* UCP_TEST_SLOW_US: pause per chunk written */
	bool stage;		/* build new trees under a temp name
				   (UCP_STAGE=0: not; see struct stage) */
	struct stage *dst_stage; /* --sync: DEST, made under a temp name
				    by the caller (copy_stage_new) */
	struct sync_state *sync;	/* --sync (sync.h), or NULL for cp */
};

struct copy_run;
struct sync_state;
struct xfer_stats;
struct stat;

/*
 * The directory operands of a cp command line, in order: cp copies each
 * once, so a later operand's tree that reaches an earlier directory
 * operand does not copy it again ("will not create hard link ... to
 * directory").  Filled by the caller, then sorted once before any run.
 */
struct dirop {
	uint64_t dev, ino;
	unsigned idx;		/* operand index */
	char *dpath;		/* its destination, as displayed */
};
struct dirops {
	struct dirop *v;
	size_t n, cap;
};
int dirops_add(struct dirops *t, const struct stat *st, unsigned idx,
	       const char *dpath);
void dirops_sort(struct dirops *t);
void dirops_free(struct dirops *t);

/* Defaults, then UCP_WORKERS / UCP_TEST_IOSIZE / UCP_TEST_OVERREAD /
 * UCP_TEST_CORRUPT / UCP_TEST_SLOW_US. */
void copy_config_defaults(struct copy_config *cfg);

int copy_run_new(struct copy_run **out, const struct copy_config *cfg);

/*
 * Queue one command-line source: copy the entry `name` of directory
 * src_dirfd (displayed as src_disp) to the entry `dst_name` of directory
 * dst_dirfd (displayed as dst_disp).  dst_dirfd may be -errno when the
 * destination's directory could not be opened; the error is reported with
 * the wording that fits the source's type.  src_base starts the display
 * paths of the entries below a directory source (the operand without the
 * slashes --strip-trailing-slashes removed).  known: the source's
 * stat(2) (lstat(2) without COPY_ADD_FOLLOW) just taken, or NULL.  Takes
 * ownership of both fds, unless COPY_ADD_BORROW.  Call it only before
 * copy_run_exec().
 */
#define COPY_ADD_FOLLOW	0x1	/* dereference a symlink source (cp
				   without -r) */
#define COPY_ADD_DIR	0x2	/* the source is a directory (sizes the
				   run: a few files get one worker and a
				   small buffer pool, so a one-file copy
				   starts as fast as cp) */
#define COPY_ADD_BORROW	0x4	/* the caller keeps both fds open until
				   copy_run_exec() returns, and closes
				   them (and syncs dst_dirfd first when
				   copy_run_unsynced()): operands share
				   them */
#define COPY_ADD_NO_DEST 0x8	/* dst_name was missing just now: not
				   looked at again (one that appears
				   since is decided on, as in any race) */
/* fsync(2) of a directory, also through an O_PATH descriptor. */
int copy_fsync_dir(int dfd);
int copy_run_add(struct copy_run *run, int src_dirfd, const char *name,
		 const char *src_disp, const char *src_base, int dst_dirfd,
		 const char *dst_name, const char *dst_disp, unsigned flags,
		 const struct stat *known);

/* Run all queued work to completion.  Returns the number of failures;
 * *signo is set when a SIGINT/SIGTERM stopped the run. */
unsigned copy_run_exec(struct copy_run *run, int *signo);

/* An eighth of the descriptor limit (raised to the hard limit first):
 * the operands of one run may keep twice that many directories open
 * until it is done (two each when none share one); the rest wait for
 * the next run. */
unsigned copy_max_roots(void);

/* --fsync: after copy_run_exec(), is a borrowed target directory (see
 * COPY_ADD_BORROW) left for the caller to sync? */
bool copy_run_unsynced(const struct copy_run *run);
/* What the run did, for --json's summary: bytes written, entries done. */
void copy_run_totals(const struct copy_run *run, uint64_t *bytes,
		     unsigned long *entries);

void copy_run_free(struct copy_run *run);

/* Directory dev/ino was listed just now and holds no temp name
 * (copy_temp_pid()): the run need not sweep it for its operands. */
void copy_run_swept(struct copy_run *run, dev_t dev, ino_t ino);

/* Remove what killed runs left in directory dfd: ".ucp.PID.*.tmp" files
 * and trees of processes that no longer run. */
void copy_sweep_temps(int dfd);

/*
 * The names in directory path (relative to dirfd), listed once: NULL when
 * it holds more than max entries or cannot be read, or when a name in it
 * may match other bytes than its own.  Only filesystems known to compare
 * names byte for byte qualify (tmpfs, ext4, btrfs), and a directory of
 * theirs only without case folding (chattr +F), where "F" would find "f".
 * clean, if not NULL: the directory, when it holds no temp name
 * (copy_temp_pid()) either; st_nlink 0 otherwise.
 */
struct nameset *copy_list_names(int dirfd, const char *path, size_t max,
				struct stat *clean);

/* The PID in a temp name made by copy_temp_name(), or 0 if name is not
 * one. */
pid_t copy_temp_pid(const char *name);

/* The temp name ".ucp.PID.WORKER.N.NAME.tmp" (NAME cut to 120 bytes):
 * unique in the run, and what copy_sweep_temps() recognises. */
void copy_temp_name(char *buf, size_t size, pid_t pid, unsigned worker,
		    unsigned n, const char *name);

/*
 * A directory built under the temp name tmp in directory pdfd (taken over,
 * closed at the end), to be renamed to name (displayed as disp) when the
 * last reference goes; fsync: then sync pdfd.  The run's directory nodes
 * under it hold references.  NULL when out of memory (pdfd closed).
 */
struct stage *copy_stage_new(int pdfd, const char *tmp, const char *name,
			     const char *disp, bool fsync);
/* Drop a reference; the last renames (never over an existing name).
 * false after a diagnostic. */
bool copy_stage_put(struct stage *s);

#endif

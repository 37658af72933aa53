/*
 * sync - the parts of --sync that are not the copy itself: the quick
 * check, attribute fixes for unchanged entries, rsync's itemized output,
 * deletion of extraneous entries, --link-dest, backups and statistics.
 *
 * The copy engine (copy.c) walks and copies as for cp; in sync mode it asks
 * these functions what to do with each entry and reports through them.
 * Everything here is plain syscalls, relative to directory fds: these are
 * the rare paths (a no-op sync makes two statx per file and nothing else).
 */
#ifndef UCP_SYNC_H
#define UCP_SYNC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "opts.h"

/* A set of names (the source entries of one directory, for deletion). */
struct nameset;

struct nameset *nameset_new(void);
int nameset_add(struct nameset *s, const char *name);
bool nameset_has(const struct nameset *s, const char *name);
void nameset_free(struct nameset *s);

/* --stats: what rsync counts, in cp use and with --sync.  Entries by type
 * (found, and created by this run), regular files whose data was written,
 * and sizes (of regular files and symlinks, as rsync's). */
struct xfer_stats {
	atomic_ulong n_reg, n_dir, n_link, n_dev, n_special;
	atomic_ulong c_reg, c_dir, c_link, c_dev, c_special;
	atomic_ulong xfer_files, total_size, xfer_size;
};

/* What differs between a source entry and its destination (itemize). */
enum {
	ITEM_NEW = 1 << 0,
	ITEM_CHECKSUM = 1 << 1,	/* content (--checksum), or link target */
	ITEM_SIZE = 1 << 2,
	ITEM_TIME = 1 << 3,
	ITEM_PERMS = 1 << 4,
	ITEM_OWNER = 1 << 5,
	ITEM_GROUP = 1 << 6,
	ITEM_XFER = 1 << 7,	/* the data is (re)written */
	ITEM_HLINK = 1 << 8,	/* made as a hard link */
	ITEM_LOCAL = 1 << 9,	/* created locally (dir, link, special) */
	ITEM_ATTRS = ITEM_TIME | ITEM_PERMS | ITEM_OWNER | ITEM_GROUP,
};

struct sync_state {
	const struct sync_opts *o;
	bool is_root;
	int dst_root;		/* the destination root (for --backup-dir) */
	const char *dst_root_disp;
	int backup_dirfd;	/* opened on first use; -1 */
	bool verbose;		/* -v */
	bool root_created;	/* DEST was made by this run */
	int ld_root;		/* --link-dest, opened against DEST; -1 */
	struct nameset *only;	/* --files-from: these paths (and parents) */
	struct nameset *only_in;	/* ... listed as "dir/" or ".": their
				   entries too (rsync's --dirs); "" is SRC */
	bool root_listed;	/* ... "." was listed: SRC's own attributes
				   are part of the transfer */
	char **listed;		/* ... the paths as listed, to report those
				   SRC does not have */
	size_t nlisted;
	gid_t *groups;		/* not root: the groups we may give files */
	int ngroups;
	atomic_flag backup_lock;
	atomic_bool io_error;	/* reading the source failed somewhere */
	atomic_bool io_warned;
	atomic_bool del_limited;	/* --max-delete stopped a deletion */
	atomic_uint vanished;
	atomic_ulong deleted, del_skipped;
	struct xfer_stats stats;	/* --stats */
};

/* --files-from without ".": SRC itself is not transferred (rsync): DEST's
 * own attributes are left alone, and it is neither itemized nor counted. */
static inline bool sync_root_unlisted(const struct sync_state *st)
{
	return st->only && !st->root_listed;
}

void sync_state_init(struct sync_state *st, const struct sync_opts *o,
		     bool is_root);
void sync_state_fini(struct sync_state *st);

/* Compare src and dst (of the same type).  Returns ITEM_* bits of what
 * differs in data (SIZE, TIME as the quick check sees them: in whole
 * seconds unless --modify-window says otherwise) and in the attributes
 * sync keeps (PERMS, OWNER, GROUP, and TIME for non-files). */
unsigned sync_diff(const struct sync_state *st, const struct statx *src,
		   const struct statx *dst);

/* Is a regular file's data unchanged (the quick check, or --checksum)?
 * May read both files (--checksum).  *err gets an errno on failure. */
bool sync_same_data(const struct sync_state *st, const struct statx *src,
		    const struct statx *dst, int sdirfd, const char *sname,
		    int ddirfd, const char *dname, int *err);

/* Set the attributes named by diff (PERMS/OWNER/GROUP/TIME) on
 * ddirfd/name from src, never following a symlink.  Returns 0 or an errno
 * and sets *what to the failed operation's message (one %s). */
int sync_fix_attrs(const struct sync_state *st, int ddirfd, const char *name,
		   const struct statx *src, unsigned diff, const char **what);

/* Print the line for a change: rsync's "%i %n" with --itemize-changes,
 * the name alone with -v.  rel: the path below the root ("" is the root
 * itself); extra: " -> target" or " => link" or NULL. */
void sync_report(const struct sync_state *st, unsigned items, mode_t mode,
		 const char *rel, const char *extra);

/* Count an entry of the source for --stats (created: it is new). */
void xfer_count(struct xfer_stats *st, mode_t mode, uint64_t size,
		bool created);

/* The entry at rel, of type is_dir, is protected from deletion by an
 * exclude rule (and no --delete-excluded). */
bool sync_protected(const struct sync_state *st, const char *rel, bool is_dir);

/* May deletions happen now?  False after a source read error (with the
 * one message rsync prints), unless --ignore-errors. */
bool sync_may_delete(struct sync_state *st);

/*
 * Delete what the destination directory dfd (at rel, displayed as disp)
 * has and seen does not (--delete), honouring filters, --max-delete,
 * --dry-run and --backup.  Returns the number of failures reported.
 */
unsigned sync_delete_extras(struct sync_state *st, const struct nameset *seen,
			    int dfd, const char *rel, const char *disp);

/* rsync's notice (stdout, not a failure) for a directory that stays. */
void sync_kept_dir(const char *rel);

/* Delete one entry (recursively for a directory; report: list the entry
 * itself, not only what is below it; else it is making room, and only
 * what is in it counts for --max-delete).  *kept: it stays, for something
 * in it does (the filters, the limit).  Returns failures. */
unsigned sync_delete_entry(struct sync_state *st, int dfd, const char *name,
			   bool is_dir, const char *rel, const char *disp,
			   bool report, bool *kept);

/* --delete-before / --delete-after: walk both trees and delete every
 * extraneous entry.  Returns the number of failures reported. */
unsigned sync_delete_pass(struct sync_state *st, int sfd, int dfd,
			  const char *rel, const char *sdisp, const char *ddisp);

/* --delete-before: read the whole source tree first, so that an error
 * anywhere in it stops every deletion.  Silent (the copy reports what it
 * meets); returns the number of directories that could not be read. */
unsigned sync_scan_source(struct sync_state *st, int sfd, const char *rel,
			  const char *disp);

/* The source entry at rel (of type is_dir) is part of the transfer:
 * filters and --files-from. */
bool sync_included(const struct sync_state *st, const char *rel, bool is_dir);

/* -u: is DEST's file newer than SRC's (rsync's rule, under
 * --modify-window)? */
bool sync_dst_newer(const struct sync_state *st, const struct statx *src,
		    const struct statx *dst);

/* Do the modification times differ at all (to the nanosecond)? */
bool sync_time_off(const struct statx *src, const struct statx *dst);

/* --backup and a file about to be deleted (or to make way for a
 * directory): is it backed up?  Not a backup itself (its name ends with
 * the suffix) without --backup-dir, as rsync: backups of backups are not
 * made. */
bool sync_backs_up(const struct sync_state *st, const char *name);

/*
 * Not as root: an entry of ours (mode, uid as DEST has them) that lacks
 * the owner bits want is given them, as rsync opens DEST's entries to
 * itself while it writes them.  True when it was changed (the caller puts
 * or sets the mode after).  Never in a dry run.
 */
bool sync_open_to_us(const struct sync_state *st, int dfd, const char *name,
		     mode_t mode, uid_t uid, mode_t want);

/* --backup: keep the entry ddirfd/name (at rel) as its backup before it is
 * replaced (move false: a hard link, so the name never goes missing) or
 * deleted (move true).  Returns 0 or an errno, reported by the caller. */
int sync_backup(struct sync_state *st, int ddirfd, const char *name,
		const char *rel, bool move);

/* ... as a copy (--inplace: the file itself is written next). */
int sync_backup_copy(struct sync_state *st, int ddirfd, const char *name,
		     const char *rel);

/* Do the symlinks adirfd/a and bdirfd/b point at the same target? */
bool sync_same_target(int adirfd, const char *a, int bdirfd, const char *b);

/*
 * --link-dest: compare the source entry (src, at sdirfd/sname) with its
 * namesake in the earlier snapshot (ldfd/name; "" for ldfd itself), as
 * rsync does.  LD_NONE: none of the source's type there.  LD_SAME: the
 * same data and attributes, to be hard-linked (never a directory).
 * LD_DIFF: *items gets what differs, for the itemized line.  ls, when
 * not NULL, gets the namesake's statx (LD_SAME and LD_DIFF).
 */
enum ld_match { LD_NONE, LD_SAME, LD_DIFF };
enum ld_match sync_ld_compare(const struct sync_state *st, int ldfd,
			      const char *name, const struct statx *src,
			      int sdirfd, const char *sname, unsigned *items,
			      struct statx *ls);

/* rsync's --stats block (the fields ucp has), on stdout. */
void xfer_print_stats(const struct xfer_stats *st, unsigned long deleted);

#endif

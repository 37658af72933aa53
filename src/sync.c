/*
 * sync - quick check, attribute fixes, itemized output, deletion,
 * --link-dest, backups and statistics for --sync (see sync.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backup.h"
#include "copy.h"
#include "hash.h"
#include "log.h"
#include "pathbuf.h"
#include "sync.h"

/* ------------------------------------------------------------------ */
/* name sets: open addressing on FNV-1a */

struct nameset {
	char **slot;
	size_t cap, n;
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

struct nameset *nameset_new(void)
{
	struct nameset *s = calloc(1, sizeof(*s));

	if (s && !(s->slot = calloc(s->cap = 64, sizeof(*s->slot)))) {
		free(s);
		s = NULL;
	}
	return s;
}

static int nameset_grow(struct nameset *s)
{
	size_t cap = s->cap * 2;
	char **slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -1;
	for (size_t i = 0; i < s->cap; i++) {
		size_t k;

		if (!s->slot[i])
			continue;
		for (k = name_hash(s->slot[i]) & (cap - 1); slot[k];
		     k = (k + 1) & (cap - 1))
			;
		slot[k] = s->slot[i];
	}
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
	return 0;
}

int nameset_add(struct nameset *s, const char *name)
{
	size_t k;

	if (2 * (s->n + 1) > s->cap && nameset_grow(s) < 0)
		return -1;
	for (k = name_hash(name) & (s->cap - 1); s->slot[k];
	     k = (k + 1) & (s->cap - 1))
		if (!strcmp(s->slot[k], name))
			return 0;
	if (!(s->slot[k] = strdup(name)))
		return -1;
	s->n++;
	return 0;
}

bool nameset_has(const struct nameset *s, const char *name)
{
	for (size_t k = name_hash(name) & (s->cap - 1); s->slot[k];
	     k = (k + 1) & (s->cap - 1))
		if (!strcmp(s->slot[k], name))
			return true;
	return false;
}

void nameset_free(struct nameset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	free(s);
}

/* ------------------------------------------------------------------ */
/* state */

void sync_state_init(struct sync_state *st, const struct sync_opts *o,
		     bool is_root)
{
	memset(st, 0, sizeof(*st));
	st->o = o;
	st->is_root = is_root;
	st->dst_root = -1;
	st->backup_dirfd = -1;
	st->ld_root = -1;
	atomic_flag_clear(&st->backup_lock);
	if (!is_root) {
		int n = getgroups(0, NULL);

		st->groups = malloc(sizeof(gid_t) * (size_t)(n > 0 ? n + 1 : 1));
		if (st->groups) {
			n = n > 0 ? getgroups(n, st->groups) : 0;
			st->ngroups = n > 0 ? n : 0;
			st->groups[st->ngroups++] = getegid();
		}
	}
}

/* rsync's rule: not as root, only a group we are a member of is kept
 * (chown(2) refuses the others), so only such a difference counts. */
static bool may_give_group(const struct sync_state *st, gid_t gid)
{
	if (st->is_root || !st->groups)
		return true;
	for (int i = 0; i < st->ngroups; i++)
		if (st->groups[i] == gid)
			return true;
	return false;
}

void sync_state_fini(struct sync_state *st)
{
	if (st->backup_dirfd >= 0)
		close(st->backup_dirfd);
	st->backup_dirfd = -1;
	if (st->ld_root >= 0)
		close(st->ld_root);
	st->ld_root = -1;
	nameset_free(st->only);
	st->only = NULL;
	nameset_free(st->only_in);
	st->only_in = NULL;
	for (size_t i = 0; i < st->nlisted; i++)
		free(st->listed[i]);
	free(st->listed);
	st->listed = NULL;
	st->nlisted = 0;
	free(st->groups);
	st->groups = NULL;
}

/* ------------------------------------------------------------------ */
/* the quick check */

/*
 * rsync's comparison of modification times: -1, 0, 1 as a's is older
 * than, the same as, or newer than b's.  Whole seconds by default (a
 * destination that keeps no nanoseconds stays unchanged run after run);
 * --modify-window=N: N seconds either way are the same; a negative N:
 * to the nanosecond.  exact: to the nanosecond whatever the window.
 */
static int cmp_mtime(const struct sync_state *st, const struct statx *a,
		     const struct statx *b, bool exact)
{
	int64_t d = a->stx_mtime.tv_sec - b->stx_mtime.tv_sec;
	long w = exact ? -1 : st->o->modify_window;

	if (w < 0 && !d)
		return (a->stx_mtime.tv_nsec > b->stx_mtime.tv_nsec) -
		       (a->stx_mtime.tv_nsec < b->stx_mtime.tv_nsec);
	if (w < 0)
		w = 0;
	return d > w ? 1 : -d > w ? -1 : 0;
}

static bool same_mtime(const struct sync_state *st, const struct statx *a,
		       const struct statx *b)
{
	return !cmp_mtime(st, a, b, false);
}

bool sync_dst_newer(const struct sync_state *st, const struct statx *src,
		    const struct statx *dst)
{
	/* rsync skips when src's seconds - dst's < the window: with 1, a
	 * DEST file of the same second counts as newer.  (With a negative
	 * window rsync still compares seconds, off by one: ucp compares
	 * nanoseconds, as the window asks.) */
	if (st->o->modify_window < 0)
		return cmp_mtime(st, dst, src, true) > 0;
	return dst->stx_mtime.tv_sec >
	       src->stx_mtime.tv_sec - st->o->modify_window;
}

bool sync_time_off(const struct statx *src, const struct statx *dst)
{
	return src->stx_mtime.tv_sec != dst->stx_mtime.tv_sec ||
	       src->stx_mtime.tv_nsec != dst->stx_mtime.tv_nsec;
}

unsigned sync_diff(const struct sync_state *st, const struct statx *src,
		   const struct statx *dst)
{
	unsigned d = 0;

	if (S_ISREG(src->stx_mode) && src->stx_size != dst->stx_size)
		d |= ITEM_SIZE;
	/* Symlink times are kept too (rsync -a on Linux does). */
	if (!same_mtime(st, src, dst))
		d |= ITEM_TIME;
	if (!S_ISLNK(src->stx_mode) &&
	    (src->stx_mode & 07777) != (dst->stx_mode & 07777))
		d |= ITEM_PERMS;
	if (st->is_root && src->stx_uid != dst->stx_uid)
		d |= ITEM_OWNER;
	/* A user may give a file of its own a group it belongs to. */
	if (src->stx_gid != dst->stx_gid &&
	    (st->is_root || (dst->stx_uid == geteuid() &&
			     may_give_group(st, src->stx_gid))))
		d |= ITEM_GROUP;
	return d;
}

/* XXH3-128 of a whole file, read with plain preads. */
static int hash_file(int dirfd, const char *name, XXH128_hash_t *out)
{
	static const size_t bsize = 256 * 1024;
	char *buf = malloc(bsize);
	int fd, err;

	if (!buf)
		return ENOMEM;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = errno;
		free(buf);
		return err;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	err = hash_fd(fd, buf, bsize, out);
	close(fd);
	free(buf);
	return err;
}

bool sync_same_data(const struct sync_state *st, const struct statx *src,
		    const struct statx *dst, int sdirfd, const char *sname,
		    int ddirfd, const char *dname, int *err)
{
	const struct sync_opts *o = st->o;
	XXH128_hash_t a, b;

	/* rsync's order (quick_check_ok): the size, then --checksum, then
	 * --size-only, then --ignore-times, then the time. */
	*err = 0;
	if (src->stx_size != dst->stx_size)
		return false;
	if (!o->checksum) {
		if (o->size_only)
			return true;
		return !o->ignore_times && same_mtime(st, src, dst);
	}
	if ((*err = hash_file(sdirfd, sname, &a)) != 0)
		return false;
	if (hash_file(ddirfd, dname, &b) != 0)
		return false;	/* unreadable copy: replace it */
	return XXH128_isEqual(a, b);
}

/* fchmodat2 (Linux 6.6) refuses to follow a symlink; older kernels: the
 * caller never asks for a symlink's mode, so plain fchmodat is safe
 * enough once the name was seen not to be one. */
static int chmod_nofollow(int dirfd, const char *name, mode_t mode)
{
#ifdef SYS_fchmodat2
	if (syscall(SYS_fchmodat2, dirfd, name, mode, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
#endif
	return fchmodat(dirfd, name, mode, 0);
}

int sync_fix_attrs(const struct sync_state *st, int ddirfd, const char *name,
		   const struct statx *src, unsigned diff, const char **what)
{
	if (diff & (ITEM_OWNER | ITEM_GROUP)) {
		uid_t uid = diff & ITEM_OWNER ? src->stx_uid : (uid_t)-1;

		if (fchownat(ddirfd, name, uid, src->stx_gid,
			     AT_SYMLINK_NOFOLLOW) < 0 &&
		    (st->is_root || (errno != EPERM && errno != EINVAL))) {
			*what = "failed to preserve ownership for %s";
			return errno;
		}
		/* chown dropped any set-id bits: the mode goes after. */
		if (src->stx_mode & (S_ISUID | S_ISGID))
			diff |= ITEM_PERMS;
	}
	if ((diff & ITEM_PERMS) && !S_ISLNK(src->stx_mode) &&
	    chmod_nofollow(ddirfd, name, src->stx_mode & 07777) < 0) {
		*what = "failed to preserve permissions for %s";
		return errno;
	}
	if (diff & ITEM_TIME) {
		struct timespec ts[2] = {
			{ src->stx_atime.tv_sec, src->stx_atime.tv_nsec },
			{ src->stx_mtime.tv_sec, src->stx_mtime.tv_nsec },
		};

		if (utimensat(ddirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0) {
			*what = "failed to preserve times for %s";
			return errno;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* output */

static char type_char(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return 'f';
	case S_IFDIR:
		return 'd';
	case S_IFLNK:
		return 'L';
	case S_IFCHR:
	case S_IFBLK:
		return 'D';
	default:
		return 'S';
	}
}

void sync_report(const struct sync_state *st, unsigned items, mode_t mode,
		 const char *rel, const char *extra)
{
	const char *name = *rel ? rel : ".";
	const char *slash = S_ISDIR(mode) ? "/" : "";

	if (!extra)
		extra = "";
	if (st->o->itemize) {
		char f[12];

		if (items & ITEM_HLINK)
			f[0] = 'h';
		else if (items & ITEM_XFER)
			f[0] = '>';
		else if (items & (ITEM_LOCAL | ITEM_NEW))
			f[0] = 'c';
		else
			f[0] = '.';
		f[1] = type_char(mode);
		if (items & ITEM_NEW) {
			memset(f + 2, '+', 9);
		} else {
			f[2] = items & ITEM_CHECKSUM ? 'c' : '.';
			f[3] = items & ITEM_SIZE ? 's' : '.';
			f[4] = items & ITEM_TIME ? 't' : '.';
			f[5] = items & ITEM_PERMS ? 'p' : '.';
			f[6] = items & ITEM_OWNER ? 'o' : '.';
			f[7] = items & ITEM_GROUP ? 'g' : '.';
			memset(f + 8, '.', 3);
		}
		f[11] = 0;
		log_out("%s %s%s%s", f, log_escape(name), slash, extra);
	} else {
		log_out("%s%s%s", log_escape(name), slash, extra);
	}
}

void xfer_count(struct xfer_stats *st, mode_t mode, uint64_t size,
		bool created)
{
	atomic_ulong *n, *c;

	switch (mode & S_IFMT) {
	case S_IFREG:
		n = &st->n_reg, c = &st->c_reg;
		atomic_fetch_add(&st->total_size, size);
		break;
	case S_IFDIR:
		n = &st->n_dir, c = &st->c_dir;
		break;
	case S_IFLNK:
		n = &st->n_link, c = &st->c_link;
		atomic_fetch_add(&st->total_size, size);
		break;
	case S_IFCHR:
	case S_IFBLK:
		n = &st->n_dev, c = &st->c_dev;
		break;
	default:
		n = &st->n_special, c = &st->c_special;
		break;
	}
	atomic_fetch_add(n, 1);
	if (created)
		atomic_fetch_add(c, 1);
}

/* rsync prints its counts with thousands separators. */
static const char *commas(char *buf, size_t size, unsigned long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lu", v), o = 0;

	for (int i = 0; i < n && (size_t)o + 2 < size; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = 0;
	return buf;
}

static void print_counts(const char *label, unsigned long reg,
			 unsigned long dir, unsigned long lnk,
			 unsigned long dev, unsigned long spec)
{
	unsigned long total = reg + dir + lnk + dev + spec;
	const char *sep = " (";
	char buf[256], c[32];
	int n = snprintf(buf, sizeof(buf), "%s: %s", label,
			 commas(c, sizeof(c), total));

#define PART(v, name)                                                       \
	if (v) {                                                            \
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s%s: %s",   \
			      sep, name, commas(c, sizeof(c), v));          \
		sep = ", ";                                                 \
	}
	PART(reg, "reg")
	PART(dir, "dir")
	PART(lnk, "link")
	PART(dev, "dev")
	PART(spec, "special")
#undef PART
	printf("%s%s\n", buf, total ? ")" : "");
}

void xfer_print_stats(const struct xfer_stats *st, unsigned long deleted)
{
	char c[32];

	printf("\n");
	print_counts("Number of files", st->n_reg, st->n_dir, st->n_link,
		     st->n_dev, st->n_special);
	print_counts("Number of created files", st->c_reg, st->c_dir,
		     st->c_link, st->c_dev, st->c_special);
	printf("Number of deleted files: %s\n", commas(c, sizeof(c), deleted));
	printf("Number of regular files transferred: %s\n",
	       commas(c, sizeof(c), st->xfer_files));
	printf("Total file size: %s bytes\n", commas(c, sizeof(c), st->total_size));
	printf("Total transferred file size: %s bytes\n",
	       commas(c, sizeof(c), st->xfer_size));
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* filters */

static char *rel_join(const char *rel, const char *name)
{
	return *rel ? path_join(rel, name) : strdup(name);
}

/* --files-from: listed, leads to something listed, or is an entry of a
 * directory listed with its entries ("dir/", "."). */
static bool files_from_has(const struct sync_state *st, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	char parent[PATH_MAX];

	if (nameset_has(st->only, rel))
		return true;
	if (!st->only_in)
		return false;
	if (!slash)
		return nameset_has(st->only_in, "");
	if ((size_t)(slash - rel) >= sizeof(parent))
		return false;
	memcpy(parent, rel, (size_t)(slash - rel));
	parent[slash - rel] = '\0';
	return nameset_has(st->only_in, parent);
}

bool sync_included(const struct sync_state *st, const char *rel, bool is_dir)
{
	if (st->only && !files_from_has(st, rel))
		return false;
	return filter_match(&st->o->filters, rel, is_dir) != FILTER_EXCLUDE;
}

bool sync_protected(const struct sync_state *st, const char *rel, bool is_dir)
{
	enum filter_verdict v;

	if (st->o->delete_excluded)
		return false;
	if (st->only && !files_from_has(st, rel))
		return true;
	v = filter_match_dest(&st->o->filters, rel, is_dir);
	return v == FILTER_EXCLUDE || v == FILTER_PROTECT;
}

/* ------------------------------------------------------------------ */
/* deletion */

bool sync_may_delete(struct sync_state *st)
{
	if (!atomic_load(&st->io_error) || st->o->ignore_errors)
		return true;
	if (!atomic_exchange(&st->io_warned, true))
		log_error(0, "IO error encountered -- skipping file deletion");
	return false;
}

static bool may_delete_one(struct sync_state *st)
{
	long max = st->o->max_delete;

	if (max < 0)
		return true;
	if ((long)atomic_fetch_add(&st->deleted, 1) < max)
		return true;
	atomic_fetch_sub(&st->deleted, 1);
	atomic_fetch_add(&st->del_skipped, 1);
	atomic_store(&st->del_limited, true);
	return false;
}

static void report_delete(const struct sync_state *st, const char *rel,
			  bool is_dir)
{
	if (st->o->itemize)
		log_out("*deleting   %s%s", log_escape(rel),
			is_dir ? "/" : "");
	else if (st->verbose)
		log_out("deleting %s%s", log_escape(rel), is_dir ? "/" : "");
}

static unsigned delete_in(struct sync_state *st, const struct nameset *seen,
			  int dfd, const char *rel, const char *disp,
			  bool *kept);

void sync_kept_dir(const char *rel)
{
	/* rsync's notice, on stdout: not a failure. */
	log_out("cannot delete non-empty directory: %s", log_escape(rel));
}

bool sync_open_to_us(const struct sync_state *st, int dfd, const char *name,
		     mode_t mode, uid_t uid, mode_t want)
{
	return !st->is_root && !st->o->dry_run && uid == geteuid() &&
	       (mode & want) != want &&
	       fchmodat(dfd, name, (mode | want) & 07777, 0) == 0;
}

/*
 * A directory of ours that is to go, but that we may not list, search or
 * write, is opened to us first (u+rwx; rsync stops at u+w, and then fails
 * on one it cannot search).  True, with its mode in *old, when it was
 * changed: put back if it stays.
 */
static bool open_dir_to_us(const struct sync_state *st, int dfd,
			   const char *name, mode_t *old)
{
	struct stat sb;

	if (st->is_root || st->o->dry_run ||
	    fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(sb.st_mode))
		return false;
	*old = sb.st_mode & 07777;
	return sync_open_to_us(st, dfd, name, sb.st_mode, sb.st_uid, S_IRWXU);
}

/* As sync_delete_entry; *kept (if not NULL) is set when the entry stays
 * because something in it does. */
static unsigned delete_entry(struct sync_state *st, int dfd, const char *name,
			     bool is_dir, const char *rel, const char *disp,
			     bool report, bool *kept)
{
	unsigned fails = 0;
	char *d = path_join(disp, name);
	bool later, opened = false;
	mode_t old_mode = 0;

	if (!d)
		return 1;
	if (is_dir) {
		int cfd;
		bool inner = false;

		opened = open_dir_to_us(st, dfd, name, &old_mode);
		cfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					O_CLOEXEC);
		if (cfd < 0) {
			log_error(errno, "cannot open directory %s",
				  log_quote(d));
			fails = 1;
			goto out;
		}
		fails = delete_in(st, NULL, cfd, rel, d, &inner);
		close(cfd);
		if (!fails && inner) {
			/* The filters protect something in it, or the limit
			 * kept it (known before any rmdir, so dry runs say it
			 * too): rsync's notice, where it makes room as well.
			 * Inside a directory that goes, rsync then still
			 * tries this one against the limit. */
			sync_kept_dir(rel);
			if (kept)
				*kept = true;
			if (kept && report && st->o->max_delete >= 0 &&
			    (long)atomic_load(&st->deleted) >=
				    st->o->max_delete) {
				/* inside one that goes */
				atomic_fetch_add(&st->del_skipped, 1);
				atomic_store(&st->del_limited, true);
			}
		}
		if (fails || inner)	/* making room: that fails next */
			goto out;
	}
	/* Making room (!report), the entry itself is neither limited nor
	 * counted by --max-delete, as rsync's DEL_MAKE_ROOM: only what was
	 * in it. */
	if (report && !may_delete_one(st)) {
		if (kept)	/* --max-delete: its directory stays too */
			*kept = true;
		goto out;
	}
	if (report && st->o->max_delete < 0)
		atomic_fetch_add(&st->deleted, 1);
	/* Something may stay in a directory (an entry the filters protect,
	 * the backups of its files) and keep it: it is reported once it is
	 * gone. */
	later = report && is_dir && !st->o->dry_run;
	if (report && !later)
		report_delete(st, rel, is_dir);
	if (!st->o->dry_run) {
		int err = 0;

		if (!is_dir && sync_backs_up(st, name))
			err = sync_backup(st, dfd, name, rel, true);
		else if (unlinkat(dfd, name, is_dir ? AT_REMOVEDIR : 0) < 0)
			err = errno;
		if (err == ENOTEMPTY && is_dir && report) {
			sync_kept_dir(rel);	/* the backups of its files */
			if (kept)
				*kept = true;
			err = 0;
			later = false;
		}
		if (err) {
			log_error(err, "cannot remove %s", log_quote(d));
			fails++;
		} else if (later) {
			report_delete(st, rel, is_dir);
		}
	}
out:
	/* It stays: its own mode back (ENOENT when it went) */
	if (opened)
		(void)fchmodat(dfd, name, old_mode, 0);
	free(d);
	return fails;
}

unsigned sync_delete_entry(struct sync_state *st, int dfd, const char *name,
			   bool is_dir, const char *rel, const char *disp,
			   bool report, bool *kept)
{
	*kept = false;
	return delete_entry(st, dfd, name, is_dir, rel, disp, report, kept);
}

/*
 * Delete entries of the directory dfd (at rel, displayed as disp) that no
 * rule protects: every one (seen NULL: the directory itself goes next),
 * or those seen does not have.  Deepest first, as rsync lists them.
 */
static unsigned delete_in(struct sync_state *st, const struct nameset *seen,
			  int dfd, const char *rel, const char *disp,
			  bool *kept)
{
	int lfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = lfd >= 0 ? fdopendir(lfd) : NULL;
	struct dirent *de;
	unsigned fails = 0;

	if (!dir) {
		log_error(errno, "cannot open directory %s", log_quote(disp));
		if (lfd >= 0)
			close(lfd);
		return 1;
	}
	while ((errno = 0, de = readdir(dir))) {
		char *r;
		bool is_dir;

		/* Temp names are not extraneous entries: this run's may still
		 * be renamed into place, another live run's too, and a killed
		 * run's are swept when the directory is done (silently). */
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (seen && (nameset_has(seen, de->d_name) ||
			      copy_temp_pid(de->d_name) > 0)))
			continue;
		is_dir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN) {
			struct stat sb;

			is_dir = !fstatat(dfd, de->d_name, &sb,
					  AT_SYMLINK_NOFOLLOW) &&
				 S_ISDIR(sb.st_mode);
		}
		if (!(r = rel_join(rel, de->d_name))) {
			fails++;
			continue;
		}
		/* Inside a directory that goes too: what the filters
		 * protect stays (and keeps the directory), as in rsync. */
		if (!sync_protected(st, r, is_dir))
			fails += delete_entry(st, dfd, de->d_name, is_dir, r,
					      disp, true, kept);
		else if (kept)
			*kept = true;
		free(r);
	}
	if (errno) {
		log_error(errno, "cannot read directory %s", log_quote(disp));
		fails++;
	}
	closedir(dir);
	return fails;
}

unsigned sync_delete_extras(struct sync_state *st, const struct nameset *seen,
			    int dfd, const char *rel, const char *disp)
{
	return sync_may_delete(st) ? delete_in(st, seen, dfd, rel, disp, NULL) :
				     0;
}

unsigned sync_scan_source(struct sync_state *st, int sfd, const char *rel,
			  const char *disp)
{
	int lfd = openat(sfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = lfd >= 0 ? fdopendir(lfd) : NULL;
	struct dirent *de;
	unsigned fails = 0;

	if (!dir) {
		atomic_store(&st->io_error, true);
		if (lfd >= 0)
			close(lfd);
		return 1;
	}
	while ((errno = 0, de = readdir(dir))) {
		char *r, *d;
		int cfd;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") ||
		    !strcmp(de->d_name, ".."))
			continue;
		r = rel_join(rel, de->d_name);
		d = path_join(disp, de->d_name);
		if (r && d && sync_included(st, r, true)) {
			cfd = openat(sfd, de->d_name, O_RDONLY | O_DIRECTORY |
							      O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0) {
				atomic_store(&st->io_error, true);
				fails++;
			} else {
				fails += sync_scan_source(st, cfd, r, d);
				close(cfd);
			}
		}
		free(r);
		free(d);
	}
	if (errno) {
		atomic_store(&st->io_error, true);
		fails++;
	}
	closedir(dir);
	return fails;
}

unsigned sync_delete_pass(struct sync_state *st, int sfd, int dfd,
			  const char *rel, const char *sdisp, const char *ddisp)
{
	int lfd = openat(sfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = lfd >= 0 ? fdopendir(lfd) : NULL;
	struct nameset *seen = nameset_new();
	struct dirent *de;
	unsigned fails = 0;

	if (!dir || !seen) {
		log_error(errno, "cannot open directory %s", log_quote(sdisp));
		atomic_store(&st->io_error, true);
		if (!dir && lfd >= 0)
			close(lfd);
		if (dir)
			closedir(dir);
		nameset_free(seen);
		return 1;
	}
	/* First the names the source has (included ones only). */
	while ((errno = 0, de = readdir(dir))) {
		char *r;
		bool is_dir;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		is_dir = de->d_type == DT_DIR;
		if (!(r = rel_join(rel, de->d_name)) ||
		    (sync_included(st, r, is_dir) &&
		     nameset_add(seen, de->d_name) < 0)) {
			free(r);
			fails++;
			atomic_store(&st->io_error, true);
			continue;
		}
		free(r);
	}
	if (errno) {
		log_error(errno, "cannot read directory %s", log_quote(sdisp));
		atomic_store(&st->io_error, true);
		fails++;
	}
	if (!fails) {
		unsigned long before = atomic_load(&st->deleted);
		struct stat sst;

		fails += sync_delete_extras(st, seen, dfd, rel, ddisp);
		/* Deleting changed the directory's times.  Before the copy,
		 * the copy finds them changed, says so (".d..t") and sets the
		 * source's, as rsync --delete-before; after it, they are put
		 * back here. */
		if (st->o->del == DEL_AFTER &&
		    atomic_load(&st->deleted) != before && !st->o->dry_run &&
		    fstat(sfd, &sst) == 0) {
			struct timespec ts[2] = { sst.st_atim, sst.st_mtim };

			futimens(dfd, ts);
		}
	}
	/* Then the directories both sides have. */
	rewinddir(dir);
	while (!fails && (de = readdir(dir))) {
		struct stat ss, ds;
		int cs, cd;
		char *r, *sd, *dd;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") ||
		    !strcmp(de->d_name, "..") || !nameset_has(seen, de->d_name))
			continue;
		if (fstatat(dfd, de->d_name, &ds, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(ds.st_mode) ||
		    fstatat(sfd, de->d_name, &ss, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		cs = openat(sfd, de->d_name, O_RDONLY | O_DIRECTORY |
						     O_NOFOLLOW | O_CLOEXEC);
		cd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY |
						     O_NOFOLLOW | O_CLOEXEC);
		r = rel_join(rel, de->d_name);
		sd = path_join(sdisp, de->d_name);
		dd = path_join(ddisp, de->d_name);
		if (cs < 0) {
			log_error(errno, "cannot open directory %s",
				  log_quote(sd ? sd : de->d_name));
			atomic_store(&st->io_error, true);
			fails++;
		} else if (cd >= 0 && r && sd && dd) {
			fails += sync_delete_pass(st, cs, cd, r, sd, dd);
		}
		if (cs >= 0)
			close(cs);
		if (cd >= 0)
			close(cd);
		free(r);
		free(sd);
		free(dd);
	}
	closedir(dir);
	nameset_free(seen);
	return fails;
}

/* ------------------------------------------------------------------ */
/* backups and --link-dest */

/* The directory for the backup of rel's entry: its own directory, or the
 * same path under --backup-dir (made as needed). */
static int backup_parent(struct sync_state *st, int ddirfd, const char *rel)
{
	const char *bd = st->o->backup_dir;
	char *path, *slash;
	int fd;

	if (!bd)
		return dup(ddirfd);
	while (atomic_flag_test_and_set(&st->backup_lock))
		;
	if (st->backup_dirfd < 0) {
		mkdirat(st->dst_root, bd, 0777);
		st->backup_dirfd = openat(st->dst_root, bd,
					  O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	fd = st->backup_dirfd >= 0 ? dup(st->backup_dirfd) : -1;
	atomic_flag_clear(&st->backup_lock);
	if (fd < 0 || !(path = strdup(rel)))
		return -1;
	/* mkdir -p of rel's directory part, one component at a time. */
	for (char *c = path; (slash = strchr(c, '/')); c = slash + 1) {
		int nfd;

		*slash = 0;
		mkdirat(fd, c, 0777);
		nfd = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW |
					    O_CLOEXEC);
		close(fd);
		if ((fd = nfd) < 0)
			break;
	}
	free(path);
	return fd;
}

static const char *backup_suffix(const struct sync_state *st)
{
	return st->o->suffix ? st->o->suffix : st->o->backup_dir ? "" : "~";
}

bool sync_backs_up(const struct sync_state *st, const char *name)
{
	const char *sfx = backup_suffix(st);
	size_t n = strlen(name), k = strlen(sfx);

	return st->o->backup &&
	       (st->o->backup_dir || n <= k || strcmp(name + n - k, sfx));
}

enum backup_how { BK_LINK, BK_MOVE, BK_COPY };

static int backup_as(struct sync_state *st, int ddirfd, const char *name,
		     const char *rel, enum backup_how how)
{
	const char *sfx = backup_suffix(st);
	char bname[NAME_MAX + 1];
	int bfd = backup_parent(st, ddirfd, rel);
	int err = 0;

	if (bfd < 0)
		return errno ? errno : EIO;
	if ((size_t)snprintf(bname, sizeof(bname), "%s%s", name, sfx) >=
	    sizeof(bname)) {
		close(bfd);
		return ENAMETOOLONG;
	}
	err = how == BK_COPY ? backup_copy(ddirfd, name, bfd, bname) :
			       backup_make(ddirfd, name, bfd, bname,
					   how == BK_LINK);
	close(bfd);
	return err;
}

int sync_backup(struct sync_state *st, int ddirfd, const char *name,
		const char *rel, bool move)
{
	return backup_as(st, ddirfd, name, rel, move ? BK_MOVE : BK_LINK);
}

int sync_backup_copy(struct sync_state *st, int ddirfd, const char *name,
		     const char *rel)
{
	return backup_as(st, ddirfd, name, rel, BK_COPY);
}

bool sync_same_target(int adirfd, const char *a, int bdirfd, const char *b)
{
	char ta[PATH_MAX], tb[PATH_MAX];
	ssize_t na = readlinkat(adirfd, a, ta, sizeof(ta));
	ssize_t nb = readlinkat(bdirfd, b, tb, sizeof(tb));

	return na >= 0 && na == nb && !memcmp(ta, tb, (size_t)na);
}

enum ld_match sync_ld_compare(const struct sync_state *st, int ldfd,
			      const char *name, const struct statx *src,
			      int sdirfd, const char *sname, unsigned *items,
			      struct statx *lsp)
{
	struct statx buf, *ls = lsp ? lsp : &buf;
	unsigned d;

	if (statx(ldfd, name, AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH),
		  STATX_BASIC_STATS, ls) < 0 ||
	    (ls->stx_mode & S_IFMT) != (src->stx_mode & S_IFMT))
		return LD_NONE;
	d = sync_diff(st, src, ls);
	switch (src->stx_mode & S_IFMT) {
	case S_IFDIR:
		/* Never linked: the new directory is itemized against it. */
		*items = ITEM_LOCAL | (d & ITEM_ATTRS);
		return LD_DIFF;
	case S_IFREG: {
		int err;

		if (!(d & (ITEM_SIZE | ITEM_TIME)) &&
		    (!st->o->checksum ||
		     sync_same_data(st, src, ls, sdirfd, sname, ldfd, name,
				    &err))) {
			/* The same data: linked when every attribute matches
			 * too (rsync never changes the earlier snapshot),
			 * else copied locally ("cf"). */
			*items = ITEM_LOCAL | d;
			return d ? LD_DIFF : LD_SAME;
		}
		*items = ITEM_XFER | d | (st->o->checksum ? ITEM_CHECKSUM : 0);
		return LD_DIFF;
	}
	case S_IFLNK:
		if (!sync_same_target(sdirfd, sname, ldfd, name))
			d |= ITEM_CHECKSUM;
		break;
	case S_IFCHR:
	case S_IFBLK:
		if (src->stx_rdev_major != ls->stx_rdev_major ||
		    src->stx_rdev_minor != ls->stx_rdev_minor)
			d |= ITEM_CHECKSUM;
		break;
	default:
		break;
	}
	/* A symlink made anew shows its target as changed, as rsync's. */
	*items = ITEM_LOCAL | d | (S_ISLNK(src->stx_mode) ? ITEM_CHECKSUM : 0);
	return d ? LD_DIFF : LD_SAME;
}

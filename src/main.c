/*
 * main - operands to copy jobs, signals, exit status.
 *
 * The operand rules are GNU cp's: with -t DIR or when the last of two or
 * more operands is a directory (and no -T), each SOURCE is copied into it
 * under its own name; otherwise SOURCE is copied to the name DEST.  Every
 * other decision (does the destination exist, is it the same file, is a
 * directory being copied into itself) is made per entry by the copy jobs,
 * which see the same cases inside a recursive copy.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "copy.h"
#include "engine.h"
#include "json.h"
#include "log.h"
#include "opts.h"
#include "pathbuf.h"
#include "sync.h"

extern volatile sig_atomic_t copy_stop_signal;

/* How a stop that cannot wind down ends: -1 dies of the signal (cp), else
 * _exit with this status (--sync: rsync's 20). */
static volatile sig_atomic_t forced_status = -1;
static unsigned stop_grace_s = 2;	/* UCP_TEST_STOP_GRACE_S */

static void die_now(void)
{
	int sig = copy_stop_signal;
	sigset_t set;

	if (forced_status >= 0)
		_exit(forced_status);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);	/* in its own handler */
	raise(sig);
	_exit(128 + sig);
}

/*
 * SIGINT/SIGTERM/SIGHUP: stop admitting work, abandon what is unpublished,
 * end as soon as the requests in flight are back.  A request may never
 * come back (reading a FIFO nobody writes, a hung network filesystem), so
 * a second signal, or two seconds, ends the process at once, as
 * the signal would end cp.  That is as safe as a SIGKILL: nothing
 * unfinished is at a final name (temp files are unlinked O_TMPFILEs or,
 * for small replacements, named temps; those and temp trees are swept
 * by the next run).
 */
static void on_signal(int sig)
{
	if (copy_stop_signal)
		die_now();
	copy_stop_signal = sig;
	alarm(stop_grace_s);
}

static void on_alarm(int sig)
{
	(void)sig;
	if (copy_stop_signal)
		die_now();
}

static bool has_trailing_slash(const char *p)
{
	size_t n = strlen(p);

	return n > 1 && p[n - 1] == '/';
}

static int open_dir_path(const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * The directories of a run's operands, each opened once (O_PATH) and
 * lent to all the operands in it ("ucp *.jpg DIR": two descriptors, not
 * two per file); closed when the run is over.
 */
struct opdirs {
	char *path[2];		/* the last source and target directory */
	int fd[2];		/* and their descriptors (-errno: failed) */
	struct opdir {
		int fd;		/* every descriptor opened for the run */
		char *dst;	/* a target directory's path, else NULL */
	} *open;
	unsigned nopen, cap;
};

enum { OPD_SRC, OPD_DST };

/* Operands queued in one run at most: the rest wait for the next (each
 * holds about half a KiB until a worker takes it). */
#define ROOTS_PER_RUN 8192

/* The descriptor of directory path for the run (-errno if it cannot be
 * opened). */
static int opdirs_get(struct opdirs *od, int which, const char *path)
{
	int fd;

	if (od->path[which] && od->fd[which] >= 0 &&
	    !strcmp(od->path[which], path))
		return od->fd[which];
	if (od->nopen == od->cap) {
		unsigned cap = od->cap ? 2 * od->cap : 16;
		struct opdir *n = realloc(od->open, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		od->open = n;
		od->cap = cap;
	}
	fd = open_dir_path(path);
	if (fd < 0)
		return fd;
	od->open[od->nopen].fd = fd;
	od->open[od->nopen++].dst = which == OPD_DST ? strdup(path) : NULL;
	free(od->path[which]);
	od->path[which] = strdup(path);
	od->fd[which] = od->path[which] ? fd : -1;
	return fd;
}

/* After the run: close them all, syncing the target directories first
 * when fsync (--fsync: copy.c leaves them to us, once for all their
 * operands).  Returns the number of failures. */
static unsigned opdirs_close(struct opdirs *od, bool fsync)
{
	unsigned failed = 0;

	for (unsigned i = 0; i < od->nopen; i++) {
		if (fsync && od->open[i].dst &&
		    copy_fsync_dir(od->open[i].fd) < 0) {
			log_error(errno, "error syncing %s",
				  log_quote(od->open[i].dst));
			failed++;
		}
		close(od->open[i].fd);
		free(od->open[i].dst);
	}
	free(od->open);
	free(od->path[OPD_SRC]);
	free(od->path[OPD_DST]);
	memset(od, 0, sizeof(*od));
	return failed;
}

/*
 * Queue the copy of operand src (named so in messages: trailing slashes
 * are stripped before, where they are) to dst_dir/dst_name (displayed as
 * dst_disp); dst_dirfd is od's (-errno: it could not be opened).  known:
 * the operand's stat from the plan, when nothing ran since (absent: and
 * its destination was missing then); else it is stat'ed here.  Either
 * stat goes with the root: the job does not look again.  Returns false
 * when the operand failed before any job.
 */
static bool add_operand(struct copy_run *run, const struct opts *o,
			struct opdirs *od, const char *src,
			const struct stat *known, bool absent, int dst_dirfd,
			const char *dst_name, const char *dst_disp)
{
	struct stat st;
	char *sdir = NULL, *sname = NULL;
	bool follow = o->deref != DEREF_NEVER || has_trailing_slash(src);
	int sfd, ret;

	/* One stat of the operand as typed gives cp's "cannot stat"
	 * wording for every way it can be wrong (missing, "file/", ...). */
	if (known) {
		st = *known;
	} else if ((follow ? stat(src, &st) : lstat(src, &st)) < 0) {
		log_error(errno, "cannot stat %s", log_quote(src));
		goto fail;
	}
	if (has_trailing_slash(dst_disp) && dst_dirfd >= 0) {
		/* "DEST/" must be a directory.  As in cp: an existing
		 * non-directory fails the stat; a missing name is made only
		 * by a directory, anything else fails its create. */
		struct stat dt;
		bool as_reg = S_ISREG(st.st_mode) ||
			      (!S_ISLNK(st.st_mode) &&
			       (!o->recursive || o->copy_contents));

		ret = stat(dst_disp, &dt);
		if (ret < 0 && errno != ENOENT) {
			log_error(errno, "cannot stat %s", log_quote(dst_disp));
			goto fail;
		}
		if (ret < 0 && !S_ISDIR(st.st_mode)) {
			if (o->verbose)	/* cp lists it, then fails */
				log_out("%s -> %s", log_quote(src),
					log_quote(dst_disp));
			if (o->hard_link || o->symbolic_link) {
				/* cp's link(2) or symlink(2) of "DEST/" */
				log_error(ENOENT, o->hard_link ?
					  "cannot create hard link %s to %s" :
					  "cannot create symbolic link %s to %s",
					  log_quote(dst_disp),
					  log_quote(src));
				goto fail;
			}
			/* a file: cp opens the source first */
			if (S_ISREG(st.st_mode) && as_reg &&
			    faccessat(AT_FDCWD, src, R_OK, AT_EACCESS) < 0) {
				log_error(errno, "cannot open %s for reading",
					  log_quote(src));
				goto fail;
			}
			log_error(as_reg ? ENOTDIR : ENOENT,
				  as_reg ?
					  "cannot create regular file %s" :
				  S_ISLNK(st.st_mode) ?
					  "cannot create symbolic link %s" :
				  S_ISFIFO(st.st_mode) ?
					  "cannot create fifo %s" :
					  "cannot create special file %s",
				  log_quote(dst_disp));
			goto fail;
		}
	}
	/* cp --parents makes "DIR/a" for "a/." and then cannot make its
	 * last part, which exists: refused as cp refuses it. */
	if (o->parents && o->recursive && S_ISDIR(st.st_mode) &&
	    (!strcmp(dst_name, ".") || !strcmp(dst_name, ".."))) {
		log_error(EEXIST, "cannot create directory %s",
			  log_quote(dst_disp));
		goto fail;
	}
	sdir = path_dir(src);
	sname = path_base(src);
	if (!sdir || !sname) {
		log_error(ENOMEM, "cannot copy %s", log_quote(src));
		goto fail;
	}
	sfd = opdirs_get(od, OPD_SRC, sdir);
	if (sfd < 0) {
		log_error(-sfd, "cannot stat %s", log_quote(src));
		goto fail;
	}
	ret = copy_run_add(run, sfd, sname, src, src, dst_dirfd, dst_name,
			   dst_disp,
			   COPY_ADD_BORROW | (follow ? COPY_ADD_FOLLOW : 0) |
				   (S_ISDIR(st.st_mode) ? COPY_ADD_DIR : 0) |
				   (known && absent ? COPY_ADD_NO_DEST : 0),
			   &st);
	if (ret < 0) {
		log_error(-ret, "cannot copy %s", log_quote(src));
		goto fail;
	}
	free(sdir);
	free(sname);
	return true;
fail:
	free(sdir);
	free(sname);
	return false;
}

/* What the run did, for --json's summary record. */
static struct {
	uint64_t bytes;
	unsigned long entries;
	unsigned failed;
	int signo;
} totals;

static void on_usr1(int sig)
{
	(void)sig;
	copy_status_signal = 1;
}

/* SIGUSR1 prints a status line (as dd does) instead of killing us: from
 * the start, so that a signal sent early is not fatal. */
static void install_status_signal(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

/* --progress=WHEN (0 auto, 1 always, 2 never) on this stderr.  A bar is
 * drawn every 250 ms (from the first second on, so quick copies print
 * nothing), lines every 5 s; UCP_PROGRESS_MS sets the interval (and the
 * first draw).  No
 * bar while -i may prompt on the same terminal. */
static void set_progress(struct copy_config *cfg, int want, bool prompts)
{
	bool tty = isatty(2);
	const char *ms = getenv("UCP_PROGRESS_MS");

	cfg->progress = want == 2 ? PROGRESS_NONE :
			tty && !prompts ? PROGRESS_BAR :
			want == 1 && !tty ? PROGRESS_LINES : PROGRESS_NONE;
	cfg->progress_ms = cfg->progress == PROGRESS_BAR ? 250 : 5000;
	cfg->json_ms = 1000;
	if (ms && atoi(ms) > 0)
		cfg->progress_ms = cfg->json_ms = (unsigned)atoi(ms);
}

static void install_signals(int status)
{
	struct sigaction sa;
	const char *grace = getenv("UCP_TEST_STOP_GRACE_S");

	forced_status = status;
	if (grace && atoi(grace) > 0)
		stop_grace_s = (unsigned)atoi(grace);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGALRM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
}

/* --files-from: a listed path SRC does not have is an error (rsync's
 * "link_stat ... failed"), which also stops deletion.  Returns how many. */
static unsigned report_unlisted(struct sync_state *ss, int sfd,
				const char *src)
{
	unsigned n = 0;
	struct stat sb;

	for (size_t i = 0; i < ss->nlisted; i++) {
		char *d;
		int err;

		if (fstatat(sfd, ss->listed[i], &sb, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		err = errno;
		d = path_join(src, ss->listed[i]);
		log_error(err, "cannot stat %s",
			  log_quote(d ? d : ss->listed[i]));
		free(d);
		atomic_store(&ss->io_error, true);
		n++;
	}
	return n;
}

/* --files-from: each listed path and the directories leading to it; a
 * directory listed as "dir/" or "." brings its entries too (rsync's
 * --dirs), and "." SRC's own attributes. */
static int load_files_from(struct sync_state *ss, const struct sync_opts *so)
{
	FILE *f = strcmp(so->files_from, "-") ? fopen(so->files_from, "re") :
						 stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = 0;

	if (!f || !(ss->only = nameset_new())) {
		log_error(errno, "cannot read %s", log_quote(so->files_from));
		if (f && f != stdin)
			fclose(f);
		return -1;
	}
	while ((n = getdelim(&line, &cap, so->from0 ? '\0' : '\n', f)) > 0) {
		char *p = line;
		bool entries;

		if (p[n - 1] == (so->from0 ? '\0' : '\n'))
			p[--n] = 0;
		if (!n)
			continue;
		entries = p[n - 1] == '/';
		while (!strncmp(p, "./", 2) || *p == '/')
			p += *p == '/' ? 1 : 2;
		n = (ssize_t)strlen(p);
		while (n > 0 && p[n - 1] == '/')
			p[--n] = 0;
		if (!*p || !strcmp(p, ".")) {
			ss->root_listed = true;
			p[0] = '\0';
			entries = true;
		}
		if (entries && ((!ss->only_in && !(ss->only_in = nameset_new())) ||
				nameset_add(ss->only_in, p) < 0)) {
			ret = -1;
			break;
		}
		if (!*p)
			continue;
		if (!(ss->nlisted & (ss->nlisted + 1))) {	/* 2^k - 1 */
			char **l = realloc(ss->listed, (ss->nlisted + 1) * 2 *
							       sizeof(*l));

			if (!l) {
				ret = -1;
				break;
			}
			ss->listed = l;
		}
		if (!(ss->listed[ss->nlisted] = strdup(p))) {
			ret = -1;
			break;
		}
		ss->nlisted++;
		/* "a/b/c" brings "a" and "a/b" along (rsync's implied
		 * directories). */
		for (char *s = p; ret == 0; s++) {
			if (*s == '/' || !*s) {
				char c = *s;

				*s = 0;
				ret = nameset_add(ss->only, p);
				*s = c;
			}
			if (!*s)
				break;
		}
		if (ret < 0)
			break;
	}
	if (ret < 0 || ferror(f)) {
		log_error(errno ? errno : EIO, "cannot read %s",
			  log_quote(so->files_from));
		ret = -1;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

static int open_dir_fd(const char *path)
{
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}


/*
 * --sync's DEST, when missing and SRC is one directory, is built under a
 * temp name in its parent (the stage of cp's new trees, copy.c) and gets
 * its name when the last reference goes, so a backup appears only when its
 * run is over.  Makes DEST: 0, or -1 with errno from mkdir; *stage and
 * *fd are set (fd: the directory made, or -1 to open DEST by name).
 */
static int make_dest(const char *dst, bool staged, bool fsync_it,
		     struct stage **stage, int *fd)
{
	char *pd = staged ? path_dir(dst) : NULL;
	char *name = staged ? path_base(dst) : NULL;
	char tmp[NAME_MAX + 1];
	int pfd = pd ? open_dir_fd(pd) : -1;

	*stage = NULL;
	*fd = -1;
	if (pfd >= 0 && name && strcmp(name, ".") && strcmp(name, "..") &&
	    !strchr(name, '/')) {
		copy_sweep_temps(pfd);
		copy_temp_name(tmp, sizeof(tmp), getpid(), 0, 0, name);
		if (mkdirat(pfd, tmp, 0777) == 0) {
			*stage = copy_stage_new(fcntl(pfd, F_DUPFD_CLOEXEC, 0),
						tmp, name, dst, fsync_it);
			if (*stage)
				*fd = openat(pfd, tmp, O_RDONLY | O_DIRECTORY |
							       O_NOFOLLOW |
							       O_CLOEXEC);
			else
				unlinkat(pfd, tmp, AT_REMOVEDIR);
		}
	}
	if (pfd >= 0)
		close(pfd);
	free(pd);
	free(name);
	return *stage ? 0 : mkdir(dst, 0777);
}

/* --checksum-file: made (or emptied) before the run, checked at its end. */
static FILE *manifest_open(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		log_error(errno, "cannot open %s for writing", log_quote(path));
	return f;
}

static bool manifest_close(FILE *f, const char *path)
{
	bool bad;

	if (!f)
		return true;
	bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		log_error(bad ? EIO : errno, "error writing %s", log_quote(path));
		return false;
	}
	return true;
}
/*
 * --sync SRC... DEST.  One directory SRC: DEST becomes a mirror of its
 * contents (rsync -a SRC/ DEST/, the trailing slashes not needed).
 * Several SRCs, or a file: each goes to DEST/NAME (DEST a directory).
 */
static int run_sync(struct opts *o)
{
	struct sync_state ss;
	struct copy_config cfg;
	struct copy_run *run = NULL;
	const struct sync_opts *so = &o->sync;
	const char *dst = o->ops[o->nops - 1];
	int nsrc = o->nops - 1, dstfd = -1, signo = 0, ret;
	unsigned failed = 0;
	bool single_dir = false;
	struct stage *dstage = NULL;
	struct stat st;

	if (o->nops < 2) {
		if (o->nops == 0)
			log_usage_error("missing file operand");
		else
			log_usage_error("missing destination file operand "
					"after %s", log_quote(o->ops[0]));
		return RERR_SYNTAX;
	}
	if (so->files_from && nsrc > 1) {
		/* The list's paths are relative to one SRC (rsync: the same). */
		log_usage_error("--files-from takes one SRC, not %d", nsrc);
		return RERR_SYNTAX;
	}
	sync_state_init(&ss, so, geteuid() == 0);
	ss.verbose = o->verbose;
	if (so->files_from && load_files_from(&ss, so) < 0) {
		sync_state_fini(&ss);
		return RERR_FILEIO;
	}
	if (nsrc == 1 && stat(o->ops[0], &st) == 0 && S_ISDIR(st.st_mode))
		single_dir = true;

	copy_config_defaults(&cfg);
	/* DEST: made when missing (its parent must exist), as rsync. */
	dstfd = open_dir_fd(dst);
	if (dstfd < 0 && errno == ENOENT && (single_dir || nsrc > 1)) {
		if (!so->dry_run && make_dest(dst, single_dir && cfg.stage,
					      o->fsync, &dstage, &dstfd) < 0) {
			log_error(errno, "cannot create directory %s",
				  log_quote(dst));
			sync_state_fini(&ss);
			return RERR_FILEIO;
		}
		if (o->verbose || so->itemize)
			log_out("created directory %s", log_escape(dst));
		ss.root_created = true;
		if (dstfd < 0 && !so->dry_run)
			dstfd = open_dir_fd(dst);
		if (dstfd < 0 && !so->dry_run) {
			log_error(errno, "cannot open directory %s",
				  log_quote(dst));
			copy_stage_put(dstage);
			sync_state_fini(&ss);
			return RERR_FILEIO;
		}
	} else if (dstfd < 0 && errno != ENOENT && errno != ENOTDIR) {
		log_error(errno, "cannot open directory %s", log_quote(dst));
		sync_state_fini(&ss);
		return RERR_FILEIO;
	} else if (dstfd < 0 && nsrc > 1) {
		log_error(ENOTDIR, "target %s", log_quote(dst));
		sync_state_fini(&ss);
		return RERR_FILEIO;
	}
	ss.dst_root = dstfd;
	ss.dst_root_disp = dst;
	if (so->link_dest && dstfd >= 0) {
		ss.ld_root = openat(dstfd, so->link_dest,
				    O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (ss.ld_root < 0)
			log_error(errno, "warning: --link-dest %s unusable",
				  log_quote(so->link_dest));
	}

	cfg.verbose = o->verbose;
	cfg.recursive = true;
	cfg.preserve = o->preserve;
	cfg.require_preserve = true;
	cfg.reflink = o->reflink;
	cfg.deref_all = o->deref == DEREF_ALWAYS;
	cfg.one_fs = o->one_fs;
	cfg.fsync = o->fsync;
	cfg.verify = o->verify;
	set_progress(&cfg, o->progress, false);
	cfg.sync = &ss;
	cfg.dst_stage = dstage;
	if (o->checksum_file && !(cfg.manifest = manifest_open(o->checksum_file))) {
		if (dstfd >= 0)
			close(dstfd);
		copy_stage_put(dstage);
		sync_state_fini(&ss);
		return RERR_FILEIO;
	}
	ret = copy_run_new(&run, &cfg);
	if (ret < 0) {
		log_error(-ret, "cannot start");
		if (dstfd >= 0)
			close(dstfd);
		copy_stage_put(dstage);
		sync_state_fini(&ss);
		return RERR_FILEIO;
	}
	install_signals(RERR_SIGNAL);

	for (int i = 0; i < nsrc; i++) {
		const char *src = o->ops[i];
		char *sname = path_base(src), *sdir = path_dir(src);
		bool is_dir = stat(src, &st) == 0 && S_ISDIR(st.st_mode);
		int sfd, dfd;

		if (lstat(src, &st) < 0 && stat(src, &st) < 0) {
			log_error(errno, "cannot stat %s", log_quote(src));
			atomic_store(&ss.io_error, true);
			failed++;
		} else if (!sname || !sdir) {
			log_error(ENOMEM, "cannot copy %s", log_quote(src));
			failed++;
		} else if (single_dir) {
			/* SRC itself to DEST itself ("." in both). */
			sfd = open_dir_path(src);
			if (sfd < 0) {
				log_error(-sfd, "cannot open directory %s",
					  log_quote(src));
				atomic_store(&ss.io_error, true);
				failed++;
			} else {
				failed += report_unlisted(&ss, sfd, src);
				if (so->del == DEL_BEFORE && dstfd >= 0) {
					int rfd = open_dir_fd(src);

					if (rfd >= 0)
						sync_scan_source(&ss, rfd, "",
								 src);
					if (rfd >= 0 && sync_may_delete(&ss))
						failed += sync_delete_pass(
							&ss, rfd, dstfd, "",
							src, dst);
					if (rfd >= 0)
						close(rfd);
				}
				if (dstfd >= 0) {
					dfd = fcntl(dstfd, F_DUPFD_CLOEXEC, 0);
					ret = copy_run_add(run, sfd, ".", src, src,
							   dfd, ".", dst,
							   COPY_ADD_FOLLOW |
								   COPY_ADD_DIR,
							   NULL);
				} else {
					char *pd = path_dir(dst), *bd = path_base(dst);

					dfd = pd ? open_dir_path(pd) : -ENOMEM;
					ret = bd ? copy_run_add(run, sfd, ".", src,
								src, dfd, bd, dst,
								COPY_ADD_FOLLOW |
									COPY_ADD_DIR,
								NULL) :
						   -ENOMEM;
					free(pd);
					free(bd);
				}
				if (ret < 0) {
					log_error(-ret, "cannot copy %s",
						  log_quote(src));
					failed++;
				}
			}
		} else {
			/* Into DEST (a directory) under its own name, or a
			 * single file to the name DEST. */
			char *disp = dstfd >= 0 || so->dry_run ?
					     path_join(dst, sname) : strdup(dst);
			char *pd = path_dir(dst), *bd = path_base(dst);
			bool into = dstfd >= 0 || (so->dry_run && nsrc > 1);

			sfd = is_dir ? open_dir_path(src) : open_dir_path(sdir);
			if (into && dstfd >= 0)
				dfd = fcntl(dstfd, F_DUPFD_CLOEXEC, 0);
			else
				dfd = open_dir_path(into ? dst : pd ? pd : ".");
			if (sfd < 0 || !disp || !pd || !bd) {
				log_error(sfd < 0 ? -sfd : ENOMEM,
					  "cannot open %s", log_quote(src));
				atomic_store(&ss.io_error, true);
				if (dfd >= 0)
					close(dfd);
				failed++;
			} else if ((ret = copy_run_add(run, sfd,
						       is_dir ? "." : sname, src,
						       src, dfd,
						       into ? sname : bd, disp,
						       COPY_ADD_FOLLOW |
							       (is_dir ? COPY_ADD_DIR :
									 0),
						       NULL)) < 0) {
				log_error(-ret, "cannot copy %s", log_quote(src));
				failed++;
			}
			free(disp);
			free(pd);
			free(bd);
		}
		free(sname);
		free(sdir);
	}

	failed += copy_run_exec(run, &signo);
	copy_run_totals(run, &totals.bytes, &totals.entries);
	copy_run_free(run);
	if (!manifest_close(cfg.manifest, o->checksum_file))
		failed++;
	if (!signo && so->del == DEL_AFTER && single_dir && dstfd >= 0) {
		int rfd = open_dir_fd(o->ops[0]);

		if (rfd >= 0 && sync_may_delete(&ss))
			failed += sync_delete_pass(&ss, rfd, dstfd, "",
						   o->ops[0], dst);
		if (rfd >= 0)
			close(rfd);
	}
	if (ss.del_skipped)
		log_error(0, "Deletions stopped due to --max-delete limit "
			     "(%lu skipped)", (unsigned long)ss.del_skipped);
	if (so->stats)
		if (!json_on)	/* stdout carries the records */
			xfer_print_stats(&ss.stats, atomic_load(&ss.deleted));
	if (dstfd >= 0)
		close(dstfd);
	if (!copy_stage_put(dstage))	/* DEST takes its name */
		failed++;
	totals.failed = failed;
	/* rsync's order: a failure outranks a vanished file, which
	 * outranks the --max-delete limit. */
	ret = signo ? RERR_SIGNAL : failed ? RERR_PARTIAL :
	      ss.vanished ? RERR_VANISHED : ss.del_limited ? RERR_DEL_LIMIT : 0;
	sync_state_fini(&ss);
	return ret;
}

/*
 * --parents: TARGET/D for each directory D leading to SRC, made as cp
 * makes them: with the source directory's mode (0777 with
 * --no-preserve=mode) under the umask, less the group and other bits
 * until the owner is set (-p) or the write bits until the mode is, then
 * opened to their owner (u+rwx) for the copy into them; listed by -v as
 * cp lists them (unquoted), existing ones left alone.  After the copy
 * they get the source's attributes with -p (copying into them changes
 * their times), or without it the mode they were made with.  Returns
 * the display path of SRC under TARGET, or NULL after a diagnostic.
 */
struct parent {
	struct parent *next;
	struct stat st;
	mode_t mode;		/* to set after the copy without -p */
	bool restore;
	char path[];
};

static mode_t parents_umask;	/* read once, before any run */

/* Make one parent (see above): 1, 0 when mkdir failed (errno says why),
 * -1 after a diagnostic. */
static int make_parent(const char *sp, const char *dp, const struct stat *st,
		       const struct opts *o, struct parent **made)
{
	mode_t omit = st->st_mode & (o->preserve & PRESERVE_OWNERSHIP ? 077 :
				     o->preserve & PRESERVE_MODE ? 022 : 0);
	mode_t mode = (o->default_mode ? 0777 : st->st_mode & 07777) & ~omit;
	struct parent *p;
	struct stat now;

	if (mkdir(dp, mode) < 0)
		return 0;
	if (o->verbose)
		log_out("%s -> %s", sp, dp);
	if (lstat(dp, &now) < 0) {
		log_error(errno, "failed to get attributes of %s",
			  log_quote(dp));
		return -1;
	}
	p = malloc(sizeof(*p) + strlen(dp) + 1);
	if (!p) {
		log_error(ENOMEM, "cannot copy %s", log_quote(sp));
		return -1;
	}
	p->st = *st;
	p->restore = false;
	if (!(o->preserve & PRESERVE_MODE)) {
		if (omit & ~now.st_mode)
			omit &= ~parents_umask;
		if ((omit & ~now.st_mode) ||
		    (now.st_mode & S_IRWXU) != S_IRWXU) {
			p->mode = (now.st_mode | omit) & 07777;
			p->restore = true;
		}
	}
	strcpy(p->path, dp);
	p->next = *made;
	*made = p;
	if ((now.st_mode & S_IRWXU) != S_IRWXU &&
	    chmod(dp, (now.st_mode | S_IRWXU) & 07777) < 0) {
		log_error(errno, "setting permissions for %s", log_quote(dp));
		return -1;
	}
	return 1;
}

static char *make_parents(const char *target, const char *src,
			  const struct opts *o, struct parent **made)
{
	const char *rel = src;
	char *disp, *sdir;
	size_t off;

	while (*rel == '/')
		rel++;
	disp = path_join(target, rel);
	sdir = path_dir(src);
	if (!disp || !sdir) {
		log_error(ENOMEM, "cannot copy %s", log_quote(src));
		goto fail;
	}
	off = (size_t)(rel - src);
	while (strcmp(sdir, ".") && off < strlen(sdir)) {
		size_t end = off;
		char *sp, *dp;
		struct stat st, dst;
		bool bad = true;
		int r = 0;

		while (sdir[end] && sdir[end] != '/')
			end++;
		sp = strndup(sdir, end);
		dp = sp ? path_join(target, sp + (rel - src)) : NULL;
		if (!sp || !dp) {
			free(sp);
			free(dp);
			log_error(ENOMEM, "cannot copy %s", log_quote(src));
			goto fail;
		}
		if (stat(sp, &st) < 0) {
			log_error(errno, "failed to get attributes of %s",
				  log_quote(sp));
		} else if ((r = make_parent(sp, dp, &st, o, made)) != 0) {
			bad = r < 0;
		} else if (errno != EEXIST) {
			log_error(errno, "cannot make directory %s",
				  log_quote(dp));
		} else if (stat(dp, &dst) < 0 || !S_ISDIR(dst.st_mode)) {
			log_error(ENOTDIR, "cannot make directory %s",
				  log_quote(dp));
		} else {
			bad = false;
		}
		free(sp);
		free(dp);
		if (bad)
			goto fail;
		for (off = end; sdir[off] == '/'; off++)
			;
	}
	free(sdir);
	return disp;
fail:
	free(sdir);
	free(disp);
	return NULL;
}

/* After the copy: -p's attributes for the parents made (deepest first,
 * as they were made last); frees the list.  Returns the failures. */
static unsigned parents_finish(struct parent *p, unsigned preserve, bool apply)
{
	unsigned failed = 0;

	while (p) {
		struct parent *next = p->next;
		struct timespec ts[2] = { p->st.st_atim, p->st.st_mtim };

		if (apply && (preserve & PRESERVE_OWNERSHIP) &&
		    lchown(p->path, p->st.st_uid, p->st.st_gid) < 0 &&
		    geteuid() == 0) {
			log_error(errno, "failed to preserve ownership for %s",
				  log_quote(p->path));
			failed++;
		}
		if (apply && (preserve & PRESERVE_MODE) &&
		    chmod(p->path, p->st.st_mode & 07777) < 0) {
			log_error(errno, "preserving permissions for %s",
				  log_quote(p->path));
			failed++;
		} else if (!(preserve & PRESERVE_MODE) && p->restore &&
			   chmod(p->path, p->mode) < 0) {
			log_error(errno, "failed to preserve permissions for %s",
				  log_quote(p->path));
			failed++;
		}
		if (apply && (preserve & PRESERVE_TIMESTAMPS) &&
		    utimensat(AT_FDCWD, p->path, ts, 0) < 0) {
			log_error(errno, "preserving times for %s",
				  log_quote(p->path));
			failed++;
		}
		free(p);
		p = next;
	}
	return failed;
}

/*
 * cp copies its operands one after another; ucp queues them all at once.
 * Where that could differ, run_copy plans first: operands whose
 * destinations overlap (the same name, or one inside the other, as with
 * "a/." and "b/.") go to later rounds, each a run of its own, so a later
 * operand still lands after an earlier one; and cp's two checks between
 * operands are made here: a source entry named again is skipped with a
 * warning, and a non-directory that would replace one an earlier operand
 * just made is refused (unless -n, -i, -u or numbered backups decide at
 * the time, in a later round).  A directory named again, and a file onto
 * one just made, are decided in a later round too: by then cp knows
 * whether the earlier copy made its destination (here: a directory is
 * there by then; for a file, the destination is there and is not what it
 * was before the run), and if not, it tries again (and usually fails
 * again).
 */
enum later { LATER_NONE, LATER_DIR_AGAIN, LATER_JUST_CREATED,
	     LATER_THROUGH_LINK, LATER_FILE_AGAIN };

struct plan {
	bool stat_ok, dir, whole;
	bool skip;		/* named again, or refused */
	unsigned char later;	/* enum later: refused in its round if the
				   destination is there by then */
	bool pre;		/* later: the destination was there before */
	bool refused;		/* a directory refused at its destination */
	bool dst_absent;	/* its destination was missing */
	bool thru;		/* its destination: a symlink to a file, */
	struct stat tst;	/* this one, which cp writes into */
	unsigned round;
	struct stat st, pst;	/* the source (as it will be followed), its
				   directory */
	struct stat dst;	/* later, pre: the destination before */
	char *base, *rel;	/* its name; its destination below the
				   target ("" with whole: all of it) */
};

/* The destination below the target: the name, or with --parents the
 * operand's path; whole when it may be the target itself or outside. */
static char *plan_rel(const struct opts *o, const char *src, bool *whole)
{
	char *copy = strdup(src), *out = calloc(1, strlen(src) + 1);
	char *save = NULL, *c;

	*whole = false;
	if (!copy || !out) {
		free(copy);
		free(out);
		*whole = true;
		return NULL;
	}
	if (!o->parents) {
		char *b = path_base(src);

		free(copy);
		free(out);
		*whole = !b || !strcmp(b, ".") || !strcmp(b, "..") ||
			 strchr(b, '/');
		return b;
	}
	for (c = strtok_r(copy, "/", &save); c;
	     c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, ".."))
			*whole = true;
		if (*out)
			strcat(out, "/");
		strcat(out, c);
	}
	free(copy);
	*whole |= !*out;
	return out;
}

static bool plan_overlap(const struct plan *a, const struct plan *b)
{
	size_t na, nb;

	if (a->whole || b->whole)
		return true;
	na = strlen(a->rel);
	nb = strlen(b->rel);
	if (na > nb)
		return plan_overlap(b, a);
	return !strncmp(a->rel, b->rel, na) &&
	       (!b->rel[na] || b->rel[na] == '/');
}

/* The destination as messages show it (what queue_operands shows). */
static char *plan_disp(const struct opts *o, const char *target,
		       const char *src, const struct plan *p)
{
	char *d;
	size_t n;

	if (!o->parents)
		return p->base ? path_join(target, p->base) : NULL;
	while (*src == '/')
		src++;
	d = path_join(target, src);
	for (n = d ? strlen(d) : 0; n > 1 && d[n - 1] == '/';)
		d[--n] = 0;
	return d;
}

/* Destinations below the target in an order where each name is followed
 * by the names inside it ('/' sorts before any other byte): then two
 * that overlap (plan_overlap) are neighbours, or have one between them
 * that overlaps both. */
static int plan_cmp_rel(const void *a, const void *b)
{
	const unsigned char *x =
		(const unsigned char *)(*(const struct plan *const *)a)->rel;
	const unsigned char *y =
		(const unsigned char *)(*(const struct plan *const *)b)->rel;

	for (; *x && *x == *y; x++, y++)
		;
	if (*x == '/' && *y)
		return -1;
	if (*y == '/' && *x)
		return 1;
	return (*x > *y) - (*x < *y);
}

static int plan_cmp_inode(const void *a, const void *b)
{
	const struct stat *x = &(*(const struct plan *const *)a)->st;
	const struct stat *y = &(*(const struct plan *const *)b)->st;

	if (x->st_dev != y->st_dev)
		return x->st_dev < y->st_dev ? -1 : 1;
	return x->st_ino < y->st_ino ? -1 : x->st_ino > y->st_ino;
}

/* Can any two operands meet?  Unless an operand is the target itself,
 * only two whose destinations overlap (the same name; with --parents,
 * one inside the other), with the same inode, or one whose destination
 * is a symlink to the other's source can: sorted, neighbours and
 * lookups tell, so "ucp *.jpg DIR" and "find | xargs ucp --parents -t
 * DIR" need no pairwise pass. */
static bool plan_may_meet(struct plan *pl, int nsrc)
{
	struct plan **v;
	bool meet = false;

	for (int i = 0; i < nsrc && !meet; i++)
		meet = pl[i].whole || !pl[i].base || !pl[i].rel;
	if (meet || !(v = malloc((size_t)nsrc * sizeof(*v))))
		return true;
	for (int i = 0; i < nsrc; i++)
		v[i] = &pl[i];
	qsort(v, (size_t)nsrc, sizeof(*v), plan_cmp_rel);
	for (int i = 1; i < nsrc && !meet; i++)
		meet = plan_overlap(v[i - 1], v[i]);
	qsort(v, (size_t)nsrc, sizeof(*v), plan_cmp_inode);
	for (int i = 1; i < nsrc && !meet; i++)
		meet = !plan_cmp_inode(&v[i - 1], &v[i]);
	for (int i = 0; i < nsrc && !meet; i++) {
		struct plan key;
		const struct plan *kp = &key;

		if (!pl[i].thru)
			continue;
		key.st = pl[i].tst;
		meet = bsearch(&kp, v, (size_t)nsrc, sizeof(*v),
			       plan_cmp_inode) != NULL;
	}
	free(v);
	return meet;
}

/*
 * Is directory operand p refused where it lands, d, before cp copies (and
 * so remembers) it?  check_existing()'s rules for a directory, on the
 * destination as the run finds it: a non-directory there, a symlink
 * (unless --keep-directory-symlink and it leads to a directory; one back
 * to p itself is "the same file"), or p itself (cp -r d d/..).
 */
static bool plan_dir_refused(const struct opts *o, const char *d,
			     const struct stat *dst, const struct plan *p)
{
	struct stat st;

	if (S_ISDIR(dst->st_mode))
		return dst->st_ino == p->st.st_ino &&
		       dst->st_dev == p->st.st_dev && !o->hard_link;
	return !(S_ISLNK(dst->st_mode) && o->keep_dir_symlink &&
		 !stat(d, &st) && S_ISDIR(st.st_mode));
}

/*
 * The names in the target directory, when many operands go into it
 * ("ucp *.jpg DIR"): one listing, where each name missing from it would
 * cost a lookup (at a new name, a negative dentry) of its own.  NULL
 * when the operands are few or copy_list_names() gives none (the
 * directory is four times larger than the operands are many, say).
 * *clean: see copy_list_names(); the run need not list it again to
 * sweep it.
 */
static struct nameset *plan_target_names(const struct opts *o,
					 const char *target, int nsrc,
					 struct stat *clean)
{
	clean->st_nlink = 0;
	if (o->parents || nsrc < 32)
		return NULL;
	return copy_list_names(AT_FDCWD, target, 4 * (size_t)nsrc + 1024,
			       clean);
}

/* Where p lands, before the run: a directory operand refused there
 * (p->refused), or a symlink to a file that cp writes into (p->thru,
 * p->tst), or nothing (p->dst_absent).  One lstat per operand, as cp's
 * own look at it, where names (the target's listing) has its name. */
static void plan_dest(const struct opts *o, const char *src, const char *target,
		      struct plan *p, const struct nameset *names)
{
	char *d;
	struct stat st;

	if (names && p->base && !strchr(p->base, '/') &&
	    !nameset_has(names, p->base)) {
		p->dst_absent = true;
		return;
	}
	d = plan_disp(o, target, src, p);
	if (d && lstat(d, &st) == 0) {
		if (p->dir && o->recursive)
			p->refused = plan_dir_refused(o, d, &st, p);
		else if (S_ISLNK(st.st_mode))
			p->thru = !stat(d, &p->tst) && S_ISREG(p->tst.st_mode);
	} else {
		p->dst_absent = d && errno == ENOENT;
	}
	free(d);
}

/* Does one of two operands (e before p) write through its destination
 * symlink into the other's source?  cp reads and writes them in order;
 * p must wait for e's round to end. */
static bool plan_through(const struct plan *p, const struct plan *e)
{
	return (e->thru && p->stat_ok && e->tst.st_ino == p->st.st_ino &&
		e->tst.st_dev == p->st.st_dev) ||
	       (p->thru && e->stat_ok && p->tst.st_ino == e->st.st_ino &&
		p->tst.st_dev == e->st.st_dev);
}

static struct plan *plan_operands(const struct opts *o, char **srcs, int nsrc,
				  const char *target, unsigned *failed,
				  struct stat *clean)
{
	struct plan *pl = calloc((size_t)nsrc, sizeof(*pl));
	bool decide_later = o->clobber != CLOBBER_YES ||
			    o->update != UPDATE_ALL ||
			    o->backup == BACKUP_NUMBERED;

	char *last_sdir = NULL;	/* "ucp *.jpg DIR": one directory */
	struct stat last_pst;
	struct nameset *names = plan_target_names(o, target, nsrc, clean);

	for (int i = 0; pl && i < nsrc; i++) {
		struct plan *p = &pl[i];
		const char *src = srcs[i];
		bool follow = o->deref != DEREF_NEVER ||
			      has_trailing_slash(src);
		char *sdir = path_dir(src);

		p->base = path_base(src);
		p->rel = plan_rel(o, src, &p->whole);
		p->stat_ok = sdir && p->base &&
			     !(follow ? stat(src, &p->st) : lstat(src, &p->st));
		if (p->stat_ok && last_sdir && !strcmp(sdir, last_sdir)) {
			p->pst = last_pst;
		} else if (p->stat_ok && !lstat(sdir, &p->pst)) {
			free(last_sdir);
			last_sdir = sdir;
			last_pst = p->pst;
			sdir = NULL;
		} else {
			p->stat_ok = false;
		}
		free(sdir);
		p->dir = p->stat_ok && S_ISDIR(p->st.st_mode);
		if (p->stat_ok)
			plan_dest(o, src, target, p, names);
	}
	free(last_sdir);
	nameset_free(names);
	if (!pl || !plan_may_meet(pl, nsrc))
		return pl;
	for (int i = 0; i < nsrc; i++) {
		struct plan *p = &pl[i];

		/* cp asks first whether it met the source before (named
		 * again; a directory reached again), whatever an operand in
		 * between did at the destination. */
		for (int k = 0; k < i && !p->skip && !p->later; k++) {
			const struct plan *e = &pl[k];

			if (e->skip)
				continue;
			if (p->stat_ok && e->stat_ok &&
			    (p->dir ? o->recursive :
				      o->backup == BACKUP_NONE) &&
			    p->st.st_ino == e->st.st_ino &&
			    p->st.st_dev == e->st.st_dev &&
			    p->pst.st_ino == e->pst.st_ino &&
			    p->pst.st_dev == e->pst.st_dev &&
			    !strcmp(p->base, e->base)) {
				if (p->dir) {
					p->later = LATER_DIR_AGAIN;
					if (p->round <= e->round)
						p->round = e->round + 1;
					continue;
				}
				if (o->clobber == CLOBBER_ASK) {
					/* said in its turn (below) */
					p->later = LATER_FILE_AGAIN;
					if (p->round <= e->round)
						p->round = e->round + 1;
					continue;
				}
				log_note("warning: source file %s specified "
					 "more than once",
					 log_quote(srcs[i]));
				p->skip = true;
			} else if (p->dir && e->dir && o->recursive &&
				   !e->refused && o->deref == DEREF_NEVER &&
				   p->st.st_ino == e->st.st_ino &&
				   p->st.st_dev == e->st.st_dev) {
				/* cp remembers each directory operand as it
				 * remembers hard links. */
				char *d = plan_disp(o, target, srcs[i], p);
				char *ed = plan_disp(o, target, srcs[k], e);

				log_error(0, "will not create hard link %s to "
					  "directory %s", log_quote(d ? d : ""),
					  log_quote(ed ? ed : ""));
				free(d);
				free(ed);
				p->skip = true;
				++*failed;
			}
		}
		/* Then the destination: an operand that meets an earlier one
		 * there waits for it, or is refused in its round.  One that
		 * is decided later already still waits for every earlier
		 * one it meets ("cp -r d d/ d e": the second and third
		 * refusals in their order). */
		for (int k = 0; k < i && !p->skip; k++) {
			const struct plan *e = &pl[k];

			if (e->skip ||
			    (!plan_overlap(p, e) && !plan_through(p, e))) {
				continue;
			} else if (!p->later && p->stat_ok && e->stat_ok &&
				   !p->dir && !e->dir && !p->whole &&
				   !e->whole && !strcmp(p->rel, e->rel) &&
				   !decide_later) {
				char *d = plan_disp(o, target, srcs[i], p);

				p->later = S_ISLNK(e->st.st_mode) &&
						   !o->remove_dest &&
						   !o->hard_link &&
						   o->backup == BACKUP_NONE ?
					   LATER_THROUGH_LINK :
					   LATER_JUST_CREATED;
				p->pre = d && !lstat(d, &p->dst);
				free(d);
				if (p->round <= e->round)
					p->round = e->round + 1;
			} else if (p->round <= e->round) {
				p->round = e->round + 1;
			}
		}
	}
	/* -i: questions and messages in operand order, as cp's, so that
	 * answers piped in meet the same questions: no operand runs in an
	 * earlier round than one before it. */
	for (int i = 0, last = -1; o->clobber == CLOBBER_ASK && i < nsrc; i++) {
		if (pl[i].skip)
			continue;
		if (last >= 0 && pl[i].round < pl[last].round)
			pl[i].round = pl[last].round;
		last = i;
	}
	return pl;
}

/*
 * cp -r remembers each directory operand it copies (without -L, which
 * copies a directory again wherever it is reached, as does -rl, whose
 * default is -L): a later operand's tree that reaches one is not copied
 * there again.  --parents is left out (cp there warns that the
 * directory is "specified more than once").
 */
static int plan_dirops(const struct opts *o, char **srcs,
		       const struct plan *pl, int nsrc, const char *target,
		       struct dirops *t)
{
	if (!o->recursive || o->deref == DEREF_ALWAYS || o->parents)
		return 0;
	for (int i = 0; i < nsrc; i++) {
		char *disp;

		if (!pl[i].stat_ok || !pl[i].dir || pl[i].skip ||
		    pl[i].later || pl[i].refused)
			continue;
		disp = plan_disp(o, target, srcs[i], &pl[i]);
		if (!disp || dirops_add(t, &pl[i].st, (unsigned)i, disp) < 0) {
			free(disp);
			return -ENOMEM;
		}
		free(disp);
	}
	dirops_sort(t);
	return 0;
}

static void plan_free(struct plan *pl, int nsrc)
{
	for (int i = 0; pl && i < nsrc; i++) {
		free(pl[i].base);
		free(pl[i].rel);
	}
	free(pl);
}

/* Was this destination made (or replaced, or written) by this run?  It
 * was not there before, or it is another inode, or it changed. */
static bool made_by_run(const struct plan *p, const struct stat *st,
			bool hard_link)
{
	/* cp -l: a link to the source itself is there already, which cp
	 * takes as done before it asks what made it. */
	if (hard_link && st->st_ino == p->st.st_ino &&
	    st->st_dev == p->st.st_dev)
		return false;
	return !p->pre || st->st_ino != p->dst.st_ino ||
	       st->st_dev != p->dst.st_dev ||
	       st->st_ctim.tv_sec != p->dst.st_ctim.tv_sec ||
	       st->st_ctim.tv_nsec != p->dst.st_ctim.tv_nsec;
}

/* An operand decided in its round (enum later) whose destination is
 * there (a file: made by this run): skipped with cp's message.  Returns
 * the failures (0 or 1). */
static unsigned plan_refuse(unsigned later, const char *op, const char *disp)
{
	switch (later) {
	case LATER_FILE_AGAIN:
		log_note("warning: source file %s specified more than once",
			 log_quote(op));
		return 0;
	case LATER_DIR_AGAIN:
		log_note("warning: source directory %s specified more than "
			 "once", log_quote(op));
		return 0;
	case LATER_THROUGH_LINK:
		log_error(0, "will not copy %s through just-created symlink %s",
			  log_quote(op), log_quote(disp));
		return 1;
	default:
		log_error(0, "will not overwrite just-created %s with %s",
			  log_quote(disp), log_quote(op));
		return 1;
	}
}

/* Queue the operands of one round (all of them without a plan) from
 * *next on, at most ROOTS_PER_RUN of them, and as many as keep od's
 * descriptors within fd_max; *next becomes where the next run goes on
 * (nsrc: none left).  Returns the number that failed before any job.
 * target NULL: one operand, to the destination operand.  ran: a run is
 * over, so the plan's stats may be old. */
static unsigned queue_operands(struct copy_run *run, const struct opts *o,
			       struct opdirs *od, char **srcs, int nsrc,
			       const char *target, const struct plan *plan,
			       unsigned round, bool ran, int *next,
			       unsigned fd_max, struct parent **parents)
{
	unsigned failed = 0, queued = 0;

	if (!target) {
		const char *dst = o->ops[1];
		char *ddir = path_dir(dst), *dname = path_base(dst);

		if (!ddir || !dname) {
			log_error(ENOMEM, "cannot copy %s",
				  log_quote(o->ops[0]));
			failed++;
		} else if (!add_operand(run, o, od, srcs[0], NULL,
					false, opdirs_get(od, OPD_DST, ddir),
					dname, dst)) {
			failed++;
		}
		free(ddir);
		free(dname);
		*next = nsrc;
		return failed;
	}
	for (int i = *next; i < nsrc; i++) {
		const char *src = srcs[i];
		char *name, *disp, *ddir;
		struct stat st;
		bool asks;
		int dfd;

		if (plan && (plan[i].skip || plan[i].round != round))
			continue;
		if (plan && plan[i].later == LATER_FILE_AGAIN) {
			plan_refuse(LATER_FILE_AGAIN, src, NULL);
			continue;
		}
		if (queued++ == ROOTS_PER_RUN || od->nopen + 2 > fd_max) {
			*next = i;
			return failed;
		}
		name = path_base(src);
		disp = !name ? NULL :
		       o->parents ? make_parents(target, src, o, parents) :
				    path_join(target, name);
		ddir = disp && o->parents ? path_dir(disp) : NULL;
		dfd = opdirs_get(od, OPD_DST, ddir ? ddir : target);
		free(ddir);
		if (!disp) {	/* make_parents() said why */
			if (!o->parents)
				log_error(ENOMEM, "cannot copy %s",
					  log_quote(src));
			free(name);
			failed++;
			continue;
		}
		if (plan && plan[i].later &&
		    fstatat(AT_FDCWD, disp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (plan[i].later == LATER_DIR_AGAIN ? S_ISDIR(st.st_mode) :
							made_by_run(&plan[i], &st,
								    o->hard_link))) {
			failed += plan_refuse(plan[i].later, src, disp);
			free(name);
			free(disp);
			continue;
		}
		/* -i: cp asks about the operands in their order, and answers
		 * piped in must meet the same questions, so an operand whose
		 * destination exists (it may ask) ends its run. */
		asks = o->clobber == CLOBBER_ASK &&
		       fstatat(AT_FDCWD, disp, &st, AT_SYMLINK_NOFOLLOW) == 0;
		if (!add_operand(run, o, od, src,
				 plan && !ran && plan[i].stat_ok ? &plan[i].st :
								  NULL,
				 plan && plan[i].dst_absent, dfd, name, disp))
			failed++;
		free(name);
		free(disp);
		if (asks) {
			*next = i + 1;
			return failed;
		}
	}
	*next = nsrc;
	return failed;
}

/* cp use: the operands, the run, the exit status. */
static int run_copy(const struct opts *op)
{
	struct opts o = *op;
	struct copy_config cfg;
	struct copy_run *run = NULL;
	struct xfer_stats stats;
	struct parent *parents = NULL;
	struct plan *plan = NULL;
	struct dirops dirops = { 0 };
	struct opdirs od = { 0 };
	unsigned rounds = 1, fd_max;
	bool ran = false;
	bool into_dir;
	const char *target = NULL;
	unsigned failed = 0;
	int ret, nsrc, signo = 0;
	struct stat st;

	memset(&stats, 0, sizeof(stats));
	parents_umask = umask(0);
	umask(parents_umask);

	if (o.nops == 0) {
		log_usage_error("missing file operand");
		return 1;
	}
	if (o.target_dir) {
		target = o.target_dir;
		if (stat(target, &st) < 0) {
			log_error(errno, "target directory %s",
				  log_quote(target));
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			log_error(ENOTDIR, "target directory %s",
				  log_quote(target));
			return 1;
		}
		nsrc = o.nops;
		into_dir = true;
	} else if (o.nops == 1) {
		log_usage_error("missing destination file operand after %s",
				log_quote(o.ops[0]));
		return 1;
	} else if (o.no_target_dir) {
		if (o.nops > 2) {
			log_usage_error("extra operand %s", log_quote(o.ops[2]));
			return 1;
		}
		into_dir = false;
		nsrc = 1;
	} else {
		target = o.ops[o.nops - 1];
		nsrc = o.nops - 1;
		into_dir = stat(target, &st) == 0 && S_ISDIR(st.st_mode);
		if (!into_dir && o.nops > 2) {
			log_error(access(target, F_OK) < 0 ? errno : ENOTDIR,
				  "target %s", log_quote(target));
			return 1;
		}
	}
	if (o.parents && !into_dir) {
		log_usage_error("with --parents, the destination must be a "
				"directory");
		return 1;
	}

	copy_config_defaults(&cfg);
	cfg.dirops = &dirops;	/* filled from the plan, below */
	cfg.verbose = o.verbose;
	cfg.recursive = o.recursive;
	cfg.force = o.force;
	cfg.clobber = o.clobber;
	cfg.preserve = o.preserve |
		       (o.preserve & PRESERVE_MODE ? PRESERVE_ACL : 0);
	cfg.reflink = o.reflink;
	cfg.update = o.update;
	cfg.hard_link = o.hard_link;
	cfg.deref_all = o.deref == DEREF_ALWAYS;
	cfg.deref_never = o.deref == DEREF_NEVER;
	cfg.one_fs = o.one_fs;
	cfg.remove_dest = o.remove_dest;
	cfg.attr_only = o.attr_only;
	cfg.debug = o.debug;
	cfg.symbolic_link = o.symbolic_link;
	cfg.backup = o.backup;
	cfg.backup_suffix = o.backup_suffix;
	cfg.sparse = o.sparse;
	cfg.copy_as_regular = !o.recursive || o.copy_contents;
	cfg.keep_dir_symlink = o.keep_dir_symlink;
	cfg.fsync = o.fsync;
	cfg.verify = o.verify;
	set_progress(&cfg, o.progress, o.clobber == CLOBBER_ASK);
	if (o.sync.stats)
		cfg.stats = &stats;
	cfg.require_preserve = o.require_preserve;
	cfg.require_xattr = o.require_xattr;
	/* cp: -p or -a after --no-preserve=mode keeps the mode after all. */
	cfg.default_mode = o.default_mode && !(o.preserve & PRESERVE_MODE) &&
			   !o.sync.on;
	if (o.checksum_file && !(cfg.manifest = manifest_open(o.checksum_file)))
		return 1;
	ret = copy_run_new(&run, &cfg);
	if (ret < 0) {
		log_error(-ret, "cannot start");
		return 1;
	}

	/* --strip-trailing-slashes: operate on the stripped names, but
	 * show the operands as given (cp does). */
	char **srcs = calloc((size_t)nsrc + 1, sizeof(*srcs));

	for (int i = 0; srcs && i < nsrc; i++) {
		size_t n = strlen(o.ops[i]);

		srcs[i] = strdup(o.ops[i]);
		/* cp strips them only with a target directory: "cp
		 * --strip-trailing-slashes link/ new" follows the link. */
		while (srcs[i] && o.strip_slashes && into_dir && n > 1 &&
		       srcs[i][n - 1] == '/')
			srcs[i][--n] = 0;
		if (!srcs[i]) {
			log_error(ENOMEM, "cannot start");
			return 1;
		}
	}
	if (!srcs) {
		log_error(ENOMEM, "cannot start");
		return 1;
	}
	if (into_dir && nsrc > 1) {
		struct stat clean;

		plan = plan_operands(&o, srcs, nsrc, target, &failed, &clean);
		if (!plan) {
			log_error(ENOMEM, "cannot start");
			return 1;
		}
		if (clean.st_nlink)	/* the target listed: no temps */
			copy_run_swept(run, clean.st_dev, clean.st_ino);
		for (int i = 0; i < nsrc; i++)
			if (!plan[i].skip && plan[i].round >= rounds)
				rounds = plan[i].round + 1;
		if (plan_dirops(&o, srcs, plan, nsrc, target, &dirops) < 0) {
			log_error(ENOMEM, "cannot start");
			return 1;
		}
	}
	install_signals(-1);
	/* A run per round, and more than one where the operands would hold
	 * too many descriptors at once (as many directories as operands:
	 * --parents) or too much memory ("ucp *.jpg DIR"). */
	fd_max = 2 * copy_max_roots();
	for (unsigned round = 0; round < rounds && !signo; round++) {
		for (int next = 0; next < nsrc && !signo;) {
			uint64_t bytes;
			unsigned long entries;

			if (!run && (ret = copy_run_new(&run, &cfg)) < 0) {
				log_error(-ret, "cannot start");
				failed++;
				round = rounds;
				break;
			}
			failed += queue_operands(run, &o, &od, srcs, nsrc,
						 into_dir ? target : NULL, plan,
						 round, ran, &next, fd_max,
						 &parents);
			failed += copy_run_exec(run, &signo);
			failed += opdirs_close(&od, copy_run_unsynced(run));
			ran = true;
			copy_run_totals(run, &bytes, &entries);
			totals.bytes += bytes;
			totals.entries += entries;
			copy_run_free(run);
			run = NULL;
		}
	}
	plan_free(plan, nsrc);
	dirops_free(&dirops);
	if (!manifest_close(cfg.manifest, o.checksum_file))
		failed++;
	failed += parents_finish(parents, o.preserve, !signo);
	if (cfg.stats && !json_on)	/* stdout carries the records */
		xfer_print_stats(cfg.stats, 0);
	for (int i = 0; i < nsrc; i++)
		free(srcs[i]);
	free(srcs);
	totals.failed = failed;
	totals.signo = signo;
	return failed ? 1 : 0;
}

/* --json's first and last records. */
static void json_start(const struct opts *o)
{
	struct json j;

	json_begin(&j, "start");
	json_u64(&j, "schema", JSON_SCHEMA);
	json_str(&j, "program", log_prog());
	json_str(&j, "version", UCP_VERSION);
	json_str(&j, "mode", o->sync.on ? "sync" : "copy");
	json_u64(&j, "operands", (uint64_t)o->nops);
	json_end(&j);
}

static void json_summary(int status, double secs)
{
	struct json j;

	json_begin(&j, "summary");
	json_u64(&j, "exit", (uint64_t)status);
	json_u64(&j, "entries", totals.entries);
	json_u64(&j, "bytes", totals.bytes);
	json_u64(&j, "failed", totals.failed);
	if (totals.signo)
		json_u64(&j, "signal", (uint64_t)totals.signo);
	json_num(&j, "seconds", secs);
	json_end(&j);
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct opts o;
	bool exit_now;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	setlocale(LC_ALL, "");
	log_init(argv[0]);
	install_status_signal();
	engine_policy_init();
	ret = opts_parse(&o, argc, argv, &exit_now);
	if (exit_now)
		return ret;
	if (o.json) {
		json_on = true;
		json_start(&o);
	}
	if (o.sync.on) {
		ret = run_sync(&o);
		filter_free(&o.sync.filters);
	} else {
		ret = run_copy(&o);
	}
	if (o.json) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		json_summary(ret, (double)(t1.tv_sec - t0.tv_sec) +
					  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	if (totals.signo) {
		/* Everything unpublished is gone; die of the signal so the
		 * caller sees how we ended. */
		signal(totals.signo, SIG_DFL);
		raise(totals.signo);
	}
	return ret;
}

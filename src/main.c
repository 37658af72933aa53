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
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "engine.h"
#include "log.h"
#include "opts.h"
#include "pathbuf.h"

extern volatile sig_atomic_t copy_stop_signal;

static void on_signal(int sig)
{
	copy_stop_signal = sig;
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
 * Queue the copy of operand src to dst_dir/dst_name (displayed as
 * dst_disp).  Returns false when the operand failed before any job.
 */
static bool add_operand(struct copy_run *run, const struct opts *o,
			const char *src, const char *src_disp, int dst_dirfd,
			const char *dst_name, const char *dst_disp)
{
	struct stat st;
	char *sdir = NULL, *sname = NULL;
	bool follow = o->deref != DEREF_NEVER || has_trailing_slash(src);
	int sfd, ret;

	/* One stat of the operand as typed gives cp's "cannot stat"
	 * wording for every way it can be wrong (missing, "file/", ...). */
	ret = follow ? stat(src, &st) : lstat(src, &st);
	if (ret < 0) {
		log_error(errno, "cannot stat %s", log_quote(src_disp));
		goto fail;
	}
	if (!S_ISDIR(st.st_mode) && has_trailing_slash(dst_disp) &&
	    dst_dirfd >= 0) {
		struct stat dt;

		if (stat(dst_disp, &dt) < 0 || !S_ISDIR(dt.st_mode)) {
			log_error(ENOTDIR, "cannot create regular file %s",
				  log_quote(dst_disp));
			goto fail;
		}
	}
	sdir = path_dir(src);
	sname = path_base(src);
	if (!sdir || !sname) {
		log_error(ENOMEM, "cannot copy %s", log_quote(src));
		goto fail;
	}
	sfd = open_dir_path(sdir);
	if (sfd < 0) {
		log_error(-sfd, "cannot stat %s", log_quote(src));
		goto fail;
	}
	ret = copy_run_add(run, sfd, sname, src_disp, src, dst_dirfd, dst_name,
			   dst_disp, follow, S_ISDIR(st.st_mode));
	if (ret < 0) {
		close(sfd);
		log_error(-ret, "cannot copy %s", log_quote(src));
		goto fail;
	}
	free(sdir);
	free(sname);
	return true;
fail:
	if (dst_dirfd >= 0)
		close(dst_dirfd);
	free(sdir);
	free(sname);
	return false;
}

int main(int argc, char **argv)
{
	struct copy_config cfg;
	struct copy_run *run = NULL;
	struct sigaction sa;
	struct opts o;
	bool exit_now, into_dir;
	const char *target = NULL;
	unsigned failed = 0;
	int ret, nsrc, signo = 0;
	struct stat st;

	setlocale(LC_ALL, "");
	log_init(argv[0]);
	engine_policy_init();
	ret = opts_parse(&o, argc, argv, &exit_now);
	if (exit_now)
		return ret;

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

	copy_config_defaults(&cfg);
	cfg.verbose = o.verbose;
	cfg.recursive = o.recursive;
	cfg.force = o.force;
	cfg.clobber = o.clobber;
	cfg.preserve = o.preserve;
	cfg.reflink = o.reflink;
	cfg.update = o.update;
	cfg.hard_link = o.hard_link;
	cfg.deref_all = o.deref == DEREF_ALWAYS;
	cfg.one_fs = o.one_fs;
	cfg.remove_dest = o.remove_dest;
	cfg.require_preserve = o.require_preserve;
	cfg.require_xattr = o.require_xattr;
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
		while (srcs[i] && o.strip_slashes && n > 1 &&
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
	if (into_dir) {
		for (int i = 0; i < nsrc; i++) {
			const char *src = srcs[i];
			char *name = path_base(src);
			char *disp = name ? path_join(target, name) : NULL;
			int dfd = open_dir_path(target);

			if (!disp) {
				log_error(ENOMEM, "cannot copy %s",
					  log_quote(src));
				failed++;
			} else if (!add_operand(run, &o, src, o.ops[i], dfd,
						name, disp)) {
				failed++;
			}
			free(name);
			free(disp);
		}
	} else {
		const char *dst = o.ops[1];
		char *ddir = path_dir(dst), *dname = path_base(dst);

		if (!ddir || !dname) {
			log_error(ENOMEM, "cannot copy %s", log_quote(o.ops[0]));
			failed++;
		} else if (!add_operand(run, &o, srcs[0], o.ops[0],
					open_dir_path(ddir), dname, dst)) {
			failed++;
		}
		free(ddir);
		free(dname);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	failed += copy_run_exec(run, &signo);
	copy_run_free(run);
	for (int i = 0; i < nsrc; i++)
		free(srcs[i]);
	free(srcs);
	if (signo) {
		/* Everything unpublished is gone; die of the signal so the
		 * caller sees how we ended. */
		signal(signo, SIG_DFL);
		raise(signo);
	}
	return failed ? 1 : 0;
}

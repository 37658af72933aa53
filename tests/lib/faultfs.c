/*
 * faultfs - a FUSE passthrough filesystem that injects faults, for ucp's
 * fault tests (tests/e2e/fuse-faults.sh).
 *
 * usage: faultfs BACKING MOUNTPOINT [FUSE options]
 *
 * Everything is passed through to BACKING, except what the rules in the
 * environment variable FAULTFS_RULES say: rules separated by ';', each
 *
 *	OP:MATCH:ACTION[:ARG]
 *
 * OP is read, write, open, fsync, fsyncdir, flush (the close of a file written),
 * create or getattr (a stat by name); MATCH is a substring of the path ("*" matches every path);
 * ACTION is
 *	eio, enospc, enoent   fail with that error
 *	short ARG             (read) return at most ARG bytes per call
 *	delay ARG             sleep ARG microseconds first, then go on
 *	shrink ARG            (read) the file ends after ARG bytes, although
 *	                      its size says more
 *	grow ARG              (read) ARG bytes of 'G' follow the real end
 *	flip ARG              (write) the byte at offset ARG is inverted
 *	                      before it is written (a medium losing data)
 * Files are opened with direct_io, so every read and write, and its
 * result, goes straight through to the program being tested.
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <unistd.h>

enum action { A_EIO, A_ENOSPC, A_ENOENT, A_SHORT, A_DELAY, A_SHRINK, A_GROW,
	      A_FLIP };

struct rule {
	char op[16];
	char match[256];
	enum action act;
	long arg;
};

static struct rule rules[32];
static int nrules;
static int base_fd;

static int parse_rules(const char *spec)
{
	static const char *const acts[] = { "eio", "enospc", "enoent", "short",
					    "delay", "shrink", "grow", "flip" };
	char *copy = strdup(spec ? spec : ""), *save = NULL;

	for (char *tok = strtok_r(copy, ";", &save); tok && nrules < 32;
	     tok = strtok_r(NULL, ";", &save)) {
		struct rule *r = &rules[nrules];
		char act[16] = "";
		int n = 0;

		if (sscanf(tok, "%15[^:]:%255[^:]:%15[^:]%n", r->op, r->match,
			   act, &n) != 3)
			return -1;
		r->arg = tok[n] == ':' ? atol(tok + n + 1) : 0;
		for (r->act = 0; r->act < 8 && strcmp(acts[r->act], act); r->act++)
			;
		if (r->act == 8)
			return -1;
		nrules++;
	}
	free(copy);
	return 0;
}

/* The first rule for op that matches path, or NULL. */
static const struct rule *rule_for(const char *op, const char *path)
{
	for (int i = 0; i < nrules; i++)
		if (!strcmp(rules[i].op, op) &&
		    (!strcmp(rules[i].match, "*") || strstr(path, rules[i].match)))
			return &rules[i];
	return NULL;
}

/* Apply a rule's error or delay; returns -errno to fail with, or 0. */
static int fault(const char *op, const char *path)
{
	const struct rule *r = rule_for(op, path);

	if (!r)
		return 0;
	switch (r->act) {
	case A_EIO:
		return -EIO;
	case A_ENOSPC:
		return -ENOSPC;
	case A_ENOENT:
		return -ENOENT;
	case A_DELAY:
		usleep((useconds_t)r->arg);
		return 0;
	default:
		return 0;
	}
}

/* Paths relative to the backing directory ("/" is "."). */
static const char *rel(const char *path)
{
	return path[1] ? path + 1 : ".";
}

static int ret_errno(int rc)
{
	return rc < 0 ? -errno : rc;
}

static int ff_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	int rc;

	if (fi)
		return ret_errno(fstat((int)fi->fh, st));
	if ((rc = fault("getattr", path)) < 0)
		return rc;
	return ret_errno(fstatat(base_fd, rel(path), st, AT_SYMLINK_NOFOLLOW));
}

static int ff_readlink(const char *path, char *buf, size_t size)
{
	ssize_t n = readlinkat(base_fd, rel(path), buf, size - 1);

	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

static int ff_mknod(const char *path, mode_t mode, dev_t dev)
{
	return ret_errno(mknodat(base_fd, rel(path), mode, dev));
}

static int ff_mkdir(const char *path, mode_t mode)
{
	return ret_errno(mkdirat(base_fd, rel(path), mode));
}

static int ff_unlink(const char *path)
{
	return ret_errno(unlinkat(base_fd, rel(path), 0));
}

static int ff_rmdir(const char *path)
{
	return ret_errno(unlinkat(base_fd, rel(path), AT_REMOVEDIR));
}

static int ff_symlink(const char *target, const char *path)
{
	return ret_errno(symlinkat(target, base_fd, rel(path)));
}

static int ff_rename(const char *from, const char *to, unsigned flags)
{
	return ret_errno(renameat2(base_fd, rel(from), base_fd, rel(to), flags));
}

static int ff_link(const char *from, const char *to)
{
	return ret_errno(linkat(base_fd, rel(from), base_fd, rel(to), 0));
}

static int ff_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	if (fi)
		return ret_errno(fchmod((int)fi->fh, mode));
	return ret_errno(fchmodat(base_fd, rel(path), mode, 0));
}

static int ff_chown(const char *path, uid_t uid, gid_t gid,
		    struct fuse_file_info *fi)
{
	if (fi)
		return ret_errno(fchown((int)fi->fh, uid, gid));
	return ret_errno(fchownat(base_fd, rel(path), uid, gid,
				  AT_SYMLINK_NOFOLLOW));
}

static int ff_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	int fd, rc;

	if (fi)
		return ret_errno(ftruncate((int)fi->fh, size));
	fd = openat(base_fd, rel(path), O_WRONLY);
	if (fd < 0)
		return -errno;
	rc = ret_errno(ftruncate(fd, size));
	close(fd);
	return rc;
}

static int ff_utimens(const char *path, const struct timespec ts[2],
		      struct fuse_file_info *fi)
{
	if (fi)
		return ret_errno(futimens((int)fi->fh, ts));
	return ret_errno(utimensat(base_fd, rel(path), ts, AT_SYMLINK_NOFOLLOW));
}

static int ff_open(const char *path, struct fuse_file_info *fi)
{
	int rc = fault("open", path), fd;

	if (rc)
		return rc;
	fd = openat(base_fd, rel(path), fi->flags & ~O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	fi->direct_io = 1;
	return 0;
}

static int ff_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	int rc = fault("create", path), fd;

	if (rc)
		return rc;
	fd = openat(base_fd, rel(path), fi->flags | O_CREAT, mode);
	if (fd < 0)
		return -errno;
	fi->fh = (uint64_t)fd;
	fi->direct_io = 1;
	return 0;
}

static int ff_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	const struct rule *r = rule_for("read", path);
	ssize_t n;
	int rc = fault("read", path);

	if (rc)
		return rc;
	if (r && r->act == A_SHORT && (long)size > r->arg)
		size = (size_t)r->arg;
	if (r && r->act == A_SHRINK) {
		if (off >= r->arg)
			return 0;
		if (off + (off_t)size > r->arg)
			size = (size_t)(r->arg - off);
	}
	n = pread((int)fi->fh, buf, size, off);
	if (n < 0)
		return -errno;
	if (r && r->act == A_GROW && (size_t)n < size) {
		struct stat st;
		off_t end, want;

		if (fstat((int)fi->fh, &st) < 0)
			return -errno;
		end = st.st_size + r->arg;
		want = off + (off_t)size < end ? off + (off_t)size : end;
		while (off + n < want)
			buf[n++] = 'G';
	}
	return (int)n;
}

static int ff_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	const struct rule *r = rule_for("write", path);
	int rc = fault("write", path);
	ssize_t n;

	if (rc)
		return rc;
	if (r && r->act == A_FLIP && r->arg >= off && r->arg < off + (off_t)size) {
		char *copy = malloc(size);

		if (!copy)
			return -ENOMEM;
		memcpy(copy, buf, size);
		copy[r->arg - off] ^= (char)0xff;
		n = pwrite((int)fi->fh, copy, size, off);
		free(copy);
	} else {
		n = pwrite((int)fi->fh, buf, size, off);
	}
	return n < 0 ? -errno : (int)n;
}

static int ff_statfs(const char *path, struct statvfs *st)
{
	(void)path;
	return ret_errno(fstatvfs(base_fd, st));
}

static int ff_flush(const char *path, struct fuse_file_info *fi)
{
	/* Only the close of a file open for writing fails. */
	if ((fcntl((int)fi->fh, F_GETFL) & O_ACCMODE) == O_RDONLY)
		return 0;
	return fault("flush", path);
}

static int ff_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	close((int)fi->fh);
	return 0;
}

static int ff_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	int rc = fault("fsync", path);

	if (rc)
		return rc;
	return ret_errno(datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh));
}

static int ff_fsyncdir(const char *path, int datasync,
		       struct fuse_file_info *fi)
{
	int rc = fault("fsyncdir", path);
	int fd;

	(void)datasync;
	(void)fi;
	if (rc)
		return rc;
	fd = openat(base_fd, rel(path), O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -errno;
	rc = ret_errno(fsync(fd));
	close(fd);
	return rc;
}

static int ff_readdir(const char *path, void *buf, fuse_fill_dir_t fill,
		      off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	int fd = openat(base_fd, rel(path), O_RDONLY | O_DIRECTORY);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	(void)off;
	(void)fi;
	(void)flags;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct stat st;

		memset(&st, 0, sizeof(st));
		st.st_ino = de->d_ino;
		st.st_mode = (mode_t)DTTOIF(de->d_type);
		if (fill(buf, de->d_name, &st, 0, 0))
			break;
	}
	closedir(d);
	return 0;
}

static int ff_access(const char *path, int mask)
{
	return ret_errno(faccessat(base_fd, rel(path), mask, 0));
}

static void *ff_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->use_ino = 1;
	cfg->entry_timeout = cfg->attr_timeout = cfg->negative_timeout = 0;
	return NULL;
}

static const struct fuse_operations ops = {
	.init = ff_init,
	.getattr = ff_getattr,
	.readlink = ff_readlink,
	.mknod = ff_mknod,
	.mkdir = ff_mkdir,
	.unlink = ff_unlink,
	.rmdir = ff_rmdir,
	.symlink = ff_symlink,
	.rename = ff_rename,
	.link = ff_link,
	.chmod = ff_chmod,
	.chown = ff_chown,
	.truncate = ff_truncate,
	.utimens = ff_utimens,
	.open = ff_open,
	.create = ff_create,
	.read = ff_read,
	.write = ff_write,
	.statfs = ff_statfs,
	.flush = ff_flush,
	.release = ff_release,
	.fsync = ff_fsync,
	.fsyncdir = ff_fsyncdir,
	.readdir = ff_readdir,
	.access = ff_access,
};

int main(int argc, char *argv[])
{
	char *fargv[64];
	int fargc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: faultfs BACKING MOUNTPOINT [FUSE options]\n");
		return 2;
	}
	if (parse_rules(getenv("FAULTFS_RULES")) < 0) {
		fprintf(stderr, "faultfs: bad FAULTFS_RULES\n");
		return 2;
	}
	base_fd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (base_fd < 0) {
		perror(argv[1]);
		return 1;
	}
	fargv[fargc++] = argv[0];
	fargv[fargc++] = argv[2];
	for (int i = 3; i < argc && fargc < 62; i++)
		fargv[fargc++] = argv[i];
	fargv[fargc] = NULL;
	umask(0);
	return fuse_main(fargc, fargv, &ops, NULL);
}

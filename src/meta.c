/*
 * meta - attributes of copies.  Plain syscalls: io_uring has no op for
 * any of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "compat.h"

#include "meta.h"
#include "opts.h"

const char *meta_message(enum meta_attr a)
{
	switch (a) {
	case META_OWNER:
		return "failed to preserve ownership for %s";
	case META_XATTR:
		return "failed to preserve extended attributes for %s";
	case META_MODE:
		return "preserving permissions for %s";
	case META_TIMES:
	case META_N:
		break;
	}
	return "preserving times for %s";
}

static void times_of(const struct statx *st, struct timespec ts[2])
{
	ts[0].tv_sec = st->stx_atime.tv_sec;
	ts[0].tv_nsec = st->stx_atime.tv_nsec;
	ts[1].tv_sec = st->stx_mtime.tv_sec;
	ts[1].tv_nsec = st->stx_mtime.tv_nsec;
}

/*
 * An O_PATH fd (a destination directory we may write and search but not
 * read, which cp copies into by name) refuses fchown, fchmod, futimens
 * and fsetxattr with EBADF: those go through its /proc/self/fd link
 * (or AT_EMPTY_PATH) instead.
 */
static const char *fd_path(int fd, char buf[32])
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
	return buf;
}

static int fd_chown(int fd, uid_t uid, gid_t gid)
{
	if (fchown(fd, uid, gid) == 0)
		return 0;
	if (errno != EBADF)
		return -1;
	return fchownat(fd, "", uid, gid, AT_EMPTY_PATH);
}

int meta_fchmod(int fd, mode_t mode)
{
	char p[32];

	if (fchmod(fd, mode) == 0)
		return 0;
	if (errno != EBADF)
		return -1;
	return chmod(fd_path(fd, p), mode);
}

static int fd_utimens(int fd, const struct timespec ts[2])
{
	char p[32];

	if (futimens(fd, ts) == 0)
		return 0;
	if (errno != EBADF)
		return -1;
	return utimensat(AT_FDCWD, fd_path(fd, p), ts, 0);
}

static int fd_setxattr(int fd, const char *n, const void *v, size_t len)
{
	char p[32];

	if (fsetxattr(fd, n, v, len, 0) == 0)
		return 0;
	if (errno != EBADF)
		return -1;
	return setxattr(fd_path(fd, p), n, v, len, 0);
}

/* chown with cp's tolerance: as non-root, EPERM/EINVAL just means the
 * user may not give files away; keep the group if we can. */
static int owner_fd(int fd, const struct statx *st, bool privileged)
{
	if (fd_chown(fd, st->stx_uid, st->stx_gid) == 0)
		return 0;
	if (!privileged && (errno == EPERM || errno == EINVAL)) {
		(void)!fd_chown(fd, (uid_t)-1, st->stx_gid);
		return 0;
	}
	return errno;
}

enum { SKIP_CAPS = 1, SKIP_ACLS = 2, ONLY_ACLS = 4 };

static bool is_acl(const char *n)
{
	return !strncmp(n, "system.posix_acl_", 17);
}

/* Copy the xattrs sfd has that the caller may read to dfd, except
 * security.selinux (that is --preserve=context) and those skip leaves
 * out.  0 or -errno; *nset (if not NULL) counts the xattrs set. */
static int xattrs_copy(int sfd, int dfd, unsigned *nset, unsigned skip)
{
	char stackbuf[4096], *names = stackbuf, *value = NULL;
	ssize_t len = flistxattr(sfd, stackbuf, sizeof(stackbuf));
	size_t vcap = 0;
	int ret = 0;

	if (len < 0 && errno == ERANGE) {
		len = flistxattr(sfd, NULL, 0);
		names = len > 0 ? malloc((size_t)len) : NULL;
		if (len > 0 && !names)
			return -ENOMEM;
		if (names)
			len = flistxattr(sfd, names, (size_t)len);
	}
	if (len < 0) {
		ret = errno == ENOTSUP ? 0 : -errno;
		goto out;
	}
	for (char *n = names; n < names + len; n += strlen(n) + 1) {
		ssize_t v;

		if (!strcmp(n, "security.selinux") ||
		    ((skip & SKIP_CAPS) && !strcmp(n, "security.capability")) ||
		    ((skip & SKIP_ACLS) && is_acl(n)) ||
		    ((skip & ONLY_ACLS) && !is_acl(n)))
			continue;
		v = fgetxattr(sfd, n, NULL, 0);
		if (v < 0) {
			ret = ret ? ret : -errno;
			continue;
		}
		if ((size_t)v > vcap) {
			char *nv = realloc(value, (size_t)v);

			if (!nv) {
				ret = -ENOMEM;
				break;
			}
			value = nv;
			vcap = (size_t)v;
		}
		v = fgetxattr(sfd, n, value, vcap);
		if (v < 0 || fd_setxattr(dfd, n, value, (size_t)v) < 0)
			ret = ret ? ret : -errno;
		else if (nset)
			(*nset)++;
	}
out:
	if (names != stackbuf)
		free(names);
	free(value);
	return ret;
}

int meta_keep_xattrs(int dirfd, const char *name, int dfd, bool acls)
{
	static atomic_bool no_listxattrat;
	int ofd, ret;

	if (!atomic_load(&no_listxattrat)) {
		ssize_t n = syscall(SYS_listxattrat, dirfd, name,
				    AT_SYMLINK_NOFOLLOW, NULL, 0);

		if (n == 0 || (n < 0 && errno == ENOTSUP))
			return 0;	/* nothing to keep: the common case */
		if (n < 0 && errno != ENOSYS && errno != EPERM)
			return -errno;
		if (n < 0)	/* an older kernel, or a seccomp profile */
			atomic_store(&no_listxattrat, true);
	}
	ofd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
				  O_NOCTTY | O_CLOEXEC);
	if (ofd < 0)
		return -errno;
	ret = xattrs_copy(ofd, dfd, NULL, SKIP_CAPS | (acls ? 0 : SKIP_ACLS));
	close(ofd);
	return ret;
}

void meta_apply_fd(int fd, int sfd, const struct statx *st,
		   unsigned preserve, bool privileged, struct meta_result *res)
{
	bool owner = preserve & PRESERVE_OWNERSHIP;
	bool mode = preserve & PRESERVE_MODE;
	bool xattrs = preserve & (PRESERVE_XATTR | PRESERVE_ACL);
	bool opened = false, known;
	unsigned nset = 0;
	struct timespec ts[2];
	struct stat now;
	mode_t cur = 0;

	memset(res, 0, sizeof(*res));
	/* Skip what would change nothing, as cp does: a file created by
	 * root for a root-owned source already has its owner, and one
	 * created with the source's mode its mode.  Each chown or chmod
	 * is a journalled inode update; the fstat is not. */
	known = (owner || mode || (xattrs && !privileged)) &&
		fstat(fd, &now) == 0;
	if (known) {
		cur = now.st_mode & 07777;
		if (now.st_uid == st->stx_uid && now.st_gid == st->stx_gid)
			owner = false;
		else if (owner)
			now.st_mode = (mode_t)~0u; /* chown may clear set-id */
		if ((now.st_mode & 07777) == (st->stx_mode & 07777))
			mode = false;
	}
	if (owner)
		res->err[META_OWNER] = owner_fd(fd, st, privileged);
	/* Setting a user.* xattr takes write permission on the inode, not
	 * only an fd open for writing: a copy of a read-only file is made
	 * writable by its owner meanwhile (cp's rule). */
	if (xattrs && !privileged && known && !(cur & S_IWUSR))
		opened = meta_fchmod(fd, cur | S_IWUSR) == 0;
	/* ACLs go with the mode, not with the xattrs (cp's rule): cp -p
	 * copies them, cp -a --no-preserve=mode does not. */
	if (preserve & PRESERVE_XATTR)
		res->err[META_XATTR] = -xattrs_copy(sfd, fd, &nset,
			preserve & PRESERVE_ACL ? 0 : SKIP_ACLS);
	else if (preserve & PRESERVE_ACL)
		res->err[META_MODE] = -xattrs_copy(sfd, fd, &nset, ONLY_ACLS);
	/* A copied ACL sets the mode bits as well: set them after it. */
	if ((preserve & PRESERVE_MODE) && (mode || nset || opened)) {
		if (meta_fchmod(fd, st->stx_mode & 07777) < 0)
			res->err[META_MODE] = errno;
	} else if (opened && meta_fchmod(fd, cur) < 0) {
		res->err[META_MODE] = errno;
	}
	if (preserve & PRESERVE_TIMESTAMPS) {
		times_of(st, ts);
		if (fd_utimens(fd, ts) < 0)
			res->err[META_TIMES] = errno;
	}
}

void meta_apply_at(int dirfd, const char *name, const struct statx *st,
		   unsigned preserve, bool privileged, struct meta_result *res)
{
	bool link = S_ISLNK(st->stx_mode);
	struct timespec ts[2];

	memset(res, 0, sizeof(*res));
	if ((preserve & PRESERVE_OWNERSHIP) &&
	    fchownat(dirfd, name, st->stx_uid, st->stx_gid,
		     AT_SYMLINK_NOFOLLOW) < 0) {
		if (privileged || (errno != EPERM && errno != EINVAL))
			res->err[META_OWNER] = errno;
		else
			(void)!fchownat(dirfd, name, (uid_t)-1, st->stx_gid,
					AT_SYMLINK_NOFOLLOW);
	}
	if ((preserve & PRESERVE_MODE) && !link &&
	    fchmodat(dirfd, name, st->stx_mode & 07777, 0) < 0)
		res->err[META_MODE] = errno;
	if (preserve & PRESERVE_TIMESTAMPS) {
		times_of(st, ts);
		if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
			res->err[META_TIMES] = errno;
	}
}

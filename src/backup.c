/*
 * backup - backup names and the backups themselves.  See backup.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup.h"

/* The highest N of the entries "name.~N~" of dirfd (0: none), or -errno. */
static long highest_numbered(int dirfd, const char *name)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t n = strlen(name);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	long best = 0;

	if (!dir) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		return -err;
	}
	while ((de = readdir(dir))) {
		const char *p = de->d_name + n + 2;
		char *end;
		long v;

		if (strncmp(de->d_name, name, n) || strncmp(de->d_name + n, ".~", 2) ||
		    *p < '1' || *p > '9')
			continue;
		errno = 0;
		v = strtol(p, &end, 10);
		if (!errno && end[0] == '~' && !end[1] && v > best)
			best = v;
	}
	closedir(dir);
	return best;
}

int backup_name(int dirfd, const char *name, enum backup type,
		const char *suffix, char *out, size_t size)
{
	long n = 0;
	int len;

	if (type == BACKUP_NUMBERED || type == BACKUP_EXISTING) {
		n = highest_numbered(dirfd, name);
		if (n < 0)
			return (int)-n;
	}
	if (type == BACKUP_NUMBERED || (type == BACKUP_EXISTING && n > 0))
		len = snprintf(out, size, "%s.~%ld~", name, n + 1);
	else
		len = snprintf(out, size, "%s%s", name, suffix);
	return len < 0 || (size_t)len >= size ? ENAMETOOLONG : 0;
}

static atomic_uint counter;	/* temp names of this process */

int backup_make(int dirfd, const char *name, int bdirfd, const char *bname,
		bool keep)
{
	char tmp[64];

	while (keep) {
		snprintf(tmp, sizeof(tmp), ".ucp.%d.b%u.tmp", (int)getpid(),
			 atomic_fetch_add(&counter, 1));
		if (linkat(dirfd, name, bdirfd, tmp, 0) == 0) {
			int err = renameat(bdirfd, tmp, bdirfd, bname) < 0 ?
					  errno : 0;

			if (err)
				unlinkat(bdirfd, tmp, 0);
			return err;
		}
		if (errno == EEXIST)
			continue;	/* a stale temp of that name */
		if (errno != EPERM && errno != EMLINK && errno != EXDEV &&
		    errno != EOPNOTSUPP)
			return errno;
		if (errno == EPERM) {
			/* Also what a directory's link gets: one is never
			 * moved away from a name that is to stay. */
			struct stat st;

			if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISDIR(st.st_mode))
				return EISDIR;
			errno = EPERM;
		}
		break;		/* no hard links here: move it */
	}
	return renameat(dirfd, name, bdirfd, bname) < 0 ? errno : 0;
}

/* Copy len bytes at off from in to out: copy_file_range, or read/write
 * where the kernel cannot (another filesystem type, old kernels). */
static int copy_range(int in, int out, off_t off, off_t len)
{
	char buf[64 << 10];
	bool plain = false;

	while (len > 0) {
		ssize_t n;

		if (!plain) {
			off_t ioff = off, ooff = off;

			n = copy_file_range(in, &ioff, out, &ooff, (size_t)len,
					    0);
			if (n < 0 && (errno == EXDEV || errno == EINVAL ||
				      errno == ENOSYS || errno == EOPNOTSUPP)) {
				plain = true;
				continue;
			}
		} else {
			n = pread(in, buf, len < (off_t)sizeof(buf) ?
						   (size_t)len : sizeof(buf), off);
			for (ssize_t done = 0, k; n > 0 && done < n; done += k) {
				k = pwrite(out, buf + done, (size_t)(n - done),
					   off + done);
				if (k <= 0)
					return k < 0 ? errno : EIO;
			}
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			break;	/* shorter than its size: it shrank */
		off += n;
		len -= n;
	}
	return 0;
}

/* The data of in into out: a clone, or its data extents one by one. */
static int copy_data(int in, int out, off_t size)
{
	off_t data = 0, hole;
	int err = 0;

	if (ioctl(out, FICLONE, in) == 0)
		return 0;
	while (!err && data < size) {
		data = lseek(in, data, SEEK_DATA);
		if (data < 0)
			return errno == ENXIO ? 0 : errno;	/* holes only */
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			hole = size;
		err = copy_range(in, out, data, hole - data);
		data = hole;
	}
	return err;
}

int backup_copy(int dirfd, const char *name, int bdirfd, const char *bname)
{
	int in = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char tmp[64];
	struct stat st;
	int out = -1, err = 0;

	if (in < 0)
		return errno;
	if (fstat(in, &st) < 0) {
		err = errno;
		close(in);
		return err;
	}
	do {
		snprintf(tmp, sizeof(tmp), ".ucp.%d.b%u.tmp", (int)getpid(),
			 atomic_fetch_add(&counter, 1));
		out = openat(bdirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
						  O_NOFOLLOW | O_CLOEXEC, 0600);
	} while (out < 0 && errno == EEXIST);	/* a stale temp */
	if (out < 0) {
		err = errno;
		close(in);
		return err;
	}
	err = copy_data(in, out, st.st_size);
	if (!err && ftruncate(out, st.st_size) < 0)	/* a hole at the end */
		err = errno;
	if (!err && geteuid() == 0 && fchown(out, st.st_uid, st.st_gid) < 0)
		err = errno;
	if (!err && fchmod(out, st.st_mode & 07777) < 0)
		err = errno;
	if (!err) {
		struct timespec ts[2] = { st.st_atim, st.st_mtim };

		if (futimens(out, ts) < 0)
			err = errno;
	}
	if (close(out) < 0 && !err)
		err = errno;
	close(in);
	if (!err && renameat(bdirfd, tmp, bdirfd, bname) < 0)
		err = errno;
	if (err)
		unlinkat(bdirfd, tmp, 0);
	return err;
}

/*
 * backup - backup names and the backups themselves.  See backup.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

int backup_make(int dirfd, const char *name, int bdirfd, const char *bname,
		bool keep)
{
	static atomic_uint counter;
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
		break;		/* no hard links here: move it */
	}
	return renameat(dirfd, name, bdirfd, bname) < 0 ? errno : 0;
}

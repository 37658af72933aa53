/*
 * meta - apply a source's attributes (owner, xattrs, mode, times) to a
 * copy, through its fd or by name relative to a directory fd.
 *
 * Order matters and is fixed here: owner first (chown clears set-id bits
 * and file capabilities), then xattrs (ACLs and capabilities are xattrs),
 * then the mode, then the times (anything written after would change
 * them).  Nothing is printed: each attribute's failure comes back as an
 * errno in struct meta_result, and the caller reports it with the path.
 * An owner or mode the copy already has is not set again (an fstat
 * tells).  A non-root chown refused with EPERM/EINVAL is not a failure
 * (cp's rule): the group alone is tried, silently.
 */
#ifndef UCP_META_H
#define UCP_META_H

#include <stdbool.h>
#include <sys/stat.h>

enum meta_attr { META_OWNER, META_XATTR, META_MODE, META_TIMES, META_N };

struct meta_result {
	int err[META_N];	/* 0 or a positive errno */
};

/* preserve: PRESERVE_* bits (opts.h).  sfd: the source, for xattrs. */
void meta_apply_fd(int fd, int sfd, const struct statx *st,
		   unsigned preserve, bool privileged, struct meta_result *res);

/* The same by name, for symlinks (never followed; no mode, and xattrs are
 * skipped: Linux allows user.* xattrs only on files and directories) and
 * special files (no xattrs either). */
void meta_apply_at(int dirfd, const char *name, const struct statx *st,
		   unsigned preserve, bool privileged,
		   struct meta_result *res);

/* A file dfd that replaces dirfd/name keeps what cp's write into that
 * file would keep: its xattrs, except security.capability (a write clears
 * it) and, unless acls, its ACLs (cp's --preserve=mode replaces them with
 * the source's).  One listxattrat(2) when there are none (the old file is
 * opened only when there are some, or on kernels without it).  0 or
 * -errno. */
int meta_keep_xattrs(int dirfd, const char *name, int dfd, bool acls);

/* fchmod, also of an O_PATH fd (through /proc/self/fd).  0 or -1. */
int meta_fchmod(int fd, mode_t mode);

/* cp's message for a failure of attribute a, with one %s for the path. */
const char *meta_message(enum meta_attr a);

#endif

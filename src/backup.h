/*
 * backup - the backups made of a destination entry before it is replaced
 * (cp -b, --sync --backup) or deleted (--sync --backup --delete).
 *
 * Names follow GNU cp (backupfile.c): simple NAME + SUFFIX, numbered
 * NAME.~N~ with N one more than the highest numbered backup of NAME in the
 * directory, existing: numbered when NAME already has a numbered backup,
 * simple otherwise.
 *
 * Both functions work relative to directory fds, return 0 or a positive
 * errno, and print nothing.
 */
#ifndef UCP_BACKUP_H
#define UCP_BACKUP_H

#include <stdbool.h>
#include <stddef.h>

#include "opts.h"

/* The backup name of dirfd/name under `type` (not BACKUP_NONE) into out. */
int backup_name(int dirfd, const char *name, enum backup type,
		const char *suffix, char *out, size_t size);

/*
 * Make dirfd/name's backup bdirfd/bname, replacing an older backup of that
 * name.  keep: the entry also stays at name (a hard link, made under a
 * temp name and renamed over bname, so that the name being replaced is
 * never missing and an old backup is replaced atomically); where the
 * filesystem has no hard links, and when !keep, the entry is renamed.
 */
int backup_make(int dirfd, const char *name, int bdirfd, const char *bname,
		bool keep);

/*
 * Make bdirfd/bname a copy of the regular file dirfd/name: its data (a
 * clone where the filesystem can, its holes kept), mode, times, and as
 * root its owner; written under a temp name and renamed over bname.  For
 * a file about to be written in place, whose inode a link would share.
 */
int backup_copy(int dirfd, const char *name, int bdirfd, const char *bname);

#endif

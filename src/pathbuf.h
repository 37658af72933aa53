/*
 * pathbuf - display paths.  ucp never resolves a long path string from the
 * root: every open is relative to a directory fd.  These strings exist only
 * for messages and -v output, so they are built lazily and may be longer
 * than PATH_MAX.
 */
#ifndef UCP_PATHBUF_H
#define UCP_PATHBUF_H

#include <stddef.h>

/* "a" + "/" + "b" (no doubled slash when a ends in '/'; b alone when a is
 * empty).  Returns a malloc'd string or NULL. */
char *path_join(const char *a, const char *b);

/* The last component of p, ignoring trailing slashes, copied into a
 * malloc'd string ("/" for "/", "" for ""). */
char *path_base(const char *p);

/* The directory part of p ("." when there is none), malloc'd. */
char *path_dir(const char *p);

#endif

/*
 * pathbuf - small string helpers for display paths and operands.
 */
#include <stdlib.h>
#include <string.h>

#include "pathbuf.h"

char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int slash;
	char *p;

	/* "s///" + "d" is "s/d", as cp names it (gnulib's
	 * file_name_concat). */
	while (la > 1 && a[la - 1] == '/' && a[la - 2] == '/')
		la--;
	slash = la && a[la - 1] != '/';
	p = malloc(la + (size_t)slash + lb + 1);

	if (!p)
		return NULL;
	memcpy(p, a, la);
	if (slash)
		p[la] = '/';
	memcpy(p + la + slash, b, lb + 1);
	return p;
}

char *path_base(const char *p)
{
	size_t n = strlen(p), start;
	char *r;

	while (n > 1 && p[n - 1] == '/')
		n--;
	if (n == 1 && p[0] == '/')
		return strdup("/");
	start = n;
	while (start && p[start - 1] != '/')
		start--;
	r = malloc(n - start + 1);
	if (!r)
		return NULL;
	memcpy(r, p + start, n - start);
	r[n - start] = 0;
	return r;
}

char *path_dir(const char *p)
{
	size_t n = strlen(p);
	char *r;

	while (n > 1 && p[n - 1] == '/')
		n--;
	while (n && p[n - 1] != '/')
		n--;
	if (!n)
		return strdup(".");
	while (n > 1 && p[n - 1] == '/')
		n--;
	r = malloc(n + 1);
	if (!r)
		return NULL;
	memcpy(r, p, n);
	r[n] = 0;
	return r;
}

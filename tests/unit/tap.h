/*
 * tap.h - a tiny TAP producer for unit tests (after git's t/unit-tests).
 *
 *   ok(cond, "name %d", i);   is_str(got, want, "name");   skip_all("why");
 *   return tap_done();        (exit 0 when every check passed, else 1)
 */
#ifndef UCP_TAP_H
#define UCP_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	return cond;
}

static inline int is_str(const char *got, const char *want, const char *name)
{
	int same = got && want && !strcmp(got, want);

	if (!ok(same, "%s", name))
		printf("#   got:  [%s]\n#   want: [%s]\n", got ? got : "(null)",
		       want ? want : "(null)");
	return same;
}

static inline int is_int(long got, long want, const char *name)
{
	if (!ok(got == want, "%s", name))
		printf("#   got: %ld, want: %ld\n", got, want);
	return got == want;
}

static inline void skip_all(const char *why)
{
	printf("1..0 # SKIP %s\nSKIP: %s\n", why, why);
	exit(77);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif

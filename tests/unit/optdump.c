/*
 * optdump - print ucp's option table, one option per line, for the tests
 * that check the man page and the shell completions against it:
 *
 *	LONG SHORT ARG FLAGS
 *
 * LONG is the long name or "-", SHORT the letter or "-", ARG one of none,
 * required, optional, FLAGS a comma list (implemented, hidden,
 * sync-only, sync-too) naming how the option may be used.
 */
#include <stdio.h>

#include "opts.h"

int main(void)
{
	for (unsigned i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];
		static const char *const args[] = { "none", "required",
						    "optional" };

		printf("%s %c %s %s%s%s%s\n", d->longname ? d->longname : "-",
		       d->shortname ? d->shortname : '-', args[d->arg],
		       "implemented",
		       d->flags & OPT_HIDDEN ? ",hidden" : "",
		       d->flags & OPT_SYNC_ONLY ? ",sync-only" : "",
		       d->flags & OPT_SYNC_TOO ? ",sync-too" : "");
	}
	return 0;
}

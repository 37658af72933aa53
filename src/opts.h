/*
 * opts - the option table, parsing and --help.
 *
 * One sorted table (opts_table) describes every option: its spellings,
 * whether it takes an argument, its help text, and whether it is
 * implemented yet.  Parsing, --help, and the tests that check the man page
 * and the shell completions all read this table.  An option that GNU cp has
 * but ucp does not implement yet is in the table with OPT_UNIMPLEMENTED and
 * is refused with a clear message, never silently ignored.
 */
#ifndef UCP_OPTS_H
#define UCP_OPTS_H

#include <stdbool.h>

enum opt_id {
	OPT_NONE = 0,
	OPT_FORCE,
	OPT_HELP,
	OPT_INTERACTIVE,
	OPT_NO_CLOBBER,
	OPT_NO_TARGET_DIR,
	OPT_RECURSIVE,
	OPT_TARGET_DIR,
	OPT_VERBOSE,
	OPT_VERSION,
	OPT_UNIMPLEMENTED_ID,	/* any option that is refused for now */
};

enum opt_arg { ARG_NONE, ARG_REQUIRED, ARG_OPTIONAL };

#define OPT_UNIMPLEMENTED 0x1	/* known, refused until implemented */
#define OPT_HIDDEN 0x2		/* not in --help */

struct opt_def {
	const char *longname;	/* without "--"; NULL if short only */
	char shortname;		/* 0 if long only */
	enum opt_arg arg;
	enum opt_id id;
	unsigned flags;
	const char *argname;	/* for --help, e.g. "DIRECTORY" */
	const char *help;
};

extern const struct opt_def opts_table[];
extern const unsigned opts_count;

/* What to overwrite when the destination exists (cp -f/-i/-n). */
enum clobber { CLOBBER_YES, CLOBBER_ASK, CLOBBER_NO };

struct opts {
	bool recursive;
	bool verbose;
	bool force;
	enum clobber clobber;
	bool no_target_dir;
	const char *target_dir;	/* -t */
	int nops;		/* operands */
	char **ops;
};

/*
 * Parse argv into *o.  Returns 0 to go on, or an exit status to exit with
 * now (--help/--version print and return 0 through *exit_now; usage errors
 * print a diagnostic and return 1).
 */
int opts_parse(struct opts *o, int argc, char **argv, bool *exit_now);

void opts_help(void);

#endif

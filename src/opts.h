/*
 * opts - the option table, parsing and --help.
 *
 * One sorted table (opts_table) describes every option: its spellings,
 * whether it takes an argument, its help text, and whether it is
 * implemented yet.  Parsing, --help, and the tests that check the man page
 * and the shell completions all read this table.
 */
#ifndef UCP_OPTS_H
#define UCP_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "filter.h"

enum opt_id {
	OPT_NONE = 0,
	OPT_ARCHIVE,
	OPT_NO_DEREF_LINKS,	/* -d */
	OPT_NO_DEREFERENCE,	/* -P */
	OPT_NO_PRESERVE,
	OPT_PRESERVE,
	OPT_PRESERVE_DEFAULT,	/* -p */
	OPT_FORCE,
	OPT_REFLINK,
	OPT_CONTEXT,
	OPT_DEREF_CMDLINE,	/* -H */
	OPT_DEREFERENCE,	/* -L */
	OPT_LINK,
	OPT_ONE_FS,
	OPT_REMOVE_DEST,
	OPT_STRIP_SLASHES,
	OPT_PARENTS,
	OPT_ATTR_ONLY,
	OPT_DEBUG,
	OPT_SYMBOLIC_LINK,	/* -s */
	OPT_SPARSE,
	OPT_COPY_CONTENTS,
	OPT_KEEP_DIR_SYMLINK,
	OPT_UPDATE,
	OPT_HELP,
	OPT_INTERACTIVE,
	OPT_NO_CLOBBER,
	OPT_NO_TARGET_DIR,
	OPT_RECURSIVE,
	OPT_TARGET_DIR,
	OPT_VERBOSE,
	OPT_VERSION,
	/* --sync and its options */
	OPT_SYNC,
	OPT_BACKUP,
	OPT_BACKUP_DIR,
	OPT_CHECKSUM,
	OPT_DELETE,
	OPT_DELETE_AFTER,
	OPT_DELETE_BEFORE,
	OPT_DELETE_DURING,
	OPT_DELETE_EXCLUDED,
	OPT_DRY_RUN,
	OPT_EXCLUDE,
	OPT_EXCLUDE_FROM,
	OPT_EXISTING,
	OPT_FILES_FROM,
	OPT_FILTER,
	OPT_FROM0,
	OPT_IGNORE_ERRORS,
	OPT_IGNORE_EXISTING,
	OPT_IGNORE_TIMES,
	OPT_INCLUDE,
	OPT_INCLUDE_FROM,
	OPT_INPLACE,
	OPT_ITEMIZE,
	OPT_LINK_DEST,
	OPT_MAX_DELETE,
	OPT_MAX_SIZE,
	OPT_MIN_SIZE,
	OPT_MODIFY_WINDOW,
	OPT_SIZE_ONLY,
	OPT_STATS,
	OPT_SUFFIX,
	OPT_FSYNC,
	OPT_CHECKSUM_FILE,
	OPT_PROGRESS,
	OPT_JSON,
	OPT_VERIFY,
	OPT_END,		/* parse_sync() takes OPT_SYNC up to here */
};

enum opt_arg { ARG_NONE, ARG_REQUIRED, ARG_OPTIONAL };

#define OPT_HIDDEN 0x2		/* not in --help */
#define OPT_SYNC_ONLY 0x4	/* valid only with --sync */
#define OPT_SYNC_TOO 0x8	/* a cp option also valid with --sync */

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

/* Attributes --preserve names (cp's ATTR_LIST). */
enum {
	PRESERVE_MODE = 1 << 0,
	PRESERVE_OWNERSHIP = 1 << 1,
	PRESERVE_TIMESTAMPS = 1 << 2,
	PRESERVE_LINKS = 1 << 3,
	PRESERVE_CONTEXT = 1 << 4,
	PRESERVE_XATTR = 1 << 5,
	PRESERVE_ALL = (1 << 6) - 1,
	/* Not an option: cp's mode includes the ACLs (set with
	 * PRESERVE_MODE for cp, not for --sync, which is rsync -a). */
	PRESERVE_ACL = 1 << 6,
};

/* --reflink: clone the data (FICLONE) where the filesystem can. */
enum reflink { REFLINK_AUTO, REFLINK_ALWAYS, REFLINK_NEVER };

/* Which symlinks in SOURCE are followed (-P, -L, -H); UNSET: cp's
 * default, which is to follow command-line links unless -r. */
enum deref { DEREF_UNSET, DEREF_NEVER, DEREF_CMDLINE, DEREF_ALWAYS };

/* cp's --backup=CONTROL (VERSION_CONTROL): none, simple NAME~, numbered
 * NAME.~N~, or numbered where numbered backups exist already. */
enum backup { BACKUP_NONE, BACKUP_SIMPLE, BACKUP_EXISTING, BACKUP_NUMBERED };

/* --sparse=WHEN: keep the source's holes (auto), also make holes of zero
 * blocks (always), or write every byte (never). */
enum sparse { SPARSE_AUTO, SPARSE_ALWAYS, SPARSE_NEVER };

/* --update: which existing destinations are replaced. */
enum update { UPDATE_ALL, UPDATE_NONE, UPDATE_NONE_FAIL, UPDATE_OLDER };

/*
 * Parse an ATTR_LIST as GNU's argmatch does: comma separated, each an
 * attribute name or a unique prefix of one.  Returns the bitmask, or -1
 * after printing cp's diagnostic for option `opt`.
 */
int opts_parse_attrs(const char *list, const char *opt);

/* --delete and when it happens. */
enum delete_when { DEL_NONE, DEL_DURING, DEL_BEFORE, DEL_AFTER };

/* --sync: rsync's options for local mirroring. */
struct sync_opts {
	bool on;
	bool dry_run;
	bool itemize;
	bool stats;
	bool checksum;
	bool size_only;
	bool ignore_times;
	bool update;		/* skip files that are newer in DST */
	bool existing;		/* skip creating new entries */
	bool ignore_existing;	/* skip updating existing entries */
	bool inplace;
	bool delete_excluded;
	bool ignore_errors;
	bool from0;
	bool backup;
	enum delete_when del;
	long modify_window;
	long max_delete;	/* -1: no limit */
	uint64_t max_size;	/* UINT64_MAX: no limit */
	uint64_t min_size;
	struct filter_list filters;
	const char *files_from;
	const char *link_dest;
	const char *backup_dir;
	const char *suffix;	/* NULL: "~", or "" with --backup-dir */
};

struct opts {
	bool recursive;
	bool verbose;
	bool force;
	enum clobber clobber;
	bool no_target_dir;
	unsigned preserve;	/* PRESERVE_* */
	bool require_preserve;	/* -p, --preserve: failures are errors */
	bool require_xattr;	/* xattr named explicitly: its too */
	bool default_mode;	/* --no-preserve=mode: new entries get the
				   default mode, not the source's */
	enum deref deref;
	enum reflink reflink;
	enum update update;
	bool hard_link;		/* -l */
	bool one_fs;		/* -x */
	bool remove_dest;	/* --remove-destination */
	bool strip_slashes;
	bool parents;		/* --parents */
	bool attr_only;		/* --attributes-only */
	bool debug;		/* --debug */
	bool symbolic_link;	/* -s */
	enum backup backup;	/* cp's -b, --backup=CONTROL, -S */
	const char *backup_suffix;	/* -S, SIMPLE_BACKUP_SUFFIX, "~" */
	enum sparse sparse;
	bool copy_contents;	/* --copy-contents */
	bool keep_dir_symlink;	/* --keep-directory-symlink */
	bool fsync;		/* --fsync */
	bool verify;		/* --verify */
	const char *checksum_file;	/* --checksum-file */
	int progress;		/* --progress: 0 auto, 1 always, 2 never */
	bool json;		/* --json */
	const char *target_dir;	/* -t */
	struct sync_opts sync;
	int nops;		/* operands */
	char **ops;
};

/* rsync's exit codes, for --sync. */
enum {
	RERR_SYNTAX = 1, RERR_FILEIO = 11, RERR_SIGNAL = 20, RERR_PARTIAL = 23,
	RERR_VANISHED = 24, RERR_DEL_LIMIT = 25,
};

/*
 * Parse argv into *o.  Returns 0 to go on, or an exit status to exit with
 * now (--help/--version print and return 0 through *exit_now; usage errors
 * print a diagnostic and return 1, a --sync rule file that cannot be read
 * RERR_FILEIO).
 */
int opts_parse(struct opts *o, int argc, char **argv, bool *exit_now);

void opts_help(void);

#endif

/*
 * opts - one table drives getopt_long, --help and the option checks.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "opts.h"

/* Sorted by long name. */
const struct opt_def opts_table[] = {
	{ "archive", 'a', ARG_NONE, OPT_ARCHIVE, 0, NULL,
	  "same as -dR --preserve=all" },
	{ "attributes-only", 0, ARG_NONE, OPT_ATTR_ONLY, 0, NULL,
	  "don't copy the file data, just the attributes" },
	{ "backup", 'b', ARG_OPTIONAL, OPT_BACKUP, OPT_SYNC_TOO, "CONTROL",
	  "make a backup of each existing destination file: CONTROL is none "
	  "(off), simple (never), existing (nil, the default) or numbered "
	  "(t) (--sync: of each replaced or deleted file; no CONTROL)" },
	{ "backup-dir", 0, ARG_REQUIRED, OPT_BACKUP_DIR, OPT_SYNC_ONLY, "DIR",
	  "make backups into hierarchy based in DIR" },
	{ "checksum", 0, ARG_NONE, OPT_CHECKSUM, OPT_SYNC_ONLY, NULL,
	  "skip based on checksum (XXH3-128), not mod-time & size" },
	{ "checksum-file", 0, ARG_REQUIRED, OPT_CHECKSUM_FILE, OPT_SYNC_TOO, "FILE",
	  "write the XXH3-128 of each file written to FILE, in xxh128sum's "
	  "format" },
	{ "context", 'Z', ARG_OPTIONAL, OPT_CONTEXT, 0, "CTX",
	  "set SELinux security context of destination file (without "
	  "SELinux: ignored, as by cp)" },
	{ "copy-contents", 0, ARG_NONE, OPT_COPY_CONTENTS, 0, NULL,
	  "copy contents of special files when recursive" },
	{ "debug", 0, ARG_NONE, OPT_DEBUG, 0, NULL,
	  "explain how a file is copied.  Implies -v" },
	{ "delete", 0, ARG_NONE, OPT_DELETE, OPT_SYNC_ONLY, NULL,
	  "delete extraneous files from DEST (during the walk)" },
	{ "delete-after", 0, ARG_NONE, OPT_DELETE_AFTER, OPT_SYNC_ONLY, NULL,
	  "delete extraneous files after the transfer" },
	{ "delete-before", 0, ARG_NONE, OPT_DELETE_BEFORE, OPT_SYNC_ONLY, NULL,
	  "delete extraneous files before the transfer" },
	{ "delete-during", 0, ARG_NONE, OPT_DELETE_DURING, OPT_SYNC_ONLY, NULL,
	  "delete extraneous files during the walk (the default)" },
	{ "delete-excluded", 0, ARG_NONE, OPT_DELETE_EXCLUDED, OPT_SYNC_ONLY, NULL,
	  "also delete excluded files from DEST" },
	{ "dereference", 'L', ARG_NONE, OPT_DEREFERENCE, OPT_SYNC_TOO, NULL,
	  "always follow symbolic links in SOURCE" },
	{ "dry-run", 0, ARG_NONE, OPT_DRY_RUN, OPT_SYNC_ONLY, NULL,
	  "show what would be done, change nothing" },
	{ "exclude", 0, ARG_REQUIRED, OPT_EXCLUDE, OPT_SYNC_ONLY, "PATTERN",
	  "exclude files matching PATTERN" },
	{ "exclude-from", 0, ARG_REQUIRED, OPT_EXCLUDE_FROM, OPT_SYNC_ONLY, "FILE",
	  "read exclude patterns from FILE" },
	{ "existing", 0, ARG_NONE, OPT_EXISTING, OPT_SYNC_ONLY, NULL,
	  "skip creating new files in DEST" },
	{ "files-from", 0, ARG_REQUIRED, OPT_FILES_FROM, OPT_SYNC_ONLY, "FILE",
	  "read the list of source-relative paths from FILE" },
	{ "filter", 0, ARG_REQUIRED, OPT_FILTER, OPT_SYNC_ONLY, "RULE",
	  "add a filtering RULE (+ PATTERN, - PATTERN, merge FILE)" },
	{ "force", 'f', ARG_NONE, OPT_FORCE, 0, NULL,
	  "if an existing destination file cannot be opened, remove it and try again" },
	{ "from0", 0, ARG_NONE, OPT_FROM0, OPT_SYNC_ONLY, NULL,
	  "all *-from/filter files are delimited by 0s" },
	{ "fsync", 0, ARG_NONE, OPT_FSYNC, OPT_SYNC_TOO, NULL,
	  "flush each file to the disk before it gets its name, and each "
	  "changed directory at the end" },
	{ "help", 0, ARG_NONE, OPT_HELP, OPT_SYNC_TOO, NULL,
	  "display this help and exit" },
	{ "ignore-errors", 0, ARG_NONE, OPT_IGNORE_ERRORS, OPT_SYNC_ONLY, NULL,
	  "delete even if there are I/O errors reading the source" },
	{ "ignore-existing", 0, ARG_NONE, OPT_IGNORE_EXISTING, OPT_SYNC_ONLY, NULL,
	  "skip updating files that exist in DEST" },
	{ "ignore-times", 0, ARG_NONE, OPT_IGNORE_TIMES, OPT_SYNC_ONLY, NULL,
	  "don't skip files that match size and time" },
	{ "include", 0, ARG_REQUIRED, OPT_INCLUDE, OPT_SYNC_ONLY, "PATTERN",
	  "don't exclude files matching PATTERN" },
	{ "include-from", 0, ARG_REQUIRED, OPT_INCLUDE_FROM, OPT_SYNC_ONLY, "FILE",
	  "read include patterns from FILE" },
	{ "inplace", 0, ARG_NONE, OPT_INPLACE, OPT_SYNC_ONLY, NULL,
	  "update destination files in-place (not atomic)" },
	{ "interactive", 'i', ARG_NONE, OPT_INTERACTIVE, 0, NULL,
	  "prompt before overwrite (overrides a previous -n option)" },
	{ "itemize-changes", 0, ARG_NONE, OPT_ITEMIZE, OPT_SYNC_ONLY, NULL,
	  "output a change-summary for all updates" },
	{ "json", 0, ARG_NONE, OPT_JSON, OPT_SYNC_TOO, NULL,
	  "print JSON Lines records on stdout (start, file, error, progress, "
	  "summary)" },
	{ "keep-directory-symlink", 0, ARG_NONE, OPT_KEEP_DIR_SYMLINK, 0, NULL,
	  "follow existing symlinks to directories" },
	{ "link", 'l', ARG_NONE, OPT_LINK, 0, NULL,
	  "hard link files instead of copying" },
	{ "link-dest", 0, ARG_REQUIRED, OPT_LINK_DEST, OPT_SYNC_ONLY, "DIR",
	  "hardlink to files in DIR when unchanged" },
	{ "max-delete", 0, ARG_REQUIRED, OPT_MAX_DELETE, OPT_SYNC_ONLY, "NUM",
	  "don't delete more than NUM files" },
	{ "max-size", 0, ARG_REQUIRED, OPT_MAX_SIZE, OPT_SYNC_ONLY, "SIZE",
	  "don't transfer any file larger than SIZE" },
	{ "min-size", 0, ARG_REQUIRED, OPT_MIN_SIZE, OPT_SYNC_ONLY, "SIZE",
	  "don't transfer any file smaller than SIZE" },
	{ "modify-window", 0, ARG_REQUIRED, OPT_MODIFY_WINDOW, OPT_SYNC_ONLY, "NUM",
	  "compare mod-times with reduced accuracy (seconds)" },
	{ "no-clobber", 'n', ARG_NONE, OPT_NO_CLOBBER, 0, NULL,
	  "do not overwrite an existing file (overrides a previous -i option)" },
	{ "no-dereference", 'P', ARG_NONE, OPT_NO_DEREFERENCE, 0, NULL,
	  "never follow symbolic links in SOURCE" },
	{ "no-preserve", 0, ARG_REQUIRED, OPT_NO_PRESERVE, 0, "ATTR_LIST",
	  "don't preserve the specified attributes" },
	{ "no-target-directory", 'T', ARG_NONE, OPT_NO_TARGET_DIR, 0, NULL,
	  "treat DEST as a normal file" },
	{ "one-file-system", 'x', ARG_NONE, OPT_ONE_FS, OPT_SYNC_TOO, NULL,
	  "stay on this file system" },
	{ "parents", 0, ARG_NONE, OPT_PARENTS, 0, NULL,
	  "use full source file name under DIRECTORY" },
	{ "preserve", 0, ARG_OPTIONAL, OPT_PRESERVE, 0, "ATTR_LIST",
	  "preserve the specified attributes (default: "
	  "mode,ownership,timestamps; also links, xattr, all)" },
	{ "progress", 0, ARG_OPTIONAL, OPT_PROGRESS, OPT_SYNC_TOO, "WHEN",
	  "show progress on stderr: auto (the default: a bar on a terminal), "
	  "always (lines when not a terminal), never" },
	{ "recursive", 'r', ARG_NONE, OPT_RECURSIVE, 0, NULL,
	  "copy directories recursively" },
	{ NULL, 'R', ARG_NONE, OPT_RECURSIVE, 0, NULL,
	  "same as -r" },
	{ "reflink", 0, ARG_OPTIONAL, OPT_REFLINK, OPT_SYNC_TOO, "WHEN",
	  "control clone/CoW copies: auto (the default), always, never" },
	{ "remove-destination", 0, ARG_NONE, OPT_REMOVE_DEST, 0, NULL,
	  "remove each existing destination file before attempting to open it" },
	{ "size-only", 0, ARG_NONE, OPT_SIZE_ONLY, OPT_SYNC_ONLY, NULL,
	  "skip files that match in size" },
	{ "sparse", 0, ARG_REQUIRED, OPT_SPARSE, 0, "WHEN",
	  "control creation of sparse files: auto (keep the source's "
	  "holes, the default), always (also make holes of zero blocks), "
	  "never" },
	{ "stats", 0, ARG_NONE, OPT_STATS, OPT_SYNC_TOO, NULL,
	  "give some file-transfer stats" },
	{ "strip-trailing-slashes", 0, ARG_NONE, OPT_STRIP_SLASHES, 0, NULL,
	  "remove any trailing slashes from each SOURCE argument" },
	{ "suffix", 'S', ARG_REQUIRED, OPT_SUFFIX, OPT_SYNC_TOO, "SUFFIX",
	  "override the usual backup suffix (implies --backup)" },
	{ "symbolic-link", 's', ARG_NONE, OPT_SYMBOLIC_LINK, 0, NULL,
	  "make symbolic links instead of copying" },
	{ "sync", 0, ARG_NONE, OPT_SYNC, OPT_SYNC_ONLY, NULL,
	  "make DEST a mirror of SRC's contents (rsync -a SRC/ DEST/)" },
	{ "target-directory", 't', ARG_REQUIRED, OPT_TARGET_DIR, 0, "DIRECTORY",
	  "copy all SOURCE arguments into DIRECTORY" },
	{ "update", 'u', ARG_OPTIONAL, OPT_UPDATE, OPT_SYNC_TOO, "UPDATE",
	  "control which existing files are replaced: all, none, none-fail, "
	  "older (-u: older, only when the SOURCE is newer)" },
	{ "verbose", 'v', ARG_NONE, OPT_VERBOSE, OPT_SYNC_TOO, NULL,
	  "explain what is being done" },
	{ "verify", 0, ARG_NONE, OPT_VERIFY, OPT_SYNC_TOO, NULL,
	  "flush each copy, read it back from the disk and compare it with "
	  "the source (XXH3-128) before it gets its name" },
	{ "version", 0, ARG_NONE, OPT_VERSION, OPT_SYNC_TOO, NULL,
	  "output version information and exit" },
	{ NULL, 'd', ARG_NONE, OPT_NO_DEREF_LINKS, 0, NULL,
	  "same as --no-dereference --preserve=links" },
	{ NULL, 'H', ARG_NONE, OPT_DEREF_CMDLINE, 0, NULL,
	  "follow command-line symbolic links in SOURCE" },
	{ NULL, 'p', ARG_NONE, OPT_PRESERVE_DEFAULT, 0, NULL,
	  "same as --preserve=mode,ownership,timestamps" },
};
const unsigned opts_count = sizeof(opts_table) / sizeof(opts_table[0]);

/* getopt_long returns, for long-only options, 256 + table index. */
#define LONGONLY_BASE 256

static void build(struct option *lo, char *so)
{
	unsigned i, n = 0;
	char *s = so;

	/* A leading ':' makes getopt report a missing argument as ':', so
	 * that every message is ours and has cp's wording. */
	*s++ = ':';
	*s = 0;
	for (i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];
		int has = d->arg == ARG_NONE ? no_argument :
			  d->arg == ARG_REQUIRED ? required_argument :
						   optional_argument;

		if (d->longname) {
			lo[n].name = d->longname;
			lo[n].has_arg = has;
			lo[n].flag = NULL;
			lo[n].val = d->shortname ? d->shortname :
						   LONGONLY_BASE + (int)i;
			n++;
		}
		if (d->shortname && !strchr(so + 1, d->shortname)) {
			*s++ = d->shortname;
			if (d->arg == ARG_REQUIRED)
				*s++ = ':';
			/* cp's short options with optional arguments (-b, -u,
			 * -Z) take none when given short. */
			*s = 0;
		}
	}
	memset(&lo[n], 0, sizeof(lo[n]));
}

static const char *const attr_names[] = {
	"mode", "timestamps", "ownership", "links", "context", "xattr", "all",
};
static const unsigned attr_bits[] = {
	PRESERVE_MODE, PRESERVE_TIMESTAMPS, PRESERVE_OWNERSHIP,
	PRESERVE_LINKS, PRESERVE_CONTEXT, PRESERVE_XATTR,
	/* "all" means context only where SELinux is: for cp 9 without it,
	 * --preserve=all works and only naming context fails. */
	PRESERVE_ALL & ~PRESERVE_CONTEXT,
};

/*
 * GNU argmatch: arg (its first n bytes) names one of names[] exactly or by
 * a unique prefix (or by several prefixes that all mean the same, vals[]
 * giving what each name means; NULL: each its own).  Returns the index, or
 * -1 after cp's diagnostic for `context` (e.g. "--sparse"), which lists the
 * valid arguments, synonyms on one line.
 */
static int argmatch(const char *arg, size_t n, const char *const *names,
		    const int *vals, unsigned count, const char *context)
{
	char msg[1024], word[256];
	int found = -1;
	bool ambiguous = false;
	size_t len;

	for (unsigned i = 0; i < count; i++) {
		if (strlen(names[i]) == n && !strncmp(arg, names[i], n))
			return (int)i;
		if (strncmp(arg, names[i], n))
			continue;
		if (found < 0)
			found = (int)i;
		else if (!vals || vals[found] != vals[i])
			ambiguous = true;
	}
	if (found >= 0 && !ambiguous)
		return found;
	snprintf(word, sizeof(word), "%.*s", (int)n, arg);
	len = (size_t)snprintf(msg, sizeof(msg), "Valid arguments are:");
	for (unsigned i = 0; i < count && len < sizeof(msg); i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len,
					i && vals && vals[i] == vals[i - 1] ?
					", \u2018%s\u2019" : "\n  - \u2018%s\u2019",
					names[i]);
	log_usage_error("%s argument \u2018%s\u2019 for \u2018%s\u2019\n%s",
			ambiguous ? "ambiguous" : "invalid", word, context, msg);
	return -1;
}

/* An option's optional enumerated argument: its index, def when it is
 * absent, or -1 after the diagnostic. */
static int enum_arg(const char *arg, const char *const *names, unsigned n,
		    int def, const char *opt)
{
	char context[64];

	snprintf(context, sizeof(context), "--%s", opt);
	return arg ? argmatch(arg, strlen(arg), names, NULL, n, context) : def;
}

int opts_parse_attrs(const char *list, const char *opt)
{
	unsigned bits = 0;
	const char *p = list;
	char context[64];

	snprintf(context, sizeof(context), "--%s", opt);
	for (;;) {
		size_t n = strcspn(p, ",");
		int i = argmatch(p, n, attr_names, NULL, 7, context);

		if (i < 0)
			return -1;
		bits |= attr_bits[i];
		if (!p[n])
			break;
		p += n + 1;
	}
	return (int)bits;
}

/*
 * rsync's SIZE, by rsync's own grammar (parse_size_arg): digits with an
 * optional fraction, then an optional unit, K, M, G, T, P (or KiB...) in
 * powers of 1024, KB, MB... in powers of 1000, or b/B for bytes, then an
 * optional "+1" or "-1" ("10M-1").  No sign, exponent, hex, "inf" or
 * "nan": strtod would take them, rsync does not.  Returns 0, or -1 when
 * malformed or out of range.
 */
static int parse_size(const char *arg, uint64_t *out)
{
	static const char units[] = "BKMGTP";
	const char *p = arg, *u;
	double v, mult = 1, base = 1024;
	int adjust = 0;

	/* By hand: strtod reads past these and follows LC_NUMERIC. */
	for (v = 0; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (*p - '0');
	if (*p == '.')
		for (double f = 0.1; *++p >= '0' && *p <= '9'; f /= 10)
			v += (*p - '0') * f;
	if (*p && *p != '+' && *p != '-') {
		if (!(u = strchr(units, *p & ~0x20)) || !*u)
			return -1;
		p++;
		if ((*p & ~0x20) == 'B') {
			base = 1000;
			p++;
		} else if ((*p & ~0x20) == 'I' && (p[1] & ~0x20) == 'B') {
			p += 2;
		}
		for (const char *k = units; k < u; k++)
			mult *= base;
	}
	if ((*p == '+' || *p == '-') && p[1] == '1' && p != arg) {
		adjust = *p == '+' ? 1 : -1;
		p += 2;
	}
	if (*p)
		return -1;
	v = v * mult + adjust;
	if (!(v >= 0) || v >= 18446744073709551615.0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static int parse_long(const char *arg, long *out, bool negative_too)
{
	char *end;

	errno = 0;
	*out = strtol(arg, &end, 10);
	return end == arg || *end || errno || (*out < 0 && !negative_too) ?
	       -1 : 0;
}

static const struct opt_def *find_short(int c)
{
	for (unsigned i = 0; i < opts_count; i++)
		if (opts_table[i].shortname == c)
			return &opts_table[i];
	return NULL;
}

static void opt_name(char *buf, size_t n, const struct opt_def *d)
{
	if (d->longname && d->shortname)
		snprintf(buf, n, "--%s (-%c)", d->longname, d->shortname);
	else if (d->longname)
		snprintf(buf, n, "--%s", d->longname);
	else
		snprintf(buf, n, "-%c", d->shortname);
}

/* One --sync option (OPT_SYNC..OPT_SUFFIX).  0, or after the message -1
 * (usage) or -2 (a rule file that cannot be read). */
static int parse_sync(struct opts *o, const struct opt_def *d,
		      const char *arg)
{
	struct sync_opts *so = &o->sync;

	switch (d->id) {
	case OPT_SYNC:
		so->on = true;
		break;
	case OPT_BACKUP:
		if (arg && so->on) {
			log_usage_error("--backup takes no argument with --sync");
			return -1;
		}
		so->backup = true;
		break;
	case OPT_BACKUP_DIR:
		so->backup_dir = arg;
		so->backup = true;
		break;
	case OPT_SUFFIX:
		so->suffix = arg;
		break;
	case OPT_CHECKSUM:
		so->checksum = true;
		break;
	case OPT_DELETE:
		if (so->del == DEL_NONE)
			so->del = DEL_DURING;
		break;
	case OPT_DELETE_AFTER:
		so->del = DEL_AFTER;
		break;
	case OPT_DELETE_BEFORE:
		so->del = DEL_BEFORE;
		break;
	case OPT_DELETE_DURING:
		so->del = DEL_DURING;
		break;
	case OPT_DELETE_EXCLUDED:
		so->delete_excluded = true;
		if (so->del == DEL_NONE)
			so->del = DEL_DURING;
		break;
	case OPT_DRY_RUN:
		so->dry_run = true;
		break;
	case OPT_EXCLUDE:
	case OPT_INCLUDE:
	case OPT_FILTER:
		if (filter_add(&so->filters, arg,
			       d->id == OPT_EXCLUDE ? FILTER_EXCLUDE :
			       d->id == OPT_INCLUDE ? FILTER_INCLUDE :
						      FILTER_NONE) < 0) {
			if (errno == EMLINK) {
				log_error(0, "merge files nest more than 32 deep "
					     "(rsync's limit) in %s",
					  log_quote(arg));
				return -2;
			}
			if (errno != EINVAL) {
				/* a merge file (rsync: code 11) */
				log_error(errno, "cannot read the merge file of %s",
					  log_quote(arg));
				return -2;
			}
			log_usage_error("invalid filter rule %s", log_quote(arg));
			return -1;
		}
		break;
	case OPT_EXCLUDE_FROM:
	case OPT_INCLUDE_FROM:
		if (filter_add_file(&so->filters, arg,
				    d->id == OPT_EXCLUDE_FROM ? FILTER_EXCLUDE :
								FILTER_INCLUDE,
				    so->from0) < 0) {
			if (errno == EINVAL) {
				log_usage_error("invalid filter rule in %s",
						log_quote(arg));
				return -1;
			}
			log_error(errno, "cannot read %s", log_quote(arg));
			return -2;	/* rsync: code 11 */
		}
		break;
	case OPT_EXISTING:
		so->existing = true;
		break;
	case OPT_FILES_FROM:
		so->files_from = arg;
		break;
	case OPT_FROM0:
		so->from0 = true;
		break;
	case OPT_IGNORE_ERRORS:
		so->ignore_errors = true;
		break;
	case OPT_IGNORE_EXISTING:
		so->ignore_existing = true;
		break;
	case OPT_IGNORE_TIMES:
		so->ignore_times = true;
		break;
	case OPT_INPLACE:
		so->inplace = true;
		break;
	case OPT_ITEMIZE:
		so->itemize = true;
		break;
	case OPT_LINK_DEST:
		so->link_dest = arg;
		break;
	case OPT_MAX_DELETE:
	case OPT_MODIFY_WINDOW:
		/* A negative window compares nanoseconds too (rsync). */
		if (parse_long(arg, d->id == OPT_MAX_DELETE ? &so->max_delete :
							      &so->modify_window,
			       d->id == OPT_MODIFY_WINDOW) < 0) {
			log_usage_error("invalid --%s value %s", d->longname,
					log_quote(arg));
			return -1;
		}
		break;
	case OPT_MAX_SIZE:
	case OPT_MIN_SIZE:
		if (parse_size(arg, d->id == OPT_MAX_SIZE ? &so->max_size :
							    &so->min_size) < 0) {
			log_usage_error("--%s value is invalid: %s", d->longname,
					log_quote(arg));
			return -1;
		}
		break;
	case OPT_SIZE_ONLY:
		so->size_only = true;
		break;
	case OPT_STATS:
		so->stats = true;
		break;
	default:
		break;
	}
	return 0;
}

/* Combinations --sync refuses. */
static int sync_check(struct opts *o)
{
	struct sync_opts *so = &o->sync;

	if (so->files_from && so->del != DEL_NONE) {
		log_usage_error("--files-from cannot be combined with --delete: "
				"a partial list cannot say what is extraneous");
		return -1;
	}
	/* rsync's refusals: a backup named as the file, or elsewhere. */
	if (so->suffix && strchr(so->suffix, '/')) {
		log_usage_error("--suffix cannot contain slashes: %s",
				so->suffix);
		return -1;
	}
	if (so->suffix && !*so->suffix && !so->backup_dir) {
		log_usage_error("--suffix cannot be empty without a "
				"--backup-dir");
		return -1;
	}
	if (o->target_dir) {
		log_usage_error("--target-directory cannot be used with --sync");
		return -1;
	}
	/* -u means rsync's --update: keep files that are newer in DEST. */
	if (o->update == UPDATE_OLDER)
		so->update = true;
	else if (o->update != UPDATE_ALL) {
		log_usage_error("--update=WHEN cannot be used with --sync");
		return -1;
	}
	/* rsync: backups made beside the files are not deleted by a later
	 * run ("P *SUFFIX" after the user's rules), unless excluded files
	 * are deleted too. */
	if (so->backup && !so->backup_dir && so->del != DEL_NONE &&
	    !so->delete_excluded) {
		char pat[NAME_MAX + 2];
		const char *sfx = so->suffix ? so->suffix : "~";

		if ((size_t)snprintf(pat, sizeof(pat), "*%s", sfx) >=
			    sizeof(pat) ||
		    filter_add_protect(&so->filters, pat) < 0) {
			log_error(errno ? errno : ENAMETOOLONG,
				  "backup suffix %s", log_quote(sfx));
			return -1;
		}
	}
	o->recursive = true;
	o->preserve = PRESERVE_MODE | PRESERVE_OWNERSHIP | PRESERVE_TIMESTAMPS |
		      PRESERVE_LINKS;
	return 0;
}

/*
 * cp's backups: CONTROL from --backup=CONTROL, else $VERSION_CONTROL,
 * else "existing"; the suffix from -S, else $SIMPLE_BACKUP_SUFFIX, else
 * "~" (also for one that is empty or has a '/', as GNU's backupfile.c).
 * 0, or -1 after the diagnostic.
 */
static int cp_backup(struct opts *o, const char *ctl)
{
	static const char *const names[] = { "none", "off", "simple", "never",
					     "existing", "nil", "numbered",
					     "t" };
	static const int vals[] = { BACKUP_NONE, BACKUP_NONE, BACKUP_SIMPLE,
				    BACKUP_SIMPLE, BACKUP_EXISTING,
				    BACKUP_EXISTING, BACKUP_NUMBERED,
				    BACKUP_NUMBERED };
	const char *env = getenv("VERSION_CONTROL");
	const char *sfx = o->backup_suffix ? o->backup_suffix :
			  getenv("SIMPLE_BACKUP_SUFFIX");
	int i;

	o->backup = BACKUP_EXISTING;
	if (ctl || (env && *env)) {
		i = argmatch(ctl ? ctl : env, strlen(ctl ? ctl : env), names,
			     vals, 8, ctl ? "backup type" : "$VERSION_CONTROL");
		if (i < 0)
			return -1;
		o->backup = (enum backup)vals[i];
	}
	o->backup_suffix = sfx && *sfx && !strchr(sfx, '/') ? sfx : "~";
	return 0;
}

int opts_parse(struct opts *o, int argc, char **argv, bool *exit_now)
{
	struct option lo[sizeof(opts_table) / sizeof(opts_table[0]) + 1];
	char so[2 * sizeof(opts_table) / sizeof(opts_table[0]) + 2];
	int c, ret;
	const char *backup_ctl = NULL;	/* cp's --backup=CONTROL */
	bool make_backups = false;

	bool seen[sizeof(opts_table) / sizeof(opts_table[0])] = { false };

	memset(o, 0, sizeof(*o));
	o->clobber = CLOBBER_YES;
	o->sync.max_delete = -1;
	o->sync.max_size = UINT64_MAX;
	*exit_now = false;
	build(lo, so);
	opterr = 0;
	/* 0, not 1: glibc then also forgets where it was inside an option
	 * cluster of an earlier argv (opts_parse may run more than once, as
	 * in the unit test and the fuzzer). */
	optind = 0;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		const struct opt_def *d;

		if (c == '?' || c == ':') {
			const char *arg = argv[optind - 1];

			if (c == ':' && optopt && optopt < LONGONLY_BASE &&
			    !(arg[0] == '-' && arg[1] == '-'))
				log_usage_error("option requires an argument -- '%c'",
						optopt);
			else if (c == ':')
				log_usage_error("option '%s' requires an argument",
						arg);
			else if (optopt && !(arg[0] == '-' && arg[1] == '-'))
				log_usage_error("invalid option -- '%c'", optopt);
			else
				log_usage_error("unrecognized option '%s'", arg);
			*exit_now = true;
			return 1;
		}
		d = c >= LONGONLY_BASE ? &opts_table[c - LONGONLY_BASE] :
					 find_short(c);
		if (!d) {
			log_usage_error("invalid option -- '%c'", c);
			*exit_now = true;
			return 1;
		}
		seen[d - opts_table] = true;
		if (d->id >= OPT_SYNC && d->id < OPT_END &&
		    (ret = parse_sync(o, d, optarg)) < 0) {
			*exit_now = true;
			return ret == -2 ? RERR_FILEIO : 1;
		}
		switch (d->id) {
		case OPT_ARCHIVE:
			/* -dR --preserve=all; context only where SELinux is
			 * (nowhere, for ucp), and xattr failures not fatal. */
			o->recursive = true;
			o->deref = DEREF_NEVER;
			o->preserve |= PRESERVE_ALL & ~PRESERVE_CONTEXT;
			o->require_preserve = true;
			break;
		case OPT_NO_DEREF_LINKS:
			o->deref = DEREF_NEVER;
			o->preserve |= PRESERVE_LINKS;
			break;
		case OPT_NO_DEREFERENCE:
			o->deref = DEREF_NEVER;
			break;
		case OPT_PRESERVE:
		case OPT_NO_PRESERVE: {
			int bits = PRESERVE_MODE | PRESERVE_OWNERSHIP |
				   PRESERVE_TIMESTAMPS;

			if (optarg)
				bits = opts_parse_attrs(optarg, d->longname);
			if (bits < 0) {
				*exit_now = true;
				return 1;
			}
			if (bits & PRESERVE_MODE)
				o->default_mode = d->id == OPT_NO_PRESERVE;
			if (d->id == OPT_NO_PRESERVE) {
				o->preserve &= ~(unsigned)bits;
				if (bits & PRESERVE_XATTR)
					o->require_xattr = false;
				break;
			}
			o->preserve |= (unsigned)bits;
			o->require_preserve = true;
			if (bits & PRESERVE_XATTR)
				o->require_xattr = true;
			break;
		}
		case OPT_PRESERVE_DEFAULT:
			o->preserve |= PRESERVE_MODE | PRESERVE_OWNERSHIP |
				       PRESERVE_TIMESTAMPS;
			o->require_preserve = true;
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case OPT_CONTEXT:
			/* Without SELinux (ucp has no libselinux support)
			 * cp ignores -Z and warns about --context=CTX. */
			if (optarg)
				log_error(0, "warning: ignoring --context; it "
					     "requires an SELinux-enabled kernel");
			break;
		case OPT_DEREF_CMDLINE:
			o->deref = DEREF_CMDLINE;
			break;
		case OPT_DEREFERENCE:
			o->deref = DEREF_ALWAYS;
			break;
		case OPT_LINK:
			o->hard_link = true;
			break;
		case OPT_ONE_FS:
			o->one_fs = true;
			break;
		case OPT_REMOVE_DEST:
			o->remove_dest = true;
			break;
		case OPT_FSYNC:
			o->fsync = true;
			break;
		case OPT_VERIFY:
			o->verify = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_CHECKSUM_FILE:
			o->checksum_file = optarg;
			break;
		case OPT_DEBUG:
			o->debug = o->verbose = true;
			break;
		case OPT_ATTR_ONLY:
			o->attr_only = true;
			break;
		case OPT_SYMBOLIC_LINK:
			o->symbolic_link = true;
			break;
		case OPT_BACKUP:
			make_backups = true;
			if (optarg)
				backup_ctl = optarg;
			break;
		case OPT_SUFFIX:	/* cp: -S implies -b */
			make_backups = true;
			o->backup_suffix = optarg;
			break;
		case OPT_SPARSE: {
			static const char *const when[] = { "never", "auto",
							    "always" };
			static const int val[] = { SPARSE_NEVER, SPARSE_AUTO,
						   SPARSE_ALWAYS };
			int i = argmatch(optarg, strlen(optarg), when, NULL, 3,
					 "--sparse");

			if (i < 0)
				goto bad;
			o->sparse = (enum sparse)val[i];
			break;
		}
		case OPT_COPY_CONTENTS:
			o->copy_contents = true;
			break;
		case OPT_KEEP_DIR_SYMLINK:
			o->keep_dir_symlink = true;
			break;
		case OPT_PARENTS:
			o->parents = true;
			break;
		case OPT_STRIP_SLASHES:
			o->strip_slashes = true;
			break;
		case OPT_UPDATE: {
			static const char *const when[] = { "all", "none",
							    "none-fail",
							    "older" };
			int i = enum_arg(optarg, when, 4, UPDATE_OLDER,
					 d->longname);

			if (i < 0)
				goto bad;
			o->update = (enum update)i;
			break;
		}
		case OPT_REFLINK: {
			static const char *const when[] = { "auto", "always",
							    "never" };
			int i = enum_arg(optarg, when, 3, REFLINK_ALWAYS,
					 d->longname);

			if (i < 0)
				goto bad;
			o->reflink = (enum reflink)i;
			break;
		}
		case OPT_PROGRESS: {
			static const char *const when[] = { "auto", "always",
							    "never" };
			int i = enum_arg(optarg, when, 3, 1, d->longname);

			if (i < 0)
				goto bad;
			o->progress = i;
			break;
		}
		case OPT_HELP:
			opts_help();
			*exit_now = true;
			return 0;
		case OPT_VERSION:
			printf("ucp %s\n", UCP_VERSION);
			*exit_now = true;
			return 0;
		case OPT_INTERACTIVE:
			o->clobber = CLOBBER_ASK;
			break;
		case OPT_NO_CLOBBER:
			o->clobber = CLOBBER_NO;
			break;
		case OPT_NO_TARGET_DIR:
			o->no_target_dir = true;
			break;
		case OPT_RECURSIVE:
			o->recursive = true;
			break;
		case OPT_TARGET_DIR:
			o->target_dir = optarg;
			break;
		case OPT_VERBOSE:
			o->verbose = true;
			break;
		default:
			break;
		}
	}
	for (unsigned i = 0; i < opts_count; i++) {
		const struct opt_def *d = &opts_table[i];
		char name[64];

		if (!seen[i])
			continue;
		opt_name(name, sizeof(name), d);
		if (o->sync.on && !(d->flags & (OPT_SYNC_ONLY | OPT_SYNC_TOO))) {
			log_usage_error("option %s cannot be used with --sync",
					name);
			goto bad;
		}
		if (!o->sync.on && (d->flags & OPT_SYNC_ONLY)) {
			log_usage_error("option %s requires --sync", name);
			goto bad;
		}
	}
	if (o->sync.on && sync_check(o) < 0)
		goto bad;
	/* In cp's order. */
	if (o->hard_link && o->symbolic_link) {
		log_usage_error("cannot make both hard and symbolic links");
		goto bad;
	}
	if (!o->sync.on && make_backups && o->clobber == CLOBBER_NO) {
		log_usage_error("options --backup and --no-clobber are mutually "
				"exclusive");
		goto bad;
	}
	if (o->reflink == REFLINK_ALWAYS && o->sparse != SPARSE_AUTO) {
		log_usage_error("--reflink can be used only with --sparse=auto");
		goto bad;
	}
	if (!o->sync.on && make_backups && cp_backup(o, backup_ctl) < 0)
		goto bad;
	if (o->preserve & PRESERVE_CONTEXT) {
		log_error(0, "cannot preserve security context without an "
			     "SELinux-enabled kernel");
		*exit_now = true;
		return 1;
	}
	if (o->target_dir && o->no_target_dir) {
		log_error(0, "cannot combine --target-directory (-t) and "
			     "--no-target-directory (-T)");
		*exit_now = true;
		return 1;
	}
	/* cp's default: -r (without -l) copies symlinks as symlinks;
	 * otherwise every symlink is followed. */
	if (o->deref == DEREF_UNSET)
		o->deref = o->recursive && !o->hard_link ? DEREF_NEVER :
							   DEREF_ALWAYS;
	o->nops = argc - optind;
	o->ops = argv + optind;
	return 0;
bad:
	*exit_now = true;
	return 1;
}

static void help_option(const struct opt_def *d)
{
	char left[80];
	int n = 0;

	if (d->shortname)
		n = snprintf(left, sizeof(left), "  -%c%s", d->shortname,
			     d->longname ? ", " : "");
	else
		n = snprintf(left, sizeof(left), "      ");
	if (d->longname)
		snprintf(left + n, sizeof(left) - (size_t)n, "--%s%s%s%s",
			 d->longname,
			 d->arg == ARG_OPTIONAL ? "[=" :
			 d->arg == ARG_REQUIRED ? "=" : "",
			 d->argname && d->arg != ARG_NONE ? d->argname : "",
			 d->arg == ARG_OPTIONAL ? "]" : "");
	printf("%-30s %s\n", left, d->help);
}

void opts_help(void)
{
	const char *p = log_prog();

	printf("Usage: %s [OPTION]... [-T] SOURCE DEST\n"
	       "  or:  %s [OPTION]... SOURCE... DIRECTORY\n"
	       "  or:  %s [OPTION]... -t DIRECTORY SOURCE...\n"
	       "  or:  %s --sync [OPTION]... SRC... DEST\n"
	       "Copy SOURCE to DEST, or multiple SOURCE(s) to DIRECTORY,\n"
	       "with an io_uring engine.\n\n", p, p, p, p);
	for (unsigned i = 0; i < opts_count; i++)
		if (!(opts_table[i].flags & (OPT_HIDDEN | OPT_SYNC_ONLY)))
			help_option(&opts_table[i]);
	printf("\nWith --sync, DEST becomes a mirror of SRC's contents, as with\n"
	       "'rsync -aH SRC/ DEST/' (several SRCs: each to DEST/NAME).  Also\n"
	       "valid with --sync: -v, -x, -L, -u, -b, -S, --reflink, --fsync,\n"
	       "--verify, --checksum-file, --progress, --stats, --json.\n\n");
	for (unsigned i = 0; i < opts_count; i++)
		if ((opts_table[i].flags & OPT_SYNC_ONLY) &&
		    !(opts_table[i].flags & OPT_HIDDEN))
			help_option(&opts_table[i]);
	printf("\nExit status: 0 if everything was copied, 1 if anything "
	       "failed.\n"
	       "With --sync, rsync's: 0 success, 1 usage, 11 fatal I/O error,\n"
	       "20 interrupted by a signal, 23 some files failed, 24 some files\n"
	       "vanished (and nothing failed), 25 --max-delete stopped "
	       "deletions\n(and nothing failed or vanished).\n");
}

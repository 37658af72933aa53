/*
 * filter - rsync's include/exclude rules, for --sync.
 *
 * A rule is a pattern and a verdict (include or exclude); the first rule
 * whose pattern matches an entry decides, and an entry no rule matches is
 * included.  Patterns follow rsync(1), "INCLUDE/EXCLUDE PATTERN RULES":
 *
 *   /pat      anchored: matched against the whole path below the root
 *   pat/      matches directories only
 *   pat       without a '/' (other than a trailing one): the last
 *             component; with an inner '/': the last components, as many
 *             as the pattern has; with "**": at any directory boundary
 *   *  ?      any run of characters / one character, never '/'
 *   **        anything, '/' included
 *   [...]     a character class ([!...] and [^...] negate, a-z ranges)
 *   dir/ ***  (no space) the directory and everything below it
 *   \c        the character c itself
 *
 * Paths given to filter_match() are relative to the transfer root, without
 * a leading "./" or a trailing '/'.
 */
#ifndef UCP_FILTER_H
#define UCP_FILTER_H

#include <stdbool.h>
#include <stddef.h>

/* FILTER_PROTECT (rsync's "P"): only keeps a destination entry from
 * deletion; the source side does not see it. */
enum filter_verdict {
	FILTER_NONE = 0, FILTER_INCLUDE, FILTER_EXCLUDE, FILTER_PROTECT
};

struct filter_rule {
	char *pat;		/* without a leading '/' or trailing '/' */
	enum filter_verdict verdict;
	bool anchored;		/* started with '/' */
	bool dir_only;		/* ended with '/' */
	bool wild;		/* has *, ?, [ or \ */
	bool wild2;		/* has "**" */
	bool wild2_prefix;	/* starts with "**" */
	bool self_too;		/* ends in "***": a directory's path and '/'
				   too ("dir/ ***", no space: dir itself) */
	unsigned slashes;	/* '/' inside pat */
};

struct filter_list {
	struct filter_rule *rules;
	size_t n, cap;
};

/*
 * Add one rule.  verdict FILTER_NONE parses rsync's --filter syntax
 * ("+ pat", "- pat", "include pat", "exclude pat", and "+"/"-" joined to
 * a pattern with '_' or ' '; "merge FILE" and ". FILE" add FILE's rules
 * there).  Returns 0, or -1 with errno: EINVAL for a rule ucp does not
 * support (the caller names it), another for a merge file that cannot be
 * read (EMLINK: merged more than 32 deep, rsync's limit; open(2) never
 * returns it).
 */
int filter_add(struct filter_list *fl, const char *rule,
	       enum filter_verdict verdict);

/* Add the rules of a file (--exclude-from, --include-from, "-" for
 * stdin): one per line (NUL-terminated with from0); blank lines and lines
 * starting with ';' or '#' are skipped.  Returns 0 or -1 with errno. */
int filter_add_file(struct filter_list *fl, const char *path,
		    enum filter_verdict verdict, bool from0);

/* Add a protect rule (the caller's own; --filter does not take "P"). */
int filter_add_protect(struct filter_list *fl, const char *pat);

/* The verdict of the first rule matching path (FILTER_NONE if none), on
 * the source side: protect rules are passed over. */
enum filter_verdict filter_match(const struct filter_list *fl,
				 const char *path, bool is_dir);

/* The same for a destination entry that deletion would remove: protect
 * rules count. */
enum filter_verdict filter_match_dest(const struct filter_list *fl,
				      const char *path, bool is_dir);

/* rsync's wildmatch: does text match the whole pattern?  Exposed for the
 * unit tests. */
bool filter_wildmatch(const char *pat, const char *text);

void filter_free(struct filter_list *fl);

#endif

/*
 * filter - rsync's include/exclude rules (see filter.h).
 *
 * The matcher is rsync's wildmatch reduced to what its filter rules use:
 * '*' stops at '/', "**" does not, and a failed '*' tells the enclosing
 * "**" to try further along instead of every '*' in between re-scanning
 * (the ABORT_TO_STARSTAR trick that keeps nested stars linear in practice).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

enum { WM_FALSE = 0, WM_TRUE = 1, WM_ABORT_ALL = -1, WM_ABORT_TO_STARSTAR = -2 };

/* Match the class at p (just past '[') against c.  *end gets the ']'
 * (NULL when the class is not closed: the pattern can never match). */
static int match_class(const char *p, unsigned char c, const char **end)
{
	bool negate = false, found = false;
	unsigned char prev = 0;

	if (*p == '!' || *p == '^') {
		negate = true;
		p++;
	}
	for (bool first = true; *p && (first || *p != ']'); p++, first = false) {
		unsigned char pc = (unsigned char)*p;

		if (pc == '\\' && p[1])
			pc = (unsigned char)*++p;
		if (pc == '-' && prev && p[1] && p[1] != ']') {
			unsigned char hi = (unsigned char)*++p;

			if (hi == '\\' && p[1])
				hi = (unsigned char)*++p;
			if (c >= prev && c <= hi)
				found = true;
			prev = 0;
			continue;
		}
		if (pc == c)
			found = true;
		prev = pc;
	}
	*end = *p == ']' ? p : NULL;
	return found != negate;
}

static int dowild(const char *p, const char *t)
{
	for (; *p; p++, t++) {
		unsigned char pc = (unsigned char)*p;
		const char *end;

		if (!*t && pc != '*')
			return WM_ABORT_ALL;
		switch (pc) {
		case '\\':
			if (p[1])
				pc = (unsigned char)*++p;
			if ((unsigned char)*t != pc)
				return WM_FALSE;
			break;
		case '?':
			if (*t == '/')
				return WM_FALSE;
			break;
		case '*': {
			bool slash = p[1] == '*';

			while (*p == '*')
				p++;
			if (!*p)
				return slash || !strchr(t, '/') ? WM_TRUE : WM_FALSE;
			for (;; t++) {
				int r;

				if (!*t)
					return WM_ABORT_ALL;
				r = dowild(p, t);
				if (r != WM_FALSE &&
				    (!slash || r != WM_ABORT_TO_STARSTAR))
					return r;
				if (!slash && *t == '/')
					return WM_ABORT_TO_STARSTAR;
			}
		}
		case '[':
			if (*t == '/')
				return WM_FALSE;
			/* An unclosed class never matches (a negated one
			 * "matches" c, but there is no ']' to go on from). */
			if (!match_class(p + 1, (unsigned char)*t, &end) || !end)
				return end ? WM_FALSE : WM_ABORT_ALL;
			p = end;
			break;
		default:
			if ((unsigned char)*t != pc)
				return WM_FALSE;
			break;
		}
	}
	return *t ? WM_FALSE : WM_TRUE;
}

bool filter_wildmatch(const char *pat, const char *text)
{
	return dowild(pat, text) == WM_TRUE;
}

/* Merge files within merge files, at most this deep. */
#define MERGE_DEPTH 32

static void rule_free(struct filter_rule *r)
{
	free(r->pat);
}

void filter_free(struct filter_list *fl)
{
	for (size_t i = 0; i < fl->n; i++)
		rule_free(&fl->rules[i]);
	free(fl->rules);
	fl->rules = NULL;
	fl->n = fl->cap = 0;
}

static int add_pattern(struct filter_list *fl, const char *pat, size_t len,
		       enum filter_verdict verdict)
{
	struct filter_rule r = { .verdict = verdict };

	if (len && pat[0] == '/') {
		r.anchored = true;
		pat++;
		len--;
	}
	if (len > 1 && pat[len - 1] == '/') {
		r.dir_only = true;
		len--;
	}
	/* rsync: a pattern ending in "***" is also matched against a
	 * directory's path and a '/' ("dir/ ***", no space, names dir). */
	r.self_too = len >= 3 && !strncmp(pat + len - 3, "***", 3);
	if (!len) {
		errno = EINVAL;
		return -1;
	}
	r.pat = strndup(pat, len);
	if (!r.pat)
		return -1;
	for (const char *s = r.pat; *s; s++) {
		if (*s == '/')
			r.slashes++;
		if (strchr("*?[\\", *s))
			r.wild = true;
	}
	r.wild2 = strstr(r.pat, "**") != NULL;
	r.wild2_prefix = !strncmp(r.pat, "**", 2);
	if (fl->n == fl->cap) {
		size_t cap = fl->cap ? 2 * fl->cap : 16;
		struct filter_rule *nr = realloc(fl->rules, cap * sizeof(*nr));

		if (!nr) {
			rule_free(&r);
			return -1;
		}
		fl->rules = nr;
		fl->cap = cap;
	}
	fl->rules[fl->n++] = r;
	return 0;
}

static int add_merge(struct filter_list *fl, const char *path)
{
	static unsigned depth;	/* a file that merges itself */
	int ret;

	if (depth >= MERGE_DEPTH) {
		errno = EMLINK;	/* (not ELOOP: opening a symlink loop is that) */
		return -1;
	}
	depth++;
	ret = filter_add_file(fl, path, FILTER_NONE, false);
	depth--;
	return ret;
}

int filter_add(struct filter_list *fl, const char *rule,
	       enum filter_verdict verdict)
{
	static const struct {
		const char *word;
		enum filter_verdict v;
	} words[] = {
		{ "+", FILTER_INCLUDE }, { "-", FILTER_EXCLUDE },
		{ "include", FILTER_INCLUDE }, { "exclude", FILTER_EXCLUDE },
	};

	/* "+ pat" / "- pat" keep their meaning in --exclude and in the
	 * lines of --exclude-from files too (rsync does the same). */
	if (verdict != FILTER_NONE &&
	    !((rule[0] == '+' || rule[0] == '-') && rule[1] == ' '))
		return add_pattern(fl, rule, strlen(rule), verdict);
	if (!strcmp(rule, "!")) {
		filter_free(fl);
		return 0;
	}
	/* "merge FILE", ". FILE": FILE's rules, here (no modifiers). */
	if ((!strncmp(rule, "merge ", 6) && rule[6]) ||
	    (!strncmp(rule, ". ", 2) && rule[2]))
		return add_merge(fl, rule + (rule[0] == '.' ? 2 : 6));
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i].word);

		if (!strncmp(rule, words[i].word, n) &&
		    (rule[n] == ' ' || rule[n] == '_') && rule[n + 1])
			return add_pattern(fl, rule + n + 1, strlen(rule + n + 1),
					   words[i].v);
	}
	errno = EINVAL;
	return -1;
}

int filter_add_file(struct filter_list *fl, const char *path,
		    enum filter_verdict verdict, bool from0)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = 0;

	if (!f)
		return -1;
	while ((n = getdelim(&line, &cap, from0 ? '\0' : '\n', f)) > 0) {
		if (line[n - 1] == (from0 ? '\0' : '\n'))
			line[--n] = 0;
		if (!from0 && n && line[n - 1] == '\r')
			line[--n] = 0;
		if (!n || (!from0 && (line[0] == ';' || line[0] == '#')))
			continue;
		if (filter_add(fl, line, verdict) < 0) {
			ret = -1;
			break;
		}
	}
	if (ferror(f) && !ret)
		ret = -1;
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

/* The start of the last n components of path. */
static const char *last_components(const char *path, unsigned n)
{
	const char *s = path + strlen(path);

	while (s > path) {
		if (s[-1] == '/' && !--n)
			break;
		s--;
	}
	return s;
}

/* path with a '/' before it (lead) or after it, in buf when it fits,
 * else malloc'd (NULL when that fails; the caller frees what is not
 * buf). */
static char *slashed(char *buf, size_t size, const char *path, bool lead)
{
	size_t n = strlen(path);
	char *t = n + 2 <= size ? buf : malloc(n + 2);

	if (!t)
		return NULL;
	memcpy(t + lead, path, n);
	t[lead ? 0 : n] = '/';
	t[n + 1] = 0;
	return t;
}

static bool rule_matches(const struct filter_rule *r, const char *path)
{
	if (!r->anchored && !r->slashes && !r->wild2) {
		const char *slash = strrchr(path, '/');

		return filter_wildmatch(r->pat, slash ? slash + 1 : path);
	}
	if (r->anchored)
		return filter_wildmatch(r->pat, path);
	if (r->wild2_prefix) {
		/* rsync matches an unanchored leading "**" against "/" and
		 * the path: "**" followed by "/c" names a top-level c too. */
		char buf[4096], *t = slashed(buf, sizeof(buf), path, true);
		bool m = t ? filter_wildmatch(r->pat, t) : false;

		if (t != buf)
			free(t);
		return m;
	}
	if (!r->wild2)
		return filter_wildmatch(r->pat,
					last_components(path, r->slashes + 1));
	/* An inner "**": try at every directory boundary. */
	for (const char *s = path; s; s = strchr(s, '/'), s = s ? s + 1 : s)
		if (filter_wildmatch(r->pat, s))
			return true;
	return false;
}

int filter_add_protect(struct filter_list *fl, const char *pat)
{
	return add_pattern(fl, pat, strlen(pat), FILTER_PROTECT);
}

static enum filter_verdict match(const struct filter_list *fl,
				 const char *path, bool is_dir, bool dest)
{
	for (size_t i = 0; i < fl->n; i++) {
		const struct filter_rule *r = &fl->rules[i];

		if ((r->dir_only && !is_dir) ||
		    (r->verdict == FILTER_PROTECT && !dest))
			continue;
		if (rule_matches(r, path))
			return r->verdict;
		if (r->self_too && is_dir) {
			char buf[4096], *t = slashed(buf, sizeof(buf), path,
						     false);
			bool m = t ? rule_matches(r, t) : false;

			if (t != buf)
				free(t);
			if (m)
				return r->verdict;
		}
	}
	return FILTER_NONE;
}

enum filter_verdict filter_match(const struct filter_list *fl,
				 const char *path, bool is_dir)
{
	return match(fl, path, is_dir, false);
}

enum filter_verdict filter_match_dest(const struct filter_list *fl,
				      const char *path, bool is_dir)
{
	return match(fl, path, is_dir, true);
}

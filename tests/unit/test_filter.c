/* test_filter - rsync's pattern rules: wildmatch and rule placement. */
#include <stdbool.h>
#include <stdio.h>

#include "filter.h"
#include "tap.h"

/* One rule, one path: does the rule match it? */
static bool m(const char *rule, const char *path, bool is_dir)
{
	struct filter_list fl = { 0 };
	enum filter_verdict v;

	if (filter_add(&fl, rule, FILTER_NONE) < 0)
		return false;
	v = filter_match(&fl, path, is_dir);
	filter_free(&fl);
	return v != FILTER_NONE;
}

int main(void)
{
	static const struct {
		const char *rule, *path;
		bool dir, want;
	} cases[] = {
		{ "- [!a-z", "Zq", false, false },	/* unclosed: no match,
							   no crash (fuzzer) */
		{ "- x[a", "xa", false, false },
		{ "- *.o", "a.o", false, true },
		{ "- *.o", "x/y/a.o", false, true },	/* last component */
		{ "- *.o", "a.oo", false, false },
		{ "- a/*.o", "x/a/b.o", false, true },	/* end of path */
		{ "- a/*.o", "xa/b.o", false, false },	/* at a boundary */
		{ "- /a/*.o", "x/a/b.o", false, false },	/* anchored */
		{ "- /a/*.o", "a/b.o", false, true },
		{ "- a/*", "a/b/c", false, false },	/* * stops at / */
		{ "- a/**", "a/b/c", false, true },
		{ "- a/**/c", "x/a/b/d/c", false, true },
		{ "- **/c", "a/b/c", false, true },
		{ "- **/c", "c", false, true },	/* rsync: "/" + path */
		{ "- **/a/c", "a/c", false, true },
		{ "- **c", "c", false, true },
		{ "- /**/c", "c", false, false },	/* anchored: not */
		{ "- /**/c", "a/c", false, true },
		{ "- **/c/***", "c", true, true },
		{ "- d/", "d", false, false },		/* directories only */
		{ "- d/", "d", true, true },
		{ "- d/***", "d", true, true },	/* itself ... */
		{ "- d/***", "d/x/y", false, true },	/* ... and below */
		{ "- d/***", "dd", true, false },
		{ "- d/****", "d", true, true },	/* any "***" end */
		{ "- d/*/***", "d", true, false },
		{ "- d/*/***", "d/x", true, true },
		{ "- d/***", "d", false, false },	/* a file d: not */
		{ "- [a-c]x", "bx", false, true },
		{ "- [!a-c]x", "bx", false, false },
		{ "- [^a-c]x", "dx", false, true },
		{ "- ?", "a", false, true },
		{ "- ?", "ab", false, false },
		{ "- \\*", "*", false, true },
		{ "- \\*", "a", false, false },
		{ "exclude foo", "foo", false, true },
		{ "+_foo", "foo", false, true },
	};
	struct filter_list fl = { 0 };

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[160];

		snprintf(name, sizeof(name), "'%s' %s '%s'%s", cases[i].rule,
			 cases[i].want ? "matches" : "does not match",
			 cases[i].path, cases[i].dir ? " (dir)" : "");
		ok(m(cases[i].rule, cases[i].path, cases[i].dir) == cases[i].want,
		   "%s", name);
	}

	/* First match wins; no match includes. */
	filter_add(&fl, "+ keep.o", FILTER_NONE);
	filter_add(&fl, "*.o", FILTER_EXCLUDE);
	ok(filter_match(&fl, "keep.o", false) == FILTER_INCLUDE, "first match wins");
	ok(filter_match(&fl, "x.o", false) == FILTER_EXCLUDE, "later rule");
	ok(filter_match(&fl, "x.c", false) == FILTER_NONE, "no rule matches");
	filter_add(&fl, "!", FILTER_NONE);
	ok(filter_match(&fl, "x.o", false) == FILTER_NONE, "'!' clears the rules");
	ok(filter_add(&fl, "P foo", FILTER_NONE) < 0, "unsupported rule refused");
	/* --backup's "P *~": the destination side only, after the rules. */
	filter_add(&fl, "+ keep~", FILTER_NONE);
	filter_add_protect(&fl, "*~");
	ok(filter_match(&fl, "a~", false) == FILTER_NONE, "protect: not on the source side");
	ok(filter_match_dest(&fl, "a~", false) == FILTER_PROTECT, "protect: destination side");
	ok(filter_match_dest(&fl, "keep~", false) == FILTER_INCLUDE, "protect: after the rules");
	ok(filter_match_dest(&fl, "a", false) == FILTER_NONE, "protect: its pattern only");
	ok(filter_add(&fl, "- ", FILTER_NONE) < 0, "empty pattern refused");
	filter_free(&fl);
	return tap_done();
}

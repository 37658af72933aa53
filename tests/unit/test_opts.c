/* test_opts - the option table parses cp's spellings and refuses the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "opts.h"
#include "tap.h"

static int parse(struct opts *o, bool *exit_now, int argc, ...)
{
	static char *argv[32];
	va_list ap;

	va_start(ap, argc);
	argv[0] = (char *)"ucp";
	for (int i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	argv[argc] = NULL;
	va_end(ap);
	return opts_parse(o, argc, argv, exit_now);
}

int main(void)
{
	struct opts o;
	bool ex;
	int ret;
	/* Error messages go to stderr: keep the TAP stream readable. */
	FILE *devnull = freopen("/dev/null", "w", stderr);

	(void)devnull;
	ret = parse(&o, &ex, 4, "-rv", "a", "b");
	ok(!ret && !ex && o.recursive && o.verbose, "-rv");
	is_int(o.nops, 2, "two operands");
	is_str(o.ops[0], "a", "first operand");

	ret = parse(&o, &ex, 5, "a", "-R", "-t", "dir");
	ok(!ret && !ex && o.recursive, "options after operands (-R)");
	is_str(o.target_dir, "dir", "-t DIR");
	is_int(o.nops, 1, "one operand");

	ret = parse(&o, &ex, 4, "--target-directory=d", "--recursive", "x");
	ok(!ret && o.recursive && o.target_dir && !strcmp(o.target_dir, "d"),
	   "long forms");

	ret = parse(&o, &ex, 4, "-i", "-n", "x");
	ok(!ret && o.clobber == CLOBBER_NO, "-n after -i wins");
	ret = parse(&o, &ex, 4, "-n", "-i", "x");
	ok(!ret && o.clobber == CLOBBER_ASK, "-i after -n wins");

	ret = parse(&o, &ex, 2, "--bogus");
	ok(ret == 1 && ex, "unknown option refused");
	ret = parse(&o, &ex, 3, "--copy-contents", "x");
	ok(!ret && o.copy_contents, "--copy-contents");
	ret = parse(&o, &ex, 4, "--parents", "a", "b");
	ok(!ret && o.parents, "--parents");
	ret = parse(&o, &ex, 3, "-r", "x");
	ok(!ret && o.deref == DEREF_NEVER, "-r: symlinks copied as links");
	ret = parse(&o, &ex, 3, "-rl", "x");
	ok(!ret && o.deref == DEREF_ALWAYS, "-rl: symlinks followed (cp)");
	ret = parse(&o, &ex, 2, "x");
	ok(!ret && o.deref == DEREF_ALWAYS, "no -r: symlinks followed");
	ret = parse(&o, &ex, 3, "-rH", "x");
	ok(!ret && o.deref == DEREF_CMDLINE, "-H");
	ret = parse(&o, &ex, 3, "--sparse=al", "x");
	ok(!ret && o.sparse == SPARSE_ALWAYS, "--sparse=al");
	ret = parse(&o, &ex, 3, "--sparse=a", "x");
	ok(ret == 1 && ex, "--sparse=a is ambiguous");
	ret = parse(&o, &ex, 4, "--reflink", "--sparse=never", "x");
	ok(ret == 1 && ex, "--reflink=always needs --sparse=auto");
	ret = parse(&o, &ex, 3, "-sl", "x");
	ok(ret == 1 && ex, "-s with -l refused");

	ret = parse(&o, &ex, 4, "--delete", "a", "b");
	ok(ret == 1 && ex, "--delete without --sync refused");
	ret = parse(&o, &ex, 5, "--sync", "-n", "a", "b");
	ok(ret == 1 && ex, "cp's -n refused with --sync");
	ret = parse(&o, &ex, 7, "--sync", "--max-size=1.5K", "--min-size=2MB",
		    "--max-delete=3", "a", "b");
	ok(!ret && o.sync.on && o.sync.max_size == 1536 &&
	   o.sync.min_size == 2000000 && o.sync.max_delete == 3,
	   "--sync sizes and counts");
	ok(o.recursive && (o.preserve & PRESERVE_LINKS), "--sync: archive");
	ret = parse(&o, &ex, 5, "--sync", "--max-size=12Q", "a", "b");
	ok(ret == 1 && ex, "bad --max-size refused");
	{
		/* rsync 3.x's parse_size_arg on the same strings. */
		static const struct { const char *arg; long long want; } t[] = {
			{ "10K-1", 10239 }, { "10K+1", 10241 }, { "1kB+1", 1001 },
			{ "10-1", 9 }, { "10b-1", 9 }, { "0.5k", 512 },
			{ "2MiB", 2097152 }, { "3bb", 3 }, { "K", 0 }, { ".", 0 },
			{ "", 0 }, { "nan", -1 }, { "inf", -1 }, { "0x10", -1 },
			{ "1e3", -1 }, { "-1", -1 }, { "+5", -1 }, { "1 ", -1 },
			{ "5Bx", -1 }, { "1K-2", -1 }, { "-1K", -1 },
			{ "99999999999999999999", -1 },
		};
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			char arg[64];

			snprintf(arg, sizeof(arg), "--max-size=%s", t[i].arg);
			ret = parse(&o, &ex, 5, "--sync", arg, "a", "b");
			ok(t[i].want < 0 ? ret == 1 && ex :
			   !ret && o.sync.max_size == (uint64_t)t[i].want,
			   "--max-size='%s'", t[i].arg);
		}
	}
	ret = parse(&o, &ex, 6, "--sync", "--delete", "--files-from=x", "a", "b");
	ok(ret == 1 && ex, "--files-from with --delete refused");
	ret = parse(&o, &ex, 5, "--sync", "-b", "a", "b");
	ok(!ret && o.sync.backup, "-b with --sync");
	unsetenv("VERSION_CONTROL");
	unsetenv("SIMPLE_BACKUP_SUFFIX");
	ret = parse(&o, &ex, 4, "-b", "a", "b");
	ok(!ret && o.backup == BACKUP_EXISTING && !strcmp(o.backup_suffix, "~"),
	   "-b: existing, ~");
	ret = parse(&o, &ex, 4, "--backup=t", "a", "b");
	ok(!ret && o.backup == BACKUP_NUMBERED, "--backup=t is numbered");
	ret = parse(&o, &ex, 4, "--backup=n", "a", "b");
	ok(ret == 1 && ex, "--backup=n is ambiguous");
	ret = parse(&o, &ex, 4, "--backup=nu", "a", "b");
	ok(!ret && o.backup == BACKUP_NUMBERED, "--backup=nu");
	ret = parse(&o, &ex, 5, "-S", ".bak", "a", "b");
	ok(!ret && o.backup == BACKUP_EXISTING && !strcmp(o.backup_suffix, ".bak"),
	   "-S implies -b");
	ret = parse(&o, &ex, 5, "-S", "x/y", "a", "b");
	ok(!ret && !strcmp(o.backup_suffix, "~"), "a suffix with / is ~");
	setenv("VERSION_CONTROL", "never", 1);
	setenv("SIMPLE_BACKUP_SUFFIX", ".old", 1);
	ret = parse(&o, &ex, 4, "-b", "a", "b");
	ok(!ret && o.backup == BACKUP_SIMPLE && !strcmp(o.backup_suffix, ".old"),
	   "VERSION_CONTROL, SIMPLE_BACKUP_SUFFIX");
	ret = parse(&o, &ex, 4, "--backup=off", "a", "b");
	ok(!ret && o.backup == BACKUP_NONE, "--backup=CONTROL beats the env");
	setenv("VERSION_CONTROL", "bogus", 1);
	ret = parse(&o, &ex, 4, "-b", "a", "b");
	ok(ret == 1 && ex, "bad VERSION_CONTROL refused with -b");
	ret = parse(&o, &ex, 3, "a", "b");
	ok(!ret && o.backup == BACKUP_NONE, "... and ignored without");
	unsetenv("VERSION_CONTROL");
	unsetenv("SIMPLE_BACKUP_SUFFIX");
	ret = parse(&o, &ex, 5, "-b", "-n", "a", "b");
	ok(ret == 1 && ex, "-b with -n refused");

	ret = parse(&o, &ex, 3, "-a", "x");
	ok(!ret && o.recursive && o.deref == DEREF_NEVER &&
	   o.preserve == (PRESERVE_ALL & ~PRESERVE_CONTEXT) && !o.require_xattr,
	   "-a is -dR --preserve=all, xattr failures not required");
	ret = parse(&o, &ex, 3, "-p", "x");
	ok(!ret && o.preserve == (PRESERVE_MODE | PRESERVE_OWNERSHIP |
				  PRESERVE_TIMESTAMPS) && o.require_preserve,
	   "-p");
	ret = parse(&o, &ex, 4, "-a", "--no-preserve=own,ti", "x");
	ok(!ret && !(o.preserve & (PRESERVE_OWNERSHIP | PRESERVE_TIMESTAMPS)) &&
	   (o.preserve & PRESERVE_LINKS), "--no-preserve with prefixes");
	ret = parse(&o, &ex, 3, "--preserve=xattr", "x");
	ok(!ret && o.preserve == PRESERVE_XATTR && o.require_xattr,
	   "--preserve=xattr requires xattrs");
	ret = parse(&o, &ex, 3, "--preserve=m", "x");
	ok(!ret && o.preserve == PRESERVE_MODE, "unique prefix");
	ret = parse(&o, &ex, 3, "--preserve=", "x");
	ok(ret == 1 && ex, "empty attribute is ambiguous");
	ret = parse(&o, &ex, 3, "--preserve=context", "x");
	ok(ret == 1 && ex, "context refused without SELinux");
	ret = parse(&o, &ex, 3, "--reflink", "x");
	ok(!ret && o.reflink == REFLINK_ALWAYS, "--reflink alone is always");
	ret = parse(&o, &ex, 3, "--reflink=nev", "x");
	ok(!ret && o.reflink == REFLINK_NEVER, "--reflink=nev");
	ret = parse(&o, &ex, 2, "x");
	ok(!ret && o.reflink == REFLINK_AUTO, "reflink auto by default");
	ret = parse(&o, &ex, 3, "-T", "-tx");
	ok(ret == 1 && ex, "-T with -t refused");
	ret = parse(&o, &ex, 2, "-t");
	ok(ret == 1 && ex, "-t without argument refused");
	ret = parse(&o, &ex, 3, "--", "-r");
	ok(!ret && !o.recursive && o.nops == 1, "-- ends options");

	/* The table is sorted by long name (options are data). */
	const char *prev = "";
	int sorted = 1;
	for (unsigned i = 0; i < opts_count; i++) {
		if (!opts_table[i].longname)
			continue;
		if (strcmp(prev, opts_table[i].longname) >= 0)
			sorted = 0;
		prev = opts_table[i].longname;
	}
	ok(sorted, "option table sorted by long name");
	return tap_done();
}

/* test_log - names are quoted exactly as GNU coreutils 9 quotes them. */
#include <locale.h>

#include "log.h"
#include "tap.h"

int main(void)
{
	/* Expected strings were taken from GNU cp 9.1's diagnostics. */
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "plain", "'plain'" },
		{ "", "''" },
		{ "sp ace", "'sp ace'" },
		{ "it's", "\"it's\"" },
		{ "n\nl", "'n'$'\\n''l'" },
		{ "\nb", "''$'\\n''b'" },
		{ "h\xffi", "'h'$'\\377''i'" },
		{ "t\tb", "'t'$'\\t''b'" },
		{ "a\"b", "'a\"b'" },
		{ "x$y", "'x$y'" },
		{ "a\\b", "'a\\b'" },
		{ "\xc3\xbcn", "'\xc3\xbcn'" },	/* printable UTF-8 stays */
		{ "e\x1b", "'e'$'\\033'" },
	};

	setlocale(LC_ALL, "C.UTF-8");
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(log_quote(cases[i].in), cases[i].want, cases[i].want);

	/* The buffer form reports the length needed and truncates safely. */
	char small[4];
	size_t need = log_quote_buf(small, sizeof(small), "abcdef");
	is_int((long)need, 8, "needed length");
	is_str(small, "'ab", "truncated");

	log_init("/usr/bin/mycp");
	is_str(log_prog(), "/usr/bin/mycp", "program name: argv[0] as given");
	return tap_done();
}

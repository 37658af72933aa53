/*
 * fuzz_opts - libFuzzer target for the option parser (make fuzz).
 *
 * The input is split at NUL bytes into argv[1..]; opts_parse() must never
 * crash, hang or leak on it, whatever it returns.  Options that read files
 * (--*-from, --filter's "merge FILE" and ". FILE") are skipped: they would
 * read whatever path the fuzzer names.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char *argv[64];
	int argc = 1;
	struct opts o;
	bool exit_now;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	argv[0] = (char *)"ucp";
	for (size_t i = 0; i <= size && argc < 63;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	for (int i = 1; i < argc; i++)
		if (strstr(argv[i], "from") || strstr(argv[i], "merge") ||
		    strstr(argv[i], ". ")) {
			free(buf);
			return 0;
		}
	opts_parse(&o, argc, argv, &exit_now);
	filter_free(&o.sync.filters);
	free(buf);
	return 0;
}

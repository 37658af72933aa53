/*
 * fuzz_filter - libFuzzer target for rsync's pattern rules (make fuzz).
 *
 * The input's lines: those before a line "=" are rules for filter_add()
 * (--filter syntax), those after it paths, matched against the rules as
 * files and as directories; each rule is also given to filter_wildmatch()
 * as a bare pattern for each path.  Nothing may crash or hang.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct filter_list fl = { 0 };
	char *buf = malloc(size + 1), *line, *save = NULL;
	char *paths[32], *pats[32];
	size_t np = 0, nr = 0;
	bool rules = true;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (rules && !strcmp(line, "=")) {
			rules = false;
		} else if (rules && nr < 32) {
			pats[nr++] = line;
			/* not merge rules: they read the file they name */
			if (strncmp(line, "merge ", 6) && strncmp(line, ". ", 2))
				filter_add(&fl, line, FILTER_NONE);
		} else if (!rules && np < 32) {
			paths[np++] = line;
		}
	}
	for (size_t i = 0; i < np; i++) {
		filter_match(&fl, paths[i], false);
		filter_match(&fl, paths[i], true);
		for (size_t k = 0; k < nr; k++)
			filter_wildmatch(pats[k], paths[i]);
	}
	filter_free(&fl);
	free(buf);
	return 0;
}

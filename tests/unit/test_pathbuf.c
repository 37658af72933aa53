/* test_pathbuf - operand splitting and display joins. */
#include <stdlib.h>

#include "pathbuf.h"
#include "tap.h"

static void chk(char *got, const char *want, const char *name)
{
	is_str(got, want, name);
	free(got);
}

int main(void)
{
	chk(path_join("a", "b"), "a/b", "join");
	chk(path_join("a/", "b"), "a/b", "join after slash");
	chk(path_join("", "b"), "b", "join to empty");
	chk(path_join("a///", "b"), "a/b", "join after slashes (cp's names)");
	chk(path_join("/", "b"), "/b", "join to the root");
	chk(path_base("a/b"), "b", "base");
	chk(path_base("a/b/"), "b", "base with trailing slash");
	chk(path_base("b"), "b", "base alone");
	chk(path_base("/"), "/", "base of root");
	chk(path_base("."), ".", "base of dot");
	chk(path_dir("a/b"), "a", "dir");
	chk(path_dir("a/b/"), "a", "dir with trailing slash");
	chk(path_dir("b"), ".", "dir of bare name");
	chk(path_dir("/b"), "/", "dir under root");
	chk(path_dir("a//b"), "a", "dir with doubled slash");
	return tap_done();
}

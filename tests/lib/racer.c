/*
 * racer - the attacker of tests/e2e/races.sh, until the file STOP exists;
 * prints the number of swaps it made.
 *
 * usage: racer watch DIR EVIL STOP
 *	the moment a subdirectory d* appears in DIR (inotify), move it aside
 *	and put a symlink to EVIL in its place (a destination being filled);
 *	while DIR does not exist, the same in the tree ucp builds for it
 *	under a temp name in its parent (.ucp.*.NAME.tmp)
 * usage: racer flip DIR EVIL STOP
 *	flip DIR/d1..d99 between themselves and a symlink to EVIL, over and
 *	over (a source being read)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

static int flip(const char *dir, const char *evil, const char *stop)
{
	char p[PATH_MAX], q[PATH_MAX];
	unsigned long swaps = 0;

	while (access(stop, F_OK) != 0) {
		for (int i = 1; i < 100; i++) {
			snprintf(p, sizeof(p), "%s/d%d", dir, i);
			snprintf(q, sizeof(q), "%s/d%d.moved", dir, i);
			if (rename(p, q) < 0)
				continue;
			if (symlink(evil, p) == 0) {
				swaps++;
				unlink(p);
			}
			rename(q, p);
		}
	}
	printf("%lu\n", swaps);
	return 0;
}

/* DIR, or the temp tree ucp builds for it (its parent's .ucp.*.NAME.tmp),
 * into out; 0, or -1 when neither exists yet. */
static int find_target(const char *dir, char *out, size_t size)
{
	char parent[PATH_MAX], want[NAME_MAX + 8];
	const char *base = strrchr(dir, '/');
	struct dirent *de;
	DIR *d;

	if (access(dir, F_OK) == 0) {
		snprintf(out, size, "%s", dir);
		return 0;
	}
	if (!base)
		return -1;
	snprintf(parent, sizeof(parent), "%.*s", (int)(base - dir), dir);
	snprintf(want, sizeof(want), ".%s.tmp", base + 1);
	d = opendir(parent);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name), w = strlen(want);

		if (!strncmp(de->d_name, ".ucp.", 5) && n > w &&
		    !strcmp(de->d_name + n - w, want)) {
			int len = snprintf(out, size, "%s/%s", parent,
					   de->d_name);

			closedir(d);
			return len > 0 && (size_t)len < size ? 0 : -1;
		}
	}
	closedir(d);
	return -1;
}

int main(int argc, char **argv)
{
	char target[PATH_MAX];
	char buf[8192], from[PATH_MAX], to[PATH_MAX + 32];
	unsigned long swaps = 0;
	int fd, wd = -1;

	if (argc != 5)
		return 2;
	if (!strcmp(argv[1], "flip"))
		return flip(argv[2], argv[3], argv[4]);
	argv++;
	fd = inotify_init1(IN_NONBLOCK);
	while (access(argv[3], F_OK) != 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (wd < 0) {	/* the directory may not exist yet */
			wd = find_target(argv[1], target, sizeof(target)) < 0 ? -1 :
			     inotify_add_watch(fd, target, IN_CREATE | IN_MOVED_TO);
			if (wd < 0) {
				usleep(100);
				continue;
			}
		}
		if (poll(&p, 1, 50) <= 0)
			continue;
		while ((n = read(fd, buf, sizeof(buf))) > 0) {
			for (char *q = buf; q < buf + n;) {
				struct inotify_event *ev = (void *)q;

				q += sizeof(*ev) + ev->len;
				if (!ev->len || ev->name[0] != 'd' || strstr(ev->name, ".moved") ||
				    !(ev->mask & IN_ISDIR))
					continue;
				if (snprintf(from, sizeof(from), "%s/%s", target,
					     ev->name) >= (int)sizeof(from))
					continue;
				snprintf(to, sizeof(to), "%s.moved%lu", from, swaps);
				if (rename(from, to) == 0 && symlink(argv[2], from) == 0)
					swaps++;
			}
		}
	}
	printf("%lu\n", swaps);
	return 0;
}

/*
 * statbound - the floor under a no-op sync: lstat every name of a list in
 * SRC and in DST, split over THREADS threads, and print the time.  No
 * walking, no listing, no comparing: whatever a mirroring tool does on
 * top of this is its own cost; this part is the kernel's and the
 * machine's.
 *
 *   cc -O2 -pthread -o statbound bench/statbound.c
 *   (cd SRC && find . ! -type d | sed 's#^\./##') > names
 *   echo 3 > /proc/sys/vm/drop_caches; tar cf - SRC | cat > /dev/null
 *   ./statbound names SRC DST 2
 *
 * Not built by the Makefile: doc/PERFORMANCE.md ("Sync mode") cites it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static char **names;
static size_t nnames;
static int sfd, dfd;
static unsigned nthreads;

static void *run(void *arg)
{
	struct stat st;

	for (size_t i = (size_t)arg; i < nnames; i += nthreads) {
		(void)fstatat(sfd, names[i], &st, AT_SYMLINK_NOFOLLOW);
		(void)fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	char line[4096];
	size_t cap = 0;
	pthread_t th[256];
	struct timespec a, b;
	FILE *f;

	if (argc != 5 || (nthreads = (unsigned)atoi(argv[4])) < 1 ||
	    nthreads > 256) {
		fprintf(stderr, "usage: statbound NAMES SRC DST THREADS\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	sfd = open(argv[2], O_PATH | O_DIRECTORY);
	dfd = open(argv[3], O_PATH | O_DIRECTORY);
	if (!f || sfd < 0 || dfd < 0) {
		perror("statbound");
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (nnames == cap) {
			cap = cap ? 2 * cap : 1024;
			names = realloc(names, cap * sizeof(*names));
		}
		if (!names || !(names[nnames++] = strdup(line))) {
			perror("statbound");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned t = 0; t < nthreads; t++)
		pthread_create(&th[t], NULL, run, (void *)(size_t)t);
	for (unsigned t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%zu names in each tree, %u threads: %.3f s\n", nnames, nthreads,
	       (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}

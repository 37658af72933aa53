/*
 * engine_exercise.h - the requests both engine tests run: opens, a full
 * linked READ->WRITE pair, a short read that must cancel its linked write
 * (io_uring's rule, emulated by the sync engine), and errors as -errno.
 */
#ifndef UCP_ENGINE_EXERCISE_H
#define UCP_ENGINE_EXERCISE_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bufpool.h"
#include "engine.h"
#include "tap.h"

struct ctx {
	int n;
	struct req *seen[8];
};

static void on_done(void *p, struct req *r)
{
	struct ctx *c = p;

	if (c->n < 8)
		c->seen[c->n++] = r;
}

static void drain(struct engine *e, struct ctx *c)
{
	while (e->inflight)
		if (engine_run(e, 1, on_done, c) < 0)
			break;
}

static void exercise(struct engine *e, const char *name, int dirfd,
		     struct bufpool *bp)
{
	struct req r[4];
	struct ctx c = { 0 };
	char msg[128], *buf = bufpool_addr(bp, 0);
	int in, out;

	/* Open a source with 10 bytes and a destination. */
	memset(r, 0, sizeof(r));
	r[0].op = OP_OPENAT; r[0].fd = dirfd; r[0].path = "in";
	r[0].oflags = O_RDONLY; r[0].buf = -1;
	r[1].op = OP_OPENAT; r[1].fd = dirfd; r[1].path = "out";
	r[1].oflags = O_WRONLY | O_CREAT | O_TRUNC; r[1].mode = 0644;
	r[1].buf = -1;
	engine_queue(e, &r[0]);
	engine_queue(e, &r[1]);
	drain(e, &c);
	in = r[0].res;
	out = r[1].res;
	snprintf(msg, sizeof(msg), "%s: two opens complete", name);
	ok(c.n == 2 && in >= 0 && out >= 0, "%s", msg);

	/* A linked read->write that reads all it asked for writes it. */
	memset(r, 0, sizeof(r));
	c.n = 0;
	r[0].op = OP_READ; r[0].fd = in; r[0].addr = buf; r[0].len = 4;
	r[0].buf = 0; r[0].link = 1;
	r[1].op = OP_WRITE; r[1].fd = out; r[1].addr = buf; r[1].len = 4;
	r[1].buf = 0;
	engine_queue(e, &r[0]);
	engine_queue(e, &r[1]);
	drain(e, &c);
	snprintf(msg, sizeof(msg), "%s: full linked pair", name);
	ok(r[0].res == 4 && r[1].res == 4, "%s", msg);

	/* A short read (only 6 bytes are left at offset 4) cancels it. */
	memset(r, 0, sizeof(r));
	c.n = 0;
	r[0].op = OP_READ; r[0].fd = in; r[0].addr = buf; r[0].len = 64;
	r[0].off = 4; r[0].buf = 0; r[0].link = 1;
	r[1].op = OP_WRITE; r[1].fd = out; r[1].addr = buf; r[1].len = 64;
	r[1].off = 4; r[1].buf = 0;
	r[2].op = OP_NOP; r[2].buf = -1;	/* unlinked: unaffected */
	engine_queue(e, &r[0]);
	engine_queue(e, &r[1]);
	engine_queue(e, &r[2]);
	drain(e, &c);
	snprintf(msg, sizeof(msg), "%s: short read cancels linked write",
		 name);
	ok(r[0].res == 6 && r[1].res == -ECANCELED && r[2].res == 0, "%s",
	   msg);
	snprintf(msg, sizeof(msg), "%s: every request completed once", name);
	ok(c.n == 3, "%s", msg);

	/* Errors come back as -errno. */
	memset(r, 0, sizeof(r));
	c.n = 0;
	r[0].op = OP_OPENAT; r[0].fd = dirfd; r[0].path = "missing";
	r[0].oflags = O_RDONLY; r[0].buf = -1;
	r[1].op = OP_MKDIRAT; r[1].fd = dirfd; r[1].path = "in";
	r[1].mode = 0755; r[1].buf = -1;
	engine_queue(e, &r[0]);
	engine_queue(e, &r[1]);
	drain(e, &c);
	snprintf(msg, sizeof(msg), "%s: errors as -errno", name);
	ok(r[0].res == -ENOENT && r[1].res == -EEXIST, "%s", msg);

	/* FSYNC: 0 on a file, -EBADF on a closed fd. */
	memset(r, 0, sizeof(r));
	c.n = 0;
	r[0].op = OP_FSYNC; r[0].fd = out; r[0].buf = -1;
	r[1].op = OP_FSYNC; r[1].fd = -1; r[1].buf = -1;
	engine_queue(e, &r[0]);
	engine_queue(e, &r[1]);
	drain(e, &c);
	snprintf(msg, sizeof(msg), "%s: fsync", name);
	ok(c.n == 2 && r[0].res == 0 && r[1].res == -EBADF, "%s", msg);

	close(in);
	close(out);
	struct stat st;
	snprintf(msg, sizeof(msg), "%s: out has the 4 bytes written", name);
	ok(fstatat(dirfd, "out", &st, 0) == 0 && st.st_size == 4, "%s", msg);
}


/* A temp directory holding "in" (10 bytes); returns its fd, path in tmpl. */
static int exercise_setup(char *tmpl, struct bufpool *bp,
			  struct engine_config *cfg)
{
	int dirfd, fd;

	if (!mkdtemp(tmpl))
		return -1;
	dirfd = open(tmpl, O_RDONLY | O_DIRECTORY);
	fd = openat(dirfd, "in", O_WRONLY | O_CREAT, 0644);
	if (dirfd < 0 || fd < 0 || write(fd, "0123456789", 10) != 10)
		return -1;
	close(fd);
	if (bufpool_init(bp, 2, 4096) < 0)
		return -1;
	memset(cfg, 0, sizeof(*cfg));
	cfg->depth = 16;
	cfg->bufs = bp->slab;
	cfg->buf_size = bp->size;
	cfg->nbufs = bp->count;
	cfg->fixed_pairs = 1;
	return dirfd;
}

static void exercise_cleanup(const char *tmpl, int dirfd, struct bufpool *bp)
{
	char cmd[64];

	bufpool_free(bp);
	close(dirfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	if (system(cmd) != 0)
		ok(0, "cleanup");
}

#endif

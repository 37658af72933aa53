/*
 * test_engine_ring - the io_uring engine on real files: the same requests
 * as the sync engine, with registered buffers and fixed files.  Skips
 * (77) where the kernel refuses io_uring.
 */
#include "bufpool.h"
#include "engine.h"
#include "tap.h"
#include "engine_exercise.h"

int main(void)
{
	char tmpl[] = "/tmp/ucp-unit.XXXXXX";
	struct engine_config cfg;
	struct bufpool bp;
	struct engine *e;
	int dirfd = exercise_setup(tmpl, &bp, &cfg);
	int ret, in, out, slot;

	if (dirfd < 0)
		return 1;
	ret = engine_ring_create(&e, &cfg);
	if (ret == -EPERM || ret == -ENOSYS || ret == -ENOMEM) {
		exercise_cleanup(tmpl, dirfd, &bp);
		skip_all("io_uring refused by the kernel");
	}
	ok(ret == 0, "ring engine created");
	ok(!e->fixed_bufs, "ring: buffers not registered before wanted");
	engine_want_bufs(e);
	ok(e->fixed_bufs, "ring registered the buffers when wanted");
	engine_want_bufs(e);
	ok(e->fixed_bufs, "ring: a second want_bufs keeps them");
	exercise(e, "ring", dirfd, &bp);

	/* Fixed files: a pair of slots, usable by READ/WRITE, released. */
	in = openat(dirfd, "in", O_RDONLY);
	out = openat(dirfd, "out2", O_WRONLY | O_CREAT, 0644);
	slot = engine_fix_pair(e, in, out);
	if (ok(slot >= 0, "fixed-file pair installed")) {
		struct req r[2];
		struct ctx c = { 0 };
		char *buf = bufpool_addr(&bp, 1);

		memset(r, 0, sizeof(r));
		r[0].op = OP_READ; r[0].fd = slot; r[0].fixed = 1;
		r[0].addr = buf; r[0].len = 10; r[0].buf = 1; r[0].link = 1;
		r[1].op = OP_WRITE; r[1].fd = slot + 1; r[1].fixed = 1;
		r[1].addr = buf; r[1].len = 10; r[1].buf = 1;
		engine_queue(e, &r[0]);
		engine_queue(e, &r[1]);
		drain(e, &c);
		ok(r[0].res == 10 && r[1].res == 10, "I/O through fixed slots");
		ok(engine_fix_pair(e, in, out) == -EBUSY,
		   "only the reserved pairs exist");
		engine_unfix_pair(e, slot);
		ok(engine_fix_pair(e, in, out) >= 0, "released pair reusable");
	}
	close(in);
	close(out);
	engine_destroy(e);
	exercise_cleanup(tmpl, dirfd, &bp);
	return tap_done();
}

/* test_engine_threads - the thread-pool engine follows io_uring's rules. */
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

	if (dirfd < 0)
		return 1;
	ok(engine_threads_create(&e, &cfg, 3) == 0, "thread-pool engine created");
	ok(!e->fixed_files && !e->fixed_bufs, "threads: no fixed resources");
	exercise(e, "threads", dirfd, &bp);
	engine_destroy(e);
	exercise_cleanup(tmpl, dirfd, &bp);
	return tap_done();
}

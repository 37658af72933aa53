/* test_engine_sync - the synchronous engine follows io_uring's rules. */
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
	ok(engine_sync_create(&e, &cfg) == 0, "sync engine created");
	ok(!e->fixed_files && !e->fixed_bufs, "sync: no fixed resources");
	exercise(e, "sync", dirfd, &bp);
	engine_destroy(e);
	exercise_cleanup(tmpl, dirfd, &bp);
	return tap_done();
}

/*
 * bufpool - fixed slab of I/O buffers.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bufpool.h"

int bufpool_init(struct bufpool *bp, unsigned count, size_t size)
{
	void *slab;

	memset(bp, 0, sizeof(*bp));
	if (posix_memalign(&slab, 4096, (size_t)count * size))
		return -ENOMEM;
	bp->free = malloc(count * sizeof(*bp->free));
	if (!bp->free) {
		free(slab);
		return -ENOMEM;
	}
	bp->slab = slab;
	bp->size = size;
	bp->count = count;
	for (unsigned i = 0; i < count; i++)
		bp->free[i] = count - 1 - i;
	bp->nfree = count;
	return 0;
}

void bufpool_free(struct bufpool *bp)
{
	free(bp->slab);
	free(bp->free);
	memset(bp, 0, sizeof(*bp));
}

int bufpool_get(struct bufpool *bp)
{
	if (!bp->nfree)
		return -1;
	return (int)bp->free[--bp->nfree];
}

void bufpool_put(struct bufpool *bp, int idx)
{
	assert(idx >= 0 && (unsigned)idx < bp->count);
	assert(bp->nfree < bp->count);
	bp->free[bp->nfree++] = (unsigned)idx;
}

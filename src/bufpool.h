/*
 * bufpool - one page-aligned slab of equal buffers per worker, handed out
 * by index from a freelist (the index is also the registered-buffer index
 * for READ_FIXED/WRITE_FIXED).  No allocation after bufpool_init().
 */
#ifndef UCP_BUFPOOL_H
#define UCP_BUFPOOL_H

#include <stddef.h>

struct bufpool {
	char *slab;
	size_t size;		/* bytes per buffer */
	unsigned count;
	unsigned nfree;
	unsigned *free;		/* stack of free indexes */
};

/* 0 or -ENOMEM. */
int bufpool_init(struct bufpool *bp, unsigned count, size_t size);
void bufpool_free(struct bufpool *bp);

/* A free buffer index, or -1 when all are in use. */
int bufpool_get(struct bufpool *bp);
void bufpool_put(struct bufpool *bp, int idx);

static inline char *bufpool_addr(const struct bufpool *bp, int idx)
{
	return bp->slab + (size_t)idx * bp->size;
}

#endif

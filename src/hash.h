/*
 * hash - XXH3-128 from libxxhash, for --checksum and --verify.
 *
 * On x86 the library's dispatch entry points pick the widest vector unit
 * (SSE2, AVX2, AVX-512) at run time, so one binary hashes at the speed of
 * the machine it runs on; elsewhere the plain entry points.
 */
#ifndef UCP_HASH_H
#define UCP_HASH_H

#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h>
#else
#include <xxhash.h>
#endif

#include <stddef.h>

/* XXH3-128 of everything fd holds, read from offset 0 with pread into
 * buf.  Returns 0, or the errno of the failing read (or ENOMEM). */
int hash_fd(int fd, void *buf, size_t bufsz, XXH128_hash_t *out);

#endif

/* hash - XXH3-128 of files, for --checksum and --verify. */
#include <errno.h>
#include <unistd.h>

#include "hash.h"

int hash_fd(int fd, void *buf, size_t bufsz, XXH128_hash_t *out)
{
	XXH3_state_t *xs = XXH3_createState();
	off_t off = 0;
	int err = 0;

	if (!xs)
		return ENOMEM;
	XXH3_128bits_reset(xs);
	for (;;) {
		ssize_t n = pread(fd, buf, bufsz, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		if (!n) {
			*out = XXH3_128bits_digest(xs);
			break;
		}
		XXH3_128bits_update(xs, buf, (size_t)n);
		off += n;
	}
	XXH3_freeState(xs);
	return err;
}

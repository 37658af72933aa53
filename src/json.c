/* json - --json records on stdout (see json.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"

bool json_on;
static pthread_mutex_t json_lock = PTHREAD_MUTEX_INITIALIZER;

static void put(struct json *j, const char *s, size_t n)
{
	if (j->oom)
		return;
	if (j->len + n + 2 > j->cap) {
		size_t cap = (j->cap ? j->cap * 2 : 256) + n;
		char *p = realloc(j->buf, cap);

		if (!p) {
			j->oom = true;
			return;
		}
		j->buf = p;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

static void puts_(struct json *j, const char *s)
{
	put(j, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		unsigned lo = s[0] == 0xe0 ? 0xa0 : 0x80;
		unsigned hi = s[0] == 0xed ? 0x9f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		unsigned lo = s[0] == 0xf0 ? 0x90 : 0x80;
		unsigned hi = s[0] == 0xf4 ? 0x8f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
		       (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p) {
		if (!(n = utf8_seq(p)))
			return false;
		p += n;
	}
	return true;
}

static void key(struct json *j, const char *k, const char *suffix)
{
	puts_(j, j->first ? "\"" : ",\"");
	j->first = false;
	puts_(j, k);
	puts_(j, suffix);
	puts_(j, "\":");
}

/* A JSON string of valid UTF-8 text. */
static void qstr(struct json *j, const char *s)
{
	put(j, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			put(j, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			puts_(j, esc);
		} else {
			put(j, (const char *)p, 1);
		}
	}
	put(j, "\"", 1);
}

static void b64(struct json *j, const unsigned char *s, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";

	put(j, "\"", 1);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 |
			     (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
			     (i + 2 < n ? s[i + 2] : 0);
		char out[4] = { tab[v >> 18], tab[(v >> 12) & 63],
				i + 1 < n ? tab[(v >> 6) & 63] : '=',
				i + 2 < n ? tab[v & 63] : '=' };

		put(j, out, 4);
	}
	put(j, "\"", 1);
}

void json_begin(struct json *j, const char *type)
{
	memset(j, 0, sizeof(*j));
	j->first = true;
	put(j, "{", 1);
	json_str(j, "type", type);
}

void json_str(struct json *j, const char *k, const char *val)
{
	if (!valid_utf8(val)) {
		json_name(j, k, val);
		return;
	}
	key(j, k, "");
	qstr(j, val);
}

void json_name(struct json *j, const char *k, const char *val)
{
	if (valid_utf8(val)) {
		key(j, k, "");
		qstr(j, val);
	} else {
		key(j, k, "_b64");
		b64(j, (const unsigned char *)val, strlen(val));
	}
}

void json_u64(struct json *j, const char *k, uint64_t val)
{
	char tmp[32];

	key(j, k, "");
	snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)val);
	puts_(j, tmp);
}

void json_num(struct json *j, const char *k, double val)
{
	char tmp[48];

	key(j, k, "");
	snprintf(tmp, sizeof(tmp), "%.3f", val);
	puts_(j, tmp);
}

void json_bool(struct json *j, const char *k, bool val)
{
	key(j, k, "");
	puts_(j, val ? "true" : "false");
}

void json_end(struct json *j)
{
	put(j, "}\n", 2);
	if (!j->oom) {
		const char *p = j->buf;
		size_t n = j->len;

		pthread_mutex_lock(&json_lock);
		while (n) {
			ssize_t w = write(1, p, n);

			if (w < 0)
				break;	/* stdout gone: nothing to tell */
			p += w;
			n -= (size_t)w;
		}
		pthread_mutex_unlock(&json_lock);
	}
	free(j->buf);
	j->buf = NULL;
}

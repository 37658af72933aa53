/*
 * json - --json: JSON Lines on stdout, one record per line.
 *
 *   {"type":"start","schema":1,...}       first
 *   {"type":"file",...}                   each entry made or replaced
 *   {"type":"error","message":...}        each diagnostic (also on stderr)
 *   {"type":"progress",...}               every second while copying
 *   {"type":"summary",...,"exit":N}       always last, even after a fatal
 *                                         error
 *
 * Names that are not valid UTF-8 are given as "<key>_b64" (base64 of the
 * bytes) instead of "<key>".  Records are built in a buffer and written
 * with one write(2) under the log lock, so they never interleave.
 */
#ifndef UCP_JSON_H
#define UCP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_SCHEMA 1

extern bool json_on;

struct json {
	char *buf;
	size_t len, cap;
	bool first;
	bool oom;
};

/* Start a record of this type; add fields; json_end() writes it. */
void json_begin(struct json *j, const char *type);
void json_str(struct json *j, const char *key, const char *val);
/* A file name: "key" when valid UTF-8, else "key_b64". */
void json_name(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_num(struct json *j, const char *key, double val);
void json_bool(struct json *j, const char *key, bool val);
void json_end(struct json *j);

#endif

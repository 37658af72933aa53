/*
 * log - every user-visible message goes through here.
 *
 * Diagnostics have GNU cp's shape: "<prog>: <message>\n" on stderr, where
 * <prog> is the name the program was invoked by.  File names inside messages
 * are quoted with log_quote(), which follows GNU's "shell-escape-always"
 * style ('name', "it's", 'a'$'\n''b'), so what is printed can be pasted back
 * into a shell and never garbles a terminal.
 *
 * All functions are thread-safe: each message is formatted into one buffer
 * and written with a single write(2) under a lock, so lines from different
 * workers never interleave.
 */
#ifndef UCP_LOG_H
#define UCP_LOG_H

#include <stdarg.h>
#include <stddef.h>

/* Set the program name from argv[0] (its last path component). */
void log_init(const char *argv0);
const char *log_prog(void);

/*
 * Quote a name for a message.  Returns a pointer into one of a few
 * thread-local slots that are reused round-robin: valid until the same
 * thread has made LOG_QUOTE_SLOTS more calls.  Never fails (falls back to a
 * static marker when memory is exhausted).
 */
#define LOG_QUOTE_SLOTS 4
const char *log_quote(const char *name);

/* Quoted only when a shell would not read it back as is (GNU's quotef,
 * for the few messages that print names bare: "d/f: can make ...").
 * Same slots as log_quote(). */
const char *log_quote_min(const char *name);

/* Quote into a caller-owned buffer; returns the length the quoted form
 * needs (excluding the NUL), like snprintf. */
size_t log_quote_buf(char *out, size_t size, const char *name);

/*
 * A name as rsync prints it in lists (--sync's -v and --itemize-changes):
 * as is, except control bytes, invalid UTF-8 and a "\#" sequence, which
 * become "\#ooo" (octal).  Same slots as log_quote().
 */
const char *log_escape(const char *name);
size_t log_escape_buf(char *out, size_t size, const char *name);

/* "<prog>: <fmt...>[: strerror(err)]\n"; err 0 omits the suffix.
 * err is a positive errno value.  With --json, also an "error" record. */
void log_error(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "<prog>: <fmt...>\n" on stderr: a status, not a failure (no JSON
 * "error" record). */
void log_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Like log_error, then "Try '<prog> --help' for more information." */
void log_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* A line on stdout (for -v and friends), written atomically; nothing
 * with --json, whose records own stdout. */
void log_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The status line (--progress on a terminal): log_status() draws it on
 * stderr in place of the previous one (cut to the terminal's width);
 * every other message first clears it and then draws it again below, so
 * diagnostics stay whole lines and the bar stays last.  log_status_end()
 * clears it for good.
 */
void log_status(const char *line);
void log_status_end(void);

/* A prompt on stderr without newline (for -i); caller reads the answer. */
void log_prompt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

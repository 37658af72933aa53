/*
 * log - messages and GNU-compatible quoting of names.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include "json.h"
#include "log.h"

static const char *prog = "ucp";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* The name messages start with: argv[0] as given, path and all, as cp's
 * ("/bin/cp: cannot stat ..."). */
void log_init(const char *argv0)
{
	if (argv0 && *argv0)
		prog = argv0;
}

const char *log_prog(void)
{
	return prog;
}

struct qout {
	char *p;
	size_t size, len;
};

static void qput(struct qout *o, char c)
{
	if (o->len + 1 < o->size)
		o->p[o->len] = c;
	o->len++;
}

static void qputs(struct qout *o, const char *s)
{
	while (*s)
		qput(o, *s++);
}

/* Characters that are safe both inside "..." and unquoted-looking output:
 * GNU uses double quotes for a name with a single quote only when nothing
 * in it would need escaping there. */
static bool dq_safe(unsigned char c)
{
	return c >= 0x20 && c != 0x7f && c != '"' && c != '$' && c != '`' &&
	       c != '\\';
}

/* Length of the printable multibyte character at s, 0 if s starts with a
 * byte that must be escaped. */
static size_t printable_len(const char *s, size_t left)
{
	mbstate_t st;
	wchar_t wc;
	size_t n;

	if ((unsigned char)*s < 0x80)
		return (*s >= 0x20 && *s != 0x7f) ? 1 : 0;
	memset(&st, 0, sizeof(st));
	n = mbrtowc(&wc, s, left, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
		return 0;
	return iswprint((wint_t)wc) ? n : 0;
}

static void qescape(struct qout *o, unsigned char c)
{
	static const char letters[] = "abtnvfr";
	char tmp[8];

	if (c >= '\a' && c <= '\r') {
		tmp[0] = '\\';
		tmp[1] = letters[c - '\a'];
		tmp[2] = 0;
	} else {
		snprintf(tmp, sizeof(tmp), "\\%03o", c);
	}
	qputs(o, tmp);
}

size_t log_quote_buf(char *out, size_t size, const char *name)
{
	struct qout o = { out, size, 0 };
	size_t n = strlen(name), i, k;
	bool has_sq = false, all_dq = true, in_esc = false;
	/* Callers pass errno in the same call (log_error(errno, ...,
	 * log_quote(p))): mbrtowc must not change it under them. */
	int saved_errno = errno;

	for (i = 0; i < n; i += k) {
		k = printable_len(name + i, n - i);
		if (!k) {
			all_dq = false;
			k = 1;
			continue;
		}
		if (name[i] == '\'')
			has_sq = true;
		else if (k == 1 && !dq_safe((unsigned char)name[i]))
			all_dq = false;
	}

	if (has_sq && all_dq) {
		qput(&o, '"');
		qputs(&o, name);
		qput(&o, '"');
		goto out;
	}

	/* 'plain' text, with each run of unprintable bytes as '$'\ooo''
	 * and each single quote as '\'' (GNU shell-escape-always). */
	qput(&o, '\'');
	for (i = 0; i < n; i += k) {
		k = printable_len(name + i, n - i);
		if (!k) {
			if (!in_esc) {
				qputs(&o, "'$'");
				in_esc = true;
			}
			qescape(&o, (unsigned char)name[i]);
			k = 1;
			continue;
		}
		if (in_esc) {
			qputs(&o, "''");
			in_esc = false;
		}
		if (name[i] == '\'') {
			qputs(&o, "'\\''");
			continue;
		}
		for (size_t j = 0; j < k; j++)
			qput(&o, name[i + j]);
	}
	/* A trailing escape run closes with its own quote: 'a'$'\n' */
	qput(&o, '\'');
out:
	if (o.size)
		o.p[o.len < o.size ? o.len : o.size - 1] = 0;
	errno = saved_errno;
	return o.len;
}

/* GNU's shell-escape style (quotef): the name as is when a shell would
 * read it back unchanged, quoted as log_quote_buf() otherwise. */
static size_t quote_min_buf(char *out, size_t size, const char *name)
{
	size_t n = strlen(name), i, k;
	struct qout o = { out, size, 0 };
	int saved_errno = errno;

	for (i = 0; i < n; i += k) {
		unsigned char c = (unsigned char)name[i];

		k = printable_len(name + i, n - i);
		if (!k || (k == 1 && !(c >= 'a' && c <= 'z') &&
			   !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
			   !strchr("%+,-./:=@_^", c) &&
			   !(i && (c == '~' || c == '#'))))
			break;
	}
	errno = saved_errno;
	if (!n || i < n)
		return log_quote_buf(out, size, name);
	qputs(&o, name);
	if (o.size)
		o.p[o.len < o.size ? o.len : o.size - 1] = 0;
	return o.len;
}

/* Each thread's quote slots; freed by a key destructor when a worker
 * thread exits (the main thread's live until exit). */
struct qslots {
	char *slot[LOG_QUOTE_SLOTS];
	size_t cap[LOG_QUOTE_SLOTS];
	unsigned next;
};
static __thread struct qslots *tls_slots;
static pthread_key_t slots_key;
static pthread_once_t slots_once = PTHREAD_ONCE_INIT;

static void slots_free(void *p)
{
	struct qslots *q = p;

	for (unsigned i = 0; i < LOG_QUOTE_SLOTS; i++)
		free(q->slot[i]);
	free(q);
}

static void slots_key_init(void)
{
	pthread_key_create(&slots_key, slots_free);
}

/* Format name with fn into one of the calling thread's slots. */
static const char *quote_slot(size_t (*fn)(char *, size_t, const char *),
			      const char *name)
{
	int saved_errno = errno;
	struct qslots *q = tls_slots;
	size_t need = fn(NULL, 0, name) + 1;
	unsigned i;

	if (!q) {
		pthread_once(&slots_once, slots_key_init);
		q = calloc(1, sizeof(*q));
		if (!q) {
			errno = saved_errno;
			return "'?'";
		}
		tls_slots = q;
		pthread_setspecific(slots_key, q);
	}
	i = q->next++ % LOG_QUOTE_SLOTS;
	if (need > q->cap[i]) {
		char *p = realloc(q->slot[i], need);

		if (!p) {
			errno = saved_errno;
			return "'?'";
		}
		q->slot[i] = p;
		q->cap[i] = need;
	}
	fn(q->slot[i], q->cap[i], name);
	errno = saved_errno;
	return q->slot[i];
}

const char *log_quote(const char *name)
{
	return quote_slot(log_quote_buf, name);
}

const char *log_quote_min(const char *name)
{
	return quote_slot(quote_min_buf, name);
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 :
		   s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;

	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

size_t log_escape_buf(char *out, size_t size, const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t len = 0;

	while (*s) {
		char tmp[8];
		size_t n = *s >= 0x80 ? utf8_len(s) : 1;
		const char *piece = (const char *)s;

		if (*s < 0x20 || *s == 0x7f || !n ||
		    (*s == '\\' && s[1] == '#')) {
			snprintf(tmp, sizeof(tmp), "\\#%03o", *s);
			piece = tmp;
			n = strlen(tmp);
			s++;
		} else {
			s += n;
		}
		for (size_t i = 0; i < n; i++, len++)
			if (len + 1 < size)
				out[len] = piece[i];
	}
	if (size)
		out[len < size ? len : size - 1] = 0;
	return len;
}

const char *log_escape(const char *name)
{
	return quote_slot(log_escape_buf, name);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static char status[512];
static size_t status_len;	/* 0: no status line shown */

void log_status(const char *line)
{
	struct winsize ws;
	size_t n = strlen(line), max = sizeof(status) - 5;

	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 &&
	    (size_t)ws.ws_col - 1 < max)
		max = (size_t)ws.ws_col - 1;	/* never wrap: \r redraws */
	if (n > max) {
		n = max;
		while (n && ((unsigned char)line[n] & 0xc0) == 0x80)
			n--;	/* not inside a UTF-8 sequence */
	}
	pthread_mutex_lock(&log_lock);
	memcpy(status, "\r\033[K", 4);
	memcpy(status + 4, line, n);
	status_len = n + 4;
	write_all(2, status, status_len);
	pthread_mutex_unlock(&log_lock);
}

void log_status_end(void)
{
	pthread_mutex_lock(&log_lock);
	if (status_len)
		write_all(2, "\r\033[K", 4);
	status_len = 0;
	pthread_mutex_unlock(&log_lock);
}

/* Format "<prefix><fmt><suffix>" and write it in one go. */
static void emit(int fd, bool with_prog, const char *suffix, const char *fmt,
		 va_list ap)
{
	char stackbuf[1024], *buf = stackbuf;
	size_t size = sizeof(stackbuf), len;
	va_list aq;
	int n;

	for (;;) {
		len = 0;
		if (with_prog)
			len = (size_t)snprintf(buf, size, "%s: ", prog);
		va_copy(aq, ap);
		n = vsnprintf(buf + (len < size ? len : size),
			      len < size ? size - len : 0, fmt, aq);
		va_end(aq);
		if (n < 0)
			return;
		len += (size_t)n;
		len += (size_t)snprintf(buf + (len < size ? len : size),
					len < size ? size - len : 0, "%s",
					suffix);
		if (len < size)
			break;
		if (buf != stackbuf) {
			free(buf);
			return;
		}
		size = len + 1;
		buf = malloc(size);
		if (!buf)
			return;
	}
	pthread_mutex_lock(&log_lock);
	if (status_len)
		write_all(2, "\r\033[K", 4);
	write_all(fd, buf, len);
	if (status_len)
		write_all(2, status, status_len);
	pthread_mutex_unlock(&log_lock);
	if (buf != stackbuf)
		free(buf);
}

void log_error(int err, const char *fmt, ...)
{
	char suffix[256];
	va_list ap;

	if (err)
		snprintf(suffix, sizeof(suffix), ": %s\n", strerror(err));
	else
		snprintf(suffix, sizeof(suffix), "\n");
	va_start(ap, fmt);
	emit(STDERR_FILENO, true, suffix, fmt, ap);
	va_end(ap);
	if (json_on) {
		/* The same text, as an "error" record on stdout. */
		char *msg = NULL;
		struct json j;

		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) < 0)
			msg = NULL;
		va_end(ap);
		json_begin(&j, "error");
		json_str(&j, "message", msg ? msg : fmt);
		if (err)
			json_str(&j, "error", strerror(err));
		json_end(&j);
		free(msg);
	}
}

void log_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(STDERR_FILENO, true, "\n", fmt, ap);
	va_end(ap);
}

void log_usage_error(const char *fmt, ...)
{
	char suffix[256];
	va_list ap;

	snprintf(suffix, sizeof(suffix),
		 "\nTry '%s --help' for more information.\n", prog);
	va_start(ap, fmt);
	emit(STDERR_FILENO, true, suffix, fmt, ap);
	va_end(ap);
}

void log_out(const char *fmt, ...)
{
	va_list ap;

	if (json_on)
		return;		/* stdout carries the JSON records */
	va_start(ap, fmt);
	emit(STDOUT_FILENO, false, "\n", fmt, ap);
	va_end(ap);
}

void log_prompt(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(STDERR_FILENO, true, "", fmt, ap);
	va_end(ap);
}

/*
 * http.c - libcurl, loaded on first use, behind one retrying call.
 *
 * <curl/curl.h> is included for its types and constants only.  With
 * CURL_DISABLE_TYPECHECK it declares curl_easy_setopt() as a plain
 * variadic function and adds no macro magic; we never call any curl_*
 * symbol directly (that would make the linker pull libcurl in), only the
 * pointers that dlsym() returned.
 */
#define CURL_DISABLE_TYPECHECK 1
#include "vast/http.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define BACKOFF_BASE_MS 1000L
#define BACKOFF_CAP_MS 8000L
#define RETRY_AFTER_MAX_MS 60000L
#define BODY_MAX ((size_t)256 << 20)	/* refuse replies larger than 256 MiB */

/* ---- the library, loaded once ---- */

static struct {
	int tried, ok;
	char why[200];
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} lc;

static int
load_curl(void)
{
	static const char *const names[] = { "libcurl.so.4", "libcurl-gnutls.so.4" };
	void *h = NULL;
	const char *env = getenv("ROS_LIBCURL");

	if (lc.tried)
		return lc.ok ? 0 : -1;
	lc.tried = 1;
	if (env && *env) {
		h = dlopen(env, RTLD_NOW | RTLD_LOCAL);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(names) && !h; i++)
			h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	}
	if (!h) {
		const char *e = dlerror();
		snprintf(lc.why, sizeof(lc.why),
			 "cannot load libcurl (%s): %s; install libcurl4 (Debian: apt-get install libcurl4)",
			 env && *env ? env : "libcurl.so.4", e ? e : "not found");
		return -1;
	}

	/* POSIX allows converting dlsym's void * to a function pointer;
	 * memcpy keeps -Wpedantic style warnings out of it. */
#define SYM(field, name) do { \
		void *p_ = dlsym(h, name); \
		if (!p_) { \
			snprintf(lc.why, sizeof(lc.why), "libcurl lacks %s", name); \
			return -1; \
		} \
		memcpy(&lc.field, &p_, sizeof(p_)); \
	} while (0)
	SYM(global_init, "curl_global_init");
	SYM(easy_init, "curl_easy_init");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
	if (lc.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(lc.why, sizeof(lc.why), "curl_global_init failed");
		return -1;
	}
	lc.ok = 1;
	return 0;
}

/* ---- small pure helpers ---- */

int
http_url_ok(const char *url)
{
	if (!url || !(strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0))
		return 0;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	/* a host must follow the scheme */
	const char *host = strstr(url, "//") + 2;
	return *host && *host != '/';
}

void
http_urlencode(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-' || c == '~')
			buf_addc(b, (char)c);
		else if (c == ' ')
			buf_addc(b, '+');
		else
			buf_addf(b, "%%%02X", c);
	}
}

long
http_backoff_ms(int n, long base)
{
	long cap = base > BACKOFF_CAP_MS ? base : BACKOFF_CAP_MS;
	long d = base;
	for (int i = 1; i < n && d < cap; i++)
		d *= 2;
	return d < cap ? d : cap;
}

static long
backoff_base(void)
{
	const char *e = getenv("ROS_HTTP_BACKOFF_MS");
	long long v;
	if (e && *e && parse_long(e, &v) == 0 && v >= 0 && v <= 600000)
		return (long)v;
	return BACKOFF_BASE_MS;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
retry_status(long st)
{
	return st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

/* Transport failures worth another try.  pre_send: the request surely
 * did not reach the server. */
static int
retry_transport(CURLcode c, int *pre_send)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		*pre_send = 1;
		return 1;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		*pre_send = 0;
		return 1;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_OUT_OF_MEMORY:
		*pre_send = 1;
		return 0;
	default:
		*pre_send = 0;
		return 0;
	}
}

/* ---- callbacks ---- */

struct xfer {
	struct http_resp *rs;
	int too_big;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	if (x->rs->body.len + len > BODY_MAX) {
		x->too_big = 1;
		return 0;
	}
	buf_add(&x->rs->body, p, len);
	return len;
}

/* Parse a Retry-After value: delta seconds or an IMF-fixdate. */
static long
parse_retry_after(const char *v)
{
	long long secs;
	struct tm tm;
	const char *end;

	while (*v == ' ' || *v == '\t')
		v++;
	if (parse_long(v, &secs) == 0)
		return secs < 0 ? 0 : secs > RETRY_AFTER_MAX_MS / 1000 ? RETRY_AFTER_MAX_MS : (long)secs * 1000;
	memset(&tm, 0, sizeof(tm));
	end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end)
		return -1;
	time_t when = timegm(&tm), now = time(NULL);	/* the server's clock: not time_now() */
	if (when <= now)
		return 0;
	return when - now > RETRY_AFTER_MAX_MS / 1000 ? RETRY_AFTER_MAX_MS : (long)(when - now) * 1000;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, nl;
	char *line, *colon;

	/* a new response (after 100 Continue, say) starts over */
	if (len > 5 && !strncasecmp(p, "HTTP/", 5)) {
		free(x->rs->content_type);
		x->rs->content_type = NULL;
		x->rs->retry_after_ms = -1;
		return len;
	}
	line = xstrndup(p, len);
	nl = strcspn(line, "\r\n");
	line[nl] = 0;
	colon = strchr(line, ':');
	if (colon) {
		char *v = colon + 1;
		*colon = 0;
		while (*v == ' ' || *v == '\t')
			v++;
		if (!strcasecmp(line, "Content-Type")) {
			free(x->rs->content_type);
			x->rs->content_type = xstrdup(v);
		} else if (!strcasecmp(line, "Retry-After")) {
			x->rs->retry_after_ms = parse_retry_after(v);
		}
	}
	free(line);
	return len;
}

/* ---- the request ---- */

static int
valid_header_value(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return 0;
	return 1;
}

static void
resp_reset(struct http_resp *rs)
{
	buf_reset(&rs->body);
	free(rs->content_type);
	rs->content_type = NULL;
	rs->status = 0;
	rs->errbuf[0] = 0;
	rs->transport_error = 0;
	rs->retry_after_ms = -1;
}

void
http_resp_release(struct http_resp *rs)
{
	buf_release(&rs->body);
	free(rs->content_type);
	rs->content_type = NULL;
}

static void
wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/*
 * Set up h for rq.  Returns the header list to free after the transfer,
 * through *hdrs; -1 (with rs->errbuf) on a usage error.
 */
static int
setup(CURL *h, const struct http_req *rq, struct http_resp *rs, struct xfer *x,
      struct curl_slist **hdrs, char **auth_line)
{
	const char *m = rq->method ? rq->method : "GET";
	struct curl_slist *l = NULL, *nl;
	CURLcode c = CURLE_OK;

	if (strcmp(m, "GET") && strcmp(m, "POST") && strcmp(m, "PUT") &&
	    strcmp(m, "DELETE") && strcmp(m, "PATCH") && strcmp(m, "HEAD")) {
		snprintf(rs->errbuf, sizeof(rs->errbuf), "unsupported HTTP method '%.32s'", m);
		return -1;
	}
	for (size_t i = 0; i < rq->headers.n; i++) {
		if (!valid_header_value(rq->headers.v[i]) || !strchr(rq->headers.v[i], ':')) {
			snprintf(rs->errbuf, sizeof(rs->errbuf), "malformed request header");
			return -1;
		}
	}
	if (rq->bearer) {
		if (!*rq->bearer || !valid_header_value(rq->bearer) || strchr(rq->bearer, ' ')) {
			snprintf(rs->errbuf, sizeof(rs->errbuf),
				 "the API key is empty or holds spaces or control characters");
			return -1;
		}
		*auth_line = xasprintf("Authorization: Bearer %s", rq->bearer);
	}

	for (size_t i = 0; i < rq->headers.n; i++) {
		nl = lc.slist_append(l, rq->headers.v[i]);
		if (!nl)
			goto oom;
		l = nl;
	}
	if (*auth_line) {
		if (!(nl = lc.slist_append(l, *auth_line)))
			goto oom;
		l = nl;
	}
	/* no "Expect: 100-continue" round trip for bodies */
	if (!(nl = lc.slist_append(l, "Expect:")))
		goto oom;
	l = nl;
	*hdrs = l;

	c |= lc.easy_setopt(h, CURLOPT_URL, rq->url);
	c |= lc.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	c |= lc.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	c |= lc.easy_setopt(h, CURLOPT_ERRORBUFFER, rs->errbuf);
	c |= lc.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			    rq->connect_timeout_ms > 0 ? rq->connect_timeout_ms : 10000L);
	c |= lc.easy_setopt(h, CURLOPT_TIMEOUT_MS, rq->timeout_ms > 0 ? rq->timeout_ms : 60000L);
	c |= lc.easy_setopt(h, CURLOPT_USERAGENT, "ros");
	c |= lc.easy_setopt(h, CURLOPT_HTTPHEADER, l);
	c |= lc.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	c |= lc.easy_setopt(h, CURLOPT_WRITEDATA, (void *)x);
	c |= lc.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	c |= lc.easy_setopt(h, CURLOPT_HEADERDATA, (void *)x);
	c |= lc.easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	if (rq->basic_user) {
		c |= lc.easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		c |= lc.easy_setopt(h, CURLOPT_USERNAME, rq->basic_user);
		c |= lc.easy_setopt(h, CURLOPT_PASSWORD, rq->basic_pass ? rq->basic_pass : "");
	}
	if (!strcmp(m, "HEAD"))
		c |= lc.easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(m, "GET") || rq->body)
		c |= lc.easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
	if (rq->body) {
		c |= lc.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		c |= lc.easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
	}
	if (c != CURLE_OK) {
		snprintf(rs->errbuf, sizeof(rs->errbuf), "cannot set up the request: %s",
			 lc.easy_strerror(c));
		return -1;
	}
#ifdef CURLOPT_PROTOCOLS_STR
	/* belt and braces: the URL was checked already; older libcurls
	 * do not know the option and that is fine */
	lc.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	return 0;
oom:
	if (l)
		lc.slist_free_all(l);
	die("out of memory");
}

int
http_do(const struct http_req *rq, struct http_resp *rs)
{
	int max = rq->max_attempts > 0 ? rq->max_attempts : 4;
	long base = backoff_base();
	char *auth_line = NULL;
	struct curl_slist *hdrs = NULL;
	struct xfer x = { rs, 0 };
	CURL *h = NULL;
	int ret = -1;

	resp_reset(rs);
	rs->attempts = 0;
	rs->maybe_repeated = 0;
	rs->maybe_processed = 0;
	if (!http_url_ok(rq->url)) {
		snprintf(rs->errbuf, sizeof(rs->errbuf),
			 "refusing URL '%.120s': only http:// and https:// URLs are used",
			 rq->url ? rq->url : "");
		rs->transport_error = HTTP_ERR_USAGE;
		return -1;
	}
	if (rq->basic_user && (!valid_header_value(rq->basic_user) ||
			       (rq->basic_pass && !valid_header_value(rq->basic_pass)))) {
		snprintf(rs->errbuf, sizeof(rs->errbuf), "user name or password holds control characters");
		rs->transport_error = HTTP_ERR_USAGE;
		return -1;
	}
	if (load_curl() < 0) {
		snprintf(rs->errbuf, sizeof(rs->errbuf), "%s", lc.why);
		rs->transport_error = HTTP_ERR_NOLIB;
		return -1;
	}
	if (!(h = lc.easy_init())) {
		snprintf(rs->errbuf, sizeof(rs->errbuf), "curl_easy_init failed");
		rs->transport_error = HTTP_ERR_NOLIB;
		return -1;
	}
	if (setup(h, rq, rs, &x, &hdrs, &auth_line) < 0) {
		rs->transport_error = HTTP_ERR_USAGE;
		goto out;
	}

	for (int attempt = 1;; attempt++) {
		CURLcode c;
		long wait = -1;
		int pre_send = 0;

		resp_reset(rs);
		x.too_big = 0;
		rs->attempts = attempt;
		rs->maybe_processed = 0;
		c = lc.easy_perform(h);
		if (c == CURLE_OK) {
			lc.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
			ret = 0;
			if (!retry_status(rs->status) || attempt >= max)
				break;
			/* 429 means "not processed"; a 5xx may have been */
			if (rs->status != 429 && rq->unsafe)
				break;
			if (rs->status != 429)
				rs->maybe_repeated = 1;
			if (rs->retry_after_ms >= 0)
				wait = rs->retry_after_ms * base / BACKOFF_BASE_MS;
		} else {
			int again = retry_transport(c, &pre_send);
			ret = -1;
			rs->transport_error = (int)c;
			rs->maybe_processed = !pre_send;
			if (x.too_big)
				snprintf(rs->errbuf, sizeof(rs->errbuf),
					 "reply larger than %zu MiB", BODY_MAX >> 20);
			else if (!rs->errbuf[0])
				snprintf(rs->errbuf, sizeof(rs->errbuf), "%s", lc.easy_strerror(c));
			if (x.too_big || !again || attempt >= max)
				break;
			if (!pre_send && rq->unsafe)
				break;
			if (!pre_send)
				rs->maybe_repeated = 1;
		}
		long b = http_backoff_ms(attempt, base);
		sleep_ms(wait > b ? wait : b);
	}
out:
	if (hdrs)
		lc.slist_free_all(hdrs);
	lc.easy_cleanup(h);
	wipe_free(auth_line);
	return ret;
}

/*
 * http.h - the one HTTP layer: a thin, retrying wrapper over libcurl.
 *
 * libcurl is not linked into ros.  Linking it costs every start of the
 * binary about 5 ms (35 shared libraries), and most commands never talk
 * HTTP, so it is loaded with dlopen("libcurl.so.4") the first time a
 * request is made.  ROS_LIBCURL names another library file to load
 * instead (tests use it to check the "cannot load" path).
 *
 * Calling sequence:
 *
 *	struct http_req rq = HTTP_REQ_INIT;
 *	struct http_resp rs = HTTP_RESP_INIT;
 *	rq.method = "GET";
 *	rq.url = url;
 *	rq.bearer = key;
 *	if (http_do(&rq, &rs) < 0)
 *		... rs.errbuf says why no response came ...
 *	else
 *		... rs.status, rs.body ...
 *	http_resp_release(&rs);
 *
 * Secrets: rq->bearer and rq->basic_pass go into request headers only,
 * never into the URL, argv, any message or any log.  The caller must not
 * put a key into rq->url.
 *
 * Retries: 429, 500, 502, 503, 504 and transport failures (cannot connect,
 * timeout, connection reset, ...) are retried up to max_attempts times in
 * all.  The wait starts at 1 s and doubles up to 8 s; a Retry-After header
 * (seconds or an HTTP date) is honoured up to 60 s.  The environment
 * variable ROS_HTTP_BACKOFF_MS replaces the 1 s base (tests set it to a few
 * ms); Retry-After is then scaled by the same factor.  A request marked
 * `unsafe` (one that must not be performed twice, such as renting an
 * offer) is retried only when it surely was not processed: a connection
 * that could not be made, or 429.
 *
 * Redirects are not followed.  Only http:// and https:// URLs are accepted.
 */
#ifndef ROS_VAST_HTTP_H
#define ROS_VAST_HTTP_H

#include <stddef.h>

#include "util/util.h"

struct http_req {
	const char *method;		/* "GET" (default), "POST", "PUT", "DELETE" */
	const char *url;		/* http:// or https:// only */
	const char *body;		/* may be NULL; sent as is */
	size_t body_len;
	const char *bearer;		/* secret: "Authorization: Bearer ..." */
	const char *basic_user;		/* HTTP basic auth, both or neither */
	const char *basic_pass;		/* secret */
	struct strv headers;		/* extra "Name: value" lines */
	long connect_timeout_ms;	/* 0: 10 s */
	long timeout_ms;		/* whole transfer per attempt; 0: 60 s */
	int max_attempts;		/* 0: 4; 1 disables retries */
	int unsafe;			/* not idempotent: see above */
};
#define HTTP_REQ_INIT { NULL, NULL, NULL, 0, NULL, NULL, NULL, STRV_INIT, 0, 0, 0, 0 }

/* transport_error values other than libcurl's CURLcode numbers */
#define HTTP_ERR_NOLIB (-1)	/* libcurl could not be loaded */
#define HTTP_ERR_USAGE (-2)	/* bad URL, method or header; nothing was sent */

struct http_resp {
	long status;			/* HTTP status of the last attempt, 0 if none */
	struct buf body;		/* body of the last response */
	char *content_type;		/* NULL if absent */
	char errbuf[256];		/* why no response came; "" otherwise */
	int transport_error;		/* 0 when a response came, else a CURLcode or HTTP_ERR_* */
	int attempts;			/* attempts made */
	int maybe_repeated;		/* an earlier, retried attempt may have been processed */
	int maybe_processed;		/* no response, but the request may have reached the server */
	long retry_after_ms;		/* Retry-After of the last response, -1 if none */
};
#define HTTP_RESP_INIT { 0, BUF_INIT, NULL, "", 0, 0, 0, 0, -1 }

/*
 * Perform rq, retrying as described above.  Returns 0 when a response was
 * received (of any status: the caller judges it), -1 when none was after
 * all attempts, with rs->errbuf saying why.  rs is reset first, so it may
 * be reused for several requests; release it with http_resp_release().
 */
int http_do(const struct http_req *rq, struct http_resp *rs);

void http_resp_release(struct http_resp *rs);

/* 1 if url starts with http:// or https:// (any case) and holds no
 * spaces or control characters. */
int http_url_ok(const char *url);

/*
 * Append s to b URL-encoded the way Python's quote_plus() does it: letters,
 * digits and "_.-~" are kept, a space becomes '+', every other byte %XX.
 */
void http_urlencode(struct buf *b, const char *s);

/* Wait before attempt n+1 (n >= 1) given base ms, ignoring Retry-After:
 * base * 2^(n-1), at most 8000 ms (or base, if base is larger). */
long http_backoff_ms(int n, long base);

#endif

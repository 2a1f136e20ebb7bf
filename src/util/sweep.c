/*
 * sweep.c - cartesian expansion of sweep axes (see sweep.h).
 */
#include "util/sweep.h"

#include <stdlib.h>
#include <string.h>

static int
valid_key(const char *k, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		      (i && c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

int
sweep_add(struct sweep *s, const char *spec, struct buf *err)
{
	const char *eq = strchr(spec, '=');
	if (!eq) {
		buf_addf(err, "--sweep '%s' needs the form KEY=V1,V2,...", spec);
		return -1;
	}
	if (!valid_key(spec, (size_t)(eq - spec))) {
		buf_addf(err, "--sweep '%s': KEY must be letters, digits and _", spec);
		return -1;
	}
	char *key = xstrndup(spec, (size_t)(eq - spec));
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->axes[i].key, key)) {
			buf_addf(err, "--sweep %s given twice", key);
			free(key);
			return -1;
		}
	struct sweep_axis ax = { key, STRV_INIT };
	const char *p = eq + 1;
	for (;;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		while (n && (*p == ' '))
			p++, n--;
		while (n && p[n - 1] == ' ')
			n--;
		if (!n) {
			buf_addf(err, "--sweep '%s' has an empty value", spec);
			free(key);
			strv_release(&ax.values);
			return -1;
		}
		strv_push_nocopy(&ax.values, xstrndup(p, n));
		if (!c)
			break;
		p = c + 1;
	}
	GROW(s->axes, s->alloc, s->n + 1);
	s->axes[s->n++] = ax;
	return 0;
}

size_t
sweep_count(const struct sweep *s)
{
	size_t n = 1;
	for (size_t i = 0; i < s->n; i++)
		n *= s->axes[i].values.n;
	return n;
}

/* Value index of axis a in combination idx. */
static size_t
pick(const struct sweep *s, size_t idx, size_t a)
{
	size_t stride = 1;
	for (size_t j = s->n; j-- > a + 1;)
		stride *= s->axes[j].values.n;
	return (idx / stride) % s->axes[a].values.n;
}

json_t *
sweep_params(const struct sweep *s, size_t idx)
{
	json_t *o = json_object();
	for (size_t a = 0; a < s->n; a++) {
		const char *v = s->axes[a].values.v[pick(s, idx, a)];
		long long l;
		double d;
		json_t *jv;
		if (!parse_long(v, &l) && (v[0] != '0' || !v[1]))
			jv = json_integer(l);
		else if (!parse_double(v, &d) && strspn(v, "0123456789.-+eE") == strlen(v))
			jv = json_real(d);
		else
			jv = json_string(v);
		json_object_set_new(o, s->axes[a].key, jv ? jv : json_string("?"));
	}
	return o;
}

int
sweep_mentions(const char *key, const char *text)
{
	size_t kl = strlen(key);
	for (const char *p = strchr(text, '{'); p; p = strchr(p + 1, '{'))
		if (!strncmp(p + 1, key, kl) && p[1 + kl] == '}' && (p == text || p[-1] != '$'))
			return 1;
	return 0;
}

char *
sweep_subst(const struct sweep *s, size_t idx, const char *text)
{
	struct buf b = BUF_INIT;
	const char *p = text;
	while (*p) {
		if (*p == '{' && (p == text || p[-1] != '$')) {
			int done = 0;
			for (size_t a = 0; a < s->n && !done; a++) {
				size_t kl = strlen(s->axes[a].key);
				if (!strncmp(p + 1, s->axes[a].key, kl) && p[1 + kl] == '}') {
					buf_adds(&b, s->axes[a].values.v[pick(s, idx, a)]);
					p += kl + 2;
					done = 1;
				}
			}
			if (done)
				continue;
		}
		buf_addc(&b, *p++);
	}
	return buf_detach(&b);
}

void
sweep_release(struct sweep *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->axes[i].key);
		strv_release(&s->axes[i].values);
	}
	free(s->axes);
	memset(s, 0, sizeof *s);
}

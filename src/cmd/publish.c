/*
 * publish.c - `ros publish`: a project's results as a paper table
 * (LaTeX booktabs), one SVG figure per metric and a blog post from
 * templates/blog/milestone.md, each recorded in publication_queue.json.
 *
 * The numbers come from the same pipeline as `ros results` (it runs first,
 * so the evidence summaries the outputs cite exist and are current).
 *
 * A file ros wrote is remembered with a checksum of what it wrote, in
 * research/<p>/evidence/published.json (committed with the project, unlike
 * .ros/).  A file that is there with other bytes was edited by its user, or
 * was never ros's: it is left alone unless --force.
 */
#include "ros.h"
#include "embedded.h"
#include "results/aggregate.h"
#include "results/collect.h"
#include "results/pipeline.h"
#include "results/project_yaml.h"
#include "results/write.h"
#include "store/json.h"
#include "store/project.h"
#include "store/queue.h"
#include "store/store.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct output {
	char *rel;		/* relative to the root */
	char *data;
	const char *kind;	/* paper, blog */
	const char *what;	/* table, figure, post */
	const char *result;	/* wrote, unchanged, refused, overwrote */
};

struct publish {
	const char *root, *project, *phase;
	int force;
	json_t *summary;	/* borrowed from res */
	char *source;		/* the summary.json the outputs rest on (relative) */
	json_t *published;	/* evidence/published.json */
	struct output *out;
	size_t n, alloc;
	char now[32];
};

static void
add_output(struct publish *p, const char *kind, const char *what, char *rel, char *data)
{
	GROW(p->out, p->alloc, p->n + 1);
	p->out[p->n++] = (struct output){ rel, data, kind, what, NULL };
}

/* ---- checksums of what ros wrote ---- */

static void
checksum(const char *s, size_t n, char out[32])
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a, 64 bits */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	snprintf(out, 32, "fnv1a64:%016llx", (unsigned long long)h);
}

static char *
published_path(struct publish *p)
{
	return xasprintf("%s/research/%s/evidence/published.json", p->root, p->project);
}

static void
load_published(struct publish *p)
{
	char *path = published_path(p);
	json_error_t je;
	p->published = file_exists(path) ? json_load_file(path, 0, &je) : NULL;
	if (file_exists(path) && !json_is_object(p->published))
		warning("%s: unreadable (%s); every existing output counts as edited", path, je.text);
	if (!json_is_object(p->published)) {
		json_decref(p->published);
		p->published = json_object();
	}
	if (!json_is_object(json_object_get(p->published, "files")))
		json_object_set_new(p->published, "files", json_object());
	if (!json_is_object(json_object_get(p->published, "posts")))
		json_object_set_new(p->published, "posts", json_object());
	free(path);
}

/* Write one output, unless its file was edited since ros wrote it. */
static int
put_output(struct publish *p, struct output *o, struct buf *err)
{
	char *path = path_join(p->root, o->rel);
	json_t *files = json_object_get(p->published, "files");
	const char *known = jstr(json_object_get(files, o->rel), "checksum");
	char want[32], have[32];
	size_t len;
	char *cur = read_file(path, &len);
	checksum(o->data, strlen(o->data), want);
	int rc = 0;
	if (cur)
		checksum(cur, len, have);
	if (cur && strcmp(have, want) && (!known || strcmp(have, known)) && !p->force) {
		o->result = "refused";
	} else {
		int w = write_if_changed(path, o->data, strlen(o->data), err);
		if (w < 0)
			rc = -1;
		else
			o->result = w == 0 ? "unchanged" : cur && (!known || strcmp(have, known)) ? "overwrote" : "wrote";
		if (w >= 0) {
			json_t *rec = json_object();
			jset_str(rec, "checksum", want);
			jset_str(rec, "kind", o->kind);
			jset_str(rec, "source_evidence", p->source);
			json_t *old = json_object_get(files, o->rel);
			if (old && json_equal(json_object_get(old, "checksum"), json_object_get(rec, "checksum")))
				json_object_set(rec, "written_at", json_object_get(old, "written_at"));
			else
				jset_str(rec, "written_at", p->now);
			json_object_set_new(files, o->rel, rec);
		}
	}
	free(cur);
	free(path);
	return rc;
}

/* ---- the paper: table and figures ---- */

static char *
file_part(const char *s)
{
	char *r = xstrdup(s);
	for (char *c = r; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.')
			*c = '_';
	if (*r == '.' || !*r) {
		char *x = xasprintf("_%s", r);
		free(r);
		r = x;
	}
	return r;
}

static int
paper(struct publish *p, const struct strv *rows, const char *cols, struct buf *err)
{
	char *suffix = p->phase ? phase_dirname(p->phase) : NULL;
	struct latex_opts lo = { 0 };
	char *label = xasprintf("tab:results%s%s", suffix ? "-" : "", suffix ? suffix : "");
	lo.label = label;
	lo.rows = rows && rows->n ? rows : NULL;
	lo.cols = cols;
	char *tex = write_latex(p->summary, &lo, err);
	free(label);
	if (!tex) {
		free(suffix);
		return -1;
	}
	struct buf b = BUF_INIT;
	buf_addf(&b, "%% Generated by `ros publish` from %s (%s).\n"
		 "%% Needs \\usepackage{booktabs}.  Edit freely: ros will not overwrite an edited copy.\n",
		 p->source, jstr0(p->summary, "generated_at"));
	buf_adds(&b, tex);
	free(tex);
	add_output(p, "paper", "table",
		   xasprintf("research/%s/paper/tables/results%s%s.tex", p->project, suffix ? "_" : "", suffix ? suffix : ""),
		   buf_detach(&b));
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(p->summary, "metrics"), i, m) {
		struct buf e = BUF_INIT;
		char *svg = write_svg(p->summary, json_string_value(m), NULL, &e);
		if (!svg) {
			info("no figure for %s: %s", json_string_value(m), e.s);
			buf_release(&e);
			continue;
		}
		char *fp = file_part(json_string_value(m));
		add_output(p, "paper", "figure",
			   xasprintf("research/%s/paper/figures/%s%s%s.svg", p->project, fp, suffix ? "_" : "",
				     suffix ? suffix : ""),
			   svg);
		free(fp);
		buf_release(&e);
	}
	free(suffix);
	return 0;
}

/* ---- the blog post ---- */

/* Append s single-quoted for sh. */
static void
shq(struct buf *b, const char *s)
{
	buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_adds(b, "'\\''");
		else
			buf_addc(b, *s);
	}
	buf_addc(b, '\'');
}

/* A shell word that needs no quotes. */
static void
shw(struct buf *b, const char *s)
{
	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.,:=+-/@%") == strlen(s))
		buf_adds(b, s);
	else
		shq(b, s);
}

/* The add-run options a run was added with (all but --command, --env and
 * --sweep). */
static void
run_options(struct buf *b, const char *project, const json_t *r)
{
	long long n;
	buf_adds(b, "ros add-run --project-id ");
	shw(b, project);
	if (jstr(r, "phase") && *jstr(r, "phase")) {
		buf_adds(b, " --phase ");
		shw(b, jstr(r, "phase"));
	}
	if (*jstr0(r, "worker_pool") && strcmp(jstr0(r, "worker_pool"), "local")) {
		buf_adds(b, " --worker-pool ");
		shw(b, jstr0(r, "worker_pool"));
	}
	if (jint(r, "priority", &n) == 0 && n != 10)
		buf_addf(b, " --priority %lld", n);
	if (jint(r, "max_retries", &n) == 0 && n > 0)
		buf_addf(b, " --max-retries %lld", n);
	if (jint(r, "gpus", &n) == 0)
		buf_addf(b, " --gpus %lld", n);
	if (*jstr0(r, "metric_parser")) {
		buf_adds(b, " --metric-parser ");
		shw(b, jstr0(r, "metric_parser"));
	}
	if (*jstr0(r, "target_metric")) {
		buf_adds(b, " --target-metric ");
		shw(b, jstr0(r, "target_metric"));
	}
	if (*jstr0(r, "target_direction") && strcmp(jstr0(r, "target_direction"), "lower")) {
		buf_adds(b, " --target-direction ");
		shw(b, jstr0(r, "target_direction"));
	}
}

#define MAX_SINGLE 20

/* The add-run lines that queue these runs again: one per sweep (from the
 * call recorded on its first run), one per distinct single command. */
static void
repro_commands(struct buf *b, const char *project, const json_t *all, const json_t *runs)
{
	json_t *done = json_object();
	size_t i, singles = 0, more = 0;
	json_t *r;
	json_array_foreach(runs, i, r) {
		const char *sid = jstr(r, "sweep_id");
		const json_t *first = NULL;
		if (sid) {
			if (json_object_get(done, sid))
				continue;
			size_t k;
			json_t *x;
			json_array_foreach(all, k, x)
				if (json_object_get(x, "sweep") && !strcmp(jstr0(x, "sweep_id"), sid)) {
					first = x;
					break;
				}
		}
		if (first) {
			json_object_set_new(done, sid, json_true());
			const json_t *sw = json_object_get(first, "sweep");
			run_options(b, project, first);
			if (*jstr0(sw, "env")) {
				buf_adds(b, " \\\n    --env ");
				shq(b, jstr0(sw, "env"));
			}
			buf_adds(b, " \\\n    --command ");
			shq(b, jstr0(sw, "command"));
			const char *k;
			json_t *vals;
			buf_adds(b, " \\\n   ");
			json_object_foreach(json_object_get(sw, "axes"), k, vals) {
				struct buf a = BUF_INIT;
				buf_addf(&a, "%s=", k);
				size_t j;
				json_t *v;
				json_array_foreach(vals, j, v)
					buf_addf(&a, "%s%s", j ? "," : "", json_string_value(v));
				buf_adds(b, " --sweep ");
				shw(b, a.s);
				buf_release(&a);
			}
			buf_addc(b, '\n');
			continue;
		}
		/* a single run (or a sweep whose call was not recorded) */
		char *key = xasprintf("%s\x1f%s", jstr0(r, "env"), jstr0(r, "command"));
		if (json_object_get(done, key)) {
			free(key);
			continue;
		}
		json_object_set_new(done, key, json_true());
		free(key);
		if (singles++ >= MAX_SINGLE) {
			more++;
			continue;
		}
		run_options(b, project, r);
		if (*jstr0(r, "env")) {
			buf_adds(b, " \\\n    --env ");
			shq(b, jstr0(r, "env"));
		}
		buf_adds(b, " \\\n    --command ");
		shq(b, jstr0(r, "command"));
		buf_addc(b, '\n');
	}
	if (more)
		buf_addf(b, "# ... and %zu more single runs: see research/%s/evidence/runs/\n", more, project);
	json_decref(done);
}

static char *
slug(const char *s)
{
	struct buf b = BUF_INIT;
	int sep = 0;
	for (const unsigned char *c = (const unsigned char *)s; *c && b.len < 60; c++) {
		if (isalnum(*c) && *c < 0x80) {
			if (sep && b.len)
				buf_addc(&b, '-');
			sep = 0;
			buf_addc(&b, (char)tolower(*c));
		} else {
			sep = 1;
		}
	}
	if (!b.len)
		buf_adds(&b, "results");
	return buf_detach(&b);
}

static void
num4(struct buf *b, const json_t *v)
{
	if (json_is_number(v))
		buf_addf(b, "%.4f", json_number_value(v));
	else
		buf_adds(b, "n/a");
}

/* The text of each section of the post, by heading. */
static json_t *
post_sections(struct publish *p, const json_t *runs, const json_t *all, const char *figure)
{
	json_t *sec = json_object();
	const json_t *s = p->summary, *best = json_object_get(s, "best");
	struct buf b = BUF_INIT;
	long long nr = 0, ng = 0, nf = 0;
	jint(s, "n_runs", &nr);
	jint(s, "n_groups", &ng);
	jint(s, "n_failed", &nf);

	/* Summary */
	buf_addf(&b, "%lld run%s in %lld configuration%s%s%s, mean \xC2\xB1 sample std over `%s`.", nr,
		 nr == 1 ? "" : "s", ng, ng == 1 ? "" : "s", p->phase ? " of phase " : "", p->phase ? p->phase : "",
		 jstr0(s, "over"));
	if (json_is_object(best)) {
		buf_addf(&b, " Best %s (%s is better): **%s** with ", jstr0(best, "metric"), jstr0(best, "direction"),
			 jstr0(best, "label"));
		num4(&b, json_object_get(best, "mean"));
		if (json_is_number(json_object_get(best, "std"))) {
			buf_adds(&b, " \xC2\xB1 ");
			num4(&b, json_object_get(best, "std"));
		}
		long long n = 0;
		jint(best, "n", &n);
		buf_addf(&b, " (n=%lld).", n);
	}
	const json_t *t = json_object_get(s, "target");
	if (json_is_boolean(json_object_get(t, "met"))) {
		buf_adds(&b, " The target (");
		buf_addf(&b, "%s %s ", jstr0(t, "metric"), !strcmp(jstr0(t, "direction"), "lower") ? "\xE2\x89\xA4" : "\xE2\x89\xA5");
		num4(&b, json_object_get(t, "value"));
		buf_addf(&b, ") is %s.", json_is_true(json_object_get(t, "met")) ? "**met**" : "not met yet");
	}
	if (json_is_number(json_object_get(s, "cost_usd")))
		buf_addf(&b, " Compute spend: $%.2f.", json_number_value(json_object_get(s, "cost_usd")));
	buf_addc(&b, '\n');
	json_object_set_new(sec, "Summary", json_string(b.s));
	buf_reset(&b);

	/* Benchmark */
	char *claim = project_yaml_str(p->root, p->project, "target.claim");
	if (claim)
		buf_addf(&b, "Claim under test: %s\n\n", claim);
	free(claim);
	struct strv keys = STRV_INIT;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(s, "group_by"), i, v)
		strv_push(&keys, json_string_value(v));
	if (keys.n) {
		buf_adds(&b, "Configurations vary ");
		for (i = 0; i < keys.n; i++)
			buf_addf(&b, "%s`%s`", i == 0 ? "" : i + 1 == keys.n ? " and " : ", ", keys.v[i]);
		buf_addf(&b, "; each was run for several values of `%s`.", jstr0(s, "over"));
	}
	strv_release(&keys);
	size_t nref = 0, nbeat = 0;
	const char *metric = jstr0(s, "metric");
	json_t *g;
	json_array_foreach(json_object_get(s, "groups"), i, g) {
		json_t *bt = json_object_get(json_object_get(g, "beats"), metric);
		if (json_is_boolean(bt)) {
			nref++;
			nbeat += json_is_true(bt);
		}
	}
	if (nref)
		buf_addf(&b, " Reference values: `benchmark/reference.csv` (%zu configuration%s).", nref, nref == 1 ? "" : "s");
	if (b.len)
		buf_addc(&b, '\n');
	json_object_set_new(sec, "Benchmark", json_string(b.s));
	buf_reset(&b);

	/* Result */
	char *md = write_markdown(s);
	buf_adds(&b, md);
	free(md);
	if (figure)
		buf_addf(&b, "\n![%s](%s)\n", metric, figure);
	buf_addf(&b, "\nSource: `%s` (generated %s).\n", p->source, jstr0(s, "generated_at"));
	json_object_set_new(sec, "Result", json_string(b.s));
	buf_reset(&b);

	/* What Worked / What Failed */
	if (nref)
		buf_addf(&b, "- %zu of %zu configurations beat their reference %s.\n", nbeat, nref, metric);
	if (json_is_true(json_object_get(t, "met")))
		buf_addf(&b, "- The best configuration meets the project's target.\n");
	if (json_is_object(best))
		buf_addf(&b, "- Best %s: %s.\n", metric, jstr0(best, "label"));
	json_object_set_new(sec, "What Worked", json_string(b.s));
	buf_reset(&b);
	if (nf)
		buf_addf(&b, "- %lld run%s failed (non-zero exit) and %s left out.\n", nf, nf == 1 ? "" : "s",
			 nf == 1 ? "is" : "are");
	size_t nerr = 0;
	json_t *r;
	json_array_foreach(runs, i, r)
		if (jstr(r, "metrics_error") && nerr++ < 5)
			buf_addf(&b, "- Run %s: metrics not read (%s).\n", jstr0(r, "id"), jstr(r, "metrics_error"));
	if (nerr > 5)
		buf_addf(&b, "- ... and %zu more runs whose metrics could not be read.\n", nerr - 5);
	if (nref && nbeat < nref)
		buf_addf(&b, "- %zu configuration%s did not beat the reference.\n", nref - nbeat,
			 nref - nbeat == 1 ? "" : "s");
	json_object_set_new(sec, "What Failed", json_string(b.s));
	buf_reset(&b);

	/* Reproducibility */
	repro_commands(&b, p->project, all, runs);
	buf_adds(&b, "ros dispatch-runs && ros check-runs --watch 60\n");
	buf_adds(&b, "ros results --project-id ");
	shw(&b, p->project);
	if (p->phase) {
		buf_adds(&b, " --phase ");
		shw(&b, p->phase);
	}
	buf_addc(&b, '\n');
	json_object_set_new(sec, "Reproducibility", json_string(b.s));
	buf_reset(&b);

	char *next = project_yaml_str(p->root, p->project, "current_state.next_action");
	if (next) {
		buf_addf(&b, "%s\n", next);
		json_object_set_new(sec, "Next", json_string(b.s));
	}
	free(next);
	buf_release(&b);
	return sec;
}

/* Fill the template: title and date, each known "## Heading" gets its
 * text, "# commands" in the code block becomes the commands. */
static char *
fill_template(const char *tpl, const char *title, const char *date, json_t *sec)
{
	struct buf b = BUF_INIT;
	int did_title = 0, did_date = 0, in_code = 0, did_repro = 0, did_result = 0;
	const char *repro = jstr(sec, "Reproducibility");
	for (const char *p = tpl; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, n);
		p += n + (nl ? 1 : 0);
		/* placeholders */
		struct buf l = BUF_INIT;
		for (const char *c = line; *c;) {
			if (str_starts(c, "MILESTONE_TITLE")) {
				buf_adds(&l, title);
				c += 15;
				did_title = 1;
			} else if (!did_date && str_starts(c, "YYYY-MM-DD")) {
				buf_adds(&l, date);
				c += 10;
				did_date = 1;
			} else {
				buf_addc(&l, *c++);
			}
		}
		const char *ls = l.s ? l.s : "";
		if (str_starts(ls, "```"))
			in_code = !in_code;
		if (in_code && !strcmp(ls, "# commands") && repro && !did_repro) {
			buf_adds(&b, repro);
			did_repro = 1;
		} else {
			buf_addf(&b, "%s\n", ls);
		}
		if (!in_code && str_starts(ls, "## ")) {
			const char *h = ls + 3;
			const char *text = jstr(sec, h);
			if (!strcmp(h, "Reproducibility") && strstr(p, "# commands"))
				text = NULL;	/* goes into the code block below */
			else if (!strcmp(h, "Reproducibility") && text) {
				buf_addf(&b, "\n```bash\n%s```\n", text);
				did_repro = 1;
				text = NULL;
			}
			if (text && *text)
				buf_addf(&b, "\n%s", text);
			if (!strcmp(h, "Result"))
				did_result = 1;
		}
		buf_release(&l);
		free(line);
	}
	if (!did_result)
		buf_addf(&b, "\n## Result\n\n%s", jstr0(sec, "Result"));
	if (!did_repro && repro)
		buf_addf(&b, "\n## Reproducibility\n\n```bash\n%s```\n", repro);
	(void)did_title;
	return buf_detach(&b);
}

static int
blog(struct publish *p, const json_t *runs, const json_t *all)
{
	json_t *posts = json_object_get(p->published, "posts");
	char *key = xasprintf("%s%s", p->phase ? "phase:" : "all", p->phase ? p->phase : "");
	const char *rel = jstr(posts, key);
	char *title_y = project_yaml_str(p->root, p->project, "title");
	const char *base = title_y ? title_y : p->project;
	char *title = xasprintf("%s: results%s%s%s", base, p->phase ? " (phase " : "", p->phase ? p->phase : "",
				p->phase ? ")" : "");
	char date[11];
	snprintf(date, sizeof date, "%.10s", p->now);
	char *path;
	if (rel) {
		path = xstrdup(rel);
	} else {
		char *sl = slug(base);
		char *ps = p->phase ? slug(p->phase) : NULL;
		path = xasprintf("research/%s/blog/%s-%s-results%s%s.md", p->project, date, sl, ps ? "-phase-" : "",
				 ps ? ps : "");
		free(sl);
		free(ps);
		jset_str(posts, key, path);
	}
	/* the post's date is the day it was first written */
	const char *d = strstr(path, "/blog/");
	if (d && strlen(d + 6) > 10 && d[6 + 4] == '-' && d[6 + 7] == '-')
		snprintf(date, sizeof date, "%.10s", d + 6);
	/* the primary metric's figure, written now or before (relative to the post) */
	char *figure = NULL, *fp = file_part(jstr0(p->summary, "metric"));
	char *sfx = p->phase ? phase_dirname(p->phase) : NULL;
	char *name = xasprintf("%s%s%s.svg", fp, sfx ? "_" : "", sfx ? sfx : "");
	char *frel = xasprintf("research/%s/paper/figures/%s", p->project, name);
	char *fabs_ = path_join(p->root, frel);
	int have = file_exists(fabs_);
	for (size_t i = 0; i < p->n && !have; i++)
		have = !strcmp(p->out[i].rel, frel);
	if (have)
		figure = xasprintf("../paper/figures/%s", name);
	free(fabs_);
	free(frel);
	free(name);
	free(sfx);
	free(fp);
	size_t tlen;
	char *tpath = xasprintf("%s/templates/blog/milestone.md", p->root);
	char *tpl = read_file(tpath, &tlen);
	if (!tpl || !utf8_valid(tpl, tlen)) {
		free(tpl);
		const char *e = embedded_get("data/templates/blog/milestone.md", &tlen);
		tpl = xstrndup(e ? e : "", e ? tlen : 0);
	}
	json_t *sec = post_sections(p, runs, all, figure);
	add_output(p, "blog", "post", path, fill_template(tpl, title, date, sec));
	json_decref(sec);
	free(tpl);
	free(tpath);
	free(figure);
	free(title);
	free(title_y);
	free(key);
	return 0;
}

/* ---- publication queue ---- */

static int
record_pubs(struct queue *q, void *arg, struct buf *err)
{
	struct publish *p = arg;
	int changed = 0;
	for (size_t k = 0; k < p->n; k++) {
		struct output *o = &p->out[k];
		if (!o->result || !strcmp(o->result, "refused"))
			continue;
		json_t *e = NULL;
		size_t at = 0;
		for (size_t i = 0; i < q->n && !e; i++) {
			if (!queue_key_is(q, i, JK_PROJECT, p->project))
				continue;
			json_t *x = queue_obj(q, i, err);
			if (!x)
				return -1;
			if (!strcmp(jstr0(x, "output_path"), o->rel)) {
				e = x;
				at = i;
			}
		}
		json_t *ev = json_array();
		json_array_append_new(ev, json_string(p->source));
		if (!e) {
			json_t *n = json_object();
			char *id = queue_new_id(q, "pub");
			jset_str(n, "id", id);
			free(id);
			jset_str(n, "project_id", p->project);
			jset_str(n, "status", "written");
			jset_int(n, "priority", 10);
			jset_str(n, "kind", o->kind);
			jset_str(n, "trigger", "results");
			json_object_set_new(n, "source_evidence", ev);
			jset_str(n, "output_path", o->rel);
			if (p->phase)
				jset_str(n, "phase", p->phase);
			jset_str(n, "created_at", p->now);
			jset_str(n, "updated_at", p->now);
			queue_append(q, n);
			changed = 1;
			continue;
		}
		int ch = 0;
		if (strcmp(jstr0(e, "status"), "written")) {
			jset_str(e, "status", "written");
			ch = 1;
		}
		if (!json_equal(json_object_get(e, "source_evidence"), ev)) {
			json_object_set(e, "source_evidence", ev);
			ch = 1;
		}
		if (strcmp(o->result, "unchanged"))
			ch = 1;
		json_decref(ev);
		if (ch) {
			jset_str(e, "updated_at", p->now);
			queue_touch(q, at);
			changed = 1;
		}
	}
	return changed;
}

static int
cmd_publish_fn(int argc, char **argv, struct ctx *ctx)
{
	struct publish p = { 0 };
	const char *kind = "all", *rows_s = NULL, *cols = NULL, *metric = NULL;
	struct strv rows = STRV_INIT, metrics = STRV_INIT;
	struct buf err = BUF_INIT;
	struct results res = RESULTS_INIT;
	int rc = 1;
	const struct opt opts[] = {
		{ "project-id", OPT_STR, &p.project, "P", "project (required)", 0, NULL },
		{ "kind", OPT_STR, &kind, "paper|blog|all", "what to write (default all)", 0, NULL },
		{ "phase", OPT_STR, &p.phase, "NAME", "publish one phase (default: all runs together)", 0, NULL },
		{ "rows", OPT_STR, &rows_s, "K1,K2", "LaTeX pivot: config keys down the side (one line per metric)", 0, NULL },
		{ "cols", OPT_STR, &cols, "K", "LaTeX pivot: one column per value of this key", 0, NULL },
		{ "metric", OPT_STR, &metric, "M[,M2]", "metrics to show (default as in results)", 0, NULL },
		{ "force", OPT_BOOL, &p.force, NULL, "overwrite outputs even if they were edited since ros wrote them", 0, NULL },
		OPT_END
	};
	opt_parse(ctx, current_cmd, opts, argc, argv, NULL);
	if (!p.project || !*p.project)
		usage_error(ctx, "--project-id is required");
	if (!project_id_valid(p.project))
		usage_error(ctx, "invalid project id '%s' (letters, digits, _ . - only)", p.project);
	if (strcmp(kind, "paper") && strcmp(kind, "blog") && strcmp(kind, "all"))
		usage_error(ctx, "--kind must be paper, blog or all, not '%s'", kind);
	if (p.phase && !*p.phase)
		usage_error(ctx, "--phase needs a phase name");
	if (rows_s && !cols)
		usage_error(ctx, "--rows needs --cols (the key whose values become columns)");
	for (const char *s = rows_s; s && *s;) {
		size_t n = strcspn(s, ",");
		if (!n)
			usage_error(ctx, "--rows: empty key in '%s'", rows_s);
		char *k = xstrndup(s, n);
		strv_push_nocopy(&rows, k);
		s += n + (s[n] == ',');
	}
	for (const char *s = metric; s && *s;) {
		size_t n = strcspn(s, ",");
		if (!n)
			usage_error(ctx, "--metric: empty name in '%s'", metric);
		strv_push_nocopy(&metrics, xstrndup(s, n));
		s += n + (s[n] == ',');
	}
	p.root = ctx_root(ctx);
	if (!project_exists(p.root, p.project)) {
		project_unknown_error(p.root, p.project);
		goto out;
	}
	iso_now(p.now);

	struct results_opts ro = { 0 };
	ro.project = p.project;
	ro.phase = p.phase;
	ro.metrics = &metrics;
	if (results_build(p.root, &ro, &res, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	for (size_t i = 0; i < res.notes.n; i++)
		warning("%s", res.notes.v[i]);
	json_t *sc = NULL;
	for (size_t i = 0; i < json_array_size(res.scopes) && !sc; i++) {
		json_t *x = json_array_get(res.scopes, i);
		if (p.phase ? !strcmp(jstr0(x, "phase"), p.phase) : !strcmp(jstr0(x, "scope"), "all"))
			sc = x;
	}
	p.summary = json_object_get(sc, "summary");
	if (!json_is_object(p.summary)) {
		error("nothing to publish for %s%s%s: %s", p.project, p.phase ? " phase " : "", p.phase ? p.phase : "",
		      sc ? jstr0(sc, "why") : "no results");
		goto out;
	}
	p.source = xasprintf("%s/summary.json", jstr0(sc, "dir"));
	load_published(&p);
	if (strcmp(kind, "blog") && paper(&p, &rows, cols, &err) < 0) {
		error("LaTeX table: %s", err.s);
		goto out;
	}
	if (strcmp(kind, "paper")) {
		/* the runs the post is about */
		json_t *runs = json_array();
		size_t i;
		json_t *r;
		json_array_foreach(res.runs, i, r)
			if (!p.phase || !strcmp(jstr0(r, "phase"), p.phase))
				json_array_append(runs, r);
		blog(&p, runs, res.runs);
		json_decref(runs);
	}
	int refused = 0;
	for (size_t i = 0; i < p.n; i++) {
		buf_reset(&err);
		if (put_output(&p, &p.out[i], &err) < 0) {
			error("%s", err.s);
			goto out;
		}
		refused += !strcmp(p.out[i].result, "refused");
	}
	struct buf js = BUF_INIT;
	json_write(&js, p.published, 0);
	buf_addc(&js, '\n');
	char *pp = published_path(&p);
	buf_reset(&err);
	int w = write_if_changed(pp, js.s, js.len, &err);
	free(pp);
	buf_release(&js);
	if (w < 0) {
		error("%s", err.s);
		goto out;
	}
	buf_reset(&err);
	if (queue_update(p.root, Q_PUBS, record_pubs, &p, &err) < 0) {
		error("%s", err.s);
		goto out;
	}
	if (ctx->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < p.n; i++) {
			json_t *o = json_object();
			jset_str(o, "output_path", p.out[i].rel);
			jset_str(o, "kind", p.out[i].kind);
			jset_str(o, "what", p.out[i].what);
			jset_str(o, "result", p.out[i].result);
			jset_str(o, "source_evidence", p.source);
			json_array_append_new(a, o);
		}
		json_print(a);
		json_decref(a);
	} else {
		for (size_t i = 0; i < p.n; i++)
			printf("%-9s %s%s\n", p.out[i].result, p.out[i].rel,
			       !strcmp(p.out[i].result, "refused") ? "  (edited since ros wrote it; --force overwrites it)" : "");
	}
	if (refused)
		error("%d file%s left as edited", refused, refused == 1 ? "" : "s");
	rc = refused ? 1 : 0;
out:
	for (size_t i = 0; i < p.n; i++) {
		free(p.out[i].rel);
		free(p.out[i].data);
	}
	free(p.out);
	free(p.source);
	json_decref(p.published);
	results_release(&res);
	strv_release(&rows);
	strv_release(&metrics);
	buf_release(&err);
	return rc;
}

const struct ros_cmd cmd_publish = {
	"publish", cmd_publish_fn, CMD_JSON,
	"a project's results as a LaTeX table, SVG figures and a blog post",
	"--project-id P [--kind paper|blog|all] [--phase NAME] [--rows K1,K2 --cols K3] [--force]",
	"Runs the results pipeline, then writes research/P/paper/tables/results.tex\n"
	"(booktabs, mean \xC2\xB1 std, the best in bold; --rows/--cols pivot it: one line\n"
	"per row-key combination and metric, one column per value of --cols),\n"
	"research/P/paper/figures/METRIC.svg (a bar per configuration, error bars)\n"
	"and research/P/blog/YYYY-MM-DD-SLUG.md from templates/blog/milestone.md\n"
	"(summary, table, the add-run commands that reproduce the runs).  Each\n"
	"output is recorded in queues/publication_queue.json.  Prints one line per\n"
	"file: wrote, unchanged, overwrote (--force) or refused: a file edited since\n"
	"ros wrote it is never overwritten without --force (exit 1).",
};

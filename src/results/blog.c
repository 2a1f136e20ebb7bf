/*
 * blog.c - a publication's blog post (see blog.h).
 */
#include "results/blog.h"
#include "embedded.h"
#include "results/pipeline.h"
#include "results/project_yaml.h"
#include "results/shwords.h"
#include "results/write.h"
#include "results/write_priv.h"
#include "util/jx.h"
#include "store/project.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>


/* The add-run options a run was added with (all but --command, --env and
 * --sweep). */
static void
run_options(struct buf *b, const char *project, const json_t *r)
{
	long long n;
	buf_adds(b, "ros add-run --project-id ");
	sh_quote(b, project, 0);
	if (jstr(r, "phase") && *jstr(r, "phase")) {
		buf_adds(b, " --phase ");
		sh_quote(b, jstr(r, "phase"), 0);
	}
	if (*jstr0(r, "worker_pool") && strcmp(jstr0(r, "worker_pool"), "local")) {
		buf_adds(b, " --worker-pool ");
		sh_quote(b, jstr0(r, "worker_pool"), 0);
	}
	if (jint(r, "priority", &n) == 0 && n != 10)
		buf_addf(b, " --priority %lld", n);
	if (jint(r, "max_retries", &n) == 0 && n > 0)
		buf_addf(b, " --max-retries %lld", n);
	if (jint(r, "gpus", &n) == 0)
		buf_addf(b, " --gpus %lld", n);
	if (*jstr0(r, "metric_parser")) {
		buf_adds(b, " --metric-parser ");
		sh_quote(b, jstr0(r, "metric_parser"), 0);
	}
	if (*jstr0(r, "target_metric")) {
		buf_adds(b, " --target-metric ");
		sh_quote(b, jstr0(r, "target_metric"), 0);
	}
	if (*jstr0(r, "target_direction") && strcmp(jstr0(r, "target_direction"), "lower")) {
		buf_adds(b, " --target-direction ");
		sh_quote(b, jstr0(r, "target_direction"), 0);
	}
}

/* The --env (when there is one) and --command of an add-run line. */
static void
env_command(struct buf *b, const char *env, const char *command)
{
	if (*env) {
		buf_adds(b, " \\\n    --env ");
		sh_quote(b, env, SH_ALWAYS);
	}
	buf_adds(b, " \\\n    --command ");
	sh_quote(b, command, SH_ALWAYS);
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
			env_command(b, jstr0(sw, "env"), jstr0(sw, "command"));
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
				sh_quote(b, a.s, 0);
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
		env_command(b, jstr0(r, "env"), jstr0(r, "command"));
		buf_addc(b, '\n');
	}
	if (more)
		buf_addf(b, "# ... and %zu more single runs: see research/%s/evidence/runs/\n", more, project);
	json_decref(done);
}

/* The words of s for a file name: project_id_from_title() with '-'
 * between them, cut after about 60 characters, "results" when none. */
static char *
slug(const char *s)
{
	char *t = project_id_from_title(s);
	if (strlen(t) > 60)
		t[t[59] == '_' ? 61 : 60] = 0;	/* not on a separator */
	for (char *c = t; *c; c++)
		if (*c == '_')
			*c = '-';
	if (!*t) {
		free(t);
		t = xstrdup("results");
	}
	return t;
}

/* What the sections of a post are made of. */
struct post {
	const struct publication *p;
	const json_t *s, *best, *target;	/* the summary, its best and target */
	const char *metric;			/* the primary metric */
	const json_t *runs, *all;		/* the scope's runs, the project's */
	const char *figure;			/* relative to the post, or NULL */
	size_t nref, nbeat;			/* configurations with a reference, beating it */
};

static void
sec_summary(struct buf *b, const struct post *ps)
{
	const json_t *s = ps->s, *best = ps->best, *t = ps->target;
	const char *phase = ps->p->phase;
	long long nr = 0, ng = 0;
	jint(s, "n_runs", &nr);
	jint(s, "n_groups", &ng);
	buf_addf(b, "%lld run%s in %lld configuration%s%s%s, mean \xC2\xB1 sample std over `%s`.", nr,
		 nr == 1 ? "" : "s", ng, ng == 1 ? "" : "s", phase ? " of phase " : "", phase ? phase : "",
		 jstr0(s, "over"));
	if (json_is_object(best)) {
		buf_addf(b, " Best %s (%s is better): **%s** with ", jstr0(best, "metric"), jstr0(best, "direction"),
			 jstr0(best, "label"));
		wr_best_mean(b, best);
		buf_addc(b, '.');
	}
	if (json_is_boolean(json_object_get(t, "met"))) {
		buf_addf(b, " The target (%s %s ", jstr0(t, "metric"),
			 !strcmp(jstr0(t, "direction"), "lower") ? "\xE2\x89\xA4" : "\xE2\x89\xA5");
		wr_num(b, json_object_get(t, "value"), 4);
		buf_addf(b, ") is %s.", json_is_true(json_object_get(t, "met")) ? "**met**" : "not met yet");
	}
	if (json_is_number(json_object_get(s, "cost_usd"))) {
		buf_adds(b, " Compute spend: $");
		wr_num(b, json_object_get(s, "cost_usd"), 2);
		buf_addc(b, '.');
	}
	buf_addc(b, '\n');
}

static void
sec_benchmark(struct buf *b, const struct post *ps)
{
	const json_t *s = ps->s;
	char *claim = project_yaml_str(ps->p->root, ps->p->project, "target.claim");
	if (claim)
		buf_addf(b, "Claim under test: %s\n\n", claim);
	free(claim);
	const json_t *keys = json_object_get(s, "group_by");
	size_t i, n = json_array_size(keys);
	if (n) {
		buf_adds(b, "Configurations vary ");
		for (i = 0; i < n; i++)
			buf_addf(b, "%s`%s`", i == 0 ? "" : i + 1 == n ? " and " : ", ",
				 json_string_value(json_array_get(keys, i)));
		buf_addf(b, "; each was run for several values of `%s`.", jstr0(s, "over"));
	}
	if (ps->nref)
		buf_addf(b, " Reference values: `benchmark/reference.csv` (%zu configuration%s).", ps->nref,
			 ps->nref == 1 ? "" : "s");
	if (b->len)
		buf_addc(b, '\n');
}

static void
sec_result(struct buf *b, const struct post *ps)
{
	char *md = write_markdown(ps->s);
	buf_adds(b, md);
	free(md);
	if (ps->figure)
		buf_addf(b, "\n![%s](%s)\n", ps->metric, ps->figure);
	buf_addf(b, "\nSource: `%s` (generated %s).\n", ps->p->source, jstr0(ps->s, "generated_at"));
}

static void
sec_worked(struct buf *b, const struct post *ps)
{
	if (ps->nref)
		buf_addf(b, "- %zu of %zu configurations beat their reference %s.\n", ps->nbeat, ps->nref, ps->metric);
	if (json_is_true(json_object_get(ps->target, "met")))
		buf_addf(b, "- The best configuration meets the project's target.\n");
	if (json_is_object(ps->best))
		buf_addf(b, "- Best %s: %s.\n", ps->metric, jstr0(ps->best, "label"));
}

static void
sec_failed(struct buf *b, const struct post *ps)
{
	long long nf = 0;
	jint(ps->s, "n_failed", &nf);
	if (nf)
		buf_addf(b, "- %lld run%s failed (non-zero exit) and %s left out.\n", nf, nf == 1 ? "" : "s",
			 nf == 1 ? "is" : "are");
	size_t nerr = 0, i;
	json_t *r;
	json_array_foreach(ps->runs, i, r)
		if (jstr(r, "metrics_error") && nerr++ < 5)
			buf_addf(b, "- Run %s: metrics not read (%s).\n", jstr0(r, "id"), jstr(r, "metrics_error"));
	if (nerr > 5)
		buf_addf(b, "- ... and %zu more runs whose metrics could not be read.\n", nerr - 5);
	if (ps->nref && ps->nbeat < ps->nref)
		buf_addf(b, "- %zu configuration%s did not beat the reference.\n", ps->nref - ps->nbeat,
			 ps->nref - ps->nbeat == 1 ? "" : "s");
}

/* The code the runs ran: per snapshot its commit and how to get exactly
 * that tree back (the root keeps a copy of every snapshot a run used). */
static void
repro_code(struct buf *b, const json_t *runs)
{
	struct strv seen = STRV_INIT;
	size_t i;
	json_t *r;
	json_array_foreach(runs, i, r) {
		const json_t *c = json_object_get(r, "code");
		const char *sn = jstr(c, "snapshot");
		if (!sn || strlen(sn) != 64 || strspn(sn, "0123456789abcdef") != 64 || strv_has(&seen, sn))
			continue;
		strv_push(&seen, sn);
		const char *commit = jstr(c, "commit");
		if (commit && strspn(commit, "0123456789abcdef") == strlen(commit))
			buf_addf(b, "# the code: snapshot %.12s, git commit %.12s%s\n", sn, commit,
				 json_is_true(json_object_get(c, "dirty")) ? " with changes not committed (in the snapshot)"
									   : "");
		else
			buf_addf(b, "# the code: snapshot %.12s\n", sn);
		buf_addf(b, "ros snapshot --export %s code-%.12s\n", sn, sn);
	}
	if (seen.n > 1)
		buf_addf(b, "# (%zu versions of the code: see the runs' code in evidence/runs/)\n", seen.n);
	strv_release(&seen);
}

static void
sec_repro(struct buf *b, const struct post *ps)
{
	repro_code(b, ps->runs);
	repro_commands(b, ps->p->project, ps->all, ps->runs);
	buf_adds(b, "ros dispatch-runs && ros check-runs --watch 60\n");
	buf_adds(b, "ros results --project-id ");
	sh_quote(b, ps->p->project, 0);
	if (ps->p->phase) {
		buf_adds(b, " --phase ");
		sh_quote(b, ps->p->phase, 0);
	}
	buf_addc(b, '\n');
}

static void
sec_next(struct buf *b, const struct post *ps)
{
	char *next = project_yaml_str(ps->p->root, ps->p->project, "current_state.next_action");
	if (next)
		buf_addf(b, "%s\n", next);
	free(next);
}

/* The text of each section of the post that has any, by heading. */
static json_t *
post_sections(const struct publication *p, const json_t *runs, const json_t *all, const char *figure)
{
	static const struct {
		const char *heading;
		void (*fn)(struct buf *, const struct post *);
	} sections[] = {
		{ "Summary", sec_summary }, { "Benchmark", sec_benchmark }, { "Result", sec_result },
		{ "What Worked", sec_worked }, { "What Failed", sec_failed }, { "Reproducibility", sec_repro },
		{ "Next", sec_next },
	};
	struct post ps = { p, p->summary, json_object_get(p->summary, "best"), json_object_get(p->summary, "target"),
			   jstr0(p->summary, "metric"), runs, all, figure, 0, 0 };
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(ps.s, "groups"), i, g) {
		json_t *bt = json_object_get(json_object_get(g, "beats"), ps.metric);
		if (json_is_boolean(bt)) {
			ps.nref++;
			ps.nbeat += json_is_true(bt);
		}
	}
	json_t *sec = json_object();
	struct buf b = BUF_INIT;
	for (i = 0; i < ARRAY_SIZE(sections); i++) {
		buf_reset(&b);
		sections[i].fn(&b, &ps);
		if (b.len)
			json_object_set_new(sec, sections[i].heading, json_string(b.s));
	}
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

/* The post's path: the one recorded for the scope, else a new one
 * (recorded).  New string. */
static char *
post_path(struct publication *p, const char *base, const char *date)
{
	json_t *posts = json_object_get(p->published, "posts");
	char *key = xasprintf("%s%s", p->phase ? "phase:" : "all", p->phase ? p->phase : "");
	const char *rel = jstr(posts, key);
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
	free(key);
	return path;
}

/* The primary metric's figure, written now or before, relative to the
 * post; NULL when there is none.  New string. */
static char *
post_figure(const struct publication *p)
{
	char *name = publication_figure_name(p, jstr0(p->summary, "metric"));
	char *frel = xasprintf("research/%s/paper/figures/%s", p->project, name);
	char *fabs_ = path_join(p->root, frel);
	char *figure = NULL;
	int have = file_exists(fabs_);
	for (size_t i = 0; i < p->n && !have; i++)
		have = !strcmp(p->out[i].rel, frel);
	if (have)
		figure = xasprintf("../paper/figures/%s", name);
	free(fabs_);
	free(frel);
	free(name);
	return figure;
}

/* The root's template, else the one built in.  New string. */
static char *
post_template(const char *root)
{
	size_t tlen;
	char *tpath = xasprintf("%s/templates/blog/milestone.md", root);
	char *tpl = read_file(tpath, &tlen);
	free(tpath);
	if (!tpl || !utf8_valid(tpl, tlen)) {
		free(tpl);
		const char *e = embedded_get("data/templates/blog/milestone.md", &tlen);
		tpl = xstrndup(e ? e : "", e ? tlen : 0);
	}
	return tpl;
}

void
blog_add(struct publication *p, const json_t *runs, const json_t *all)
{
	char *title_y = project_yaml_str(p->root, p->project, "title");
	const char *base = title_y ? title_y : p->project;
	char *title = xasprintf("%s: results%s%s%s", base, p->phase ? " (phase " : "", p->phase ? p->phase : "",
				p->phase ? ")" : "");
	char date[11];
	snprintf(date, sizeof date, "%.10s", p->now);
	char *path = post_path(p, base, date);
	/* the post's date is the day it was first written */
	const char *d = strstr(path, "/blog/");
	if (d && strlen(d + 6) > 10 && d[6 + 4] == '-' && d[6 + 7] == '-')
		snprintf(date, sizeof date, "%.10s", d + 6);
	char *figure = post_figure(p), *tpl = post_template(p->root);
	json_t *sec = post_sections(p, runs, all, figure);
	publication_add(p, "blog", "post", path, fill_template(tpl, title, date, sec));
	json_decref(sec);
	free(tpl);
	free(figure);
	free(title);
	free(title_y);
}

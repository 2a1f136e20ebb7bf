/*
 * project.c - `ros init-project`: scaffold research/<project_id>/ and add
 * its first idea.  Running it again fills in what is missing and never
 * overwrites a file or duplicates the idea.
 */
#include "ros.h"
#include "code/code.h"
#include "store/idea.h"
#include "embedded.h"
#include "store/project.h"
#include "store/queue.h"
#include "store/store.h"
#include "store/yaml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>


static const char *const dirs[] = {
	"deep_research", "benchmark/external", "benchmark/local", "probes", "evidence", "analysis",
	"blog", "paper/figures", "paper/tables", "artifacts",
};

/* A template: the root's copy (the user may have edited it), else the built-in one. */
static char *
template_text(const char *root, const char *rel, size_t *len)
{
	char *p = xasprintf("%s/templates/%s", root, rel);
	char *t = read_file(p, len);
	free(p);
	if (t)
		return t;
	char *key = xasprintf("data/templates/%s", rel);
	const char *e = embedded_get(key, len);
	free(key);
	return e ? xstrndup(e, *len) : xstrdup("");
}

static char *
replace_all(const char *text, const char *from, const char *to)
{
	struct buf b = BUF_INIT;
	size_t fl = strlen(from);
	for (const char *p = text, *q; *p; p = q + fl) {
		q = strstr(p, from);
		if (!q) {
			buf_adds(&b, p);
			break;
		}
		buf_add(&b, p, (size_t)(q - p));
		buf_adds(&b, to);
	}
	return buf_detach(&b);
}

static char *
latex_text(const char *s)
{
	struct buf b = BUF_INIT;
	for (; *s; s++) {
		switch (*s) {
		case '&': case '%': case '$': case '#': case '_': case '{': case '}':
			buf_addc(&b, '\\');
			buf_addc(&b, *s);
			break;
		case '~': buf_adds(&b, "\\textasciitilde{}"); break;
		case '^': buf_adds(&b, "\\textasciicircum{}"); break;
		case '\\': buf_adds(&b, "\\textbackslash{}"); break;
		default: buf_addc(&b, *s);
		}
	}
	return buf_detach(&b);
}

/* Write rel under dir unless it exists; count it. */
static int
put(const char *dir, const char *rel, const char *text, int *made, struct buf *err)
{
	char *p = path_join(dir, rel);
	int r = write_new_file(p, text, strlen(text), 0644, err);
	free(p);
	if (r > 0)
		(*made)++;
	return r < 0 ? -1 : 0;
}

/* project.yaml from the template with the fields filled in (surgically, so
 * the template's comments and layout stay). */
static char *
project_yaml(const char *root, const char *id, const char *title, const char *idea, const char *target,
	     const char *metric, const char *workdir, struct buf *err)
{
	size_t len;
	char *t = template_text(root, "project/project.yaml", &len);
	struct ydoc d = YDOC_INIT;
	char *out = NULL;
	if (ydoc_parse(&d, "templates/project/project.yaml", t, len, err) < 0)
		goto done;
	if (workdir && !ymap_get(d.root, "code")) {
		/* a template of its own (the Python ros.py's) without code: */
		char *more = xasprintf("%.*s%s\ncode:\n  workdir:\n", (int)len, t, len && t[len - 1] != '\n' ? "\n" : "");
		ydoc_release(&d);
		int bad = ydoc_parse(&d, "templates/project/project.yaml", more, strlen(more), err) < 0;
		free(more);
		if (bad)
			goto done;
	}
	char *blog = xasprintf("research/%s/blog", id), *paper = xasprintf("research/%s/paper", id);
	const char *sets[][3] = {
		{ "", "project_id", id }, { "", "title", title }, { "", "idea", idea },
		{ "target", "claim", target }, { "target", "primary_metric", metric },
		{ "publication", "blog_dir", blog }, { "publication", "paper_dir", paper },
		{ "code", "workdir", workdir },
	};
	int ok = 1;
	for (size_t i = 0; i < ARRAY_SIZE(sets) && ok; i++) {
		const struct ynode *m = *sets[i][0] ? ymap_get(d.root, sets[i][0]) : d.root;
		if (!m || m->type != Y_MAP || !sets[i][2])
			continue;	/* a user template without that section */
		ok = yedit_set(&d, m, sets[i][1], sets[i][2], err) == 0;
	}
	free(blog);
	free(paper);
	if (ok)
		out = xstrndup(d.text, d.len);
done:
	ydoc_release(&d);
	free(t);
	return out;
}

struct add_idea {
	json_t *entry;
	char *id;
	int existed;
};

static int
add_first_idea(struct queue *q, void *arg, struct buf *err)
{
	struct add_idea *a = arg;
	const char *project = jstr0(a->entry, "project_id"), *title = jstr0(a->entry, "title");
	for (size_t i = 0; i < q->n; i++) {
		if (!queue_key_is(q, i, JK_PROJECT, project))
			continue;
		json_t *o = queue_obj(q, i, err);
		if (!o)
			return -1;
		if (!strcmp(jstr0(o, "title"), title)) {
			a->id = xstrdup(jstr0(o, "id"));
			a->existed = 1;
			return 0;
		}
	}
	json_t *o = json_object();
	a->id = queue_new_id(q, "i");
	json_object_set_new(o, "id", json_string(a->id));
	json_object_update(o, a->entry);
	queue_append(q, o);
	return 1;
}

static int
cmd_init_project_fn(int argc, char **argv, struct ctx *ctx)
{
	const char *title = NULL, *idea = NULL, *target = NULL, *metric = "", *pid = NULL, *wdir = NULL;
	char *workdir = NULL;
	long long prio = 5;
	struct buf err = BUF_INIT;
	int rc = 1, made = 0;
	const struct opt opts[] = {
		{ .name = "title", .kind = OPT_STR, .dst = &title, .arg = "T", .help = "project title (required)", .flags = OPT_REQUIRED },
		{ .name = "idea", .kind = OPT_STR, .dst = &idea, .arg = "I", .help = "the high-level idea (required)", .flags = OPT_REQUIRED },
		{ .name = "target", .kind = OPT_STR, .dst = &target, .arg = "C", .help = "what success would mean (required)", .flags = OPT_REQUIRED },
		{ .name = "metric", .kind = OPT_STR, .dst = &metric, .arg = "M", .help = "primary metric, e.g. MSE" },
		{ .name = "priority", .kind = OPT_INT, .dst = &prio, .arg = "N", .help = "priority of the first idea (default 5)", .flags = OPT_MIN, .min = 0 },
		{ .name = "project-id", .kind = OPT_STR, .dst = &pid, .arg = "ID", .help = "id (default: derived from the title)" },
		{ .name = "workdir", .kind = OPT_STR, .dst = &wdir, .arg = "DIR", .help = "the project's code (code.workdir): a snapshot of DIR travels with each run", .flags = OPT_NONEMPTY },
		OPT_END
	};
	opt_parse(ctx, opts, argc, argv, NULL);
	char *id = pid ? xstrdup(pid) : project_id_from_title(title);
	if (!project_id_valid(id))
		usage_error(ctx, "invalid project id '%s' (letters, digits, _ . - only)", *id ? id : title);
	const char *root = ctx_root(ctx);
	if (wdir && !(workdir = code_workdir_rel(root, wdir, &err))) {
		error("%s", err.s);
		buf_release(&err);
		free(id);
		return 1;
	}
	char *dir = xasprintf("%s/research/%s", root, id);
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *d = path_join(dir, dirs[i]);
		if (mkdir_p(d, 0755) < 0) {
			error("cannot create %s: %s", d, strerror(errno));
			free(d);
			goto out;
		}
		free(d);
	}
	char *py = project_yaml(root, id, title, idea, target, metric, workdir, &err);
	if (!py) {
		error("%s", err.s);
		goto out;
	}
	size_t len;
	char *tex_t = template_text(root, "paper/main.tex", &len), *lt = latex_text(title);
	char *tex = replace_all(tex_t, "PROJECT_TITLE", lt);
	char *hw_t = template_text(root, "project/hardware_requirements.md", &len);
	char *hw = replace_all(hw_t, "<project_id>", id);
	/* templates/agents/deep_research_prompt.md, which the Python ros.py's
	 * init-project reads too (its placeholders have no braces) */
	char *req_t = template_text(root, "agents/deep_research_prompt.md", &len);
	const char *subst[][2] = { { "PROJECT_TITLE", title }, { "PROJECT_IDEA", idea }, { "PROJECT_TARGET", target },
				   { "PROJECT_METRIC", *metric ? metric : "not set" } };
	char *req_md = xstrdup(req_t);
	for (size_t i = 0; i < ARRAY_SIZE(subst); i++) {
		char *next = replace_all(req_md, subst[i][0], subst[i][1]);
		free(req_md);
		req_md = next;
	}
	free(req_t);
	char *readme = xasprintf("# %s\n\n%s\n\nTarget: %s\n\n"
				 "- `project.yaml`: the manifest (target, benchmarks, metrics, current state)\n"
				 "- `deep_research/`: literature and protocol notes\n"
				 "- `benchmark/`: baselines to reproduce (`reference.csv`: values to beat)\n"
				 "- `probes/`: small experiments\n- `evidence/`: run results and summaries (`ros results`)\n"
				 "- `analysis/`: notebooks and tables\n- `paper/`, `blog/`: publications (`ros publish`)\n",
				 title, idea, target);
	const char *files[][2] = {
		{ "project.yaml", py }, { "paper/main.tex", tex }, { "hardware_requirements.md", hw },
		{ "deep_research/request.md", req_md }, { "README.md", readme },
		{ "benchmark/README.md", "# Benchmark\n\nBaselines to reproduce. Put reference values to beat in\n"
					 "`reference.csv` (one row per config; columns: config keys, then metrics).\n" },
		{ "evidence/README.md", "# Evidence\n\n`runs/<run_id>.json` per finished run; `summary.*` from `ros results`.\n" },
		{ "probes/README.md", "# Probes\n\nSmall, cheap experiments that test one assumption each.\n" },
	};
	int bad = 0;
	for (size_t i = 0; i < ARRAY_SIZE(files) && !bad; i++)
		bad = put(dir, files[i][0], files[i][1], &made, &err) < 0;
	free(py);
	free(tex_t);
	free(lt);
	free(tex);
	free(hw_t);
	free(hw);
	free(req_md);
	free(readme);
	if (bad) {
		error("%s", err.s);
		goto out;
	}
	struct add_idea a = { idea_entry(id, title, idea, metric, prio, "project_initialized"), NULL, 0 };
	int r = queue_update(root, Q_IDEAS, add_first_idea, &a, &err);
	json_decref(a.entry);
	if (r < 0) {
		error("%s", err.s);
		free(a.id);
		goto out;
	}
	if (ctx->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:i}", "project_id", id, "folder", dir, "idea_id", a.id,
				      "idea_existed", a.existed, "files_written", made);
		json_print(o);
		json_decref(o);
	} else {
		printf("project_id: %s\nfolder:     research/%s/\nidea_id:    %s%s\n", id, id, a.id,
		       a.existed ? " (already in the idea queue)" : "");
		if (!made)
			info("nothing new: the project was already there");
	}
	free(a.id);
	rc = 0;
out:
	free(dir);
	free(workdir);
	free(id);
	buf_release(&err);
	return rc;
}

const struct ros_cmd cmd_init_project = {
	"init-project", cmd_init_project_fn, CMD_JSON, "scaffold research/<project_id>/ and add its first idea",
	"--title T --idea I --target C [--metric M] [--priority N] [--project-id ID] [--workdir DIR]",
	"The id comes from the title (lowercase, other characters -> _) unless given.\n"
	"Creates deep_research/ benchmark/{external,local}/ probes/ evidence/ analysis/\n"
	"blog/ paper/{figures,tables}/ artifacts/, project.yaml from\n"
	"templates/project/project.yaml, paper/main.tex with the title, and README\n"
	"stubs; appends the idea (status new) to queues/idea_queue.json.  Running it\n"
	"again adds only what is missing.  --workdir DIR writes code: {workdir: DIR}\n"
	"(relative to the root when it can be): each run's code is a snapshot of\n"
	"that tree (ros help snapshot; add-run --workdir overrides it per run).",
};

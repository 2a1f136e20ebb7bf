/*
 * published.c - the files ros wrote for a project (see published.h).
 */
#include "results/published.h"
#include "results/collect.h"
#include "util/jx.h"

#include <stdlib.h>
#include <string.h>

/* What ros recorded before: FNV-1a with an offset basis one digit short. */
#define FNV1A_INIT_OLD 1469598103934665603ULL

static void
sum_with(uint64_t basis, const char *s, size_t n, char out[PUBLISHED_SUM])
{
	snprintf(out, PUBLISHED_SUM, "fnv1a64:%016llx", (unsigned long long)fnv1a(basis, s, n));
}

void
published_checksum(const char *s, size_t n, char out[PUBLISHED_SUM])
{
	sum_with(FNV1A_INIT, s, n, out);
}

int
published_sum_matches(const char *sum, const char *s, size_t n)
{
	char now[PUBLISHED_SUM], old[PUBLISHED_SUM];
	if (!sum)
		return 0;
	sum_with(FNV1A_INIT, s, n, now);
	sum_with(FNV1A_INIT_OLD, s, n, old);
	return !strcmp(sum, now) || !strcmp(sum, old);
}

static char *
published_path(const char *root, const char *project)
{
	return xasprintf("%s/research/%s/evidence/published.json", root, project);
}

json_t *
published_load(const char *root, const char *project)
{
	char *path = published_path(root, project);
	json_error_t je;
	json_t *pub = file_exists(path) ? json_load_file(path, 0, &je) : NULL;
	if (file_exists(path) && !json_is_object(pub))
		warning("%s: unreadable (%s); every existing output counts as edited", path,
			pub ? "not a JSON object" : je.text);
	if (!json_is_object(pub)) {
		json_decref(pub);
		pub = json_object();
	}
	if (!json_is_object(json_object_get(pub, "files")))
		json_object_set_new(pub, "files", json_object());
	if (!json_is_object(json_object_get(pub, "posts")))
		json_object_set_new(pub, "posts", json_object());
	free(path);
	return pub;
}

int
published_save(const char *root, const char *project, const json_t *pub, struct buf *err)
{
	struct buf js = BUF_INIT;
	json_write(&js, pub, 0);
	buf_addc(&js, '\n');
	char *path = published_path(root, project);
	int w = write_if_changed(path, js.s, js.len, err);
	free(path);
	buf_release(&js);
	return w < 0 ? -1 : 0;
}

int
published_put(json_t *pub, const char *root, const char *rel, const char *data, const char *kind,
	      const char *source, const char *now, int force, const char **result, struct buf *err)
{
	json_t *files = json_object_get(pub, "files");
	json_t *old = json_object_get(files, rel);
	const char *known = jstr(old, "checksum");
	char *path = path_join(root, rel);
	size_t len, dlen = strlen(data);
	char *cur = read_file(path, &len);
	int same = cur && len == dlen && !memcmp(cur, data, len);
	int edited = cur && !published_sum_matches(known, cur, len);
	int rc = 0;
	free(cur);
	if (!same && edited && !force) {
		*result = "refused";
		goto out;
	}
	int w = write_if_changed(path, data, dlen, err);
	if (w < 0) {
		rc = -1;
		goto out;
	}
	*result = w == 0 ? "unchanged" : edited ? "overwrote" : "wrote";
	char sum[PUBLISHED_SUM];
	published_checksum(data, dlen, sum);
	json_t *rec = json_object();
	jset_str(rec, "checksum", sum);
	jset_str(rec, "kind", kind);
	jset_str(rec, "source_evidence", source);
	if (published_sum_matches(known, data, dlen))
		json_object_set(rec, "written_at", json_object_get(old, "written_at"));
	else
		jset_str(rec, "written_at", now);
	json_object_set_new(files, rel, rec);
out:
	free(path);
	return rc;
}

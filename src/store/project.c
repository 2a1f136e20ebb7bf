/*
 * project.c - research/<project_id>/ folders.
 */
#include "store/project.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

int
project_id_valid(const char *id)
{
	return safe_name(id);
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
project_list(const char *root, struct strv *out)
{
	char *dir = path_join(root, "research");
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *y = xasprintf("%s/%s/project.yaml", dir, de->d_name);
		if (file_exists(y))
			strv_push(out, de->d_name);
		free(y);
	}
	if (d)
		closedir(d);
	free(dir);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, cmpstr);
}

int
project_exists(const char *root, const char *id)
{
	if (!project_id_valid(id))
		return 0;
	char *p = xasprintf("%s/research/%s", root, id);
	int ok = dir_exists(p);
	free(p);
	return ok;
}

int
project_unknown_error(const char *root, const char *id)
{
	struct strv l = STRV_INIT;
	struct buf b = BUF_INIT;
	project_list(root, &l);
	for (size_t i = 0; i < l.n; i++)
		buf_addf(&b, "%s%s", i ? ", " : "", l.v[i]);
	if (l.n)
		error("unknown project '%s' (known: %s)", id, b.s);
	else
		error("unknown project '%s' (no projects yet: make one with ros init-project)", id);
	buf_release(&b);
	strv_release(&l);
	return -1;
}

char *
project_id_from_title(const char *title)
{
	return slugify(title, '_', 0);
}

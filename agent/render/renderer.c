/*
 * renderer.c: ss_renderer_run, the one entry the agent's units use: a
 * confined local child, or the render server when one is configured.
 */
#include <stdlib.h>

#include "render_int.h"

int ss_renderer_run(const struct ss_renderer_opts *o, const struct ss_renderer_file *files,
		    size_t nfiles, const struct ss_renderer_job *job, unsigned char **out,
		    size_t *len, struct ss_err *err)
{
	struct ss_renderer_copy *c = NULL;
	int rc;

	*out = NULL;
	*len = 0;
	if (o->server != NULL && o->server[0] != '\0')
		return render_client_run(o, files, nfiles, job, out, len, err);
	rc = ss_renderer_copy_create(o->tmp_dir, files, nfiles, &c, err);
	if (rc == 0)
		rc = ss_renderer_exec(c, job, o, out, len, err);
	ss_renderer_copy_free(c);
	return rc;
}

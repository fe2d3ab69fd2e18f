/* render_client.c: the agent's side of the render server protocol. */
#include "render_int.h"

int render_client_run(const struct ss_renderer_opts *o, const struct ss_renderer_file *files,
		      size_t nfiles, const struct ss_renderer_job *job, unsigned char **out,
		      size_t *len, struct ss_err *err)
{
	(void)o;
	(void)files;
	(void)nfiles;
	(void)job;
	*out = NULL;
	*len = 0;
	return ss_err_set(err, SS_E_UNSUPPORTED, "the render server is not implemented yet");
}

int ss_renderer_serve(const char *socket_path, const struct ss_renderer_opts *o,
		      volatile int *stop, struct ss_err *err)
{
	(void)socket_path;
	(void)o;
	(void)stop;
	return ss_err_set(err, SS_E_UNSUPPORTED, "the render server is not implemented yet");
}

/* curl_dl.c: libcurl loaded on first use (see curl_dl.h). */
#include <dlfcn.h>
#include <stddef.h>

#include "curl_dl.h"

static struct sealctl_curl table;
static int loaded;

/* POSIX's way to turn dlsym's object pointer into a function pointer. */
static int sym(void *lib, const char *name, void *fnp)
{
	void *p = dlsym(lib, name);

	if (p == NULL)
		return -1;
	*(void **)fnp = p;
	return 0;
}

static int resolve(void *lib)
{
	return sym(lib, "curl_easy_init", &table.easy_init) |
	       sym(lib, "curl_easy_setopt", &table.easy_setopt) |
	       sym(lib, "curl_easy_perform", &table.easy_perform) |
	       sym(lib, "curl_easy_getinfo", &table.easy_getinfo) |
	       sym(lib, "curl_easy_cleanup", &table.easy_cleanup) |
	       sym(lib, "curl_easy_strerror", &table.easy_strerror) |
	       sym(lib, "curl_slist_append", &table.slist_append) |
	       sym(lib, "curl_slist_free_all", &table.slist_free_all) |
	       sym(lib, "curl_version_info", &table.version_info);
}

int sealctl_curl_load(const struct sealctl_curl **out, struct ss_err *err)
{
	void *lib;

	*out = NULL;
	if (loaded) {
		*out = &table;
		return 0;
	}
	/* The soname, as a link against -lcurl would record it. Never
	 * unloaded: libcurl keeps global state (TLS back end) until exit. */
	lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL)
		return ss_err_set(err, SS_E_NET, "cannot load libcurl.so.4 (needed for https): %s",
				  dlerror());
	if (resolve(lib) != 0) {
		dlclose(lib);
		return ss_err_set(err, SS_E_NET, "libcurl.so.4 lacks a function sealctl needs (too old?)");
	}
	loaded = 1;
	*out = &table;
	return 0;
}

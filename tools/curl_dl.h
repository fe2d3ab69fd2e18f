/*
 * curl_dl.h: libcurl, loaded on first use (dlopen of libcurl.so.4).
 *
 * Why: only --agent and `recipients --kubeconfig` talk https, but linking
 * libcurl maps its ~30 dependencies (GnuTLS, OpenSSL, Kerberos, LDAP, ...)
 * into every sealctl run: 6 MiB of peak RSS before any work (PERFORMANCE.md,
 * row 6a). Loading it here keeps `sealctl seal` and friends small.
 */
#ifndef SEALCTL_CURL_DL_H
#define SEALCTL_CURL_DL_H

/* The function-pointer table below declares the variadic calls itself. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "sealsync/err.h"

/* The libcurl calls sealctl makes, resolved from libcurl.so.4. */
struct sealctl_curl {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode cc);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
	curl_version_info_data *(*version_info)(CURLversion v);
};

/*
 * *out: the table, loaded once per process (sealctl is single-threaded).
 * SS_E_NET when libcurl.so.4 or one of its functions is missing.
 */
int sealctl_curl_load(const struct sealctl_curl **out, struct ss_err *err);

#endif

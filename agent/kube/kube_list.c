/*
 * kube_list.c: LIST with a label selector, in pages.
 *
 * Pages of KUBE_LIST_PAGE items keep each response under the cap even for
 * thousands of objects; the items of every page are gathered into the
 * first page's List object. The number of pages is bounded too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

static int list_query(struct ss_buf *q, const char *selector, const char *cont)
{
	int rc = ss_buf_printf(q, "?limit=%d", KUBE_LIST_PAGE);

	if (rc == 0 && selector != NULL && *selector != '\0') {
		rc = ss_buf_puts(q, "&labelSelector=");
		if (rc == 0)
			rc = kube_url_escape(q, selector);
	}
	if (rc == 0 && cont != NULL) {
		rc = ss_buf_puts(q, "&continue=");
		if (rc == 0)
			rc = kube_url_escape(q, cont);
	}
	return rc;
}

/* GETs one page; *cont becomes the next continue token or NULL. */
static int list_page(struct ss_kube *k, const struct kube_ref *ref, const char *selector,
		     char **cont, json_t **page, struct ss_err *err)
{
	struct ss_buf q;
	struct kube_req r;
	char *url = NULL, what[450];
	const char *next;
	int rc;

	ss_buf_init(&q, 8192);
	rc = list_query(&q, selector, *cont);
	free(*cont);
	*cont = NULL;
	if (rc != 0) {
		ss_buf_release(&q);
		return ss_err_set(err, rc, "%s: label selector too long", ref->what);
	}
	rc = kube_ref_url(k, ref, 0, ss_buf_str(&q), &url, err);
	ss_buf_release(&q);
	if (rc != 0)
		return rc;
	kube_req_init(k, &r, "GET", url, kube_is_secret(ref->kind));
	snprintf(what, sizeof(what), "list %s", ref->what);
	rc = kube_do_one(k, &r, what, page, err);
	kube_req_release(k, &r);
	if (rc != 0)
		return rc;
	next = json_string_value(json_object_get(json_object_get(*page, "metadata"), "continue"));
	if (next != NULL && *next != '\0' && (*cont = strdup(next)) == NULL)
		return ss_err_set(err, SS_E_NOMEM, "out of memory");
	return 0;
}

int ss_kube_list(struct ss_kube *k, const char *api_version, const char *kind, const char *ns,
		 const char *label_selector, json_t **out, struct ss_err *err)
{
	struct kube_ref ref;
	json_t *list = NULL, *page = NULL;
	char *cont = NULL;
	int rc, pages = 0;

	*out = NULL;
	rc = kube_ref_from(k, api_version, kind, ns, NULL, &ref, err);
	if (rc != 0)
		return rc;
	do {
		if (++pages > KUBE_LIST_MAX_PAGES) {
			rc = ss_err_set(err, SS_E_LIMIT, "list %s: more than %d pages", ref.what,
					KUBE_LIST_MAX_PAGES);
			goto out;
		}
		rc = list_page(k, &ref, label_selector, &cont, &page, err);
		if (rc != 0)
			goto out;
		if (list == NULL) {
			list = page;
		} else if (json_array_extend(json_object_get(list, "items"),
					     json_object_get(page, "items")) != 0 &&
			   json_array_size(json_object_get(page, "items")) > 0) {
			rc = ss_err_set(err, SS_E_INVAL, "list %s: a page has no items", ref.what);
			goto out;
		}
		if (page != list)
			json_decref(page);
		page = NULL;
	} while (cont != NULL);
	if (!json_is_array(json_object_get(list, "items")) &&
	    json_object_set_new(list, "items", json_array()) != 0) {
		rc = ss_err_set(err, SS_E_NOMEM, "out of memory");
		goto out;
	}
	json_object_del(json_object_get(list, "metadata"), "continue");
	*out = list;
	list = NULL;
out:
	if (page != list)
		json_decref(page);
	json_decref(list);
	free(cont);
	return rc;
}

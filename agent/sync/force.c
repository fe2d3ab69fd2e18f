/* force.c: delete and re-create an object whose immutable field changed
 * (see apply.h, "Force"). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sealsync/apply.h"
#include "sealsync/kube.h"

int ss_force_wanted(const json_t *obj)
{
	const char *v = json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "metadata"), "annotations"), SS_ANNOT_FORCE));

	return v != NULL && strcmp(v, "true") == 0;
}

static const char *meta_str(const json_t *obj, const char *k)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), k));
}

/* 1 when the object is gone, or another object (new uid) holds the name. */
static int gone(struct ss_kube *k, const json_t *obj, const char *uid, struct ss_err *err,
		int *rc)
{
	const char *ns = meta_str(obj, "namespace");
	json_t *live = NULL;
	const char *now;
	int out;

	*rc = ss_kube_get(k, json_string_value(json_object_get(obj, "apiVersion")),
			  json_string_value(json_object_get(obj, "kind")), ns,
			  meta_str(obj, "name"), &live, err);
	if (*rc == SS_E_NOTFOUND) {
		ss_err_clear(err);
		*rc = 0;
		return 1;
	}
	now = live != NULL ? meta_str(live, "uid") : NULL;
	out = *rc == 0 && uid[0] != '\0' && now != NULL && strcmp(now, uid) != 0;
	json_decref(live);
	return out;
}

int ss_force_delete(struct ss_kube *k, const json_t *obj, unsigned timeout_sec,
		    struct ss_err *err)
{
	const char *av = json_string_value(json_object_get(obj, "apiVersion"));
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *ns = meta_str(obj, "namespace"), *name = meta_str(obj, "name");
	time_t end = time(NULL) + (time_t)timeout_sec;
	char uid[128] = "";
	json_t *live = NULL;
	int rc;

	rc = ss_kube_get(k, av, kind, ns, name, &live, err);
	if (rc == 0 && meta_str(live, "uid") != NULL)
		snprintf(uid, sizeof(uid), "%s", meta_str(live, "uid"));
	json_decref(live);
	if (rc == SS_E_NOTFOUND) {
		ss_err_clear(err);
		return 0;
	}
	if (rc == 0)
		rc = ss_kube_delete(k, av, kind, ns, name, err);
	if (rc == SS_E_NOTFOUND) {
		ss_err_clear(err);
		rc = 0;
	}
	while (rc == 0 && !gone(k, obj, uid, err, &rc)) {
		if (time(NULL) >= end)
			return ss_err_set(err, SS_E_TIMEOUT,
					  "%s %s%s%s was deleted to be re-created but is still "
					  "there after %us (a finalizer?)",
					  kind, ns != NULL ? ns : "", ns != NULL ? "/" : "", name,
					  timeout_sec);
		usleep(200 * 1000);
	}
	return rc;
}

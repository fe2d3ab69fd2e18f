/* sync_notify.c: sync's side of notifications (sync_notify.h, notify.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/notify.h"
#include "sync_notify.h"

/* The api version of id ("group/version" or "version") into buf. */
static void api_version(const struct ss_objid *id, char *buf, size_t len)
{
	struct ss_inv_ref r;

	ss_inv_ref_from_id(&r, id);
	snprintf(buf, len, "%s", r.api_version);
}

/* The item whose origin the error names (file and document), if any. */
static const struct ss_item *failed_item(const struct ss_err *err, const struct ss_bundle *b)
{
	size_t i;

	if (err == NULL || b == NULL || err->file[0] == '\0' || err->doc < 0)
		return NULL;
	for (i = 0; i < b->n; i++) {
		const struct ss_item *it = &b->items[i];

		if (it->origin.file != NULL && strcmp(it->origin.file, err->file) == 0 &&
		    it->origin.doc == err->doc && it->id.kind[0] != '\0')
			return it;
	}
	return NULL;
}

void sync_notify_result(const char *unit, const char *revision, int rc, const char *stage,
			const struct ss_err *err, const struct ss_bundle *b)
{
	const struct ss_item *it = rc != 0 ? failed_item(err, b) : NULL;
	struct ss_notify_object o;
	char av[SS_OBJ_NAME_MAX + SS_OBJ_LABEL_MAX + 2];

	if (it != NULL) {
		api_version(&it->id, av, sizeof(av));
		o.api_version = av;
		o.kind = it->id.kind;
		o.namespace_ = it->id.ns;
		o.name = it->id.name;
	}
	ss_notify_sync_result(unit, revision, rc == 0, stage, it != NULL ? &o : NULL);
}

void sync_notify_source_failed(const struct ss_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nunits; i++)
		ss_notify_sync_result(cfg->units[i].name, NULL, 0, "source", NULL);
}

void sync_notify_refused(const char *unit, const char *revision, const char *reason,
			 const struct ss_inv_list *l)
{
	struct ss_notify_object *o;
	size_t i, n = l->n;

	o = calloc(n + 1, sizeof(*o));
	if (o == NULL)
		n = 0; /* still say that it was refused */
	for (i = 0; i < n; i++) {
		o[i].api_version = l->refs[i].api_version;
		o[i].kind = l->refs[i].kind;
		o[i].namespace_ = l->refs[i].ns;
		o[i].name = l->refs[i].name;
	}
	ss_notify_prune_refused(unit, revision, reason, o, n);
	free(o);
}

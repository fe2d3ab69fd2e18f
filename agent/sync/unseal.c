/* unseal.c: SealedSecret items become v1 Secrets in memory (see bundle.h). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "sealsync/age.h"
#include "sealsync/buf.h"
#include "sealsync/bundle.h"
#include "sealsync/sealed.h"

/* Hands each plaintext value to on_value (the redaction list). */
static int report_values(const json_t *secret,
			 void (*on_value)(void *ctx, const unsigned char *v, size_t len), void *ctx)
{
	const char *key;
	json_t *v;
	struct ss_buf pt;
	size_t n;
	int rc = 0;

	if (on_value == NULL)
		return 0;
	ss_buf_init_secure(&pt, 2u * 1024 * 1024);
	json_object_foreach(json_object_get(secret, "data"), key, v) {
		const char *b64 = json_string_value(v);

		if (b64 == NULL)
			continue;
		ss_buf_reset(&pt);
		rc = ss_buf_reserve(&pt, strlen(b64));
		if (rc != 0)
			break;
		if (sodium_base642bin(pt.data, pt.cap, b64, strlen(b64), NULL, &n, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0)
			continue;
		if (n > 0)
			on_value(ctx, pt.data, n);
	}
	ss_buf_release(&pt);
	return rc;
}

static int unseal_item(struct ss_item *it, const struct ss_age_open_opts *open,
		       void (*on_value)(void *ctx, const unsigned char *v, size_t len), void *ctx,
		       size_t *nvalues, struct ss_err *err)
{
	struct ss_sealed *s = NULL;
	json_t *secret = NULL;
	int rc;

	rc = ss_item_thaw(it, err);
	if (rc == 0)
		rc = ss_sealed_parse(it->obj, &it->origin, &s, err);
	if (rc == 0)
		rc = ss_sealed_unseal(s, it->id.ns, open, &secret, err);
	if (rc == 0)
		rc = report_values(secret, on_value, ctx);
	if (rc == 0) {
		*nvalues += ss_sealed_count(s);
		json_decref(it->obj);
		it->obj = secret;
		secret = NULL;
		it->sealed = 0;
		snprintf(it->id.group, sizeof(it->id.group), "%s", "");
		snprintf(it->id.version, sizeof(it->id.version), "%s", "v1");
		snprintf(it->id.kind, sizeof(it->id.kind), "%s", "Secret");
	}
	json_decref(secret);
	ss_sealed_free(s);
	ss_item_done(it);
	return rc;
}

int ss_bundle_unseal(struct ss_bundle *b, const struct ss_age_open_opts *open,
		     void (*on_value)(void *ctx, const unsigned char *v, size_t len), void *ctx,
		     struct ss_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < b->n; i++) {
		if (b->items[i].sops) {
			rc = ss_bundle_open_sops_item(&b->items[i], open, err);
			if (rc == 0)
				rc = report_values(b->items[i].obj, on_value, ctx);
			ss_item_done(&b->items[i]);
			if (rc != 0)
				return rc;
			continue;
		}
		if (!b->items[i].sealed)
			continue;
		rc = unseal_item(&b->items[i], open, on_value, ctx, &b->nvalues, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

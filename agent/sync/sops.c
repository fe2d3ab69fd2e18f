/*
 * sops.c: a SOPS item of a unit that opted in becomes its v1 Secret (see
 * sops.h and bundle.h). Its identity and namespace are read only now, from
 * the decrypted, MAC-checked content: nothing before this (target
 * namespace, plan) has moved it, and nothing after may.
 */
#include <stdio.h>
#include <string.h>

#include "sealsync/bundle.h"
#include "sealsync/sops.h"

int ss_bundle_open_sops_item(struct ss_item *it, const struct ss_age_open_opts *open,
			     struct ss_err *err)
{
	json_t *secret = NULL;
	int rc;

	rc = ss_item_thaw(it, err);
	if (rc == 0)
		rc = ss_sops_decrypt(it->obj, &it->origin, open, &secret, err);
	if (rc == 0)
		rc = ss_object_identity(secret, &it->origin, &it->id, err);
	if (rc != 0) {
		json_decref(secret);
		return rc;
	}
	json_decref(it->obj);
	it->obj = secret;
	it->sops = 0;
	it->namespaced = 1;
	return 0;
}

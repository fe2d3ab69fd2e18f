/*
 * fuzz_apiserver_body: ss-apiserver's request-body parsing (JSON, YAML)
 * and what runs on a parsed body: the store's create, server-side apply
 * (managed fields, merge), merge and JSON patch, plus label selectors and
 * fault rules.
 * The first input byte picks the content type and verb.
 */
// fuzz-link: ss_manifest
// fuzz-src: tests/apiserver/parse.c tests/apiserver/select.c tests/apiserver/fields.c
// fuzz-src: tests/apiserver/registry.c tests/apiserver/openapi.c tests/apiserver/store.c
// fuzz-src: tests/apiserver/store_ops.c tests/apiserver/kinds.c tests/apiserver/watch.c
// fuzz-src: tests/apiserver/jsonpatch.c tests/apiserver/faults.c
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../apiserver/apisrv.h"
#include "../apiserver/http.h"

static const char *const ctypes[] = {"application/apply-patch+yaml", "application/json",
				     "application/merge-patch+json", "application/json-patch+json"};
static const char *const plurals[] = {"configmaps", "secrets", "namespaces",
				      "customresourcedefinitions", "widgets"};
static const char *const groups[] = {"", "", "", "apiextensions.k8s.io", "example.com"};

static void run(struct apisrv_store *s, unsigned sel, const uint8_t *data, size_t size)
{
	struct apisrv_req rq;
	struct apisrv_reply rep;
	const char *methods[] = {"PATCH", "POST", "PUT", "PATCH"};

	memset(&rq, 0, sizeof(rq));
	rq.method = methods[(sel >> 2) & 3];
	rq.ctype = ctypes[sel & 3];
	rq.group = groups[(sel >> 4) % 5];
	rq.version = "v1";
	rq.plural = plurals[(sel >> 4) % 5];
	rq.ns = (sel >> 4) % 5 == 2 || (sel >> 4) % 5 == 3 ? "" : "default";
	rq.name = strcmp(rq.method, "POST") == 0 ? "" : "x";
	rq.subres = "";
	rq.field_manager = (sel & 0x80) ? "a" : "b";
	rq.force = (sel >> 6) & 1;
	rq.strict = 1;
	rq.body = data;
	rq.body_len = size;
	apisrv_store_handle(s, &rq, &rep);
	json_decref(rep.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct apisrv_store *s;
	static struct apisrv_faults fs;
	static unsigned runs;
	struct apisrv_selector *ls = NULL;
	json_t *obj = NULL;
	char *text;

	if (size < 1 || size > 65536)
		return 0;
	if (!s && apisrv_store_new(0, &s) != 0)
		abort();
	if (runs == 0)
		faults_init(&fs, 1);
	if (++runs % 512 == 0)
		apisrv_store_reset(s);
	if (apisrv_body_parse(ctypes[data[0] & 3], data + 1, size - 1, &obj, NULL) == 0) {
		if (!json_is_object(obj))
			abort(); /* the contract: an object or an error */
		json_decref(obj);
	}
	run(s, data[0], data + 1, size - 1);
	text = malloc(size);
	if (text) {
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		if (apisrv_selector_parse(text, &ls, NULL) == 0)
			(void)apisrv_selector_match(ls, NULL);
		apisrv_selector_free(ls);
		if (faults_add_spec(&fs, text, NULL) == 0)
			faults_clear(&fs);
		free(text);
	}
	return 0;
}

/*
 * Fuzz target: the SealedSecret codec on arbitrary YAML. Every document is
 * parsed as a SealedSecret; one that parses is written out again (YAML and
 * JSON) and spliced back into the input text. Every document also goes
 * through the emitter, and loading the emitted YAML must give the same
 * value: a difference aborts (the emitter's round-trip promise).
 */
// fuzz-link: ss_manifest
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sealsync/emit.h"
#include "sealsync/jsonalloc.h"
#include "sealsync/sealed.h"
#include "sealsync/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct ss_yaml_limits lim = {.max_bytes = 1 << 16, .max_docs = 16,
					  .max_depth = 48, .max_nodes = 20000,
					  .max_scalar = 1 << 14};

static void round_trip(const json_t *doc)
{
	struct ss_docset *back = NULL;
	struct ss_buf b;

	ss_buf_init(&b, 1 << 20);
	if (ss_emit_yaml(doc, &b, NULL) == 0) {
		if (ss_yaml_load("emitted", b.data, b.len, NULL, &back, NULL) != 0 ||
		    ss_docset_count(back) != 1 || !json_equal((json_t *)doc, ss_docset_get(back, 0)))
			abort();
	}
	ss_docset_free(back);
	ss_buf_release(&b);
}

static void sealed_paths(const struct ss_docset *ds, size_t i, const uint8_t *data, size_t size)
{
	struct ss_origin o = {"fuzz.yaml", ss_docset_index(ds, i), ss_docset_line(ds, i), ds, i};
	struct ss_sealed *s = NULL;
	struct ss_buf b;

	if (ss_sealed_parse(ss_docset_get(ds, i), &o, &s, NULL) != 0)
		return;
	ss_buf_init(&b, 1 << 20);
	(void)ss_sealed_emit(s, SS_EMIT_YAML, &b, NULL);
	ss_buf_reset(&b);
	(void)ss_sealed_emit(s, SS_EMIT_JSON, &b, NULL);
	ss_buf_reset(&b);
	(void)ss_sealed_splice("fuzz.yaml", (const char *)data, size, s, NULL, 0, &b, NULL);
	ss_buf_release(&b);
	ss_sealed_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct ss_docset *ds = NULL;
	size_t i;

	if (!init) {
		ss_json_use_zeroing_alloc();
		init = 1;
	}
	if (ss_yaml_load("fuzz.yaml", data, size, &lim, &ds, NULL) != 0)
		return 0;
	for (i = 0; i < ss_docset_count(ds); i++) {
		round_trip(ss_docset_get(ds, i));
		sealed_paths(ds, i, data, size);
	}
	ss_docset_free(ds);
	return 0;
}

/* Fuzz target: the YAML loader (ss_yaml_load) on arbitrary bytes, with
 * small bounds so that alias bombs and deep nesting are reached quickly.
 * When it loads, every document is dumped and a field line looked up. */
// fuzz-link: ss_manifest
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sealsync/jsonalloc.h"
#include "sealsync/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct ss_yaml_limits lim = {.max_bytes = 1 << 16, .max_docs = 64, .max_depth = 64,
				     .max_nodes = 20000, .max_scalar = 1 << 14};
	struct ss_docset *ds = NULL;
	struct ss_err err;
	size_t i;

	if (!init) {
		ss_json_use_zeroing_alloc();
		init = 1;
	}
	if (ss_yaml_load("fuzz.yaml", data, size, &lim, &ds, &err) != 0)
		return 0;
	for (i = 0; i < ss_docset_count(ds); i++) {
		char *s = json_dumps(ss_docset_get(ds, i), JSON_ENCODE_ANY | JSON_COMPACT);

		ss_json_free(s);
		(void)ss_docset_field_line(ds, i, "metadata.name");
		(void)ss_docset_field_line(ds, i, "spec.containers[0].image");
	}
	ss_docset_free(ds);
	return 0;
}

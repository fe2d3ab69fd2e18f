/*
 * Fuzz target: the Bitnami SealedSecret reader (import/, bitnami.h) on
 * arbitrary YAML. Every document (and every item of a v1 List) goes through
 * ss_bitnami_parse; each value of one that parses is split and opened with
 * the test key of tests/vectors/bitnami (the corpus is that key's kubeseal
 * output, so the RSA and AES-GCM paths are reached), under its own scope
 * and the other two. The raw input also goes through ss_bitnami_split.
 */
// fuzz-link: ss_import
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sealsync/bitnami.h"
#include "sealsync/jsonalloc.h"
#include "sealsync/secmem.h"
#include "sealsync/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* tests/vectors/bitnami/key.pem: a test-only key, public in this repository. */
static const char test_key[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCh0VNAWz6FFLYW\n"
	"xkkdwTuOEJrSPf8HzEgE9r0QWccG9guzYOy9u+f9R6NMhoi77Ik+FTx6QcfALCDw\n"
	"lfw8GqidWm9T1GLk+99SkhdLyM808LIgds09NVP3xFMVCE6XJpBysCWW8+PMvlz5\n"
	"DqJqe+kq40ok35msWkaUnuZiqx6N25zjUyCNmJKMx0PC2Wqh+9Xy54oVbdOU4kd5\n"
	"7wJnth7Wzt8wLOkGmi/RBXIKa637TefyLUiSuwxKvoAmM9uNu6IWV2lm2YTUZthn\n"
	"sF463AmkYU2YODdXrkiczQjsF0bUdia4vsME+5gdLMmAKaOilBPvqtmIV1vpMyre\n"
	"TYNy0VOFAgMBAAECggEACfpHQNufckNBqwvU7FHC41KgyT/rXsa41h2EsOJoRESd\n"
	"mhTq5BQXDOYC6rAM9FF0cPCMRxmRQIc4DL2izO3z4af231tkMaxaK9Q4PYMHS8Nf\n"
	"qGLK6vBD2i4v1Ucq2WUWWQwFdVZagIBoaS7+0sQLL4rOQpHK/vaeDYHywLi+bI65\n"
	"9VQbgE1hU53ib/XDNkRhXUuMu8jOWNZ4/MJW8CGBz5KEdzEj4VXtTSUlZO2rrehC\n"
	"mDnFSgYO6l3ObQI0Q56mdv4ma0okkNm65Bd+f0i7uOCWTQa8D62URZmt0yWRH8c5\n"
	"0hYtqBG1X2f2al1C7aG+5AVUsC2JQSWjvQfT1YFswQKBgQDQgc5/3uKL1EADCGAw\n"
	"+q2UpZWWysuU+8hJopxXUN+CYnyTMjk4naVx/uo3W6VpdAbIFNOKGj9yFDg3/3sc\n"
	"aZ5jlBcMDSJCvUdn/w2L2s+fmegjCIXeq4/orkVUffxZiHjpTo7AehnmgrBLMIlu\n"
	"W67qb7SBxz8h12GTjUXtmDqU8QKBgQDGrQckC7eiLvsN7lhV17s91ps+yMtJlI08\n"
	"zAaadiciLr3dJZIwGEJusPIUmrAu46WconmDcNvV/TW2hRMBCXLzxxMbLzw9h40t\n"
	"xm8XH+xLh9Mc5u2jFU2zaqMb1FQNVJUuIKMynCc5i/UwDWGpmHK3vKNfMoqcWLb9\n"
	"tkqecs3X1QKBgHAGPfdPvfIYkGfQuTW3iUlDCbLhtC2QdVSyrELxbZS0629+XWYA\n"
	"tSIhLp+deqrErtwS7HDXl1zoZigX+IIUcQfZSeSsrcqjvVivnQyV/FUosKMZ8irn\n"
	"jEMcVp2Fru4/t47KKUJal83US3mqUzxawAivCZFshovdF0zaa0azMk5RAoGBAJbs\n"
	"cEVApXIN0GdnzTEA3dt/AJX0QQGXWKd7sfR6lwXPjinF1cS1WRnvTya5z+b+xhs0\n"
	"Daz8+fMYFEqf0qzx+aIYc3ouKsvvAh9o45EkjgNendAR2SoPD+SguGF2rZcmzuCo\n"
	"qHDU0LNVj5++Opd0GIldQpoZsdRNTE11wj+VpKs1AoGAZLxTbxXz1DhOS5KND1w5\n"
	"QgtR/gx3SZ+et9NuyH/DWJPz39j5yqha/fOqfqd57IkbcCEtXYTG2JskMrePznWK\n"
	"je2IxMY8IEayLvUD+uBZQzWZW199pESSe0HJZ8IDOt/Kn8yYgsEGN451Ndb1G2ia\n"
	"YDMMO/uxG7MmR+0OIQXnyv8=\n"
	"-----END PRIVATE KEY-----\n"
;

static const struct ss_yaml_limits lim = {.max_bytes = 1 << 16, .max_docs = 16,
					  .max_depth = 48, .max_nodes = 20000,
					  .max_scalar = 1 << 14};

static struct ss_bitnami_keys *keys;

static void open_all(const struct ss_bitnami *b)
{
	char label[SS_BITNAMI_LABEL_MAX];
	unsigned char *pt;
	size_t i, len;
	int m;

	for (i = 0; i < b->n && i < 8; i++) {
		if (b->items[i].literal)
			continue;
		pt = NULL;
		if (ss_bitnami_open_item(keys, b, i, &pt, &len, NULL) == 0)
			ss_secmem_free(pt);
		for (m = SS_SCOPE_STRICT; m <= SS_SCOPE_CLUSTER; m++) {
			pt = NULL;
			ss_bitnami_label(b, (enum ss_scope_mode)m, label, sizeof(label));
			if (ss_bitnami_open(keys, b->items[i].ct, b->items[i].len, label, &pt, &len,
					    NULL) == 0)
				ss_secmem_free(pt);
		}
	}
}

static void one_doc(const struct ss_docset *ds, size_t i, const json_t *doc)
{
	struct ss_origin o = {"fuzz.yaml", ss_docset_index(ds, i), ss_docset_line(ds, i), ds, i};
	struct ss_bitnami *b = NULL;

	if (ss_bitnami_parse(doc, &o, &b, NULL) == 0) {
		if (b == NULL || (b->mode != SS_SCOPE_CLUSTER && b->ns[0] == '\0'))
			abort(); /* parse promised a namespace for these scopes */
		open_all(b);
	}
	ss_bitnami_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ss_docset *ds = NULL;
	size_t i, j, rl;

	if (keys == NULL) {
		ss_json_use_zeroing_alloc();
		if (ss_bitnami_crypto_init(NULL) != 0 || ss_bitnami_keys_new(&keys, NULL) != 0 ||
		    ss_bitnami_keys_add_pem(keys, "test", (const unsigned char *)test_key,
					    strlen(test_key), NULL) != 0)
			abort();
	}
	if (ss_bitnami_split(data, size, &rl, NULL) == 0 && (rl + 2 + 16 > size))
		abort(); /* split promised room for the RSA part and the tag */
	if (ss_yaml_load("fuzz.yaml", data, size, &lim, &ds, NULL) != 0)
		return 0;
	for (i = 0; i < ss_docset_count(ds); i++) {
		const json_t *doc = ss_docset_get(ds, i);
		const json_t *items = json_object_get(doc, "items");

		one_doc(ds, i, doc);
		for (j = 0; j < json_array_size(items) && j < 8; j++)
			one_doc(ds, i, json_array_get(items, j));
	}
	ss_docset_free(ds);
	return 0;
}

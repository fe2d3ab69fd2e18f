/*
 * yaml.h: load YAML (and JSON) files into jansson values, typed exactly as
 * Kubernetes reads them.
 *
 * Kubernetes splits a file into documents with apimachinery's YAMLReader
 * (a line that is "---", optionally followed by blanks or a "# comment",
 * separates documents; "---" followed by anything else is an error) and
 * converts each with sigs.k8s.io/yaml YAMLToJSONStrict, which decodes with
 * go-yaml v2 (YAML 1.1 scalars) and marshals to JSON. This loader does the
 * same with libyaml, so that what the agent applies is what `kubectl apply`
 * would send. docs/YAML.md ("YAML typing") lists the rules; the corpus test
 * in tests/yamloracle compares us with the real Go library.
 *
 * Typing in short: plain `yes/no/on/off/y/n/true/false` (lower, Title and
 * UPPER case) are booleans; `~`, `null`, empty are null; ints as Go's
 * strconv.ParseInt base 0 after removing `_` (`0777` = 511, `0x1F`, `0o17`,
 * `0b101`); floats (`1e3` and integral floats become JSON integers, as
 * Kubernetes sees Go's JSON output); timestamps stay strings; quoted scalars
 * are strings; `.inf`/`.nan` cannot be JSON and are an error; non-string
 * mapping keys become strings ("true", "1", "1.5"); merge keys `<<` merge,
 * and a key set twice (also through a merge) is SS_E_DUP.
 *
 * Documented limits: an integer between 2^63 and 2^64-1 (Go reads it as
 * uint64) is SS_E_LIMIT here; quote it. Two keys that differ in YAML type
 * but not as JSON strings (`1` and "1") are SS_E_DUP (Go's result depends on
 * map order). A few syntax corners where libyaml and go-yaml disagree are
 * refused (docs/YAML.md lists them); nothing is read differently.
 *
 * Secrets: scalar copies made here are wiped when freed, and values live in
 * jansson memory, which ss_json_use_zeroing_alloc() (jsonalloc.h) makes
 * wipe-on-free. libyaml's own buffers are not wiped (no allocator hooks).
 */
#ifndef SEALSYNC_YAML_H
#define SEALSYNC_YAML_H

#include <jansson.h>
#include <stddef.h>

#include "sealsync/err.h"

/* Bounds on one file. A bound of 0 means "use the default". */
struct ss_yaml_limits {
	size_t max_bytes;  /* file size; default 16 MiB (big CRD bundles exceed 4) */
	size_t max_docs;   /* documents, empty ones included; default 4096 */
	size_t max_depth;  /* nesting of mappings/sequences, after alias expansion;
			      default 128 (deep CRD schemas reach ~60) */
	size_t max_nodes;  /* nodes decoded per document, alias expansion included:
			      stops "billion laughs"; default 1,000,000 */
	size_t max_scalar; /* bytes in one scalar; default 2 MiB */
};

/* Fills l with the defaults above. */
void ss_yaml_limits_default(struct ss_yaml_limits *l);

/* The documents of one file, in order. Null documents (empty, comments only,
 * `~`) are skipped as kubectl skips them, but keep their place in the
 * document numbering (ss_docset_index). */
struct ss_docset;

/*
 * Parses text (len bytes, need not be NUL-terminated) as one file named name
 * (used only in error messages and kept for ss_docset_name). lim may be NULL
 * for the defaults. On success *out owns the documents; free it with
 * ss_docset_free. On error *out is NULL and err says where:
 *   SS_E_INVAL  syntax or typing error (err->file, ->line, ->doc set)
 *   SS_E_DUP    a mapping key twice (message names the key; line of the second)
 *   SS_E_LIMIT  a bound was exceeded (message names the bound)
 *   SS_E_UNSUPPORTED  a mapping key with a NUL character
 *   SS_E_NOMEM
 * The location is in err's fields (file, line, doc; key for SS_E_DUP), not
 * repeated in err->msg: print errors with ss_err_format.
 * Error text never contains scalar values, only key names and positions.
 */
int ss_yaml_load(const char *name, const unsigned char *text, size_t len,
		 const struct ss_yaml_limits *lim, struct ss_docset **out,
		 struct ss_err *err) SS_MUST_CHECK;

/* Number of (non-null) documents. */
size_t ss_docset_count(const struct ss_docset *ds);

/* Document i (< count), borrowed: valid until ss_docset_free. The caller may
 * json_incref it to keep it longer, and may modify it, but lines are
 * recorded for the values as loaded. NULL if i is out of range. */
json_t *ss_docset_get(const struct ss_docset *ds, size_t i);

/* 0-based index of document i in the file as Kubernetes counts documents
 * (null documents included), for error messages; -1 if out of range. */
int ss_docset_index(const struct ss_docset *ds, size_t i);

/* 1-based line where document i's content starts; 0 if out of range. */
unsigned ss_docset_line(const struct ss_docset *ds, size_t i);

/*
 * 1-based line of a field of document i, e.g. "spec.encryptedData.password"
 * or "spec.containers.0.image" (also "spec.containers[0].image"). For a
 * mapping member it is the line of the key. Keys that contain dots
 * ("metadata.annotations.app.kubernetes.io/name") are found too. 0 if the
 * path is not in the document as loaded, or i is out of range.
 */
unsigned ss_docset_field_line(const struct ss_docset *ds, size_t i, const char *dotted_path);

/*
 * Line tables cost more than the documents' text (~2 KiB per object): a
 * holder of many documents keeps a copy of the source (keep_source), then
 * drops the table (drop_lines), or the table and the documents too
 * (drop_docs: ss_docset_get is NULL after it; counts, indexes and document
 * lines stay). ss_docset_field_line then parses the copy again and keeps
 * that parse until the next drop. Without a kept source both do nothing.
 */
int ss_docset_keep_source(struct ss_docset *ds, const unsigned char *text,
			  size_t len) SS_MUST_CHECK;
void ss_docset_drop_lines(struct ss_docset *ds);
void ss_docset_drop_docs(struct ss_docset *ds);

/* The name given to ss_yaml_load. */
const char *ss_docset_name(const struct ss_docset *ds);

/* Frees the documents (decrefs them) and the line tables. NULL is accepted. */
void ss_docset_free(struct ss_docset *ds);

#endif

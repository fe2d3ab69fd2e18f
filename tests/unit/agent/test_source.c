/* test_source.c: ss_source option checks, URL redaction, and a poll +
 * tree read over file:// of a repository built here with libgit2. The
 * network transports are covered by tests/e2e/t30*.sh against real servers. */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <git2.h>

#include "sealsync/source.h"

static char tmp[64];

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/ss-test-source-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	git_libgit2_init();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	git_libgit2_shutdown();
	return 0;
}

static void quiet(void *ctx, const char *msg)
{
	(*(int *)ctx)++;
	(void)msg;
}

static int try_open(const char *url, struct ss_source_opts *o, struct ss_err *e)
{
	struct ss_source *s = NULL;
	char cache[128];
	int rc;

	snprintf(cache, sizeof(cache), "%s/cache", tmp);
	o->url = url;
	o->cache_dir = cache;
	ss_err_clear(e);
	rc = ss_source_open(o, &s, e);
	if (rc != 0)
		assert_null(s);
	ss_source_free(s);
	return rc;
}

static void expect_usage(const char *url, struct ss_source_opts *o, const char *what)
{
	struct ss_err e;

	assert_int_equal(try_open(url, o, &e), SS_E_USAGE);
	if (strstr(e.msg, what) == NULL)
		fail_msg("'%s' not in '%s'", what, e.msg);
	assert_null(strstr(e.msg, "hunter2"));
}

static void test_open_refuses_bad_options(void **state)
{
	struct ss_source_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	expect_usage("git://h/x", &o, "git:// has no transport security");
	expect_usage("http://u:hunter2@h/x", &o, "source http://h/x ref main: http://");
	expect_usage("ssh://git@h/x", &o, "known_hosts");
	expect_usage("ftp://h/x", &o, "cannot parse the url");
	o.ref = "a..b";
	expect_usage("https://u:hunter2@h/x", &o, "not a valid git ref name");
	o.ref = NULL;
	o.token_file = "t";
	o.password_file = "p";
	expect_usage("https://h/x", &o, "not both");
	o.token_file = NULL;
	expect_usage("https://h/x", &o, "needs a username");
	o.username = "u";
	o.insecure = 0;
	o.allowed_signers_file = "signers";
	expect_usage("http://h/x", &o, "only sent over https");
}

static void test_url_redacted(void **state)
{
	struct ss_source_opts o;
	struct ss_source *s = NULL;
	struct ss_err e;
	char cache[128];

	(void)state;
	memset(&o, 0, sizeof(o));
	snprintf(cache, sizeof(cache), "%s/cache", tmp);
	o.url = "https://user:hunter2@example.com/r.git";
	o.cache_dir = cache;
	assert_int_equal(ss_source_open(&o, &s, &e), 0);
	assert_string_equal(ss_source_url(s), "https://example.com/r.git");
	ss_source_free(s);
	o.url = "git@example.com:r.git";
	o.ssh_key_file = "k";
	o.known_hosts_file = "kh";
	assert_int_equal(ss_source_open(&o, &s, &e), 0);
	assert_string_equal(ss_source_url(s), "example.com:r.git");
	ss_source_free(s);
}

/* Writes a commit with the given files ("path", "content", ...) added to
 * repo's index on parent (NULL: a root commit) and points main at it. */
static void commit_on(git_repository *repo, const char *const *files, size_t n,
		      git_commit *parent, git_oid *out)
{
	git_index *idx;
	git_oid blob, tree, commit;
	git_tree *t;
	git_signature *sig;
	git_reference *ref;
	git_index_entry ent;
	size_t i;

	assert_int_equal(git_repository_index(&idx, repo), 0);
	for (i = 0; i + 1 < n; i += 2) {
		assert_int_equal(git_blob_create_from_buffer(&blob, repo, files[i + 1],
							     strlen(files[i + 1])), 0);
		memset(&ent, 0, sizeof(ent));
		ent.mode = GIT_FILEMODE_BLOB;
		ent.path = files[i];
		git_oid_cpy(&ent.id, &blob);
		assert_int_equal(git_index_add(idx, &ent), 0);
	}
	assert_int_equal(git_index_write_tree(&tree, idx), 0);
	assert_int_equal(git_tree_lookup(&t, repo, &tree), 0);
	assert_int_equal(git_signature_new(&sig, "T", "t@example.com", 1700000000, 0), 0);
	assert_int_equal(git_commit_create_v(&commit, repo, NULL, sig, sig, NULL, "c", t,
					     parent != NULL ? 1 : 0, parent), 0);
	assert_int_equal(git_reference_create(&ref, repo, "refs/heads/main", &commit, 1, "c"), 0);
	git_reference_free(ref);
	if (out != NULL)
		git_oid_cpy(out, &commit);
	git_signature_free(sig);
	git_tree_free(t);
	git_index_free(idx);
}

static void commit_files(git_repository *repo, const char *const *files, size_t n)
{
	commit_on(repo, files, n, NULL, NULL);
}

static void test_poll_and_read_tree(void **state)
{
	static const char *const files[] = {"apps/b.yaml", "b: 2\n", "apps/a.yaml", "a: 1\n",
					    "apps/sub/c.json", "{}\n", "README", "hello\n"};
	static const char *const paths[] = {"apps", "./apps/a.yaml"};
	struct ss_source_opts o;
	struct ss_source *s = NULL;
	struct ss_tree *t = NULL;
	git_repository *repo;
	struct ss_err e;
	char url[128], cache[128], commit[41], again[41];
	int changed = 0, warnings = 0;
	size_t len;

	(void)state;
	snprintf(url, sizeof(url), "%s/repo", tmp);
	assert_int_equal(git_repository_init(&repo, url, 1), 0);
	commit_files(repo, files, 8);
	git_repository_free(repo);
	snprintf(cache, sizeof(cache), "%s/cache", tmp);
	memset(&o, 0, sizeof(o));
	o.url = url;
	o.cache_dir = cache;
	o.warn = quiet;
	o.warn_ctx = &warnings;
	o.max_blob = 5;
	ss_err_clear(&e);
	assert_int_equal(ss_source_open(&o, &s, &e), 0);
	assert_int_equal(ss_source_poll(s, NULL, commit, &changed, &e), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(ss_source_fetched(s), 1);
	assert_int_equal(ss_source_poll(s, commit, again, &changed, &e), 0);
	assert_string_equal(commit, again);
	assert_int_equal(changed, 0);
	assert_int_equal(ss_source_fetched(s), 0);
	assert_int_equal(ss_source_read_tree(s, commit, paths, 2, &t, &e), 0);
	assert_int_equal(ss_tree_count(t), 3);
	assert_string_equal(ss_tree_path(t, 0), "apps/a.yaml");
	assert_string_equal(ss_tree_path(t, 2), "apps/sub/c.json");
	assert_memory_equal(ss_tree_data(t, 1, &len), "b: 2\n", 5);
	assert_int_equal(len, 5);
	ss_tree_free(t);
	/* README is 6 bytes: over max_blob, named */
	assert_int_equal(ss_source_read_tree(s, commit, (const char *const[]){""}, 1, &t, &e),
			 SS_E_LIMIT);
	assert_null(t);
	assert_string_equal(e.file, "README");
	assert_int_equal(warnings, 0);
	ss_source_free(s);
}

static int count_cb(const git_oid *id, void *payload)
{
	(void)id;
	(*(size_t *)payload)++;
	return 0;
}

/* The cache's repository (the one *.git folder in cache), opened. */
static git_repository *open_cache(const char *cache)
{
	git_repository *repo = NULL;
	struct dirent *d;
	char path[4096] = "";
	DIR *dir = opendir(cache);
	int n;

	assert_non_null(dir);
	while ((d = readdir(dir)) != NULL)
		if (strlen(d->d_name) > 4 && strcmp(d->d_name + strlen(d->d_name) - 4, ".git") == 0) {
			n = snprintf(path, sizeof(path), "%s/%s", cache, d->d_name);
			assert_true(n > 0 && (size_t)n < sizeof(path));
		}
	closedir(dir);
	assert_int_equal(git_repository_open_bare(&repo, path), 0);
	return repo;
}

/* Every object the cache holds, counted once per copy (git_odb_foreach
 * visits each pack): a fetch that sent an object again counts it twice. */
static size_t cache_objects(const char *cache, const char *absent)
{
	git_repository *repo = open_cache(cache);
	git_odb *odb;
	git_oid id;
	size_t n = 0;

	assert_int_equal(git_repository_odb(&odb, repo), 0);
	assert_int_equal(git_odb_foreach(odb, count_cb, &n), 0);
	assert_int_equal(git_oid_fromstr(&id, absent), 0);
	assert_false(git_odb_exists(odb, &id));
	git_odb_free(odb);
	git_repository_free(repo);
	return n;
}

static void poll_expect(struct ss_source *s, const char *last, const git_oid *want)
{
	char commit[41], hex[41];
	struct ss_err e;
	int changed = 0;

	ss_err_clear(&e);
	assert_int_equal(ss_source_poll(s, last, commit, &changed, &e), 0);
	assert_string_equal(commit, git_oid_tostr(hex, sizeof(hex), want));
	assert_int_equal(changed, 1);
	assert_int_equal(ss_source_fetched(s), 1);
}

/* An annotated tag of id2, fetched by its name, brings the tag object
 * only; then a force push of main to an unrelated root is fetched and
 * warned about (refused under a signature policy: t3040). */
static void tag_then_force_push(git_repository *repo, struct ss_source_opts *o,
				const git_oid *id2, const char *orphan_hex)
{
	struct ss_source *s = NULL;
	git_object *target;
	git_signature *sig;
	git_oid tag, root;
	struct ss_err e;
	char hex2[41];

	assert_int_equal(git_object_lookup(&target, repo, id2, GIT_OBJECT_COMMIT), 0);
	assert_int_equal(git_signature_new(&sig, "T", "t@example.com", 1700000000, 0), 0);
	assert_int_equal(git_tag_create(&tag, repo, "v1", target, sig, "v1", 0), 0);
	git_signature_free(sig);
	git_object_free(target);
	o->ref = "v1";
	ss_err_clear(&e);
	assert_int_equal(ss_source_open(o, &s, &e), 0);
	poll_expect(s, NULL, id2);
	assert_int_equal(cache_objects(o->cache_dir, orphan_hex), 11);
	ss_source_free(s);

	o->ref = "main";
	assert_int_equal(ss_source_open(o, &s, &e), 0);
	commit_on(repo, (const char *const[]){"x.yaml", "x: 1\n"}, 2, NULL, &root);
	poll_expect(s, git_oid_tostr(hex2, sizeof(hex2), id2), &root);
	assert_int_equal(*(int *)o->warn_ctx, 1);
	ss_source_free(s);
}

/* file:// fetches build one pack of what the cache lacks
 * (source_fetch_local.c): the second commit brings its 5 new objects and
 * nothing it shares with the first; an object no ref reaches stays out. */
static void test_local_fetch_incremental(void **state)
{
	static const char *const one[] = {"apps/a.yaml", "a: 1\n", "README", "hello\n"};
	static const char *const two[] = {"apps/a.yaml", "a: 2\n", "apps/c.yaml", "c: 3\n"};
	struct ss_source_opts o;
	struct ss_source *s = NULL;
	git_repository *repo;
	git_commit *c1;
	git_oid id1, id2, orphan;
	struct ss_err e;
	char url[128], cache[128], hex1[41], orphan_hex[41];
	int warnings = 0;

	(void)state;
	snprintf(url, sizeof(url), "file://%s/repo", tmp);
	snprintf(cache, sizeof(cache), "%s/cache", tmp);
	assert_int_equal(git_repository_init(&repo, url + 7, 1), 0);
	commit_on(repo, one, 4, NULL, &id1);
	memset(&o, 0, sizeof(o));
	o.url = url;
	o.cache_dir = cache;
	o.warn = quiet;
	o.warn_ctx = &warnings;
	ss_err_clear(&e);
	assert_int_equal(ss_source_open(&o, &s, &e), 0);
	poll_expect(s, NULL, &id1);
	assert_int_equal(git_blob_create_from_buffer(&orphan, repo, "orphan\n", 7), 0);
	git_oid_tostr(orphan_hex, sizeof(orphan_hex), &orphan);
	assert_int_equal(cache_objects(cache, orphan_hex), 5); /* commit, 2 trees, 2 blobs */

	assert_int_equal(git_commit_lookup(&c1, repo, &id1), 0);
	commit_on(repo, two, 4, c1, &id2);
	git_commit_free(c1);
	poll_expect(s, git_oid_tostr(hex1, sizeof(hex1), &id1), &id2);
	/* + commit, 2 trees, 2 blobs; README's blob not sent again */
	assert_int_equal(cache_objects(cache, orphan_hex), 10);
	assert_int_equal(warnings, 0);
	ss_source_free(s);
	tag_then_force_push(repo, &o, &id2, orphan_hex);
	git_repository_free(repo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_refuses_bad_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_url_redacted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_and_read_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_fetch_incremental, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

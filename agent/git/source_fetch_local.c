/*
 * source_fetch_local.c: the download from a local (file://) repository, in
 * the network child (source_net.c), without libgit2's local transport.
 *
 * Why: libgit2 1.5's local transport builds the pack with git_packbuilder
 * and hands it to the cache's indexer one object per append, and the
 * indexer maps, copies and unmaps the pack file on every append: 1,000
 * objects cost 1,000+ munmap calls, each a TLB flush (docs/PERFORMANCE.md,
 * "The local fetch"). Here the same pack (the objects reachable from the
 * wanted object, minus what the cache's refs already reach) is built into
 * one buffer and indexed with one append. The ref update is the fetch's
 * forced "+ref:ref"; everything the parent checks afterwards (signature,
 * ancestry, limits) reads the cache as before.
 */
#include <string.h>

#include "source_int.h"

/* Cache tips the source also has: their history is in the cache already. */
static int hide_cache_tips(git_repository *cache, git_revwalk *walk)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int rc;

	if (git_reference_iterator_new(&it, cache) != 0)
		return -1;
	while ((rc = git_reference_next(&ref, it)) == 0) {
		const git_oid *id = git_reference_target(ref);

		/* a tip the source lacks (a rewritten history) hides nothing */
		if (id != NULL && git_revwalk_hide(walk, id) != 0)
			git_error_clear();
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	return rc == GIT_ITEROVER ? 0 : -1;
}

/* The wanted object: annotated tags (a chain of them) go in as themselves,
 * a commit to the walk, a tagged tree or blob in whole. *pushed says
 * whether the walk got a commit. */
static int want_object(git_repository *src, git_packbuilder *pb, git_revwalk *walk,
		       const git_oid *want, int *pushed)
{
	git_object *obj = NULL;
	git_oid cur;
	int rc;

	git_oid_cpy(&cur, want);
	while ((rc = git_object_lookup(&obj, src, &cur, GIT_OBJECT_ANY)) == 0 &&
	       git_object_type(obj) == GIT_OBJECT_TAG) {
		rc = git_packbuilder_insert(pb, &cur, NULL);
		git_oid_cpy(&cur, git_tag_target_id((const git_tag *)obj));
		git_object_free(obj);
		obj = NULL;
		if (rc != 0)
			return rc;
	}
	if (rc != 0)
		return rc;
	*pushed = git_object_type(obj) == GIT_OBJECT_COMMIT;
	rc = *pushed ? git_revwalk_push(walk, &cur) : git_packbuilder_insert_recur(pb, &cur, NULL);
	git_object_free(obj);
	return rc;
}

/* The pack of what the cache lacks, in one buffer (empty: nothing lacks). */
static int build_pack(git_repository *src, git_repository *cache, const git_oid *want,
		      git_buf *pack)
{
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	int pushed = 0, rc;

	rc = git_packbuilder_new(&pb, src);
	if (rc == 0)
		rc = git_revwalk_new(&walk, src);
	if (rc == 0)
		rc = want_object(src, pb, walk, want, &pushed);
	if (rc == 0 && pushed && (rc = hide_cache_tips(cache, walk)) == 0)
		rc = git_packbuilder_insert_walk(pb, walk);
	if (rc == 0 && git_packbuilder_object_count(pb) > 0)
		rc = git_packbuilder_write_buf(pack, pb);
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	return rc;
}

/* One append, one commit: the indexer verifies and writes pack + index. */
static int index_pack(git_repository *cache, const git_buf *pack)
{
	git_indexer_progress stats;
	git_odb_writepack *wp = NULL;
	git_odb *odb = NULL;
	int rc;

	memset(&stats, 0, sizeof(stats));
	rc = git_repository_odb(&odb, cache);
	if (rc == 0)
		rc = git_odb_write_pack(&wp, odb, NULL, NULL);
	if (rc == 0)
		rc = wp->append(wp, pack->ptr, pack->size, &stats);
	if (rc == 0)
		rc = wp->commit(wp, &stats);
	if (wp != NULL)
		wp->free(wp);
	git_odb_free(odb);
	return rc;
}

int source_fetch_local(struct ss_source *s, git_repository *cache, struct source_remote *r,
		       struct ss_err *err)
{
	const char *path = strncmp(s->o.url, "file://", 7) == 0 ? s->o.url + 7 : s->o.url;
	git_repository *src = NULL;
	git_reference *ref = NULL;
	git_buf pack = GIT_BUF_INIT;
	git_oid want;
	int rc;

	if (git_oid_fromstr(&want, r->oid) != 0)
		return ss_err_set(err, SS_E_INTERNAL, "bad object id from the remote listing");
	/* opened as the local transport opens it: that path, no search upwards */
	rc = git_repository_open(&src, path);
	if (rc == 0)
		rc = build_pack(src, cache, &want, &pack);
	if (rc == 0 && pack.size > 0)
		rc = index_pack(cache, &pack);
	if (rc == 0)
		rc = git_reference_create(&ref, cache, r->name, &want, 1, "fetch: local");
	if (rc != 0)
		rc = source_git_err(s, SS_E_NET, "fetch failed", err);
	else
		r->fetched = 1;
	git_reference_free(ref);
	git_buf_dispose(&pack);
	git_repository_free(src);
	return rc;
}

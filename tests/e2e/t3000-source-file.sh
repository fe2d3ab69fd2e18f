#!/bin/bash
# The Git source over file://: listing, incremental fetch, no fetch when
# nothing moved, ref kinds, caps, force push without a policy, and a cache
# that holds nothing but a bare repository.
. "$(dirname "$0")/lib.sh"
test_require git "$TEST_TOOL"

URL="file://$TRASH/repo"
poll() { "$TEST_TOOL" source-poll --url "$URL" --cache "$TRASH/cache" "$@"; }
ls_() { "$TEST_TOOL" source-ls --url "$URL" --cache "$TRASH/cache" "$@"; }

test_expect_success 'setup: a small repo' '
	git init -q repo &&
	mkdir -p repo/apps/db repo/other &&
	printf "kind: ConfigMap\n" >repo/apps/cm.yaml &&
	printf "kind: Secret\n" >repo/apps/db/s.yml &&
	printf "{}\n" >repo/apps/db/x.json &&
	printf "no\n" >repo/other/o.yaml &&
	ln -s cm.yaml repo/apps/link.yaml &&
	git -C repo add . && git -C repo commit -q -m one &&
	git -C repo rev-parse HEAD >c1
'

test_expect_success 'first poll clones and reports the commit as changed' '
	poll >out &&
	echo "$(cat c1) changed fetched" >expect &&
	test_cmp expect out
'

test_expect_success 'second poll: same commit, no fetch' '
	poll --last "$(cat c1)" >out &&
	echo "$(cat c1) unchanged cached" >expect &&
	test_cmp expect out
'

test_expect_success 'source-ls lists regular files under a path, sorted, with sizes and hashes; symlinks with their target' '
	ls_ --path apps >out &&
	for f in apps/cm.yaml apps/db/s.yml apps/db/x.json; do
		echo "$f $(wc -c <repo/$f) $(sha256sum repo/$f | cut -d" " -f1)"
	done >expect &&
	echo "apps/link.yaml -> cm.yaml" >>expect &&
	test_cmp expect out &&
	ls_ --path ./apps/ --path apps/db/s.yml >out2 &&
	test_cmp expect out2 &&
	ls_ >all &&
	test_line_count() { test "$(wc -l <"$2")" -eq "$1"; } &&
	test_line_count 5 all &&
	test_contains "other/o.yaml" all
'

test_expect_success 'a missing path is named' '
	test_must_fail ls_ --path nope/x 2>err &&
	test_contains "nope/x" err &&
	test_contains "path not found" err
'

test_expect_success 'a second commit is fetched incrementally' '
	printf "kind: Service\n" >repo/apps/svc.yaml &&
	git -C repo add . && git -C repo commit -q -m two &&
	git -C repo rev-parse HEAD >c2 &&
	packs_before=$(ls cache/*/objects/pack/*.pack | wc -l) &&
	poll --last "$(cat c1)" >out &&
	echo "$(cat c2) changed fetched" >expect &&
	test_cmp expect out &&
	test $(ls cache/*/objects/pack/*.pack | wc -l) -eq $((packs_before + 1)) &&
	ls_ --path apps/svc.yaml >out &&
	test_contains "apps/svc.yaml 14 " out
'

test_expect_success 'refs: lightweight tag, annotated tag, full commit id, refs/ name' '
	git -C repo tag light "$(cat c1)" &&
	git -C repo tag -a -m annotated ann "$(cat c1)" &&
	poll --ref light >out && test_contains "$(cat c1) changed" out &&
	poll --ref ann >out && test_contains "$(cat c1) changed" out &&
	poll --ref refs/heads/main >out && test_contains "$(cat c2) changed" out &&
	poll --ref "$(cat c1)" >out && test_contains "$(cat c1) changed cached" out
'

test_expect_success 'a missing ref and an unknown commit id are named' '
	test_must_fail poll --ref nosuch 2>err &&
	test_contains "ref nosuch" err &&
	test_contains "not found" err &&
	test_must_fail poll --ref 0123456789012345678901234567890123456789 2>err &&
	test_contains "commit not found" err &&
	test_must_fail poll --ref "bad..ref" 2>err &&
	test_contains "not a valid git ref name" err
'

test_expect_success 'a blob over the cap, and a revision over the total cap, are refused by name' '
	ls_ --path apps/db --max-blob 13 >out &&
	test_must_fail ls_ --max-blob 15 2>err &&
	test_contains "limit exceeded" err &&
	test_contains "apps/cm.yaml" err &&
	test_contains "file is 16 bytes, over the cap of 15 per file" err &&
	test_contains "source $URL ref main commit " err &&
	test_must_fail ls_ --max-total 40 2>err &&
	test_contains "cap of 40 bytes" err
'

test_expect_success 'a force push without a policy is used, with a warning' '
	git -C repo reset -q --hard "$(cat c1)" &&
	printf "kind: Job\n" >repo/apps/job.yaml &&
	git -C repo add . && git -C repo commit -q -m rewritten &&
	git -C repo rev-parse HEAD >c3 &&
	poll --last "$(cat c2)" >out 2>err &&
	echo "$(cat c3) changed fetched" >expect &&
	test_cmp expect out &&
	test_contains "does not descend from the last applied commit $(cat c2) (force push)" err
'

test_expect_success 'leftovers of a killed fetch (locks, temp packs) do not block the next one' '
	repo_dir=$(ls -d cache/*.git) &&
	: >"$repo_dir/refs/heads/main.lock" &&
	: >"$repo_dir/objects/pack/pack_git2_0123456789abcdef" &&
	printf "kind: Pod\n" >repo/apps/pod.yaml &&
	git -C repo add . && git -C repo commit -q -m four &&
	poll --last "$(cat c3)" >out 2>/dev/null &&
	echo "$(git -C repo rev-parse HEAD) changed fetched" >expect &&
	test_cmp expect out &&
	test_must_fail test -e "$repo_dir/refs/heads/main.lock" &&
	test_must_fail test -e "$repo_dir/objects/pack/pack_git2_0123456789abcdef"
'

test_expect_success 'the cache holds only a bare repository: no work tree, no file content' '
	test $(ls cache | wc -l) -eq 1 &&
	(cd cache/*.git && find . -type f | sed "s|^\./||" | sort) >files &&
	cat files &&
	grep -v -E "^(HEAD|config|description|packed-refs|info/exclude|hooks/README\.sample|objects/pack/pack-[0-9a-f]{40}\.(pack|idx)|objects/[0-9a-f]{2}/[0-9a-f]{38}|refs/(heads|tags)/.*)$" files >bad;
	test_must_fail test -s bad &&
	test_must_fail grep -r -l "kind: ConfigMap" cache
'

test_expect_success 'bad options are refused before any network access' '
	test_must_fail "$TEST_TOOL" source-poll --url "$URL" 2>err &&
	test_contains "needs a url and a cache dir" err &&
	test_must_fail "$TEST_TOOL" source-poll --url "git://127.0.0.1/x" --cache c 2>err &&
	test_contains "git:// has no transport security" err &&
	test_must_fail "$TEST_TOOL" source-poll --url "ssh://git@127.0.0.1/x" --cache c 2>err &&
	test_contains "known_hosts" err
'

test_done

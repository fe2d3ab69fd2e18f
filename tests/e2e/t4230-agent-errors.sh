#!/bin/bash
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
# Agent errors that say what to do: typos in the config file and flags
# get a suggestion, --render into a missing folder says to create it.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

test_expect_success 'setup: keys and a repo' '
	ss_keys && ss_repo_init && mkdir -p repo/apps &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n" >repo/apps/cm.yaml &&
	ss_commit first
'

test_expect_success 'a misspelt setting: did you mean namespace?' '
	printf "namespce: x\nsource:\n  url: file://%s/repo\n" "$TRASH" >a.yaml &&
	test_expect_code 1 "$AGENT" -n --config a.yaml --path apps --identities keys.txt \
		--cache-dir cache 2>a.log &&
	cat a.log &&
	grep -q "namespce" a.log && grep -q "did you mean namespace?" a.log
'

test_expect_success 'a misspelt nested setting: did you mean source.url?' '
	printf "source:\n  utl: file://%s/repo\n" "$TRASH" >b.yaml &&
	test_expect_code 1 "$AGENT" -n --config b.yaml --path apps --identities keys.txt \
		--cache-dir cache 2>b.log &&
	cat b.log && grep -q "did you mean source.url?" b.log
'

test_expect_success 'a misspelt unit setting: did you mean namespace?' '
	printf "source:\n  url: file://%s/repo\nunits:\n  - name: a\n    path: apps\n    namepsace: x\n" "$TRASH" >c.yaml &&
	test_expect_code 1 "$AGENT" -n --config c.yaml --identities keys.txt \
		--cache-dir cache 2>c.log &&
	cat c.log && grep -q "unknown unit setting namepsace (did you mean namespace?)" c.log
'

test_expect_success 'an unrelated word gets no suggestion' '
	printf "source:\n  url: file://%s/repo\nzzzzzzzz: 1\n" "$TRASH" >d.yaml &&
	test_expect_code 1 "$AGENT" -n --config d.yaml --path apps --identities keys.txt \
		--cache-dir cache 2>d.log &&
	cat d.log && grep -q zzzzzzzz d.log && ! grep -q "did you mean" d.log
'

test_expect_success 'a misspelt flag: did you mean --identities?' '
	test_expect_code 2 "$AGENT" -n --repo "file://$TRASH/repo" --path apps \
		--identites keys.txt 2>e.log &&
	cat e.log && grep -q "did you mean --identities?" e.log
'

test_expect_success 'a flag without its value says so' '
	test_expect_code 2 "$AGENT" -n --path apps --identities keys.txt --repo 2>f.log &&
	cat f.log && grep -q -- "--repo: it needs a value" f.log
'

test_expect_success '--render DIR into a missing folder says to create it, exit 2' '
	test_expect_code 2 "$AGENT" --render no/such --repo "file://$TRASH/repo" --path apps \
		--identities keys.txt --cache-dir cache 2>g.log &&
	cat g.log && grep -q "no such folder; create it first (mkdir -p no/such)" g.log &&
	test ! -e no
'

test_expect_success 'a file:// URL to a missing folder is not a network error' '
	test_expect_code 1 "$AGENT" -n --repo "file://$TRASH/no-such-repo" --path apps \
		--identities keys.txt --cache-dir cache 2>h.log &&
	cat h.log && grep -q "no repository folder $TRASH/no-such-repo on this machine" h.log &&
	! grep -q "network error" h.log
'

test_expect_success 'file://relative/path: the error shows the three-slash form' '
	test_expect_code 1 "$AGENT" -n --repo "file://work/repo" --path apps \
		--identities keys.txt --cache-dir cache 2>i.log &&
	cat i.log && grep -q "takes an absolute path, with three slashes: file:///work/repo" i.log
'

test_expect_success 'a namespace missing in the cluster: add a Namespace object to the unit' '
	ss_apiserver_start && mkdir -p repo/shop &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cart\n  namespace: shop\n" >repo/shop/cm.yaml &&
	ss_commit shop &&
	test_expect_code 1 ss_sync --unit shop=shop --log-format text &&
	grep "sync failed" "$TRASH/agent.log" | tail -n 1 >j.log && cat j.log &&
	grep -q "namespaces .*shop.* not found; add a Namespace object named shop to the unit" j.log &&
	printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n" >repo/shop/ns.yaml &&
	ss_commit "shop: namespace" &&
	ss_sync --unit shop=shop && kubectl -n shop get configmap cart
'

test_expect_success 'a renamed unit: the error says how to hand the objects over, and that works' '
	test_expect_code 1 ss_sync --unit store=shop --log-format text &&
	grep "sync failed" "$TRASH/agent.log" | tail -n 1 >k.log && cat k.log &&
	grep -q "already belongs to sealsync.shop, not sealsync.store. If unit shop was renamed to store" k.log &&
	sed -n "s/.*hand its objects over: \(kubectl label Namespace shop [^ ]* --overwrite\) .*/\1/p" k.log >one &&
	sed -n "s/.*or per kind: \(kubectl label KIND -A -l [^ ]* [^ ]* --overwrite\)).*/\1/p" k.log >per-kind &&
	test -s one && test -s per-kind && cat one per-kind &&
	grep -q "delete its inventory, the ConfigMap sealsync-inv-shop" k.log &&
	sh one &&
	sed "s/KIND/ConfigMap/" per-kind | sh &&
	kubectl -n sealsync-system delete configmap sealsync-inv-shop &&
	ss_sync --unit store=shop &&
	test "$(kubectl -n shop get configmap cart -o "jsonpath={.metadata.labels.sealsync\.dev/owner}")" = sealsync.store
'

test_done

#!/bin/bash
# helm runs confined (docs/REPOSITORIES.md "What the renderer can reach"):
# a chart that reads the agent's key file through .Files.Get of an absolute
# or climbing path, or through a symlink (absolute, or leaving the
# repository), fails its unit with nothing of the key in any output, log or
# object; a symlink that stays inside the repository works; helm's HOME,
# cache, config and data folders are the renderer's scratch folder, never
# the agent's HELM_* settings; a template that never ends is killed at the
# render deadline; no copy is left behind.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" "$TEST_TOOL" kubectl
sh "$SS_SRC_DIR/tests/peers/helm/build.sh" >helm-build.log 2>&1 || { cat helm-build.log; exit 1; }
HELM=$(sh "$SS_SRC_DIR/tests/peers/helm/build.sh" --path)

mkchart() { # mkchart NAME TEMPLATE-TEXT
	mkdir -p "repo/charts/$1/templates" "repo/charts/$1/files" &&
	printf "apiVersion: v2\nname: %s\nversion: 0.1.0\n" "$1" >"repo/charts/$1/Chart.yaml" &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  v: %s\n" "$1" "$2" \
		>"repo/charts/$1/templates/cm.yaml"
}

sync_chart() { # sync_chart NAME [agent flags]: one sync of a unit for charts/NAME
	n=$1; shift
	printf "units:\n  - name: %s\n    namespace: apps\n    helm:\n      chart: /charts/%s\n" "$n" "$n" >"$n.yaml" &&
	ss_sync --config "$n.yaml" --helm "$HELM" "$@"
}

# no_key: the key is in no log, output or object.
no_key() {
	KEYTEXT=$(grep AGE-SECRET-KEY keys.txt) &&
	test_not_contains "$KEYTEXT" agent.log &&
	test_not_contains AGE-SECRET-KEY agent.log &&
	kubectl get configmaps,secrets -A -o yaml >all-objects.yaml &&
	test_not_contains AGE-SECRET-KEY all-objects.yaml
}

test_expect_success 'setup: keys, server, charts that reach for the key file' '
	ss_keys &&
	ss_apiserver_start &&
	ss_ns apps &&
	ss_repo_init &&
	mkchart abs "{{ required \"nothing read\" (.Files.Get \"$TRASH/keys.txt\") | quote }}" &&
	mkchart climb "{{ required \"nothing read\" (.Files.Get \"../../../keys.txt\") | quote }}" &&
	mkchart linkabs "{{ .Files.Get \"files/key\" | quote }}" &&
	ln -s "$TRASH/keys.txt" repo/charts/linkabs/files/key &&
	mkchart linkup "{{ .Files.Get \"files/key\" | quote }}" &&
	ln -s ../../../../keys.txt repo/charts/linkup/files/key &&
	mkchart linkin "{{ .Files.Get \"files/shared\" | quote }}" &&
	mkdir -p repo/shared && echo shared-text >repo/shared/data.txt &&
	ln -s ../../../shared/data.txt repo/charts/linkin/files/shared &&
	mkchart loop "{{ range \$i := until 1000000 }}{{ range \$j := until 1000000 }}{{ range \$k := until 1000000 }}{{ end }}{{ end }}{{ end }}x" &&
	ss_commit charts
'

test_expect_success '.Files.Get of an absolute path reads nothing: the unit fails, no key anywhere' '
	test_must_fail sync_chart abs &&
	grep "sync failed" agent.log | grep -q "nothing read" &&
	test_must_fail kubectl -n apps get configmap abs &&
	no_key
'

test_expect_success '.Files.Get of a path that climbs out of the chart reads nothing' '
	test_must_fail sync_chart climb &&
	test_must_fail kubectl -n apps get configmap climb &&
	no_key
'

test_expect_success 'a symlink to the key file (absolute) is refused naming the link' '
	: >agent.log &&
	test_must_fail sync_chart linkabs &&
	grep "sync failed" agent.log | grep -q "charts/linkabs/files/key" &&
	test_must_fail kubectl -n apps get configmap linkabs &&
	no_key
'

test_expect_success 'a symlink that leaves the repository is refused naming the link' '
	: >agent.log &&
	test_must_fail sync_chart linkup &&
	grep "sync failed" agent.log | grep -q "charts/linkup/files/key" &&
	no_key
'

test_expect_success 'a symlink that stays inside the repository is followed' '
	sync_chart linkin &&
	test "$(kubectl -n apps get configmap linkin -o jsonpath={.data.v})" = "shared-text"
'

test_expect_success 'a template that never ends is killed at the render deadline' '
	: >agent.log &&
	test_must_fail sync_chart loop --render-timeout 3s &&
	grep "sync failed" agent.log | grep -q "exceeded its timeout" &&
	test_must_fail kubectl -n apps get configmap loop &&
	sleep 1 &&
	test_must_fail pgrep -f "template loop ./charts/loop"
'

test_expect_success 'no copy of the revision is left in the render folder' '
	test -d cache/render &&
	test -z "$(ls -A cache/render)"
'

test_expect_success 'helm in the renderer: its folders are scratch, HELM_* of the agent unseen' '
	printf "#!/bin/sh\nexit 0\n" >dummy &&
	HELM_CACHE_HOME=$TRASH/agent-helm-cache HELM_CONFIG_HOME=$TRASH/agent-helm-config \
	HELM_DATA_HOME=$TRASH/agent-helm-data HELM_NAMESPACE=agent-ns \
		"$TEST_TOOL" render-run --tmp "$TRASH/rtmp" --file x=dummy -- "$HELM" env >env.out &&
	cat env.out &&
	grep "^HELM_CACHE_HOME=\"$TRASH/rtmp/render-.*/scratch/cache/helm\"" env.out &&
	grep "^HELM_CONFIG_HOME=\"$TRASH/rtmp/render-.*/scratch/config/helm\"" env.out &&
	grep "^HELM_DATA_HOME=\"$TRASH/rtmp/render-.*/scratch/data/helm\"" env.out &&
	grep -q "^HELM_NAMESPACE=\"default\"" env.out &&
	test_not_contains agent-helm env.out
'

test_done

#!/bin/bash
# What a Helm unit refuses (docs/REPOSITORIES.md "Helm units"): a chart
# dependency from a chart repository that is not vendored in charts/
# (named with its Chart.yaml line, and no connection is made to it), a
# file:// dependency that leaves the repository, a values file given as a
# URL (refused at load naming the config file, unit and field), a chart
# folder with no Chart.yaml. Vendored dependencies (a folder, a .tgz) pass.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" kubectl
sh "$SS_SRC_DIR/tests/peers/helm/build.sh" >helm-build.log 2>&1 || { cat helm-build.log; exit 1; }
HELM=$(sh "$SS_SRC_DIR/tests/peers/helm/build.sh" --path)

# A listener that counts connections: a chart repository that must not be
# contacted.
PORT=$(ss_free_port)
$PYTHON - "$PORT" >listener.log 2>&1 <<-\PY &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
while True:
    c, _ = s.accept(); print("connection", flush=True); c.close()
PY
ss_pids="$ss_pids $!"

unit_cfg() { # unit_cfg CHART [extra helm lines]
	printf "units:\n  - name: app\n    namespace: apps\n    helm:\n      chart: %s\n" "$1"
	shift
	for l in "$@"; do printf "      %s\n" "$l"; done
}

# render CONFIG: --render - of the unit (no cluster needed).
render() {
	"$AGENT" --render - --config "$1" --helm "$HELM" --repo "file://$TRASH/repo" \
		--identities keys.txt --cache-dir cache >out.yaml 2>>agent.log
}

mkchart() { # mkchart DIR NAME [dependencies yaml]
	mkdir -p "$1/templates" &&
	printf "apiVersion: v2\nname: %s\nversion: 0.1.0\n%s" "$2" "${3:-}" >"$1/Chart.yaml" &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}\n" \
		>"$1/templates/cm.yaml"
}

test_expect_success 'setup: a repository with charts' '
	ss_keys && ss_repo_init &&
	mkchart repo/charts/remote top "dependencies:
  - name: redis
    version: 1.0.0
    repository: http://127.0.0.1:$PORT/charts
" &&
	mkchart repo/charts/oci top "dependencies:
  - name: pg
    version: 1.0.0
    repository: oci://127.0.0.1:$PORT/charts
" &&
	mkchart repo/charts/escape top "dependencies:
  - name: lib
    version: 0.1.0
    repository: file://../../../outside
" &&
	mkchart repo/charts/vendored top "dependencies:
  - name: sub
    version: 0.1.0
    repository: https://127.0.0.1:$PORT/charts
  - name: packed
    version: 0.1.0
    repository: https://127.0.0.1:$PORT/charts
  - name: lib
    version: 0.1.0
    repository: file://../lib
" &&
	mkchart repo/charts/vendored/charts/sub sub &&
	mkchart repo/charts/lib lib &&
	mkchart repo/charts/vendored/charts/lib lib &&
	mkchart packed packed &&
	"$HELM" package packed -d repo/charts/vendored/charts >/dev/null &&
	ls repo/charts/vendored/charts/packed-0.1.0.tgz &&
	mkdir -p repo/charts/empty && touch repo/charts/empty/.keep &&
	ss_commit charts
'

test_expect_success 'a dependency from an http chart repository is refused naming Chart.yaml' '
	unit_cfg charts/remote >remote.yaml &&
	: >agent.log &&
	test_must_fail render remote.yaml &&
	grep "charts/remote/Chart.yaml:5" agent.log | grep "dependencies\[0\]" |
		grep "dependency redis" | grep -q "http://127.0.0.1:$PORT/charts" &&
	grep -q "helm dependency build" agent.log
'

test_expect_success 'an oci:// dependency is refused the same way' '
	unit_cfg charts/oci >oci.yaml &&
	: >agent.log &&
	test_must_fail render oci.yaml &&
	grep "charts/oci/Chart.yaml" agent.log | grep -q "dependency pg"
'

test_expect_success 'the chart repository was never contacted' '
	sleep 0.2 &&
	test_must_fail grep -q connection listener.log
'

test_expect_success 'a file:// dependency that leaves the repository is refused' '
	unit_cfg charts/escape >escape.yaml &&
	: >agent.log &&
	test_must_fail render escape.yaml &&
	grep "charts/escape/Chart.yaml" agent.log | grep "dependency lib" |
		grep -q "leaves the repository"
'

test_expect_success 'vendored dependencies (folder, .tgz, file:// inside) render' '
	unit_cfg charts/vendored >vendored.yaml &&
	: >agent.log &&
	render vendored.yaml &&
	for n in top sub packed lib; do grep -q "name: $n$" out.yaml || return 1; done &&
	grep -q "namespace: apps" out.yaml
'

test_expect_success 'a values file given as an https URL is refused at load, naming it' '
	unit_cfg charts/vendored "valuesFiles: [values.yaml, \"https://127.0.0.1:$PORT/v.yaml\"]" >url.yaml &&
	test_must_fail "$AGENT" -n --config url.yaml --helm "$HELM" --repo "file://$TRASH/repo" \
		--identities keys.txt --cache-dir cache 2>err &&
	grep "url.yaml:6" err | grep "units\[0\].helm.valuesFiles\[1\]" | grep "unit app" |
		grep -q "is a URL" &&
	test_must_fail grep -q connection listener.log
'

test_expect_success 'a values file or chart that climbs out of the repository is refused' '
	unit_cfg ../../etc >up.yaml &&
	test_must_fail "$AGENT" -n --config up.yaml --helm "$HELM" --repo "file://$TRASH/repo" \
		--identities keys.txt --cache-dir cache 2>err &&
	grep "units\[0\].helm.chart" err | grep -q "leaves the repository"
'

test_expect_success 'unknown helm settings are refused naming them' '
	unit_cfg charts/vendored "valuesFile: [a.yaml]" >typo.yaml &&
	test_must_fail "$AGENT" -n --config typo.yaml --helm "$HELM" --repo "file://$TRASH/repo" \
		--identities keys.txt --cache-dir cache 2>err &&
	grep "units\[0\].helm.valuesFile" err | grep -q "unknown helm setting valuesFile"
'

test_expect_success 'a chart folder without Chart.yaml is refused (never looked up in a repository)' '
	unit_cfg charts/empty >empty.yaml &&
	: >agent.log &&
	test_must_fail render empty.yaml &&
	grep -q "no Chart.yaml in the chart folder charts/empty" agent.log
'

test_expect_success 'no helm on PATH: a helm unit is refused at start, saying what to do' '
	unit_cfg charts/vendored >ok.yaml &&
	test_must_fail env PATH=/nonexistent "$AGENT" -n --config ok.yaml \
		--repo "file://$TRASH/repo" --identities keys.txt --cache-dir cache 2>err &&
	grep -q "helm is not on PATH" err
'

test_done

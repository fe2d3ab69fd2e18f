#!/bin/bash
# deploy/ is a kustomize base that kubectl renders and the API server accepts.
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require kubectl "$APISERVER"

test_expect_success 'kubectl kustomize renders deploy/' '
	kubectl kustomize "$SS_SRC_DIR/deploy" >rendered.yaml &&
	grep -q "kind: Deployment" rendered.yaml &&
	grep -q "readOnlyRootFilesystem: true" rendered.yaml &&
	grep -q "runAsNonRoot: true" rendered.yaml &&
	grep -q "fsGroup: 65532" rendered.yaml &&
	grep -q "defaultMode: 288" rendered.yaml
'

test_expect_success 'HTTPS on 8443 (generated certificate), probes on the plain probe listener; the NetworkPolicy admits labelled namespaces to 8443 only' '
	$PYTHON - rendered.yaml <<-\PY
	import sys, yaml
	docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
	dep = [d for d in docs if d["kind"] == "Deployment"][0]
	c = dep["spec"]["template"]["spec"]["containers"][0]
	ports = {p["name"]: p["containerPort"] for p in c["ports"]}
	assert ports == {"https": 8443, "probe": 8081}, ports
	assert c["livenessProbe"]["httpGet"]["port"] == "probe", c
	assert c["readinessProbe"]["httpGet"]["port"] == "probe", c
	cfg = yaml.safe_load([d for d in docs if d["kind"] == "ConfigMap"][0]["data"]["config.yaml"])
	assert cfg["http"]["probeListen"] == ":8081", cfg
	assert cfg["http"]["listen"] == ":8443" and cfg["http"]["tlsGenerate"] is True, cfg
	svc = [d for d in docs if d["kind"] == "Service"][0]
	assert svc["spec"]["ports"] == [{"name": "https", "port": 443, "targetPort": "https"}], svc
	np = [d for d in docs if d["kind"] == "NetworkPolicy"]
	assert len(np) == 1, np
	spec = np[0]["spec"]
	assert spec["podSelector"]["matchLabels"] == dep["spec"]["selector"]["matchLabels"], spec
	assert spec["policyTypes"] == ["Ingress"], spec
	rule, = spec["ingress"]
	assert rule["ports"] == [{"protocol": "TCP", "port": 8443}], rule
	assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"sealsync.dev/agent-access": "true"}}}], rule
	PY
'

test_expect_success 'the render container has no key volume and no token; only the agent has the token' '
	$PYTHON - rendered.yaml <<-\PY
	import sys, yaml
	docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
	pod = [d for d in docs if d["kind"] == "Deployment"][0]["spec"]["template"]["spec"]
	assert pod["automountServiceAccountToken"] is False, pod
	agent, render = pod["containers"]
	assert agent["name"] == "agent" and render["name"] == "render", pod["containers"]
	mounts = lambda c: {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
	assert set(mounts(render)) == {"render-socket", "render-cache"}, mounts(render)
	assert "keys" in mounts(agent) and "sa-token" in mounts(agent), mounts(agent)
	assert mounts(agent)["render-socket"] == mounts(render)["render-socket"]
	assert "--render-server" in render["args"], render
	assert render["resources"]["limits"]["memory"], render
	vols = {v["name"]: v for v in pod["volumes"]}
	assert "serviceAccountToken" in vols["sa-token"]["projected"]["sources"][0], vols
	cfg = yaml.safe_load([d for d in docs if d["kind"] == "ConfigMap"][0]["data"]["config.yaml"])
	sock = render["args"][render["args"].index("--render-server") + 1]
	assert cfg["render"]["server"] == sock, cfg
	assert sock.startswith(mounts(render)["render-socket"] + "/"), sock
	PY
'

test_expect_success 'the render container: same image, tools from its PATH, no secret or token volume, locked down' '
	$PYTHON - rendered.yaml <<-\PY
	import sys, yaml
	docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
	pod = [d for d in docs if d["kind"] == "Deployment"][0]["spec"]["template"]["spec"]
	agent, render = pod["containers"]
	assert render["image"] == agent["image"], (render["image"], agent["image"])
	# kustomize and helm come from the image (/usr/bin, on its PATH): nothing
	# in the config or the environment points elsewhere
	cfg = yaml.safe_load([d for d in docs if d["kind"] == "ConfigMap"][0]["data"]["config.yaml"])
	assert "kustomize" not in cfg["render"] and "helm" not in cfg["render"], cfg["render"]
	assert "env" not in render and "envFrom" not in render, render
	vols = {v["name"]: v for v in pod["volumes"]}
	for m in render["volumeMounts"]:
	    v = vols[m["name"]]
	    assert "emptyDir" in v, (m, v)  # no secret, configMap or projected token
	assert render["resources"]["limits"]["memory"] != agent["resources"]["limits"]["memory"], render
	sc = render["securityContext"]
	assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False, sc
	assert sc["capabilities"]["drop"] == ["ALL"], sc
	PY
'

test_expect_success 'the ClusterRole grants watch wherever it grants list (the steady-state watches)' '
	$PYTHON - rendered.yaml <<-\PY
	import sys, yaml
	docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
	cr = [d for d in docs if d["kind"] == "ClusterRole" and d["metadata"]["name"] == "sealsync-apply"][0]
	assert cr["rules"], cr
	for r in cr["rules"]:
	    assert {"get", "list", "watch", "create", "patch"} <= set(r["verbs"]), r
	PY
'

test_expect_success 'the rendered base applies cleanly with server-side apply' '
	ss_apiserver_start &&
	kubectl apply --server-side -f rendered.yaml &&
	kubectl -n sealsync-system get deployment sealsync &&
	kubectl -n sealsync-system get serviceaccount sealsync &&
	kubectl -n sealsync-system get networkpolicy sealsync &&
	kubectl get clusterrole sealsync-apply &&
	kubectl -n sealsync-system get configmap sealsync-config -o jsonpath="{.data.config\.yaml}" >config.yaml &&
	grep -q "cacheDir" config.yaml
'

test_expect_success 'the shipped agent config is valid for the agent' '
	sed -e "s|https://git.example.com/org/cluster.git|file:///nonexistent|" config.yaml >agent.yaml &&
	"$AGENT" --config agent.yaml --help 2>/dev/null >/dev/null
'

test_done

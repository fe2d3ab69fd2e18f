#!/bin/bash
# servers: both (tests/apiserver and the real kube-apiserver; tests/README.md)
# A Helm unit (docs/REPOSITORIES.md "Helm units"): a local chart with two
# values files and inline values is applied exactly as the pinned helm
# (tests/peers/helm) prints it for the same inputs: the same set of objects
# and the same content, with namespaced objects that name none put in the
# release namespace, CRDs from crds/ included, hooks and tests left out,
# .Capabilities from the cluster's discovery, and a SealedSecret from the
# chart unsealed in the namespace the chart gave it.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl
sh "$SS_SRC_DIR/tests/peers/helm/build.sh" >helm-build.log 2>&1 || { cat helm-build.log; exit 1; }
HELM=$(sh "$SS_SRC_DIR/tests/peers/helm/build.sh" --path)

chart() { # chart DIR: the test chart
	mkdir -p "$1/templates/tests" "$1/crds" &&
	cat >"$1/Chart.yaml" <<-\EOF &&
	apiVersion: v2
	name: web
	version: 0.1.0
	EOF
	cat >"$1/values.yaml" <<-\EOF &&
	replicas: 1
	color: default
	size: default
	tier: default
	image: registry.example/web:1
	EOF
	cat >"$1/crds/gadget.yaml" <<-\EOF &&
	apiVersion: apiextensions.k8s.io/v1
	kind: CustomResourceDefinition
	metadata:
	  name: gadgets.helm.example.org
	spec:
	  group: helm.example.org
	  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}
	  scope: Namespaced
	  versions:
	    - name: v1
	      served: true
	      storage: true
	      schema:
	        openAPIV3Schema:
	          type: object
	          x-kubernetes-preserve-unknown-fields: true
	EOF
	cat >"$1/templates/config.yaml" <<-\EOF &&
	apiVersion: v1
	kind: ConfigMap
	metadata:
	  name: {{ .Release.Name }}-config
	  labels:
	    app.kubernetes.io/instance: {{ .Release.Name }}
	data:
	  color: {{ .Values.color | quote }}
	  size: {{ .Values.size | quote }}
	  tier: {{ .Values.tier | quote }}
	  namespace: {{ .Release.Namespace | quote }}
	---
	apiVersion: v1
	kind: ConfigMap
	metadata:
	  name: {{ .Release.Name }}-caps
	  namespace: {{ .Release.Namespace }}
	data:
	  kubeVersion: {{ .Capabilities.KubeVersion.Version | quote }}
	  widget: {{ .Capabilities.APIVersions.Has "helm.example.com/v1/Widget" | quote }}
	EOF
	cat >"$1/templates/deploy.yaml" <<-\EOF &&
	apiVersion: apps/v1
	kind: Deployment
	metadata:
	  name: {{ .Release.Name }}
	spec:
	  replicas: {{ .Values.replicas }}
	  selector:
	    matchLabels: {app: {{ .Release.Name }}}
	  template:
	    metadata:
	      labels: {app: {{ .Release.Name }}}
	    spec:
	      containers:
	        - name: web
	          image: {{ .Values.image }}
	          envFrom:
	            - configMapRef: {name: {{ .Release.Name }}-config}
	---
	apiVersion: v1
	kind: Service
	metadata:
	  name: {{ .Release.Name }}
	spec:
	  selector: {app: {{ .Release.Name }}}
	  ports: [{port: 80, targetPort: 8080}]
	---
	apiVersion: rbac.authorization.k8s.io/v1
	kind: ClusterRole
	metadata:
	  name: {{ .Release.Name }}-{{ .Release.Namespace }}-reader
	rules:
	  - apiGroups: [""]
	    resources: [configmaps]
	    verbs: [get]
	EOF
	cat >"$1/templates/sealed.yaml" <<-\EOF &&
	{{- if .Values.sealed }}
	apiVersion: sealsync.dev/v1
	kind: SealedSecret
	metadata:
	  name: {{ .Release.Name }}-db
	spec:
	  scope: strict
	  encryptedData:
	    password: {{ .Values.sealed }}
	{{- end }}
	EOF
	cat >"$1/templates/hook.yaml" <<-\EOF &&
	apiVersion: v1
	kind: ConfigMap
	metadata:
	  name: {{ .Release.Name }}-pre-install
	  annotations:
	    "helm.sh/hook": pre-install
	EOF
	cat >"$1/templates/tests/test-connection.yaml" <<-\EOF
	apiVersion: v1
	kind: Pod
	metadata:
	  name: {{ .Release.Name }}-test
	  annotations:
	    "helm.sh/hook": test
	spec:
	  containers: [{name: t, image: busybox}]
	EOF
}

# objects FILE: "Kind/namespace/name" of every document, the namespace
# filled with NS for the namespaced kinds that name none (as the agent does).
objects() {
	$PYTHON - "$1" "$2" <<-\PY
	import sys, yaml
	cluster = {"ClusterRole", "CustomResourceDefinition", "Namespace"}
	out = []
	for d in yaml.safe_load_all(open(sys.argv[1])):
	    if not d:
	        continue
	    m = d["metadata"]
	    ns = "" if d["kind"] in cluster else m.get("namespace", sys.argv[2])
	    out.append("%s/%s/%s" % (d["kind"], ns, m["name"]))
	print("\n".join(sorted(out)))
	PY
}

# same_content FILE NS: every field helm printed is in the live object
# (the server adds its own; the agent adds its owner label).
same_content() {
	$PYTHON - "$1" "$2" <<-\PY
	import json, subprocess, sys, yaml
	cluster = {"ClusterRole", "CustomResourceDefinition"}
	def sub(want, got, path):
	    if isinstance(want, dict):
	        assert isinstance(got, dict), path
	        for k, v in want.items():
	            assert k in got, "%s.%s missing" % (path, k)
	            sub(v, got[k], path + "." + k)
	    elif isinstance(want, list):
	        assert isinstance(got, list) and len(got) == len(want), path
	        for i, (a, b) in enumerate(zip(want, got)):
	            sub(a, b, "%s[%d]" % (path, i))
	    else:
	        assert want == got, "%s: %r != %r" % (path, want, got)
	for d in yaml.safe_load_all(open(sys.argv[1])):
	    if not d or d["kind"] == "SealedSecret":
	        continue
	    m = d["metadata"]
	    args = ["kubectl", "get", "-o", "json", "%s.%s" % (d["kind"], d["apiVersion"].split("/")[0]) if "/" in d["apiVersion"] else d["kind"], m["name"]]
	    if d["kind"] not in cluster:
	        args += ["-n", m.get("namespace", sys.argv[2])]
	    live = json.loads(subprocess.check_output(args))
	    if d["kind"] not in cluster:
	        m.setdefault("namespace", sys.argv[2])
	    sub(d, live, d["kind"] + "/" + m["name"])
	    assert live["metadata"]["labels"]["sealsync.dev/owner"] == "sealsync.web", m["name"]
	PY
}

cat >inline.json <<-\EOF
{"tier":"inline"}
EOF

test_expect_success 'setup: keys, server, a Widget CRD by hand, the chart and its values' '
	ss_keys &&
	ss_apiserver_start &&
	ss_ns web-prod &&
	cat >widget-crd.yaml <<-\EOF &&
	apiVersion: apiextensions.k8s.io/v1
	kind: CustomResourceDefinition
	metadata:
	  name: widgets.helm.example.com
	spec:
	  group: helm.example.com
	  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
	  scope: Namespaced
	  versions:
	    - name: v1
	      served: true
	      storage: true
	      schema:
	        openAPIV3Schema:
	          type: object
	          x-kubernetes-preserve-unknown-fields: true
	EOF
	kubectl apply --server-side --field-manager hand -f widget-crd.yaml >/dev/null &&
	kubectl wait --for condition=established --timeout=60s crd/widgets.helm.example.com >/dev/null &&
	ss_repo_init &&
	chart repo/charts/web &&
	mkdir -p repo/apps/web/env &&
	printf "color: common\nsize: common\ntier: common\n" >repo/values-common.yaml &&
	printf "size: prod\ntier: prod\nreplicas: 2\nsealed: %s\n" \
		"$(ss_seal web-prod web-db password=s3cr3t-helm | sed -n "s/^ *password: //p")" \
		>repo/apps/web/env/prod.yaml &&
	cat >web.yaml <<-\EOF &&
	units:
	  - name: web
	    path: apps/web
	    namespace: other
	    helm:
	      chart: /charts/web
	      namespace: web-prod
	      valuesFiles: [/values-common.yaml, env/prod.yaml]
	      values: {tier: inline}
	EOF
	ss_commit chart
'

test_expect_success 'the agent applies the chart; helm template of the same inputs is the same set' '
	ss_sync --config web.yaml --helm "$HELM" &&
	KV=$(kubectl version -o json | $PYTHON -c "import json,sys; print(json.load(sys.stdin)[\"serverVersion\"][\"gitVersion\"])") &&
	(cd repo && "$HELM" template web ./charts/web --namespace web-prod --include-crds \
		--skip-tests --no-hooks -f ./values-common.yaml -f ./apps/web/env/prod.yaml \
		-f ../inline.json --kube-version "$KV" \
		--api-versions helm.example.com/v1/Widget) >want.yaml &&
	objects want.yaml web-prod | sed "s,^SealedSecret/,Secret/," >want-set &&
	cat want-set &&
	test "$(wc -l <want-set)" -eq 7 &&
	kubectl get configmaps,services,deployments.apps,secrets -A \
		-l sealsync.dev/owner=sealsync.web \
		-o jsonpath="{range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}{\"\\n\"}{end}" >got-ns &&
	kubectl get clusterroles,customresourcedefinitions -l sealsync.dev/owner=sealsync.web \
		-o jsonpath="{range .items[*]}{.kind}//{.metadata.name}{\"\\n\"}{end}" >got-cl &&
	sort got-ns got-cl >got-set &&
	test_cmp want-set got-set
'

test_expect_success 'the content is what helm printed (values order: default, common, prod, inline)' '
	same_content want.yaml web-prod &&
	test "$(kubectl -n web-prod get configmap web-config -o jsonpath="{.data.color}/{.data.size}/{.data.tier}/{.data.namespace}")" = common/prod/inline/web-prod &&
	test "$(kubectl -n web-prod get deployment web -o jsonpath={.spec.replicas})" = 2
'

test_expect_success '.Capabilities come from the cluster: its version and its CRDs' '
	test "$(kubectl -n web-prod get configmap web-caps -o jsonpath={.data.kubeVersion})" = "$KV" &&
	test "$(kubectl -n web-prod get configmap web-caps -o jsonpath={.data.widget})" = true &&
	(cd repo && "$HELM" template web ./charts/web --namespace web-prod) >default.yaml &&
	grep -q "widget: \"false\"" default.yaml
'

test_expect_success 'hooks and tests are left out; CRDs from crds/ are applied' '
	test_must_fail kubectl -n web-prod get configmap web-pre-install &&
	test_must_fail kubectl -n web-prod get pod web-test &&
	kubectl get crd gadgets.helm.example.org >/dev/null
'

test_expect_success 'the SealedSecret from the chart is unsealed in the release namespace' '
	test "$(ss_secret_value web-prod web-db password)" = s3cr3t-helm &&
	test_not_contains s3cr3t-helm agent.log
'

test_expect_success 'a strict value moved to another release namespace fails naming both scopes' '
	sed -i "s/namespace: web-prod/namespace: web-stage/" web.yaml &&
	ss_ns web-stage &&
	: >agent.log &&
	test_must_fail ss_sync --config web.yaml --helm "$HELM" &&
	grep "sync failed" agent.log | grep -q "web-prod" &&
	grep "sync failed" agent.log | grep -q "web-stage" &&
	test_must_fail kubectl -n web-stage get configmap web-config &&
	test_not_contains s3cr3t-helm agent.log
'

test_expect_success '--render without a cluster uses the unit kubeVersion (or helm default)' '
	sed -i "s/namespace: web-stage/namespace: web-prod/" web.yaml &&
	printf "      kubeVersion: v1.29.4\n" >>web.yaml &&
	"$AGENT" --render - --config web.yaml --helm "$HELM" --repo "file://$TRASH/repo" \
		--identities keys.txt --cache-dir cache >render.yaml 2>render.log &&
	grep -q "kubeVersion: v1.29.4" render.yaml &&
	grep -q "widget: \"false\"" render.yaml
'

test_done

#!/bin/bash
# ss-apiserver: Status errors as the real server gives them, bad bodies
# (400, never a crash), the body cap (413), dryRun, preconditions, the CRD
# Established delay, the read-only token, and a clean SIGTERM.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/apiserver/e2e-lib.sh"
test_require "$APISERVER" curl "$PYTHON"

apiserver_start api --max-body 4096 --token-ro "ro-$APISERVER_TOKEN" --crd-established-delay 300 || exit 1
apiserver_start never --crd-established-delay 600000 || exit 1

CM=/api/v1/namespaces/default/configmaps
YAML="Content-Type: application/apply-patch+yaml"
JSON="Content-Type: application/json"

alive() { test "$(api_status api /api/v1/namespaces/default)" = 200; }
reason() { py_json "j[\"reason\"]" <"$TRASH/.body"; }

test_expect_success 'bad JSON, bad YAML, a non-object, NUL bytes: 400 BadRequest, still serving' '
	test "$(api_status api $CM -X POST -H "$JSON" -d "{\"apiVersion\":")" = 400 &&
	test "$(reason)" = BadRequest &&
	test "$(api_status api $CM/x?fieldManager=t -X PATCH -H "$YAML" --data-binary "a: [b")" = 400 &&
	test_contains "YAML line" "$TRASH/.body" &&
	test "$(api_status api $CM/x?fieldManager=t -X PATCH -H "$YAML" --data-binary "- 1")" = 400 &&
	printf "{\"a\":\"\\000\"}" >nul.json &&
	test "$(api_status api $CM -X POST -H "$JSON" --data-binary @nul.json)" = 400 &&
	test "$(api_status api $CM -X POST -H "$JSON" -d "{\"a\":1,\"a\":2}")" = 400 &&
	alive
'

test_expect_success 'YAML aliases and deep nesting are refused, not expanded' '
	printf "a: &x [1,2]\nb: *x\n" >alias.yaml &&
	test "$(api_status api $CM/x?fieldManager=t -X PATCH -H "$YAML" --data-binary @alias.yaml)" = 400 &&
	$PYTHON -c "print(\"[\" * 500 + \"]\" * 500)" >deep.json &&
	test "$(api_status api $CM/x?fieldManager=t -X PATCH -H "$YAML" --data-binary @deep.json)" = 400 &&
	alive
'

test_expect_success 'a body over --max-body is 413 RequestEntityTooLarge' '
	$PYTHON -c "import json; print(json.dumps({\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"big\"},\"data\":{\"k\":\"x\"*5000}}))" >big.json &&
	test "$(api_status api $CM -X POST -H "$JSON" --data-binary @big.json)" = 413 &&
	test "$(reason)" = RequestEntityTooLarge &&
	test "$(api_status api $CM/big)" = 404 &&
	alive
'

test_expect_success 'unsupported patch type is 415' '
	test "$(api_status api $CM/x -X PATCH -H "Content-Type: application/x-unknown" -d "[]")" = 415 &&
	test "$(reason)" = UnsupportedMediaType
'

test_expect_success 'JSON patch (RFC 6902): add, test, move, remove; a failing op changes nothing' '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: jp, labels: {a/b: x}}\ndata: {k: v}\n" >jp.yaml &&
	test "$(api_status api "$CM/jp?fieldManager=t" -X PATCH -H "$YAML" --data-binary @jp.yaml)" = 201 &&
	JP="Content-Type: application/json-patch+json" &&
	p="[{\"op\":\"add\",\"path\":\"/data/n\",\"value\":\"1\"},{\"op\":\"test\",\"path\":\"/data/k\",\"value\":\"v\"},{\"op\":\"move\",\"from\":\"/data/k\",\"path\":\"/data/m\"},{\"op\":\"remove\",\"path\":\"/metadata/labels/a~1b\"}]" &&
	test "$(api_status api $CM/jp -X PATCH -H "$JP" -d "$p")" = 200 &&
	test "$(py_json "sorted(j[\"data\"].items())" <"$TRASH/.body")" = "[[\"m\", \"v\"], [\"n\", \"1\"]]" &&
	test "$(py_json "\"a/b\" in j[\"metadata\"].get(\"labels\", {})" <"$TRASH/.body")" = False &&
	p="[{\"op\":\"replace\",\"path\":\"/data/n\",\"value\":\"2\"},{\"op\":\"test\",\"path\":\"/data/m\",\"value\":\"no\"}]" &&
	test "$(api_status api $CM/jp -X PATCH -H "$JP" -d "$p")" = 422 &&
	test_contains "operation 1" "$TRASH/.body" &&
	test "$(api api $CM/jp | py_json "j[\"data\"][\"n\"]")" = 1
'

test_expect_success 'apply without fieldManager is 422; with a mismatched name 400' '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n" >a.yaml &&
	test "$(api_status api $CM/a -X PATCH -H "$YAML" --data-binary @a.yaml)" = 422 &&
	test_contains "fieldManager: Required value" "$TRASH/.body" &&
	test "$(api_status api $CM/b?fieldManager=t -X PATCH -H "$YAML" --data-binary @a.yaml)" = 400
'

test_expect_success 'a namespaced object in a missing namespace: 404 namespaces "x" not found' '
	test "$(api_status api /api/v1/namespaces/nope/configmaps/a?fieldManager=t -X PATCH -H "$YAML" --data-binary @a.yaml)" = 404 &&
	test "$(py_json "j[\"message\"]" <"$TRASH/.body")" = "namespaces \"nope\" not found" &&
	test "$(py_json "j[\"details\"][\"kind\"]" <"$TRASH/.body")" = namespaces
'

test_expect_success 'invalid names and labels are 422 Invalid naming the field' '
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n" >bad.yaml &&
	test "$(api_status api $CM/Bad_Name?fieldManager=t -X PATCH -H "$YAML" --data-binary @bad.yaml)" = 422 &&
	test "$(py_json "j[\"details\"][\"causes\"][0][\"field\"]" <"$TRASH/.body")" = metadata.name &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {\"a b\": x}}\n" >bad.yaml &&
	test "$(api_status api $CM/c?fieldManager=t -X PATCH -H "$YAML" --data-binary @bad.yaml)" = 422 &&
	test_contains "metadata.labels[a b]" "$TRASH/.body"
'

test_expect_success 'POST create is 201, again 409 AlreadyExists; GET of a missing name 404' '
	d="{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"p\",\"labels\":{\"x\":\"1\"}},\"data\":{\"k\":\"v\"}}" &&
	test "$(api_status api $CM -X POST -H "$JSON" -d "$d")" = 201 &&
	test "$(api_status api $CM -X POST -H "$JSON" -d "$d")" = 409 &&
	test "$(reason)" = AlreadyExists &&
	test "$(py_json "j[\"details\"][\"name\"]" <"$TRASH/.body")" = p &&
	test "$(api_status api $CM/none)" = 404 &&
	test "$(reason)" = NotFound
'

test_expect_success 'dryRun=All on create, apply, update and delete changes nothing' '
	n0=$(grep -c . "$api_dir/requests.log") &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dry}\ndata: {k: v}\n" >dry.yaml &&
	test "$(api_status api "$CM/dry?fieldManager=t&dryRun=All" -X PATCH -H "$YAML" --data-binary @dry.yaml)" = 201 &&
	test "$(py_json "j[\"data\"][\"k\"]" <"$TRASH/.body")" = v &&
	test "$(api_status api $CM/dry)" = 404 &&
	api api $CM/p >p.json &&
	sed "s/\"k\":\"v\"/\"k\":\"w\"/" p.json >p2.json &&
	test "$(api_status api "$CM/p?dryRun=All" -X PUT -H "$JSON" --data-binary @p2.json)" = 200 &&
	test "$(api_status api "$CM/p?dryRun=All" -X DELETE)" = 200 &&
	api api $CM/p >after.json &&
	test_cmp p.json after.json &&
	tail -n +$((n0 + 1)) "$api_dir/requests.log" | grep "dryRun=All" >dry.log &&
	test "$(grep -c "\"dryRun\":true" dry.log)" = 3
'

test_expect_success 'PUT with a stale resourceVersion is 409 Conflict; with the current one 200' '
	l="{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\"lock\"},\"spec\":{\"holderIdentity\":\"a\"}}" &&
	L=/apis/coordination.k8s.io/v1/namespaces/default/leases &&
	test "$(api_status api $L -X POST -H "$JSON" -d "$l")" = 201 &&
	rv=$(py_json "j[\"metadata\"][\"resourceVersion\"]" <"$TRASH/.body") &&
	u="{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\"lock\",\"resourceVersion\":\"$rv\"},\"spec\":{\"holderIdentity\":\"b\"}}" &&
	test "$(api_status api $L/lock -X PUT -H "$JSON" -d "$u")" = 200 &&
	test "$(api_status api $L/lock -X PUT -H "$JSON" -d "$u")" = 409 &&
	test "$(reason)" = Conflict &&
	test_contains "the object has been modified" "$TRASH/.body" &&
	test "$(api_status api $L/lock)" = 200 &&
	test "$(py_json "j[\"spec\"][\"holderIdentity\"]" <"$TRASH/.body")" = b
'

test_expect_success 'DELETE with a stale precondition is 409; DELETE answers a Status' '
	test "$(api_status api $CM/p -X DELETE -H "$JSON" -d "{\"preconditions\":{\"resourceVersion\":\"1\"}}")" = 409 &&
	test "$(api_status api $CM/p -X DELETE -H "$JSON" -d "{\"propagationPolicy\":\"Background\"}")" = 200 &&
	test "$(py_json "j[\"status\"]" <"$TRASH/.body")" = Success &&
	test "$(api_status api $CM/p -X DELETE)" = 404
'

test_expect_success 'label selectors: =, ==, !=, in, notin, exists, !exists; fieldSelector name' '
	for i in 1 2 3; do
		printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s$i, labels: {tier: t$i}}\n" >s.yaml &&
		test "$(api_status api "$CM/s$i?fieldManager=t" -X PATCH -H "$YAML" --data-binary @s.yaml)" = 201 || exit 1
	done &&
	sel() { api api "$CM?labelSelector=$1" | py_json "\" \".join(i[\"metadata\"][\"name\"] for i in j[\"items\"])"; } &&
	test "$(sel tier%3Dt1)" = s1 &&
	test "$(sel tier%3D%3Dt2)" = s2 &&
	test "$(sel "tier%21%3Dt1,tier")" = "s2 s3" &&
	test "$(sel "tier%20in%20(t1,t3)")" = "s1 s3" &&
	test "$(sel "tier%20notin%20(t1,t3),tier")" = s2 &&
	test "$(sel "%21tier" | tr " " "\n" | grep -c "^s")" = 0 &&
	test "$(api api "$CM?fieldSelector=metadata.name%3Ds2" | py_json "len(j[\"items\"])")" = 1 &&
	test "$(api_status api "$CM?labelSelector=tier%20in%20t1")" = 400
'

test_expect_success 'the read-only token may read but not write (403)' '
	test "$(curl -sS -o body -w "%{http_code}" --cacert "$api_ca" -H "Authorization: Bearer ro-$APISERVER_TOKEN" "$api_url$CM")" = 200 &&
	test "$(curl -sS -o body -w "%{http_code}" --cacert "$api_ca" -H "Authorization: Bearer ro-$APISERVER_TOKEN" -X DELETE "$api_url$CM/s1")" = 403 &&
	test_contains "\"reason\":\"Forbidden\"" body
'

test_expect_success 'a CRD is not Established before --crd-established-delay; after it, its resource serves' '
	cat >crd.yaml <<-Y &&
	apiVersion: apiextensions.k8s.io/v1
	kind: CustomResourceDefinition
	metadata: {name: gadgets.example.com}
	spec:
	  group: example.com
	  scope: Cluster
	  names: {plural: gadgets, kind: Gadget}
	  versions: [{name: v1, served: true, storage: true}]
	Y
	C=/apis/apiextensions.k8s.io/v1/customresourcedefinitions &&
	est() { py_json "[c[\"status\"] for c in j[\"status\"][\"conditions\"] if c[\"type\"]==\"Established\"][0]" <"$TRASH/.body"; } &&
	test "$(api_status never "$C/gadgets.example.com?fieldManager=t" -X PATCH -H "$YAML" --data-binary @crd.yaml)" = 201 &&
	test "$(est)" = False &&
	test "$(api_status never /apis/example.com/v1/gadgets)" = 404 &&
	test "$(api_status never $C/gadgets.example.com)" = 200 && test "$(est)" = False &&
	api never /apis | py_json "\"example.com\" in [g[\"name\"] for g in j[\"groups\"]]" >disc &&
	test "$(cat disc)" = False &&
	test "$(api_status api "$C/gadgets.example.com?fieldManager=t" -X PATCH -H "$YAML" --data-binary @crd.yaml)" = 201 &&
	i=0 && while [ $i -lt 150 ]; do
		test "$(api_status api $C/gadgets.example.com)" = 200 &&
		test "$(py_json "[c[\"status\"] for c in j[\"status\"][\"conditions\"] if c[\"type\"]==\"Established\"][0]" <"$TRASH/.body")" = True && break
		sleep 0.1; i=$((i + 1))
	done &&
	test $i -lt 150 &&
	test "$(api_status api /apis/example.com/v1/gadgets)" = 200 &&
	api api /apis/example.com/v1 | py_json "j[\"resources\"][0][\"namespaced\"]" >ns &&
	test "$(cat ns)" = False &&
	api api /openapi/v3 | py_json "\"apis/example.com/v1\" in j[\"paths\"]" >oa &&
	test "$(cat oa)" = True &&
	test "$(api_status api $C/gadgets.example.com -X DELETE)" = 200 &&
	test "$(api_status api /apis/example.com/v1/gadgets)" = 404
'

test_expect_success 'Secret stringData is merged into data as base64, never echoed in errors' '
	S=/api/v1/namespaces/default/secrets &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: YQ==}\nstringData: {b: pl41nt3xt-value}\n" >s.yaml &&
	test "$(api_status api "$S/s?fieldManager=t" -X PATCH -H "$YAML" --data-binary @s.yaml)" = 201 &&
	test "$(py_json "j[\"data\"][\"b\"]" <"$TRASH/.body" | base64 -d)" = pl41nt3xt-value &&
	test "$(py_json "sorted(j[\"data\"])" <"$TRASH/.body")" = "[\"a\", \"b\"]" &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: \"pl41nt3xt-value!\"}\n" >s.yaml &&
	test "$(api_status api "$S/s?fieldManager=t" -X PATCH -H "$YAML" --data-binary @s.yaml)" = 400 &&
	test_contains "data[a]" "$TRASH/.body" &&
	test_not_contains "pl41nt3xt" "$TRASH/.body" &&
	test_not_contains "pl41nt3xt" "$api_dir/requests.log"
'

test_expect_success 'Events: core/v1 and events.k8s.io/v1' '
	e1="{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"generateName\":\"sync-\"},\"reason\":\"Synced\",\"message\":\"ok\",\"type\":\"Normal\",\"involvedObject\":{\"kind\":\"ConfigMap\",\"name\":\"s1\"}}" &&
	test "$(api_status api /api/v1/namespaces/default/events -X POST -H "$JSON" -d "$e1")" = 201 &&
	name=$(py_json "j[\"metadata\"][\"name\"]" <"$TRASH/.body") &&
	case "$name" in sync-?????) ;; *) echo "bad generated name $name"; exit 1 ;; esac &&
	e2="{\"apiVersion\":\"events.k8s.io/v1\",\"kind\":\"Event\",\"metadata\":{\"name\":\"e2\"},\"reason\":\"Synced\",\"note\":\"ok\",\"type\":\"Normal\",\"action\":\"Sync\",\"reportingController\":\"sealsync\",\"reportingInstance\":\"a\",\"eventTime\":\"2026-01-01T00:00:00.000000Z\"}" &&
	test "$(api_status api /apis/events.k8s.io/v1/namespaces/default/events -X POST -H "$JSON" -d "$e2")" = 201 &&
	test "$(api api /api/v1/namespaces/default/events | py_json "[i[\"reason\"] for i in j[\"items\"]]")" = "[\"Synced\"]" &&
	test "$(api api /apis/events.k8s.io/v1/events | py_json "[i[\"metadata\"][\"name\"] for i in j[\"items\"]]")" = "[\"e2\"]"
'

test_expect_success 'admin: DELETE /_admin/objects resets the state' '
	test "$(api_status api /_admin/objects -X DELETE)" = 200 &&
	test "$(api_status api $CM/s1)" = 404 &&
	test "$(api_status api /api/v1/namespaces/default)" = 200
'

test_expect_success 'SIGTERM stops the server cleanly (exit 0)' '
	kill -TERM $api_pid &&
	wait $api_pid 2>/dev/null; rc=$?;
	echo "exit $rc" && test $rc = 0
'

test_done

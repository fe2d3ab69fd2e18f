#!/bin/bash
# Invariant 2, escaped forms: an API error (an admission webhook's 422)
# that quotes a value with escapes (Go %q, JSON, \uXXXX, JSON inside JSON)
# or spans a multi-line value leaves no trace of it in the logs; a value
# shorter than 4 bytes cannot be redacted, so the server's text for a
# Secret is withheld and only the code and reason are kept.
. "$(dirname "$0")/lib.sh"
. "$SS_SRC_DIR/tests/e2e/lib-agent.sh"
test_require "$AGENT" "$SEALCTL" "$APISERVER" kubectl

# Distinct random parts: none of them may appear in a log, whatever the
# quoting around them.
H1=$(openssl rand -hex 8) H2=$(openssl rand -hex 8) H3=$(openssl rand -hex 8)
H4=$(openssl rand -hex 8) H5=$(openssl rand -hex 8)
export H1 H2 H3 H4 H5

# The Secret (JSON strings are YAML double-quoted scalars) and the 422
# rule whose message quotes every value in every escaped form.
cat >"$TRASH/forms.py" <<-\PY
import json, os, sys
H = [os.environ["H%d" % i] for i in range(1, 6)]
vals = {
    "quoted": 'q"uo\\te-' + H[0],                       # quote and backslash
    "multi": "first-" + H[1] + "\nsecond-" + H[2],       # two lines
    "accent": "p\u00e4ssw\u00f6rt-" + H[3],               # non-ASCII
    "ctl": "tab\there\x01bell-" + H[4],                  # control bytes
}
if sys.argv[1] == "secret":
    print("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:")
    for k, v in vals.items():
        print("  %s: %s" % (k, json.dumps(v)))
    sys.exit(0)
def goq(v):  # Go's %q: \" \\ \n \t \x01, UTF-8 kept
    out = ""
    for c in v:
        if c in '"\\': out += "\\" + c
        elif c == "\n": out += "\\n"
        elif c == "\t": out += "\\t"
        elif ord(c) < 0x20: out += "\\x%02x" % ord(c)
        else: out += c
    return '"' + out + '"'
v = vals[sys.argv[2]]  # one value per message: error text is capped at 512 bytes
parts = [goq(v),                                        # Go %q
         json.dumps(v),                                 # JSON, \uXXXX for non-ASCII
         json.dumps(json.dumps(v)),                     # JSON inside JSON
         v.replace("\n", "\\u000a").replace("\t", "\\u0009"),
         "[" + v + "]"]                                 # raw, multi-line
msg = "admission webhook denied the request: " + "; ".join(parts)
print(json.dumps({"type": "422", "method": "PATCH", "count": 10,
                  "path": "/api/v1/namespaces/default/secrets/db", "message": msg}))
PY

no_random_part() { # FILE
	for h in "$H1" "$H2" "$H3" "$H4" "$H5"; do
		test_not_contains "$h" "$1" || return 1
	done
}

test_expect_success 'setup: a Secret whose values need escaping is applied' '
	ss_keys && ss_apiserver_start && ss_repo_init &&
	mkdir -p repo/apps &&
	$PYTHON forms.py secret >db.yaml &&
	"$SEALCTL" seal -r "$PUB" --namespace default <db.yaml >repo/apps/db.sealed.yaml &&
	ss_commit first &&
	ss_sync --path apps &&
	test "$(ss_secret_value default db multi)" = "$(printf "first-%s\nsecond-%s" "$H2" "$H3")" &&
	no_random_part agent.log
'

printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n" >"$TRASH/repo/apps/c.yaml"
(cd "$TRASH" && ss_commit second)
for key in quoted multi accent ctl; do
	test_expect_success "a 422 quoting the $key value with escapes is redacted in every form" '
		$PYTHON forms.py fault $key >fault.json &&
		ss_fault "$(cat fault.json)" &&
		: >agent.log &&
		test_must_fail ss_sync --path apps &&
		ss_faults_clear &&
		cp agent.log agent-422-$key.log &&
		grep "sync failed" agent.log >failed.log &&
		grep -q "admission webhook denied the request" failed.log &&
		grep -q "REDACTED" failed.log &&
		no_random_part agent.log
	'
done

test_expect_success 'a value under 4 bytes: the Secret error keeps code and reason, not the text' '
	ss_seal "" tiny pin=Q7z >repo/apps/tiny.sealed.yaml &&
	ss_commit third &&
	ss_fault "{\"type\":\"422\",\"method\":\"PATCH\",\"count\":10,\"path\":\"/api/v1/namespaces/default/secrets/tiny\",\"message\":\"webhook: pin Q7z is too short\"}" &&
	: >agent.log &&
	test_must_fail ss_sync --path apps &&
	ss_faults_clear &&
	grep "sync failed" agent.log >failed.log &&
	grep -q "HTTP 422 Invalid" failed.log &&
	grep -q "withheld" failed.log &&
	test_not_contains "Q7z" agent.log &&
	ss_sync --path apps &&
	test "$(ss_secret_value default tiny pin)" = Q7z
'

test_done

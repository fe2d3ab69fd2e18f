#!/bin/bash
# SECURITY.md lists DESIGN §6's eight invariants, each with tests that
# exist: e2e scripts (tNNNN-name), unit tests (unit_<module>_<file>) and
# CTest tests registered by name.
. "$(dirname "$0")/lib.sh"

doc=$SS_SRC_DIR/SECURITY.md

test_expect_success 'SECURITY.md lists eight numbered invariants' '
	sed -n "/^## The invariants/,/^## /p" "$doc" >inv &&
	for n in 1 2 3 4 5 6 7 8; do grep -q "^$n\. \*\*" inv || return 1; done
'

test_expect_success 'every invariant names at least one test' '
	/usr/bin/python3 - inv <<-\PY
	import re, sys
	text = open(sys.argv[1]).read()
	items = re.split(r"^(?=[1-8]\. \*\*)", text, flags=re.M)[1:]
	assert len(items) == 8, len(items)
	for it in items:
	    names = re.findall(r"`(t\d{4}-[a-z0-9-]+|unit_[a-z0-9_]+|vectors_[a-z_]+)`", it)
	    assert names, "no test named for: " + it.splitlines()[0]
	PY
'

test_expect_success 'every named test exists' '
	grep -oE "\`(t[0-9]{4}-[a-z0-9-]+|unit_[a-z0-9_]+|vectors_[a-z_]+)\`" inv | tr -d "\`" | sort -u >names &&
	test -s names &&
	while read -r name; do
		case "$name" in
		t[0-9]*) test -f "$SS_SRC_DIR/tests/e2e/$name.sh" ;;
		unit_*) mod=${name#unit_}; mod=${mod%%_*}; file=${name#unit_${mod}_};
			test -f "$SS_SRC_DIR/tests/unit/$mod/$file.c" ;;
		*) grep -rqs "add_test(NAME $name" "$SS_SRC_DIR/tests" ;;
		esac || { echo "missing test: $name"; return 1; }
	done <names
'

test_expect_success 'the signature policy guarantee is stated precisely, with its remedies' '
	sed -n "/^## What a signature policy guarantees/,/^## /p" "$doc" >sig &&
	grep -q "any signed commit" sig &&
	grep -q "descends from the baseline" sig &&
	grep -q "feature branch" sig &&
	grep -q "Pin a commit id, not a ref" sig &&
	grep -q "Protected branches on the server" sig &&
	grep -q "descent check" sig &&
	grep -q "first" sig &&
	grep -q "allow-rewind" sig &&
	# the old claim, which was too strong, is gone
	! grep -q "at most withhold or delay" "$doc"
'

test_expect_success 'redaction limits and log escaping are documented' '
	sed -n "/^## What redaction of API error text/,/^## /p" "$doc" >red &&
	grep -q "Values shorter than 4 bytes" red &&
	grep -q "withheld" red &&
	grep -q "uXXXX" red &&
	sed -n "/^## Logs and Events carry untrusted names/,/^## /p" "$doc" >logs &&
	grep -q "xNN" logs &&
	grep -q "t4170-log-injection" logs
'

test_done

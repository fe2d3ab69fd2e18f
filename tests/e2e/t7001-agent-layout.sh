#!/bin/bash
# agent/ is one folder per part, and dependencies inside it point one way:
# serve -> sync -> kube, git, keys, render; sync and keys -> notify
# (docs/ARCHITECTURE.md "Inside agent/"); render (the confined renderer)
# and notify use none of the others.
# A header belongs to the part that implements it; the table below is that
# ownership, checked against the folders so that it cannot go stale.
. "$(dirname "$0")/lib.sh"

agent=$SS_SRC_DIR/agent

test_expect_success 'agent/ holds the seven part folders and main.c, config*.c, log.c only' '
	(cd "$agent" && ls -1) >got &&
	printf "%s\n" config.c config_helm.c config_int.h config_units.c git keys kube log.c main.c \
		notify render serve sync >want &&
	test_cmp want got
'

# owner:header ... (include/sealsync/<header>)
owners="sync:apply.h sync:bundle.h sync:inventory.h sync:render.h sync:sync.h sync:health.h sync:waiter.h
serve:server.h serve:metrics.h serve:events.h serve:leader.h
kube:kube.h git:source.h git:sshsig.h keys:keystore.h keys:keyholder.h
notify:notify.h
render:renderer.h render:helm.h"

test_expect_success 'each owned header is implemented in its folder' '
	for oh in $owners; do
		part=${oh%%:*} h=${oh#*:}
		grep -lq "include \"sealsync/$h\"" "$agent/$part"/*.[ch] ||
			{ echo "$h is not used in agent/$part"; return 1; }
	done
'

# forbidden_includes PART HEADER-OWNERS...: fails listing every include of a
# header owned by one of the given parts from a file in agent/PART.
forbidden_includes() {
	part=$1; shift
	bad=0
	for oh in $owners; do
		for o in "$@"; do
			[ "${oh%%:*}" = "$o" ] || continue
			if grep -n "include \"sealsync/${oh#*:}\"" "$agent/$part"/*.[ch]; then bad=1; fi
		done
	done
	return $bad
}

test_expect_success 'kube, git and keys include nothing from sync or serve' '
	forbidden_includes kube sync serve git keys &&
	forbidden_includes git sync serve kube keys &&
	forbidden_includes keys sync serve git
'

test_expect_success 'render includes nothing from the other parts, and only sync uses it' '
	forbidden_includes render sync serve kube git keys &&
	forbidden_includes kube render && forbidden_includes git render &&
	forbidden_includes keys render && forbidden_includes serve render
'

test_expect_success 'the render library links nothing of the other parts (CMake)' '
	grep "target_link_libraries(ss_agent_render " "$SS_SRC_DIR/CMakeLists.txt" >link &&
	test_line_count() { test "$(wc -l <"$2")" -eq "$1"; } &&
	test_line_count 1 link &&
	! grep -E "ss_agent_(kube|git|keys|sync|serve)" link
'

test_expect_success 'sync includes nothing from serve' '
	forbidden_includes sync serve
'

test_expect_success 'notify includes nothing of the other parts (sync and keys call it)' '
	forbidden_includes notify kube git keys sync serve &&
	forbidden_includes kube notify && forbidden_includes git notify
'

test_done

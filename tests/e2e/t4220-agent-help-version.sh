#!/bin/bash
# sealsync-agent --help and --version on stdout, exit 0; --help shows each
# flag's argument and default, and lists exactly the flags docs/CONFIG.md
# documents; the man page documents them too.
. "$(dirname "$0")/lib.sh"
test_require "$AGENT"

# flags FILE: every --long-flag mentioned, one per line, sorted.
flags() { grep -oE -- "--[a-z][a-z0-9-]+" "$1" | sort -u; }

test_expect_success '--help prints on stdout and exits 0' '
	"$AGENT" --help >help.txt 2>help.err &&
	test ! -s help.err &&
	grep -q "^usage: sealsync-agent" help.txt
'

test_expect_success '--help shows placeholders and defaults' '
	grep -E "^  --repo URL  " help.txt &&
	grep -E "^  --interval DURATION  .*\(default: 60s\)" help.txt &&
	grep -E "^  --concurrency N  .*\(default: 8\)" help.txt &&
	grep -E "^  --identities FILE  " help.txt &&
	grep -E "^  --agent-namespace NS  .*\(default: sealsync-system\)" help.txt &&
	grep -E "^  --render DIR\|-  " help.txt &&
	grep -E "^  --leader-election  .*\(default: true\)" help.txt &&
	grep -E "^  --target-namespace NS  " help.txt
'

test_expect_success 'every flag of --help is in docs/CONFIG.md, and no other' '
	flags help.txt >from-help &&
	flags "$SS_SRC_DIR/docs/CONFIG.md" >from-doc &&
	test_cmp from-help from-doc
'

test_expect_success 'the man page documents every flag of --help' '
	man=$SS_SRC_DIR/docs/sealsync-agent.8 &&
	sed "s/\\\\-/-/g" "$man" >man.txt &&
	flags man.txt >from-man &&
	comm -23 from-help from-man >missing &&
	test_cmp /dev/null missing &&
	man -l "$man" >/dev/null 2>man.err || groff -man -Tutf8 -ww "$man" >/dev/null 2>man.err;
	test_cmp /dev/null man.err
'

test_expect_success '--version names the version, commit and libraries, exit 0' '
	"$AGENT" --version >version.txt 2>version.err &&
	test ! -s version.err && cat version.txt &&
	grep -qE "^sealsync-agent [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]{7,}\)$" version.txt &&
	grep -qE "^libsodium [0-9]" version.txt &&
	grep -qE "^libgit2 [0-9]+\.[0-9]+\.[0-9]+$" version.txt &&
	grep -qE "^libcurl [0-9]" version.txt
'

test_expect_success '--version names the commit the binary was built from' '
	head=$(git -C "$SS_SRC_DIR" rev-parse --short=12 HEAD 2>/dev/null) || head=unknown
	grep -q "(commit $head)" version.txt
'

test_done

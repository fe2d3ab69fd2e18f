#!/bin/bash
# sealctl --version, sealctl completion bash|zsh|fish, and make install
# with PREFIX and DESTDIR (newcomer issue, item 10; the agent's --version
# and man page are another change).
. "$(dirname "$0")/lib.sh"

test_require "$SEALCTL" pkg-config make

test_expect_success 'sealctl --version: version, commit and library versions' '
	"$SEALCTL" --version >v &&
	head -n 1 v | grep -Eq "^sealctl [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]{12}|unknown)\)$" &&
	test_contains "libsodium $(pkg-config --modversion libsodium)" v &&
	test_contains "libcurl $(pkg-config --modversion libcurl)" v &&
	test_contains "jansson $(pkg-config --modversion jansson)" v &&
	commit=$(sed -n "s/.*(commit \([0-9a-f]*\))$/\1/p" v) &&
	{ test -z "$commit" || git -C "$SS_SRC_DIR" cat-file -e "$commit^{commit}"; } &&
	grep -q "VERSION $(sed -n "1s/^sealctl \([^ ]*\) .*/\1/p" v) LANGUAGES" "$SS_SRC_DIR/CMakeLists.txt"
'

test_expect_success 'sealctl --help mentions help VERB and --version' '
	"$SEALCTL" --help >h &&
	test_contains "sealctl help <verb>" h &&
	test_contains "sealctl --version" h &&
	test_contains "completion" h
'

test_expect_success 'completion bash: verbs, then the verb'"'"'s options, then files' '
	"$SEALCTL" completion bash >c.bash &&
	bash -n c.bash &&
	: >secret.yaml &&
	cat >drive.sh <<-\EOF &&
	. ./c.bash
	comp() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _sealctl; echo "${COMPREPLY[*]}"; }
	comp sealctl sea
	comp sealctl verify --id
	comp sealctl seal --merge
	comp sealctl seal secr
	comp sealctl completion z
	EOF
	bash drive.sh >got &&
	printf "%s\n" "seal" "--identity" "--merge-into" "secret.yaml" "zsh" >want &&
	test_cmp want got
'

test_expect_success 'every option completion offers is one the verb accepts' '
	"$SEALCTL" completion bash >c.bash &&
	sed -n "s/^\t\t\([a-z]*\)) words=\"\(.*\)\" ;;$/\1 \2/p" c.bash >table &&
	test $(wc -l <table) -ge 8 &&
	mkdir empty && cd empty &&
	while read -r verb opts; do
		for o in $opts; do
			case $o in --*) ;; *) continue ;; esac
			# raw-only options (seal --key) count when --raw takes them
			"$SEALCTL" $verb $o </dev/null >/dev/null 2>err
			"$SEALCTL" $verb --raw $o </dev/null >/dev/null 2>err.raw
			if grep -q "unknown option" err && grep -q "unknown option\|not supported" err.raw; then
				echo "$verb $o: $(cat err)"; cd ..; return 1
			fi
		done
	done <../table &&
	cd ..
'

test_expect_success 'completion zsh and fish name the verbs and options' '
	"$SEALCTL" completion zsh >c.zsh &&
	head -n 1 c.zsh | grep -q "^#compdef sealctl$" &&
	grep -q "seal) compadd -- .*--merge-into" c.zsh &&
	"$SEALCTL" completion fish >c.fish &&
	grep -q "__fish_seen_subcommand_from verify. -l identity$" c.fish &&
	test_expect_code 2 "$SEALCTL" completion tcsh 2>err &&
	test_contains "bash, zsh or fish" err
'

test_expect_success 'make install PREFIX=/usr DESTDIR=stage: programs, man pages, completions' '
	make -s -C "$SS_SRC_DIR" install BUILD="$SS_BUILD_DIR" PREFIX=/usr DESTDIR="$TRASH/stage" >make.out 2>&1 &&
	test -x stage/usr/bin/sealctl && test -x stage/usr/bin/sealsync-agent &&
	test "$(stat -c %a stage/usr/bin/sealctl)" = 755 &&
	stage/usr/bin/sealctl --version | grep -q "^sealctl " &&
	for f in "$SS_SRC_DIR"/docs/*.1; do cmp "$f" "stage/usr/share/man/man1/${f##*/}" || return 1; done &&
	for f in "$SS_SRC_DIR"/docs/*.8; do test ! -e "$f" || cmp "$f" "stage/usr/share/man/man8/${f##*/}" || return 1; done &&
	test -s stage/usr/share/man/man1/sealctl.1 &&
	test "$(stat -c %a stage/usr/share/man/man1/sealctl.1)" = 644 &&
	cmp c.bash stage/usr/share/bash-completion/completions/sealctl &&
	test -s stage/usr/share/zsh/site-functions/_sealctl &&
	test -s stage/usr/share/fish/vendor_completions.d/sealctl.fish &&
	test -z "$(find stage -path "*/usr/local*")"
'

test_done

#!/bin/bash
# Default recipients (newcomer issue, item 7): .sealsync.yaml creation rules
# (path regex -> recipients and scope), searched from the current folder up
# to the Git root and never past it; SEALSYNC_RECIPIENTS and
# SEALSYNC_RECIPIENTS_FILE. sealctl says where the recipients came from and
# warns when they are not in the user's pinned set.
. "$(dirname "$0")/lib.sh"

test_require age-keygen git "$SEALCTL"

hint_of() { echo x | "$SEALCTL" seal --raw --scope cluster -r "$(age-keygen -y "$1")" | "$SEALCTL" inspect --raw | sed -n "s/^recipient 1: hint //p"; }
hints_in() { "$SEALCTL" inspect -o json "$1" | sed -n "s/.*\"hint\": \"\(.*\)\".*/\1/p" | sort -u | tr "\n" " "; }

test_expect_success 'setup: a repository with rules for prod and the rest' '
	age-keygen -o prod.txt 2>/dev/null && age-keygen -o dev.txt 2>/dev/null &&
	age-keygen -o evil.txt 2>/dev/null &&
	git init -q repo && mkdir -p repo/apps/prod repo/apps/dev &&
	age-keygen -y dev.txt >repo/dev.pub &&
	cat >repo/.sealsync.yaml <<-EOF &&
	creation_rules:
	  - path_regex: ^apps/prod/
	    recipients: [$(age-keygen -y prod.txt)]
	  - recipients_file: dev.pub
	    scope: namespace
	EOF
	printf "%s " "$(hint_of prod.txt)" >prod.hint && printf "%s " "$(hint_of dev.txt)" >dev.hint &&
	test "$(cat prod.hint)" != " "
'

test_expect_success 'no -R in apps/prod: the prod rule, and sealctl says so' '
	(cd repo/apps/prod && "$SEALCTL" seal -n shop --name db --from-literal pw=x -w db.yaml 2>../../../err) &&
	test_contains "sealctl: recipients: 1 from $TRASH/repo/.sealsync.yaml (creation rule 1, path apps/prod/db.yaml)" err &&
	test "$(hints_in repo/apps/prod/db.yaml)" = "$(cat prod.hint)" &&
	grep -q "^  scope: strict$" repo/apps/prod/db.yaml
'

test_expect_success 'elsewhere: the catch-all rule, its recipients_file and its scope' '
	(cd repo/apps/dev && "$SEALCTL" seal -n shop --name db --from-literal pw=x -w db.yaml 2>../../../err) &&
	test_contains "(creation rule 2, path apps/dev/db.yaml)" err &&
	test "$(hints_in repo/apps/dev/db.yaml)" = "$(cat dev.hint)" &&
	grep -q "^  scope: namespace$" repo/apps/dev/db.yaml
'

test_expect_success 'set uses the rules too (the file it writes decides)' '
	(cd repo && printf v2 | "$SEALCTL" set apps/prod/db.yaml db pw 2>../err) &&
	test_contains "(creation rule 1, path apps/prod/db.yaml)" err &&
	"$SEALCTL" verify -i prod.txt repo/apps/prod/db.yaml 2>/dev/null
'

test_expect_success 'SEALSYNC_RECIPIENTS and SEALSYNC_RECIPIENTS_FILE come before the file' '
	(cd repo/apps/prod && SEALSYNC_RECIPIENTS="$(age-keygen -y ../../../dev.txt), $(age-keygen -y ../../../prod.txt)" \
		"$SEALCTL" seal -n shop --name e --from-literal k=v -w env.yaml 2>../../../err) &&
	test_contains "sealctl: recipients: 2 from \$SEALSYNC_RECIPIENTS" err &&
	(cd repo/apps/prod && SEALSYNC_RECIPIENTS_FILE=../../dev.pub \
		"$SEALCTL" seal -n shop --name f --from-literal k=v -w envf.yaml 2>../../../err) &&
	test_contains "sealctl: recipients: 1 from \$SEALSYNC_RECIPIENTS_FILE (../../dev.pub)" err &&
	test "$(hints_in repo/apps/prod/envf.yaml)" = "$(cat dev.hint)"
'

test_expect_success 'never past the Git root: a .sealsync.yaml above it is ignored' '
	printf "creation_rules:\n  - recipients: [%s]\n" "$(age-keygen -y evil.txt)" >.sealsync.yaml &&
	git init -q other && mkdir other/sub &&
	(cd other/sub && test_expect_code 2 "$SEALCTL" seal -n shop --name a --from-literal k=v 2>../../err) &&
	test_contains "give at least one recipient (-r, -R, --agent, SEALSYNC_RECIPIENTS or a .sealsync.yaml)" err &&
	rm .sealsync.yaml
'

test_expect_success 'a rule set that matches nothing says so' '
	git init -q strict && printf "creation_rules:\n  - path_regex: ^only/\n    recipients: [%s]\n" "$(age-keygen -y dev.txt)" >strict/.sealsync.yaml &&
	(cd strict && test_expect_code 1 "$SEALCTL" seal -n shop --name a --from-literal k=v -w x.yaml 2>../err) &&
	test_contains "no creation rule matches x.yaml: give -r or -R" err
'

test_expect_success 'recipients not in the pinned set are warned about, by key' '
	mkdir -p "$HOME/.config/sealsync" &&
	age-keygen -y dev.txt >"$HOME/.config/sealsync/pinned-recipients" &&
	(cd repo/apps/prod && "$SEALCTL" seal -n shop --name db2 --from-literal pw=x -w db2.yaml 2>../../../err) &&
	test_contains "WARNING: recipient $(age-keygen -y prod.txt) from .sealsync.yaml is not in your pinned set $HOME/.config/sealsync/pinned-recipients" err &&
	(cd repo/apps/dev && "$SEALCTL" seal -n shop --name db2 --from-literal pw=x -w db2.yaml 2>../../../err) &&
	test_not_contains WARNING err
'

test_expect_success 'explicit -R wins and prints no source line' '
	(cd repo/apps/prod && "$SEALCTL" seal -R ../../dev.pub -n shop --name g --from-literal k=v -w g.yaml 2>../../../err) &&
	test ! -s err
'

test_done

#!/bin/sh
# Regenerates fuzz_sops' seed corpus with the pinned sops (tests/peers/sops)
# and the test recipient whose identity is in fuzz_sops.c.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
sh "$top/tests/peers/sops/build.sh" >/dev/null
SOPS=$(sh "$top/tests/peers/sops/build.sh" --path)
R=age1dawa434xnueu27scuxk38ywhyw8yl6dr78vzgpazmyv34h4wf4kqcms0lv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/s.yaml" <<'YAML'
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
  labels:
    tier: "3"
type: Opaque
data:
  password: aHVudGVyMg==
stringData:
  user: app-user
  port: 5432
  on: true
  list:
    - a
    - 1
YAML
enc() { SOPS_AGE_KEY_FILE=/nonexistent "$SOPS" encrypt --age "$R" "$@" \
	--input-type yaml --output-type yaml "$tmp/s.yaml"; }
enc >"$here/full.yaml"
sed '/^  port:/,$d' "$tmp/s.yaml" >"$tmp/ok.yaml"
SOPS_AGE_KEY_FILE=/nonexistent "$SOPS" encrypt --age "$R" --input-type yaml --output-type yaml \
	"$tmp/ok.yaml" >"$here/ok.yaml"
grep -v '^  namespace:' "$tmp/ok.yaml" >"$tmp/no-ns.yaml"
SOPS_AGE_KEY_FILE=/nonexistent "$SOPS" encrypt --age "$R" --input-type yaml --output-type yaml \
	"$tmp/no-ns.yaml" >"$here/no-ns.yaml"
enc --encrypted-regex '^(data|stringData)$' >"$here/regex.yaml"
enc --unencrypted-suffix _plain >"$here/suffix.yaml"
printf 'creation_rules:\n  - age: %s\n    encrypted_regex: "^(data|stringData)$"\n    mac_only_encrypted: true\n' \
	"$R" >"$tmp/sops.yaml"
SOPS_AGE_KEY_FILE=/nonexistent "$SOPS" --config "$tmp/sops.yaml" encrypt --input-type yaml \
	--output-type yaml "$tmp/s.yaml" >"$here/mac-only.yaml"
# flip the MAC's first ciphertext character (A<->B, else A): always a change
python3 -c 'import re,sys; t=open(sys.argv[1]).read(); sys.stdout.write(re.sub(r"(mac: ENC\[AES256_GCM,data:)(.)", lambda m: m.group(1)+("B" if m.group(2)=="A" else "A"), t, count=1))' \
	"$here/full.yaml" >"$here/bad-mac.yaml"
cmp -s "$here/full.yaml" "$here/bad-mac.yaml" && { echo "gen.sh: bad-mac unchanged" >&2; exit 1; }
sed 's/^sops:$/sops:\n    pgp:\n        - fp: AB\n          enc: x/' "$here/full.yaml" >"$here/pgp.yaml"

#!/bin/sh
# make demo: a real sync of examples/repo against the local API server.
# Everything runs on 127.0.0.1 inside build/demo and is stopped at the end.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SS_BUILD_DIR:-$top/build}
work=$build/demo
SEALCTL=$build/sealctl
AGENT=$build/sealsync-agent
APISERVER=$build/tests/apiserver/ss-apiserver
api_pid=""

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" >&2; "$@"; }
cleanup() {
	if [ -n "$api_pid" ]; then kill "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM

for b in "$SEALCTL" "$AGENT" "$APISERVER"; do
	[ -x "$b" ] || { echo "demo: $b is missing: run make build" >&2; exit 1; }
done
rm -rf "$work"
mkdir -p "$work"
cd "$work"
export GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@example.com
export GIT_COMMITTER_NAME=demo GIT_COMMITTER_EMAIL=demo@example.com

step "1. The cluster's key pair (in a real cluster it never leaves the agent)"
run "$SEALCTL" keygen -w cluster-keys.txt
pub=$(sed -n 's/^# public key: //p' cluster-keys.txt)
echo "public key (safe to share with developers): $pub"

step "2. A developer seals a Secret with the public key only"
password=$(openssl rand -hex 16)
cat >db-creds.secret.yaml <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: db-creds
  namespace: demo
type: Opaque
stringData:
  username: app
  password: $password
YAML
mkdir -p repo
cp -r "$top/examples/repo/." repo/
run "$SEALCTL" seal -r "$pub" -o yaml db-creds.secret.yaml >repo/apps/db-creds.sealed.yaml
rm -f db-creds.secret.yaml
cat repo/apps/db-creds.sealed.yaml | cut -c1-100

step "3. Everything goes into Git (the sealed file is safe to commit)"
git -C repo init -q -b main
git -C repo add -A
git -C repo commit -q -m "demo: app with a sealed database password"
git -C repo log --oneline

step "4. A local Kubernetes API server (tests/apiserver) on 127.0.0.1"
"$APISERVER" --port 0 --port-file api.port --state-dir api --kubeconfig kubeconfig >api.log 2>&1 &
api_pid=$!
i=0; while [ ! -s api.port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s api.port ] || { echo "demo: API server did not start"; cat api.log; exit 1; }
export KUBECONFIG=$work/kubeconfig
echo "API server on port $(cat api.port), pid $api_pid"
run kubectl version 2>/dev/null | sed -n '1,2p' || true

step "5. The agent syncs the repo once: pull, unseal in memory, apply, record inventory"
run "$AGENT" --once --log-format text --repo "file://$work/repo" --ref main --path apps \
	--identities cluster-keys.txt --cache-dir cache --kubeconfig "$KUBECONFIG"

step "6. The cluster now holds the decrypted Secret and the workload"
run kubectl get namespace demo
run kubectl -n demo get deployment web -o name
run kubectl -n demo get configmap web-config -o name
got=$(kubectl -n demo get secret db-creds -o jsonpath='{.data.password}' | base64 -d)
if [ "$got" = "$password" ]; then
	echo "Secret demo/db-creds holds the password that was sealed (checked, not printed)"
else
	echo "demo: the Secret's password does not match" >&2; exit 1
fi

step "7. git rm a file; the next sync prunes what left Git"
git -C repo rm -q apps/web-config.yaml
git -C repo commit -q -m "demo: drop the ConfigMap"
run "$AGENT" --once --log-format text --repo "file://$work/repo" --ref main --path apps \
	--identities cluster-keys.txt --cache-dir cache --kubeconfig "$KUBECONFIG"
if kubectl -n demo get configmap web-config >/dev/null 2>&1; then
	echo "demo: web-config is still there" >&2; exit 1
fi
echo "configmap demo/web-config: pruned"
run kubectl -n demo get deployment web -o name

step "Done. The API server is stopped; build/demo keeps the repo and logs."

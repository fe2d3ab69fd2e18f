#!/bin/sh
# Regenerates the Bitnami vectors (not run by the tests; the outputs are
# committed): a test-only RSA-2048 controller key and certificate, and the
# real kubeseal's output (tests/peers/kubeseal) for one Secret in each of
# their three scopes. Values: hello = "hello", empty = "", bytes = 00 01 fe ff.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
KUBESEAL=$(sh "$here/../../peers/kubeseal/build.sh" --dir)
cd "$here"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem \
	-subj "/CN=sealed-secret/O=sealed-secret" -days 36500 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt >ec.pem
cat >secret.yaml <<'END'
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
  labels: {app: db}
  annotations: {team: payments}
type: Opaque
data:
  hello: aGVsbG8=
  empty: ""
  bytes: AAH+/w==
END
for s in strict namespace-wide cluster-wide; do
	"$KUBESEAL" --cert cert.pem --scope "$s" -o yaml <secret.yaml >"$s.yaml"
done

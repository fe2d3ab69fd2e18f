#!/bin/bash
# The Git source over https: `git http-backend` behind nginx + fcgiwrap on
# 127.0.0.1 with a test CA. Bearer token and basic auth from files; TLS is
# always verified (another CA, or the system bundle, is refused); secrets
# never appear in errors; fetches only when the ref moved (POSTs counted).
. "$(dirname "$0")/lib.sh"
test_require git openssl nginx fcgiwrap curl ssh-keygen "$TEST_TOOL"

PORT=$(ss_free_port)
BASE="https://127.0.0.1:$PORT"
TOKEN=$(openssl rand -hex 20)
PASSWORD=$(openssl rand -hex 12)

# --- server side, at top level so the EXIT trap stops the daemons by PID
mkdir -p srv nginx/tmp home
make_ca() { # make_ca NAME
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=$1 test CA" -keyout "$1-ca.key" -out "$1-ca.pem" 2>/dev/null
}
make_ca test
make_ca other
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
	-keyout server.key -out server.csr 2>/dev/null
# mbedTLS 2.28 (libgit2's TLS) matches only DNS names: name the IP both ways
printf "subjectAltName=IP:127.0.0.1,DNS:127.0.0.1\n" >san.ext
openssl x509 -req -in server.csr -CA test-ca.pem -CAkey test-ca.key -CAcreateserial -days 2 \
	-extfile san.ext -out server.pem 2>/dev/null
# a certificate from the right CA for another name
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=example.invalid" \
	-keyout wrongname.key -out wrongname.csr 2>/dev/null
printf "subjectAltName=DNS:example.invalid\n" >wrongname.ext
openssl x509 -req -in wrongname.csr -CA test-ca.pem -CAkey test-ca.key -CAcreateserial -days 2 \
	-extfile wrongname.ext -out wrongname.pem 2>/dev/null
WRONG_PORT=$(ss_free_port)
HTTP_PORT=$(ss_free_port)
printf "%s\n" "$TOKEN" >token
printf "%s\n" "$PASSWORD" >password
printf "reader:%s\n" "$(openssl passwd -apr1 "$PASSWORD")" >htpasswd
printf '#!/bin/sh\necho pack >>"%s/packs.log"\nexec "$@"\n' "$TRASH" >count-pack
chmod +x count-pack
git config --file "$TRASH/server.gitconfig" uploadpack.packObjectsHook "$TRASH/count-pack"
git config --file "$TRASH/server.gitconfig" safe.directory '*'
: >packs.log
backend() { # backend AREA
	cat <<LOC
			include /etc/nginx/fastcgi_params;
			fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
			fastcgi_param GIT_PROJECT_ROOT $TRASH/srv;
			fastcgi_param GIT_HTTP_EXPORT_ALL "";
			fastcgi_param GIT_CONFIG_GLOBAL $TRASH/server.gitconfig;
			fastcgi_param GIT_CONFIG_NOSYSTEM 1;
			fastcgi_param HOME $TRASH/home;
			fastcgi_param PATH_INFO \$1;
			fastcgi_param REMOTE_USER \$remote_user;
			fastcgi_pass unix:$TRASH/fcgi.sock;
LOC
}
cat >nginx.conf <<CONF
daemon off;
master_process off;
pid $TRASH/nginx/nginx.pid;
error_log $TRASH/nginx-error.log info;
events { worker_connections 64; }
http {
	access_log $TRASH/access.log;
	client_body_temp_path $TRASH/nginx/tmp/body;
	fastcgi_temp_path $TRASH/nginx/tmp/fastcgi;
	proxy_temp_path $TRASH/nginx/tmp/proxy;
	uwsgi_temp_path $TRASH/nginx/tmp/uwsgi;
	scgi_temp_path $TRASH/nginx/tmp/scgi;
	server {
		listen 127.0.0.1:$PORT ssl;
		ssl_certificate $TRASH/server.pem;
		ssl_certificate_key $TRASH/server.key;
		location ~ ^/basic(/.*)\$ {
			auth_basic "git";
			auth_basic_user_file $TRASH/htpasswd;
$(backend)
		}
		location ~ ^/token(/.*)\$ {
			if (\$http_authorization != "Bearer $TOKEN") {
				add_header WWW-Authenticate 'Basic realm="git"' always;
				return 401;
			}
$(backend)
		}
	}
	server {
		listen 127.0.0.1:$WRONG_PORT ssl;
		ssl_certificate $TRASH/wrongname.pem;
		ssl_certificate_key $TRASH/wrongname.key;
		location ~ ^/open(/.*)\$ {
$(backend)
		}
	}
	server {
		listen 127.0.0.1:$HTTP_PORT;
		location ~ ^/open(/.*)\$ {
$(backend)
		}
	}
}
CONF
ss_daemon fcgiwrap fcgiwrap -s "unix:$TRASH/fcgi.sock"
ss_daemon nginx nginx -p "$TRASH/nginx" -e "$TRASH/nginx-error.log" -c "$TRASH/nginx.conf"
ss_wait_port "$PORT" || say "nginx did not start"
ss_wait_port "$WRONG_PORT" || say "nginx did not open the second port"
ss_wait_port "$HTTP_PORT" || say "nginx did not open the http port"

poll_token() { "$TEST_TOOL" source-poll --url "$BASE/token/repo" --cache "$TRASH/cache" \
	--ca-file "$TRASH/test-ca.pem" --token-file "$TRASH/token" "$@"; }
posts() { grep -c "POST /[a-z]*/repo/git-upload-pack" access.log; }

test_expect_success 'setup: a repo behind http-backend' '
	git init -q srv/repo &&
	mkdir -p srv/repo/apps &&
	printf "kind: ConfigMap\n" >srv/repo/apps/cm.yaml &&
	printf "kind: Secret\n" >srv/repo/apps/s.yaml &&
	git -C srv/repo add . && git -C srv/repo commit -q -m one &&
	git -C srv/repo rev-parse HEAD >c1
'

test_expect_success 'token auth: cloned once (one upload-pack POST)' '
	poll_token >out &&
	echo "$(cat c1) changed fetched" >expect &&
	test_cmp expect out &&
	test "$(posts)" -eq 1 &&
	test $(wc -l <packs.log) -eq 1
'

test_expect_success 'no new commit: only the refs are asked for, no POST' '
	gets=$(grep -c "GET /token/repo/info/refs" access.log) &&
	poll_token --last "$(cat c1)" >out &&
	echo "$(cat c1) unchanged cached" >expect &&
	test_cmp expect out &&
	test "$(posts)" -eq 1 &&
	test $(grep -c "GET /token/repo/info/refs" access.log) -eq $((gets + 1))
'

test_expect_success 'basic auth lists the same files as file://' '
	"$TEST_TOOL" source-ls --url "file://$TRASH/srv/repo" --cache cache-file >expect &&
	"$TEST_TOOL" source-ls --url "$BASE/basic/repo" --cache cache-basic --ca-file test-ca.pem \
		--username reader --password-file password >out &&
	test_cmp expect out &&
	test $(wc -l <out) -eq 2 &&
	grep -q "GET /basic/repo/info/refs.* 200 " access.log
'

test_expect_success 'a second commit is fetched incrementally' '
	printf "kind: Service\n" >srv/repo/apps/svc.yaml &&
	git -C srv/repo add . && git -C srv/repo commit -q -m two &&
	git -C srv/repo rev-parse HEAD >c2 &&
	poll_token --last "$(cat c1)" >out &&
	echo "$(cat c2) changed fetched" >expect &&
	test_cmp expect out &&
	test "$(posts)" -eq 3
'

test_expect_success 'a wrong token is refused; no token in the error' '
	openssl rand -hex 20 >wrong-token &&
	test_expect_code 1 "$TEST_TOOL" source-poll --url "$BASE/token/repo" --cache cache \
		--ca-file test-ca.pem --token-file wrong-token 2>err &&
	test_contains "network error" err &&
	test_contains "source $BASE/token/repo ref main" err &&
	test_contains "did not accept the token" err &&
	test_not_contains "$(cat wrong-token)" err &&
	test_not_contains "$TOKEN" err
'

test_expect_success 'a token that would inject a header is refused before sending' '
	printf "abc\rX-Evil: 1\n" >crlf-token &&
	test_must_fail "$TEST_TOOL" source-poll --url "$BASE/token/repo" --cache cache \
		--ca-file test-ca.pem --token-file crlf-token 2>err &&
	test_contains "not allowed in an HTTP header" err &&
	test_not_contains "X-Evil" err
'

test_expect_success 'a wrong password is refused; no password in the error' '
	openssl rand -hex 12 >wrong-password &&
	test_expect_code 1 "$TEST_TOOL" source-poll --url "$BASE/basic/repo" --cache cache-basic \
		--ca-file test-ca.pem --username reader --password-file wrong-password 2>err &&
	test_contains "source $BASE/basic/repo ref main" err &&
	test_contains "authentication refused" err &&
	test_not_contains "$(cat wrong-password)" err &&
	test_not_contains "$PASSWORD" err
'

test_expect_success 'no credentials for a protected repo: a clear error' '
	test_must_fail "$TEST_TOOL" source-poll --url "$BASE/basic/repo" --cache cache-basic \
		--ca-file test-ca.pem 2>err &&
	test_contains "none are configured" err
'

test_expect_success 'a server certificate from another CA is refused' '
	test_expect_code 1 "$TEST_TOOL" source-poll --url "$BASE/token/repo" --cache cache \
		--ca-file other-ca.pem --token-file token 2>err &&
	test_contains "TLS certificate of 127.0.0.1 is not trusted" err &&
	test_contains "source $BASE/token/repo ref main" err &&
	test_not_contains "$TOKEN" err
'

test_expect_success 'a certificate from the right CA for another host name is refused' '
	test_must_fail "$TEST_TOOL" source-poll --url "https://127.0.0.1:$WRONG_PORT/open/repo" \
		--cache cache7 --ca-file test-ca.pem 2>err &&
	test_contains "TLS certificate of 127.0.0.1 is not trusted" err &&
	test_must_fail grep -q "GET /open/repo" access.log &&
	curl -sf --cacert test-ca.pem --resolve "example.invalid:$WRONG_PORT:127.0.0.1" \
		"https://example.invalid:$WRONG_PORT/open/repo/info/refs?service=git-upload-pack" >/dev/null
'

test_expect_success 'without --ca-file the system bundle is used, and the test CA is not in it' '
	test_must_fail "$TEST_TOOL" source-poll --url "$BASE/token/repo" --cache cache \
		--token-file token 2>err &&
	test_contains "is not trusted (CA bundle /etc/ssl/certs/ca-certificates.crt)" err
'

test_expect_success 'userinfo in the URL never shows in errors' '
	test_must_fail "$TEST_TOOL" source-poll --url "https://reader:$PASSWORD@127.0.0.1:$PORT/basic/repo" \
		--cache cache5 --ca-file other-ca.pem 2>err &&
	test_contains "source $BASE/basic/repo ref main" err &&
	test_not_contains "$PASSWORD" err
'

test_expect_success 'http:// needs a policy or --insecure; credentials never go over http://' '
	test_must_fail "$TEST_TOOL" source-poll --url "http://127.0.0.1:$PORT/token/repo" \
		--cache cache6 2>err &&
	test_contains "http:// has no transport security" err &&
	ssh-keygen -q -t ed25519 -N "" -f sk && echo "a $(cat sk.pub)" >allowed &&
	test_must_fail "$TEST_TOOL" source-poll --url "http://127.0.0.1:$PORT/token/repo" \
		--cache cache6 --allowed-signers allowed --token-file token 2>err &&
	test_contains "only sent over https" err
'

test_expect_success 'plain http:// with --insecure works, with a warning on every poll' '
	"$TEST_TOOL" source-ls --url "file://$TRASH/srv/repo" --cache cache-file >expect &&
	"$TEST_TOOL" source-ls --url "http://127.0.0.1:$HTTP_PORT/open/repo" --insecure \
		--cache cache8 >out 2>err &&
	test_cmp expect out &&
	test_contains "insecure transport without a signature policy" err &&
	"$TEST_TOOL" source-poll --url "http://127.0.0.1:$HTTP_PORT/open/repo" --insecure \
		--cache cache8 --last "$(cat c2)" >out 2>err &&
	echo "$(cat c2) unchanged cached" >expect &&
	test_cmp expect out &&
	test_contains "insecure transport without a signature policy" err
'

test_done

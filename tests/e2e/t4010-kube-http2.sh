#!/bin/bash
# HTTP/2 when the server offers it: the real nginx (http2, TLS) in front of
# the local API server. The client negotiates h2 by ALPN and multiplexes a
# whole concurrent batch over one connection; nginx's log records the
# protocol and the connection of every request. nginx also rewrites every
# JSON body (sub_filter), so responses come without Content-Length: the
# response cap then has to hold in the write callback, as
# libcurl-security.md asks (MAXFILESIZE alone only checks Content-Length).
. "$(dirname "$0")/lib.sh"

KT=$SS_BUILD_DIR/tests/kubetool/ss-kubetool
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
test_require "$APISERVER" "$KT" "$NGINX"

ST=$TRASH/state

test_expect_success 'start the API server and nginx (http2) in front of it' '
	ss_daemon apiserver "$APISERVER" --port 0 --port-file "$TRASH/port" --state-dir "$ST" &&
	i=0 && while [ ! -s "$TRASH/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	api=$(cat "$TRASH/port") && np=$(ss_free_port) && mkdir -p ng/tmp &&
	cat >ng/nginx.conf <<-EOF &&
	user root;
	worker_processes 1;
	pid $TRASH/ng/nginx.pid;
	error_log $TRASH/ng/error.log;
	events { worker_connections 64; }
	http {
	  log_format h2 "\$connection \$server_protocol \$request_method \$status \$uri";
	  access_log $TRASH/ng/h2.log h2;
	  client_body_temp_path $TRASH/ng/tmp;
	  proxy_temp_path $TRASH/ng/tmp;
	  server {
	    listen 127.0.0.1:$np ssl http2;
	    ssl_certificate $ST/server.crt;
	    ssl_certificate_key $ST/server.key;
	    location / {
	      proxy_pass https://127.0.0.1:$api;
	      proxy_ssl_trusted_certificate $ST/ca.crt;
	      proxy_ssl_verify on;
	      proxy_ssl_name localhost;
	      proxy_http_version 1.1;
	      proxy_set_header Connection "";
	      sub_filter_types application/json;
	      sub_filter "\"kind\"" "\"kind\"";
	    }
	  }
	}
	EOF
	ss_daemon nginx "$NGINX" -c "$TRASH/ng/nginx.conf" -p "$TRASH/ng" -g "daemon off;" &&
	ss_wait_port "$np" &&
	sed "s|127.0.0.1:$api|127.0.0.1:$np|" "$ST/kubeconfig" >kc-h2 &&
	test_contains "127.0.0.1:$np" kc-h2
'

test_expect_success 'a concurrent batch is multiplexed over one HTTP/2 connection' '
	$PYTHON -c "import json; print(json.dumps([{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"h%d\" % i,\"namespace\":\"default\"},\"data\":{\"k\":\"v\"}} for i in range(40)]))" >b40.json &&
	"$KT" --concurrency 8 --kubeconfig kc-h2 batch b40.json >res.txt &&
	test "$(grep -c " ok 201 " res.txt)" = 40 &&
	test "$(grep -c " PATCH 201 " ng/h2.log)" = 40 &&
	test "$(grep -v -c " HTTP/2.0 " ng/h2.log)" = 0 &&
	test "$(awk "\$3 == \"PATCH\" {print \$1}" ng/h2.log | sort -u | wc -l)" = 1
'

test_expect_success 'get and list work through HTTP/2 too' '
	"$KT" --kubeconfig kc-h2 get v1 ConfigMap default h7 >h7.json &&
	test_contains "\"name\": \"h7\"" h7.json &&
	"$KT" --kubeconfig kc-h2 list v1 ConfigMap default >all.json &&
	test "$($PYTHON -c "import json,sys; print(len(json.load(open(sys.argv[1]))[\"items\"]))" all.json)" = 40
'

test_expect_success 'responses carry no Content-Length here' '
	token=$(sed -n "s/^ *token: *//p" kc-h2 | tr -d "\"") &&
	url=$(sed -n "s/^ *server: *//p" kc-h2 | tr -d "\"") &&
	curl -sS --http2 -D hdr -o /dev/null --cacert "$ST/ca.crt" \
		-H "Authorization: Bearer $token" "$url/api/v1/namespaces/default/configmaps" &&
	test_contains "HTTP/2 200" hdr &&
	! grep -i "^content-length" hdr
'

test_expect_success 'the response cap holds in the write callback (no Content-Length)' '
	test_must_fail "$KT" --kubeconfig kc-h2 --max-response 300 get v1 ConfigMap default h7 2>err &&
	test_contains "error(limit exceeded)" err &&
	test_contains "larger than the limit of 300 bytes" err
'

test_done

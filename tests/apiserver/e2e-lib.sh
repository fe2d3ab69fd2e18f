# tests/apiserver/e2e-lib.sh: helpers for the ss-apiserver e2e tests
# (tests/e2e/t20*.sh), sourced after tests/e2e/lib.sh.
#
#   apiserver_start NAME [flags...]   starts a server (at the top level of the
#       script, not inside test_expect_success, so that lib.sh stops it by
#       PID); sets NAME_port, NAME_url, NAME_dir, NAME_kubeconfig, NAME_ca.
#   api NAME PATH [curl args...]       curl with the CA and the token
#   api_status NAME PATH [curl args...] prints the HTTP status; body in $TRASH/.body
#   py_json EXPR < json               evaluates a Python expression on "j"

APISERVER_TOKEN=e2e-token-$$
export APISERVER_TOKEN

apiserver_start() {
	_n=$1; shift
	_d=$TRASH/$_n
	rm -rf "$_d"
	mkdir -p "$_d"
	ss_daemon "$_n" "$APISERVER" --port 0 --state-dir "$_d" --port-file "$_d/port" \
		--token "$APISERVER_TOKEN" "$@"
	_i=0
	while [ ! -s "$_d/port" ] && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
	if [ ! -s "$_d/port" ]; then
		echo "ss-apiserver $_n did not start:" >&2
		cat "$TRASH/$_n.log" >&2
		return 1
	fi
	_p=$(cat "$_d/port")
	eval "${_n}_port=$_p ${_n}_url=https://127.0.0.1:$_p ${_n}_dir=$_d"
	eval "${_n}_kubeconfig=$_d/kubeconfig ${_n}_ca=$_d/ca.crt"
}

api() { # api NAME PATH [curl args...]: the body on stdout
	_n=$1 _path=$2; shift 2
	eval "_u=\$${_n}_url _c=\$${_n}_ca"
	curl -sS --cacert "$_c" -H "Authorization: Bearer $APISERVER_TOKEN" "$@" "$_u$_path"
}

api_status() { # api_status NAME PATH [curl args...]: the status; body in $TRASH/.body
	_n=$1 _path=$2; shift 2
	eval "_u=\$${_n}_url _c=\$${_n}_ca"
	curl -sS -o "$TRASH/.body" -w '%{http_code}' --cacert "$_c" \
		-H "Authorization: Bearer $APISERVER_TOKEN" "$@" "$_u$_path"
}

py_json() {
	$PYTHON -c "import json,sys; j=json.load(sys.stdin); r=($1); print(r if not isinstance(r,(dict,list)) else json.dumps(r, sort_keys=True))"
}

# bench/rows.sh: the benches of bench/run.sh (sourced; uses its helpers).
# Each bench_* records facts; bench/report.py turns them into rows.

bench_machine() {
	fact scale "$scale"
	fact nproc "$(nproc)"
	fact cpu_model "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
	fact mem_total_kib "$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
	fact kernel "$(uname -r)"
	fact load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
	fact date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	fact commit "$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	fact openssl_version "$(openssl version 2>/dev/null | cut -d' ' -f1-2)"
	fact age_version "$(age --version 2>/dev/null)"
	fact git_version "$(git --version | cut -d' ' -f3)"
	fact kubectl_version "$(kubectl version --client 2>/dev/null | sed -n 's/^Client Version: //p')"
}

# openssl speed divides by CPU time (not wall) unless -elapsed; the crypto
# rows compare CPU time with it for that reason, and because the machine is
# shared.
bench_openssl() {
	openssl speed -seconds 1 ecdhx25519 rsa4096 >"$work/openssl.txt" 2>"$work/openssl.err" ||
		{ bench_fail "openssl speed"; return; }
	fact openssl.x25519_ops_per_s "$(awk '/ecdh \(X25519\)/ {print $NF}' "$work/openssl.txt")"
	fact openssl.rsa4096_sign_per_s "$(awk '/^rsa 4096 bits/ {print $6}' "$work/openssl.txt")"
}

# keys1.txt: the sealing key alone. keys50.txt: the same key first (oldest)
# and 49 newer ones, so only the hint avoids 50 X25519 operations per value.
bench_keys() {
	"$SEALCTL" keygen -w "$work/keys1.txt" 2>/dev/null || return 1
	PUB=$(sed -n 's/^# public key: //p' "$work/keys1.txt")
	cp -p "$work/keys1.txt" "$work/keys50.txt" || return 1
	i=1
	while [ $i -lt "$n_ids" ]; do
		"$SEALCTL" rotate -i "$work/keys50.txt" 2>/dev/null || return 1
		i=$((i + 1))
	done
	fact identities "$(grep -c '^AGE-SECRET-KEY-' "$work/keys50.txt")"
	[ -n "$PUB" ]
}

bench_seal() {
	say "1 seal: $n_values values"
	fact seal.values "$n_values"
	$PY "$top/bench/gen.py" secret "$n_values" "$work/secret.yaml" "$work/values" ||
		{ bench_fail "gen secret"; return; }
	measure seal.cli "$SEALCTL" seal -r "$PUB" "$work/secret.yaml" >"$work/sealed.yaml" 2>"$work/seal.err"
	fact seal.cli.values "$(grep -c '^    key[0-9]*: ' "$work/sealed.yaml")"
	"$BENCH" crypto --values "$n_values" --identities 1 >"$work/crypto1.txt" ||
		bench_fail "ss-bench crypto 1"
	facts_from crypto1 <"$work/crypto1.txt"
	mkdir -p "$work/age-out"
	# One process per value costs ~0.1 s of wall time each on a loaded
	# 2-core machine: the full run times the first n_age values only.
	measure seal.age sh -c 'i=0; while [ $i -lt "$4" ]; do
		age -r "$2" -o "$3/$i.age" "$1/$i" || exit 1; i=$((i + 1)); done' \
		sh "$work/values" "$PUB" "$work/age-out" "$n_age"
	fact seal.age.values "$(ls "$work/age-out" | wc -l | tr -d ' ')"
}

bench_unseal() {
	say "2 unseal: $n_values values, 1 and $n_ids identities"
	"$BENCH" crypto --values "$n_values" --identities "$n_ids" >"$work/crypto50.txt" ||
		bench_fail "ss-bench crypto $n_ids"
	facts_from crypto50 <"$work/crypto50.txt"
	measure unseal.cli1 "$SEALCTL" verify -i "$work/keys1.txt" "$work/sealed.yaml" \
		>/dev/null 2>"$work/verify1.err"
	measure unseal.cli50 "$SEALCTL" verify -i "$work/keys50.txt" "$work/sealed.yaml" \
		>/dev/null 2>"$work/verify50.err"
}

bench_apply() {
	say "3 apply: $n_apply ConfigMaps, agent vs kubectl --server-side"
	mkdir -p "$work/apply-repo/apps"
	$PY "$top/bench/gen.py" configmaps "$n_apply" "$work/apply-repo/apps" &&
		repo_commit "$work/apply-repo" >/dev/null || { bench_fail "apply repo"; return; }
	fact apply.objects "$((n_apply + 1))"
	if api_start api_agent; then
		agent_once apply.agent "file://$work/apply-repo" api_agent "$work/apply-cache" "$work/keys1.txt"
		fact apply.agent.requests "$(api_requests api_agent)"
		cp "$work/api_agent/state/requests.log" "$work/apply.agent.requests.log"
		fact apply.agent.span_s "$($PY "$top/bench/gen.py" span "$work/apply.agent.requests.log")"
		fact apply.agent.applied "$(objects_in api_agent configmaps bench)"
		$PY "$top/bench/gen.py" rawplan "$work/api_agent/kubeconfig" \
			"$work/apply.agent.requests.log" "$work/raw" >/dev/null ||
			bench_fail "raw plan from the agent's requests"
		api_stop api_agent
		bench_raw
	fi
	command -v kubectl >/dev/null || { bench_fail "no kubectl on PATH"; return; }
	if api_start api_kubectl; then
		measure apply.kubectl kubectl --kubeconfig "$work/api_kubectl/kubeconfig" apply \
			--server-side -f "$work/apply-repo/apps" >"$work/kubectl-apply.out" 2>&1
		fact apply.kubectl.requests "$(api_requests api_kubectl)"
		fact apply.kubectl.applied "$(objects_in api_kubectl configmaps bench)"
		api_stop api_kubectl
	fi
}

# 3r: the raw-request bound. The agent's own requests (the request log of
# row 3's server), replayed by `ss-bench raw` against another fresh
# ss-apiserver with pre-serialized bodies (the objects the agent left on its
# server), stage by stage, at the agent's concurrency over as many
# connections (tests/bench/raw.c).
bench_raw() {
	[ -s "$work/raw/plan" ] || return
	api_start api_raw || return
	$PY "$top/bench/gen.py" kubeconfig "$work/api_raw/kubeconfig" "$work/raw/dst" ||
		{ bench_fail "raw: kubeconfig"; return; }
	fact apply.concurrency 8
	measure apply.raw "$BENCH" raw --server "$(cat "$work/raw/dst/server")" \
		--ca "$work/raw/dst/ca.pem" --token "$work/raw/dst/token" --plan "$work/raw/plan" \
		--concurrency 8 >"$work/raw.txt" 2>"$work/raw.err"
	facts_from raw <"$work/raw.txt"
	fact apply.raw.requests "$(api_requests api_raw)"
	fact apply.raw.span_s "$($PY "$top/bench/gen.py" span "$work/api_raw/state/requests.log")"
	# What the agent does before its requests can start: the Git source
	# alone, from an empty cache (the same file:// clone).
	measure apply.source "$TOOL" source-poll --url "file://$work/apply-repo" \
		--cache "$work/apply-source-cache" >/dev/null 2>"$work/apply-source.err"
	fact apply.raw.applied "$(objects_in api_raw configmaps bench)"
	[ "$(sed -n 's/^mismatched=//p' "$work/raw.txt")" = 0 ] ||
		bench_fail "raw: replies differ from the agent's (see $work/raw.err)"
	api_stop api_raw
}

# flux_repo DIR APPS PREFIX: the Flux-benchmark shape with sealed Secrets.
# sealctl seals up to 1,024 Secrets per run: one run per file of 1,000;
# the first is measured (PREFIX.seal).
flux_repo() {
	$PY "$top/bench/gen.py" flux "$2" "$1/apps" "$work/$3-secrets" || return 1
	for s in "$work/$3-secrets"/secrets-*.yaml; do
		o=${s%.yaml}.sealed
		if [ "${s##*/}" = secrets-000.yaml ]; then
			measure "$3.seal" "$SEALCTL" seal -r "$PUB" "$s" >"$o" 2>"$work/$3-seal.err"
		else
			"$SEALCTL" seal -r "$PUB" "$s" >"$o" 2>>"$work/$3-seal.err"
		fi || return 1
	done
	$PY "$top/bench/gen.py" split "$1/apps" "$work/$3-secrets"/*.sealed >/dev/null &&
		repo_commit "$1"
}

# api_counts PREFIX API MARK: requests, dry-runs and real writes after MARK.
api_counts() {
	tail -n +$(($3 + 1)) "$work/$2/state/requests.log" >"$work/$1.requests.log"
	fact "$1.requests" "$(wc -l <"$work/$1.requests.log" | tr -d ' ')"
	fact "$1.dryruns" "$(grep -c '"dryRun":true' "$work/$1.requests.log")"
	fact "$1.writes" "$(grep -E '"method":"(PATCH|POST|PUT|DELETE)"' "$work/$1.requests.log" |
		grep -c '"dryRun":false')"
}

# Counts git daemon's upload-pack sessions and pack-objects runs (fetches).
git_counts() { # PREFIX
	fact "$1.upload_pack" "$(grep -c 'Request upload-pack' "$work/gitd.log")"
	fact "$1.pack_objects" "$(wc -l <"$work/packs.log" | tr -d ' ')"
}

gitd_start() {
	printf '#!/bin/sh\necho pack >>"%s/packs.log"\nexec "$@"\n' "$work" >"$work/count-pack" &&
		chmod +x "$work/count-pack" && : >"$work/packs.log" &&
		git config --global uploadpack.packObjectsHook "$work/count-pack" || return 1
	gitd_port=$(free_port)
	git daemon --verbose --reuseaddr --base-path="$work/srv" --export-all \
		--port="$gitd_port" --listen=127.0.0.1 >"$work/gitd.log" 2>&1 &
	pids="$pids $!"
	wait_port "$gitd_port"
}

bench_flux_and_poll() {
	say "4 flux: $n_flux apps ($((n_flux * 4)) objects) from git daemon"
	fact flux.objects "$((n_flux * 4 + 1))"
	commit=$(flux_repo "$work/srv/flux" "$n_flux" flux) || { bench_fail "flux repo"; return; }
	gitd_start || { bench_fail "git daemon did not start"; return; }
	api_start api_flux || return
	url="git://127.0.0.1:$gitd_port/flux"
	agent_once flux.agent "$url" api_flux "$work/flux-cache" "$work/keys1.txt" --insecure
	fact flux.agent.requests "$(api_requests api_flux)"
	fact flux.agent.server_cpu_s "$(api_cpu api_flux)"
	fact flux.agent.applied "$(objects_in api_flux deployments,serviceaccounts,services,secrets apps)"
	git_counts flux.before_poll

	say "5 poll: no new commit; agent, its source alone, and git fetch"
	mark=$(api_requests api_flux)
	agent_once poll.agent "$url" api_flux "$work/flux-cache" "$work/keys1.txt" --insecure
	api_counts poll.agent api_flux "$mark"
	fact poll.agent.server_cpu_total_s "$(api_cpu api_flux)"
	git_counts poll.after_agent
	measure poll.source "$TOOL" source-poll --url "$url" --cache "$work/flux-cache" --insecure \
		--last "$commit" >"$work/poll-source.out" 2>"$work/poll-source.err"
	fact poll.source.result "$(cut -d' ' -f2- "$work/poll-source.out" | tr ' ' _)"
	git_counts poll.after_source
	git clone -q "$url" "$work/flux-clone" 2>>"$work/git.err" || bench_fail "git clone"
	git_counts poll.after_clone
	measure poll.git git -C "$work/flux-clone" fetch -q origin 2>>"$work/git.err"
	git_counts poll.after_fetch
	bench_steady "$url"
	api_stop api_flux
}

# proc_cpu PID: user + system CPU seconds of a running process.
proc_cpu() { awk -v t="$(getconf CLK_TCK)" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
agent_syncs() { grep -c '"sync succeeded"' "$work/steady.agent.log"; }
# wait_for SECONDS CMD...: until CMD succeeds (bounded).
wait_for() {
	w_end=$(($(date +%s) + $1)); shift
	until "$@" 2>/dev/null; do [ "$(date +%s)" -lt "$w_end" ] || return 1; sleep 0.1; done
}
syncs_above() { [ "$(agent_syncs)" -gt "$1" ]; }
watching() { [ "$(grep '"verb":"watch"' "$work/api_flux/state/requests.log" | grep -c '"status":200')" -ge 5 ]; }

# 5e/5f: a long-running agent over the flux objects: the CPU of a no-change
# poll once it watches the 5 kinds, then a kubectl edit of an owned field of
# a Service and the time until the agent's repairing apply.
bench_steady() {
	say "5e/5f steady state: no-change polls, then a drift, long-running agent"
	"$AGENT" --repo "$1" --path apps --identities "$work/keys1.txt" --insecure \
		--cache-dir "$work/flux-cache" --kubeconfig "$work/api_flux/kubeconfig" \
		--interval 1s --no-leader-election --log-level info 2>"$work/steady.agent.log" &
	s_pid=$!
	pids="$pids $s_pid"
	wait_for 300 syncs_above 0 && wait_for 60 watching && sleep 1 ||
		{ bench_fail "steady: the agent did not sync and watch"; return; }
	n=$(agent_syncs) polls=5
	mark=$(api_requests api_flux)
	c0=$(proc_cpu "$s_pid")
	wait_for 60 syncs_above $((n + polls)) || { bench_fail "steady: no polls"; return; }
	c1=$(proc_cpu "$s_pid")
	polls=$(($(agent_syncs) - n))
	fact steady.polls "$polls"
	fact steady.cpu_per_poll_s "$($PY -c "print(($c1 - $c0) / $polls)")"
	api_counts steady api_flux "$mark"
	mark=$(api_requests api_flux)
	t0=$($PY -c 'import time; print(time.time())')
	KUBE_EDITOR="sed -i s/port:\ 80\$/port:\ 81/" kubectl --kubeconfig "$work/api_flux/kubeconfig" \
		-n apps edit service app-00000 >"$work/steady.edit.log" 2>&1 || bench_fail "steady: kubectl edit"
	wait_for 30 sh -c '[ "$(kubectl --kubeconfig "$1" -n apps get service app-00000 \
		-o "jsonpath={.spec.ports[0].port}")" = 80 ]' sh "$work/api_flux/kubeconfig" ||
		bench_fail "steady: the drift was not repaired"
	tail -n +$((mark + 1)) "$work/api_flux/state/requests.log" >"$work/steady.drift.log"
	fact steady.drift_repair_s "$($PY "$top/bench/gen.py" repaired-after "$t0" \
		"$work/steady.drift.log" /api/v1/namespaces/apps/services/app-00000)"
	stop_pid "$s_pid"
}

bench_big() {
	say "6 rss: the agent at $((n_big * 4)) objects"
	fact big.objects "$((n_big * 4 + 1))"
	flux_repo "$work/big" "$n_big" big >/dev/null || { bench_fail "big repo"; return; }
	api_start api_big || return
	agent_once big.agent "file://$work/big" api_big "$work/big-cache" "$work/keys1.txt"
	fact big.agent.applied "$(objects_in api_big deployments,serviceaccounts,services,secrets apps)"
	api_stop api_big
}

# 3k and 4k: the apply and flux rows against the real kube-apiserver of
# tests/kube (docs/KUBE.md), a fresh cluster for each measured run, its own
# kubectl as the peer. Without the binaries (sh tests/kube/build.sh) the
# rows are left out with a note; SS_BENCH_KUBE=0 leaves them out too.
kube_clusters=""
kube_up() { # NAME: a cluster in $work/NAME (kubeconfig where agent_once looks)
	sh "$top/tests/kube/cluster.sh" up "$work/$1" >"$work/$1.up.log" 2>&1 ||
		{ tail -n 20 "$work/$1.up.log" >&3; bench_fail "cluster $1 did not start"; return 1; }
	kube_clusters="$kube_clusters $1"
	fact "$1.up_s" "$(sed -n 's/^kube-cluster: up in \([0-9.]*\)s.*/\1/p' "$work/$1.up.log")"
}
kube_down() { # NAME: records the apiserver's CPU time first
	k_pid=$(awk '$1 == "apiserver" { print $2 }' "$work/$1/pids" 2>/dev/null)
	[ -z "$k_pid" ] ||
		fact "$1.server_cpu_s" "$(awk -v t="$(getconf CLK_TCK)" '{print ($14 + $15) / t}' "/proc/$k_pid/stat")"
	sh "$top/tests/kube/cluster.sh" down "$work/$1" >/dev/null 2>&1
}
kube_objects() { # NAME KINDS NS
	"$kbin/kubectl" --kubeconfig "$work/$1/kubeconfig" get "$2" -n "$3" -o name \
		2>>"$work/kubectl-get.log" | wc -l | tr -d ' '
}
kube_cleanup() { for c in $kube_clusters; do kube_down "$c"; done; kube_clusters=""; }

bench_kube() {
	kbin=$(sh "$top/tests/kube/build.sh" --dir)
	if [ "${SS_BENCH_KUBE:-1}" = 0 ] || [ ! -x "$kbin/kube-apiserver" ] || [ ! -x "$kbin/kubectl" ]; then
		say "3k/4k skipped: no real kube-apiserver (sh tests/kube/build.sh)"
		fact kube.skipped 1
		return
	fi
	fact kube.version "$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$top/tests/kube/go.mod")"
	say "3k apply: $n_apply ConfigMaps on the real kube-apiserver, agent vs its kubectl --server-side"
	if kube_up kube_agent; then
		agent_once kapply.agent "file://$work/apply-repo" kube_agent "$work/kapply-cache" "$work/keys1.txt"
		fact kapply.agent.applied "$(kube_objects kube_agent configmaps bench)"
		kube_down kube_agent
	fi
	if kube_up kube_kubectl; then
		measure kapply.kubectl "$kbin/kubectl" --kubeconfig "$work/kube_kubectl/kubeconfig" apply \
			--server-side -f "$work/apply-repo/apps" >"$work/kubectl-kapply.out" 2>&1
		fact kapply.kubectl.applied "$(kube_objects kube_kubectl configmaps bench)"
		kube_down kube_kubectl
	fi
	# 4k needs row 4's git daemon (not there when SS_BENCH_ONLY left it out).
	[ -n "${gitd_port:-}" ] || { kube_clusters=""; return; }
	say "4k flux: $n_flux apps from git daemon on the real kube-apiserver"
	if kube_up kube_flux; then
		agent_once kflux.agent "git://127.0.0.1:$gitd_port/flux" kube_flux "$work/kflux-cache" \
			"$work/keys1.txt" --insecure
		fact kflux.agent.applied \
			"$(kube_objects kube_flux deployments,serviceaccounts,services,secrets apps)"
		kube_down kube_flux
	fi
	kube_clusters=""
}

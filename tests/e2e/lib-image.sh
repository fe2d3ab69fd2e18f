# tests/e2e/lib-image.sh: what the image stage's scripts (t706x, marked
# "# stage: image") share, after lib.sh.

# Skips the script outside the image stage and where no Docker engine
# answers, except in CI with a Docker socket, where that is a failure.
if [ -z "${SS_IMAGE_STAGE:-}" ]; then
	echo "1..0 # SKIP run by the image stage (SS_STAGES=image)"; exit 0
fi
if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
	if [ "${CI:-}" = true ] && [ -S /var/run/docker.sock ]; then
		echo "not ok 1 - a docker engine answers on /var/run/docker.sock (CI=true)"
		echo "1..1"; exit 1
	fi
	echo "1..0 # SKIP skipped: no docker engine"; exit 0
fi

IMAGE=${SS_IMAGE_TAG:-sealsync:dev}
export SS_IMAGE_TAG=$IMAGE
# Every container a script makes is removed by id when it ends (its trap
# calls ctr_cleanup).
ctrs=""
ctr_track() { ctrs="$ctrs $1"; }
ctr_cleanup() { [ -z "$ctrs" ] || docker rm -f $ctrs >/dev/null 2>&1; ctrs=""; }
status_of() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
# The child processes of host PID $1.
children_of() { cat /proc/"$1"/task/*/children 2>/dev/null; }

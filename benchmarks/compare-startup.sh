#!/usr/bin/env bash
#
# compare-startup.sh - what a container start pays for its mount program: strata-overlay beside
# fuse-overlayfs, in one run, interleaved (one of each per round), so that load from other
# processes falls on both alike.  Prints every run, then the medians and the ratio
# strata-overlay/fuse-overlayfs as a Markdown table for the README.
#
#   mount      the mount program run as root over the image's layers (unpacked once by
#              oci-to-lowerdirs.sh) with a fresh upper: from its start until it returns, which
#              both do once the mount is live (checked in /proc/self/mountinfo); strata-overlay's
#              shared mount server already running, as it is for every container start but the
#              first in a minute
#   cold       the same with no mount server running: strata-overlay starts one (its JVM)
#   podman     `podman run --rm IMAGE true` as root, podman's overlay driver configured with the
#              program as its mount_program (storage of its own per program)
#   rootless   the same as USER (-u), podman running the program as root of its user namespace;
#              USER needs a subordinate id range (useradd gives one) and /dev/fuse must be open
#              to all (Debian's udev makes it 0666)
#
# podman runs with an empty environment, cgroupfs, no network, runc, and limits within root's
# hard limits (on machines where root lacks CAP_SYS_RESOURCE podman's defaults fail).
#
# Needs root, podman, runc, fuse-overlayfs, fuse3, GNU tar, attr, jq or python3, and this
# checkout's bin/strata-overlay (built on first use).  The image (default: the Debian minbase
# image of scripts/make-images.sh --debootstrap) is an OCI layout and a tag.
set -euo pipefail

PROG=${0##*/}
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
strata_cmd=${STRATA_OVERLAY:-$repo/bin/strata-overlay}
fuse_cmd=${FUSE_OVERLAYFS:-$(command -v fuse-overlayfs || echo fuse-overlayfs)}
# shellcheck source=benchmarks/common.sh
. "$repo/benchmarks/common.sh"

usage() {
	cat <<EOF
Usage: $PROG [-n ROUNDS] [-u USER] [-C CASES] [-w WORKDIR] [LAYOUT [TAG]]

  LAYOUT      an OCI image layout (default: $repo/.cache/test-images/debian)
  TAG         its tag (default: minbase)
  -n ROUNDS   runs of each case and program (default: 5)
  -u USER     also time rootless podman as USER
  -C CASES    comma-separated, from: mount cold podman rootless (default: all that apply)
  -w WORKDIR  where storage, layers and mount points go, a lowercase path (default: a new
              directory under /var/tmp, removed at the end)

Environment: STRATA_OVERLAY=$strata_cmd
             FUSE_OVERLAYFS=$fuse_cmd
EOF
}

rounds=5
user=
cases_arg=
work=
while getopts "n:u:C:w:h" opt; do
	case $opt in
	n) rounds=$OPTARG ;;
	u) user=$OPTARG ;;
	C) cases_arg=$OPTARG ;;
	w) work=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
layout=${1:-$repo/.cache/test-images/debian}
tag=${2:-minbase}

[ "$(id -u)" = 0 ] || die "needs root (mount, podman's storage)"
[ -f "$layout/index.json" ] || die "$layout is not an OCI image layout (scripts/make-images.sh --debootstrap makes the default)"
command -v podman >/dev/null || die "podman is not installed (scripts/setup.sh installs it)"
"$fuse_cmd" --version >/dev/null 2>&1 || die "$fuse_cmd does not run"
if [ ! -f "$repo/image-tool/target/strata.jar" ]; then
	(cd "$repo" && mvn -q -B -DskipTests package -pl image-tool -am) >&2
fi
if [ -z "$cases_arg" ]; then
	cases_arg=mount,podman${user:+,rootless},cold
fi
IFS=, read -r -a cases <<<"$cases_arg"
for c in "${cases[@]}"; do
	case $c in
	mount | cold | podman) ;;
	rootless) [ -n "$user" ] || die "rootless needs -u USER" ;;
	*) die "unknown case '$c'" ;;
	esac
done

# podman names an image pulled from oci:DIR after DIR, and a name must be lowercase.
if [ -z "$work" ]; then
	work=/var/tmp/compare-startup.$$.$RANDOM
	mkdir "$work"
	trap 'cleanup; rm -rf "$work"' EXIT
else
	mkdir -p "$work"
	trap cleanup EXIT
fi
chmod 0755 "$work"
case $work in *[A-Z]*) die "-w $work: podman wants a lowercase path (it names the image after it)" ;; esac
log=$work/log
systems=(strata-overlay fuse-overlayfs)
# strata-overlay through a wrapper that gives its mount servers a runtime directory of the
# run's own (RUNTIME, the second argument; $work/strata by default), where the script finds and
# stops them.
program() {
	if [ "$1" != strata-overlay ]; then
		echo "$fuse_cmd"
		return
	fi
	local runtime=${2:-$work/strata} wrapper
	wrapper=$work/strata-overlay-$(printf '%s' "$runtime" | md5sum | cut -c1-8)
	if [ ! -x "$wrapper" ]; then
		printf '#!/bin/sh\nSTRATA_RUNTIME_DIR=%q exec %q "$@"\n' "$runtime" "$strata_cmd" >"$wrapper"
		chmod 0755 "$wrapper"
	fi
	echo "$wrapper"
}
# stop_servers RUNTIME: ends the mount servers strata-overlay started there.
stop_servers() {
	local pidfile pid
	for pidfile in "${1:-$work/strata}"/servers/*/pid; do
		[ -f "$pidfile" ] || continue
		pid=$(cat "$pidfile")
		kill "$pid" 2>/dev/null || continue
		while kill -0 "$pid" 2>/dev/null && [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status"; do sleep 0.05; done
	done
}

# engine_env SYSTEM WHO RUNROOT: podman's configuration for SYSTEM as root or as the user:
# storage of its own, the program as mount_program.  Prints the environment podman runs with.
engine_env() {
	local sys=$1 who=$2 run=$3 dir=$work/engine-$1-$2
	mkdir -p "$dir/graph"
	cat >"$dir/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$dir/graph"
runroot = "$run/containers"
[storage.options.overlay]
mount_program = "$(program "$sys" "$run/strata")"
EOF
	cat >"$dir/containers.conf" <<EOF
[containers]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOF
	echo 'unqualified-search-registries = []' >"$dir/registries.conf"
	local home=/root
	if [ "$who" = rootless ]; then
		chown -R "$user" "$dir" "$run"
		chmod 0700 "$run"
		home=$(getent passwd "$user" | cut -d: -f6)
	fi
	echo "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=$home CONTAINERS_STORAGE_CONF=$dir/storage.conf" \
		"CONTAINERS_CONF=$dir/containers.conf CONTAINERS_REGISTRIES_CONF=$dir/registries.conf" \
		"$([ "$who" = rootless ] && echo "XDG_RUNTIME_DIR=$run")"
}

# podman_as WHO ENV ARGS...: podman with that environment, as root or as the user.
podman_as() {
	local who=$1 env=$2
	shift 2
	# shellcheck disable=SC2086
	if [ "$who" = rootless ]; then
		runuser -u "$user" -- env -i $env podman "$@"
	else
		env -i $env podman "$@"
	fi
}

declare -A envs
runroots=()
fuse_mode=
cleanup() {
	for key in "${!envs[@]}"; do
		podman_as "${key#*/}" "${envs[$key]}" system reset -f >/dev/null 2>&1 || true
	done
	if [ -n "$fuse_mode" ]; then chmod "$fuse_mode" /dev/fuse; fi
	for r in "${runroots[@]}"; do stop_servers "$r/strata"; rm -rf "$r"; done
	stop_servers "$work/strata"
	for m in "$work"/mnt-*; do
		[ -d "$m" ] && umount "$m" 2>/dev/null || true
	done
}

# One podman setup per system and case, each with the image pulled and named localhost/bench.
layout_copy=$work/image
cp -a "$layout" "$layout_copy"
chmod -R a+rX "$layout_copy"
for c in "${cases[@]}"; do
	case $c in mount | cold) continue ;; esac
	who=rootful
	if [ "$c" = rootless ]; then
		who=rootless
		fuse_mode=$(stat -c %a /dev/fuse)
		chmod 0666 /dev/fuse
	fi
	for sys in "${systems[@]}"; do
		# The run root short and on tmpfs: conmon's sockets under it must fit a socket path's
		# 108 bytes, or every container start waits for conmon's 20-second timeout.
		run=$(mktemp -d /run/strata-startup.XXXXXX)
		runroots+=("$run")
		env=$(engine_env "$sys" "$who" "$run")
		envs[$sys/$who]=$env
		id=$(podman_as "$who" "$env" pull -q "oci:$layout_copy:$tag" 2>"$log" | tail -1) || { cat "$log" >&2; die "podman could not pull $layout_copy:$tag"; }
		podman_as "$who" "$env" tag "$id" localhost/bench
	done
done
if printf '%s\n' "${cases[@]}" | grep -qxE 'mount|cold'; then
	lowerdirs=$("$repo/benchmarks/oci-to-lowerdirs.sh" "$layout" "$tag" "$work/layers")
fi

echo "work dir:    $work"
for sys in "${systems[@]}"; do echo "system:      $sys  $(program "$sys")"; done
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

run_case() {
	local c=$1 sys=$2 r=$3
	case $c in
	mount | cold)
		[ "$c" = cold ] && stop_servers
		local m=$work/mnt-$sys u=$work/upper-$sys-$c-$r w=$work/wk-$sys-$c-$r
		mkdir -p "$m" "$u" "$w"
		local t
		t=$(timed "$(program "$sys")" -o "lowerdir=$lowerdirs,upperdir=$u,workdir=$w" "$m")
		grep -q " $m " /proc/self/mountinfo || die "$sys returned before $m was mounted"
		umount "$m"
		echo "$t"
		;;
	podman)
		timed podman_as rootful "${envs[$sys/rootful]}" run --rm --network none --ulimit nofile=1024:1024 \
			--ulimit nproc=1024:1024 localhost/bench true
		;;
	rootless)
		timed podman_as rootless "${envs[$sys/rootless]}" run --rm --network none --ulimit nofile=1024:1024 \
			--ulimit nproc=1024:1024 localhost/bench true
		;;
	esac
}

# Case by case, the programs interleaved within each round. Round 0 warms both up (page cache,
# strata-overlay's mount server and its warm-up, which runs on after the first mount) and is
# not counted; cold stops the servers before each of its runs, so it goes last.
declare -A times
for c in "${cases[@]}"; do
	for sys in "${systems[@]}"; do run_case "$c" "$sys" 0 >/dev/null; done
	sleep 3
	for r in $(seq 1 "$rounds"); do
		for sys in "${systems[@]}"; do
			t=$(run_case "$c" "$sys" "$r")
			printf '%-15s %-9s round %-3s %s s\n' "$sys" "$c" "$r" "$t"
			times[$sys/$c]+="$t"$'\n'
		done
	done
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "| case (median of $rounds, s) | strata-overlay | fuse-overlayfs | ratio |"
echo "|---|---:|---:|---:|"
for c in "${cases[@]}"; do
	s=$(printf '%s' "${times[strata-overlay/$c]}" | median)
	f=$(printf '%s' "${times[fuse-overlayfs/$c]}" | median)
	awk -v c="$c" -v s="$s" -v f="$f" 'BEGIN {
		name = c == "mount" ? "mount until live" : c == "cold" ? "mount until live, no mount server running" : c == "podman" ? "`podman run --rm IMAGE true`, rootful" \
			: "`podman run --rm IMAGE true`, rootless"
		printf "| %s | %.3f | %.3f | %.2fx |\n", name, s, f, (f > 0 ? s / f : 0) }'
done

#!/usr/bin/env bash
#
# compare-volumes.sh - writes into a strata volume, a podman volume and a plain host directory,
# in one run, interleaved (one of each per round): 4 KiB writes each made durable before the
# next (O_DSYNC), sequential and at random offsets, as a database's log and pages are written.
# The time is taken inside the container, around the writes only (not the container's start).
# Prints every run, then the medians in writes per second and each one's ratio to the host
# directory as a Markdown table for the README.
#
#   host     the writes in a directory on the filesystem the stores live on
#   strata   `strata run --rm -v benchvol:/data IMAGE` (the volume's data bind-mounted)
#   podman   `podman run --rm -v benchvol:/data IMAGE` (podman's local volume driver, a bind
#            mount too), podman with storage of its own on kernel overlayfs, runc, cgroupfs
#
# Needs root, podman, runc and this checkout's bin/strata (built on first use); the image needs
# /bin/sh, dd, date and perl (Debian minbase has them).
set -euo pipefail

PROG=${0##*/}
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
# shellcheck source=benchmarks/common.sh
. "$repo/benchmarks/common.sh"

usage() {
	cat <<EOF
Usage: $PROG [-n ROUNDS] [-c WRITES] [-w WORKDIR] [LAYOUT [TAG]]

  LAYOUT      an OCI image layout (default: $repo/.cache/test-images/debian)
  TAG         its tag (default: minbase)
  -n ROUNDS   runs of each case and place (default: 5)
  -c WRITES   4 KiB writes per run (default: 2000)
  -w WORKDIR  where the stores and the host directory go, a lowercase path (default: a new
              directory under /var/tmp, removed at the end)
EOF
}

rounds=5
writes=2000
work=
while getopts "n:c:w:h" opt; do
	case $opt in
	n) rounds=$OPTARG ;;
	c) writes=$OPTARG ;;
	w) work=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
layout=${1:-$repo/.cache/test-images/debian}
tag=${2:-minbase}

[ "$(id -u)" = 0 ] || die "needs root (podman's storage, strata's sandbox)"
[ -f "$layout/index.json" ] || die "$layout is not an OCI image layout (scripts/make-images.sh --debootstrap makes the default)"
command -v podman >/dev/null || die "podman is not installed (scripts/setup.sh installs it)"
if [ ! -f "$repo/image-tool/target/strata.jar" ]; then
	(cd "$repo" && mvn -q -B -DskipTests package -pl image-tool -am) >&2
fi

if [ -z "$work" ]; then
	work=/var/tmp/compare-volumes.$$.$RANDOM
	mkdir "$work"
	trap 'cleanup; rm -rf "$work"' EXIT
else
	mkdir -p "$work"
	trap cleanup EXIT
fi
case $work in *[A-Z]* | */.*) die "-w $work: podman names an image pulled from oci:DIR after DIR: lowercase, no dotted components" ;; esac
log=$work/log
strata_cmd=("$repo/bin/strata" --store "$work/store")

# podman's configuration: storage of its own, no network, limits within root's hard limits (on
# machines where root lacks CAP_SYS_RESOURCE podman's defaults fail).  The run root is short
# and on tmpfs: conmon's sockets under it must fit a socket path's 108 bytes.
run=$(mktemp -d /run/strata-volumes.XXXXXX)
mkdir -p "$work/podman/graph"
cat >"$work/podman/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$work/podman/graph"
runroot = "$run/containers"
EOF
cat >"$work/podman/containers.conf" <<EOF
[containers]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOF
echo 'unqualified-search-registries = []' >"$work/podman/registries.conf"
podman_env=(PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root
	"CONTAINERS_STORAGE_CONF=$work/podman/storage.conf" "CONTAINERS_CONF=$work/podman/containers.conf"
	"CONTAINERS_REGISTRIES_CONF=$work/podman/registries.conf")
podman_cmd=(env -i "${podman_env[@]}" podman)
cleanup() {
	"${podman_cmd[@]}" system reset -f >/dev/null 2>&1 || true
	rm -rf "$run"
}

cp -a "$layout" "$work/base"
id=$("${podman_cmd[@]}" pull -q "oci:$work/base:$tag" 2>"$log" | tail -1) || { cat "$log" >&2; die "podman could not pull the image"; }
"${podman_cmd[@]}" tag "$id" localhost/bench
"${strata_cmd[@]}" pull -q "oci:$work/base:$tag" localhost/bench >/dev/null
mkdir -p "$work/host"

# The writes, timed from inside: DIR MODE COUNT; prints the microseconds the writes took.
# seq: dd with oflag=dsync; rand: perl, O_DSYNC, offsets at random in a file of COUNT blocks.
writer='dir=$1 mode=$2 n=$3
rm -f "$dir/bench"
s=$(date +%s%N)
if [ "$mode" = seq ]; then
  dd if=/dev/zero of="$dir/bench" bs=4096 count="$n" oflag=dsync 2>/dev/null
else
  perl -e '"'"'use Fcntl; my ($f, $n) = @ARGV; sysopen(my $h, $f, O_RDWR | O_CREAT | O_DSYNC) or die "$f: $!";
    my $b = "x" x 4096; srand(1); for (1 .. $n) { sysseek($h, int(rand($n)) * 4096, 0); syswrite($h, $b) == 4096 or die "write: $!" }'"'"' "$dir/bench" "$n"
fi
e=$(date +%s%N)
rm -f "$dir/bench"
echo $(((e - s) / 1000))'

once() {
	local place=$1 mode=$2
	case $place in
	host) sh -c "$writer" sh "$work/host" "$mode" "$writes" ;;
	strata) "${strata_cmd[@]}" run --rm -v benchvol:/data localhost/bench -- /bin/sh -c "$writer" sh /data "$mode" "$writes" ;;
	podman) "${podman_cmd[@]}" run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		-v benchvol:/data localhost/bench \
		/bin/sh -c "$writer" sh /data "$mode" "$writes" ;;
	esac
}

echo "work dir:    $work"
echo "writes:      $writes of 4 KiB per run, O_DSYNC"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
declare -A rates
places=(host strata podman)
for mode in seq rand; do
	for place in "${places[@]}"; do once "$place" "$mode" >/dev/null; done # warm-up, not counted
	for r in $(seq 1 "$rounds"); do
		for place in "${places[@]}"; do
			us=$(once "$place" "$mode" | tail -1)
			rate=$(awk -v n="$writes" -v us="$us" 'BEGIN { printf "%.0f", n / (us / 1e6) }')
			printf '%-7s %-5s round %-3s %8s writes/s\n' "$place" "$mode" "$r" "$rate"
			rates[$place/$mode]+="$rate"$'\n'
		done
	done
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "| 4 KiB writes, O_DSYNC (median of $rounds, writes/s) | host directory | strata volume | ratio | podman volume | ratio |"
echo "|---|---:|---:|---:|---:|---:|"
for mode in seq rand; do
	h=$(printf '%s' "${rates[host/$mode]}" | median)
	s=$(printf '%s' "${rates[strata/$mode]}" | median)
	p=$(printf '%s' "${rates[podman/$mode]}" | median)
	awk -v m="$mode" -v h="$h" -v s="$s" -v p="$p" 'BEGIN {
		printf "| %s | %d | %d | %.2fx | %d | %.2fx |\n", (m == "seq" ? "sequential" : "random offsets"), h, s, s / h, p, p / h }'
done

#!/usr/bin/env bash
#
# compare-registry.sh - time Strata against skopeo (and umoci) on the two registry jobs, in one
# run on one machine, interleaved (strata, peer, strata, peer, ...) so that load from other
# processes falls on both alike.  Prints every run, the medians and the ratios strata/peer
# (below 1: strata is faster).
#
#   pull  from a registry on loopback to something a container can use:
#         strata: `strata pull docker://...` into a fresh store (mountable at once, no unpack);
#         peer:   `skopeo copy docker://... oci:DIR` then `umoci unpack` of it into a bundle.
#   push  of the same image to an empty registry (a new one for every run):
#         strata: `strata push NAME docker://...` from the store;
#         peer:   `skopeo copy oci:DIR docker://...` from an OCI layout.
#
# The registry is Debian's docker-registry, started on 127.0.0.1 by scripts/start-registry.sh;
# plain http, so both sides skip TLS the same way.
# Each timed run starts after `sync` and gets a fresh destination.
#
# Only public tools: bash, coreutils, curl, docker-registry, skopeo, umoci and this checkout's
# bin/strata (built on first use; after changing the sources rebuild with mvn package).
set -euo pipefail

PROG=${0##*/}
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
strata="$repo/bin/strata"
# shellcheck source=benchmarks/common.sh
. "$repo/benchmarks/common.sh"

usage() {
	cat <<EOF
Usage: $PROG [-n ROUNDS] [-t TAG] [-p PORT] [-W pull,push] [LAYOUT]

  LAYOUT      an OCI image layout (default: \${STRATA_BENCH_IMAGES:-/tmp/strata-bench-images}/debian,
              built by scripts/make-images.sh --debootstrap DIR)
  -n ROUNDS   rounds of each job (default: 5)
  -t TAG      the image's tag in the layout (default: minbase)
  -p PORT     first loopback port for the registries (default: 5300; push uses the next ones)
  -W JOBS     which jobs (default: pull,push)
EOF
}

rounds=5
tag=minbase
port=5300
jobs=pull,push
while getopts "n:t:p:W:h" opt; do
	case $opt in
	n) rounds=$OPTARG ;;
	t) tag=$OPTARG ;;
	p) port=$OPTARG ;;
	W) jobs=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || { usage >&2; exit 2; }
layout=$(readlink -f "${1:-${STRATA_BENCH_IMAGES:-/tmp/strata-bench-images}/debian}")
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive number, not '$rounds'"
[ -f "$layout/index.json" ] ||
	die "$layout is not an OCI layout; build one with scripts/make-images.sh --debootstrap DIR"
for tool in skopeo umoci curl docker-registry; do
	command -v "$tool" >/dev/null || die "$tool is not installed (Debian: apt-get install $tool)"
done
umoci_flags=()
[ "$(id -u)" -eq 0 ] || umoci_flags=(--rootless)

work=$(mktemp -d "${TMPDIR:-/tmp}/compare-registry.XXXXXX")
cleanup() {
	# Every registry of the run serves a configuration under $work.
	pkill -f "docker-registry serve $work/" 2>/dev/null || true
	sleep 0.2
	rm -rf "$work"
}
trap cleanup EXIT
log="$work/last.log"

echo "layout:      $layout:$tag"
echo "strata JVM:  ${STRATA_JAVA_OPTS:-bin/strata default}"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
"$strata" --version >/dev/null
cat "$layout"/blobs/*/* >/dev/null

# The source of every pull: the image, pushed once by skopeo (the oracle's own copy).
src_port=$port
start_registry "$src_port" "$work/source" >/dev/null
src="127.0.0.1:$src_port/bench/image:$tag"
skopeo copy -q --dest-tls-verify=false "oci:$layout:$tag" "docker://$src" >"$log" 2>&1 ||
	{ cat "$log" >&2; die "skopeo could not push the source image"; }

strata_pull() { "$strata" --store "$1" pull -q --tls-verify=false "docker://$src" image; }
peer_pull() {
	mkdir -p "$1"
	skopeo copy -q --src-tls-verify=false "docker://$src" "oci:$1/layout:$tag" &&
		umoci unpack "${umoci_flags[@]}" --image "$1/layout:$tag" "$1/bundle"
}
strata_push() { "$strata" --store "$work/pushed-from" push -q --tls-verify=false image "docker://$1/bench/image:$tag"; }
peer_push() { skopeo copy -q --dest-tls-verify=false "oci:$layout:$tag" "docker://$1/bench/image:$tag"; }

record() { # CASE SYSTEM SECONDS
	echo "$3" >>"$work/$1.$2.times"
	printf 'round %d  %-5s %-7s %7.3f s\n' "$round" "$1" "$2" "$3"
}

want() { [[ ",$jobs," == *",$1,"* ]]; }

if want pull; then
	# One untimed run of each: both work, and the registry's files are in the page cache.
	round=0
	timed strata_pull "$work/warm-strata" >/dev/null
	mkdir -p "$work/warm-peer"
	timed peer_pull "$work/warm-peer" >/dev/null
	rm -rf "$work/warm-strata" "$work/warm-peer"
	for ((round = 1; round <= rounds; round++)); do
		record pull strata "$(timed strata_pull "$work/s-$round")"
		rm -rf "$work/s-$round"
		record pull skopeo+umoci "$(timed peer_pull "$work/p-$round")"
		rm -rf "$work/p-$round"
	done
fi

if want push; then
	strata_pull "$work/pushed-from" >"$log" 2>&1 || { cat "$log" >&2; die "strata could not pull the source image"; }
	for ((round = 1; round <= rounds; round++)); do
		p=$((port + 2 * round - 1))
		pid=$(start_registry "$p" "$work/push-strata-$round")
		record push strata "$(timed strata_push "127.0.0.1:$p")"
		stop_registry "$pid"
		rm -rf "$work/push-strata-$round"
		p=$((port + 2 * round))
		pid=$(start_registry "$p" "$work/push-skopeo-$round")
		record push skopeo "$(timed peer_push "127.0.0.1:$p")"
		stop_registry "$pid"
		rm -rf "$work/push-skopeo-$round"
	done
fi

echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
for job in pull push; do
	want "$job" || continue
	peer=$([ "$job" = pull ] && echo skopeo+umoci || echo skopeo)
	s=$(median <"$work/$job.strata.times")
	o=$(median <"$work/$job.$peer.times")
	printf 'median  %-5s strata %7.3f s   %-12s %7.3f s   ratio strata/%s %5.2f\n' \
		"$job" "$s" "$peer" "$o" "$peer" "$(awk -v s="$s" -v o="$o" 'BEGIN { print s / o }')"
done

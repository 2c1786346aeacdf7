#!/usr/bin/env bash
#
# compare-pull.sh - time `strata pull` against `umoci unpack` of the same OCI image, on one
# machine in one run, interleaved (strata, umoci, strata, umoci, ...) so that load from other
# processes falls on both alike.  Prints every run, the medians and the ratio umoci/strata
# (above 1: strata is faster), and the start-up time of `strata images` on an empty store,
# which every strata run includes.
#
# Both tools do the same job from the same input: read a local OCI layout and put the
# image's files somewhere usable (strata: its store; umoci: a runtime bundle).  Each run gets
# a fresh destination and starts after `sync`, so no run pays for the previous one's writes.
# strata's commit makes its objects durable (fsync/syncfs) and umoci does not, so -s adds a
# trailing `sync` to the timed span of both, for a comparison of durable results.
#
# JVM options: bin/strata takes them from STRATA_JAVA_OPTS, so compare option sets with e.g.
#   STRATA_JAVA_OPTS='-XX:+UseParallelGC' benchmarks/compare-pull.sh
#
# Only public tools: bash, coreutils, umoci and this checkout's bin/strata (built on first
# use; after changing the sources, rebuild with mvn package, bin/strata does not notice).
set -euo pipefail

PROG=${0##*/}
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
strata="$repo/bin/strata"
# shellcheck source=benchmarks/common.sh
. "$repo/benchmarks/common.sh"

usage() {
	cat <<EOF
Usage: $PROG [-n ROUNDS] [-t TAG] [-w WORKDIR] [-s] [LAYOUT]

  LAYOUT      an OCI image layout (default: \${STRATA_BENCH_IMAGES:-/tmp/strata-bench-images}/debian,
              built by scripts/make-images.sh --debootstrap DIR)
  -n ROUNDS   rounds of (strata pull, umoci unpack) (default: 5)
  -t TAG      the image's tag in the layout (default: minbase)
  -w WORKDIR  where the fresh stores and bundles go (default: a new directory under \${TMPDIR:-/tmp});
              its filesystem is part of what is measured
  -s          include a trailing sync in each timed run (durable results on both sides)
EOF
}

rounds=5
tag=minbase
work=
sync_after=false
while getopts "n:t:w:sh" opt; do
	case $opt in
	n) rounds=$OPTARG ;;
	t) tag=$OPTARG ;;
	w) work=$OPTARG ;;
	s) sync_after=true ;;
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
command -v umoci >/dev/null || die "umoci is not installed (Debian: apt-get install umoci)"

# Without root umoci cannot chown, so it must be told to map owners.
umoci_flags=()
[ "$(id -u)" -eq 0 ] || umoci_flags=(--rootless)

if [ -z "$work" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/compare-pull.XXXXXX")
	trap 'rm -rf "$work"' EXIT
else
	mkdir -p "$work"
fi
log="$work/last.log"



strata_pull() { "$strata" --store "$1" pull "oci:$layout:$tag"; }
umoci_unpack() { umoci unpack "${umoci_flags[@]}" --image "$layout:$tag" "$1"; }

echo "layout:      $layout:$tag"
echo "strata JVM:  ${STRATA_JAVA_OPTS:-bin/strata default}"
echo "work dir:    $work$($sync_after && echo ' (timing includes a trailing sync)')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

# Builds the jar if it is missing, and warms the page cache with it and with the layout's
# blobs, so that the first timed run reads from the same cache as the others.
"$strata" --version >/dev/null
cat "$layout"/blobs/*/* >/dev/null
# One untimed run of each, which also shows that both work before anything is timed.
timed strata_pull "$work/warm-strata" >/dev/null
timed umoci_unpack "$work/warm-umoci" >/dev/null
rm -rf "$work/warm-strata" "$work/warm-umoci"

: >"$work/strata.times"
: >"$work/umoci.times"
for ((i = 1; i <= rounds; i++)); do
	t=$(timed strata_pull "$work/strata-$i")
	rm -rf "$work/strata-$i"
	echo "$t" >>"$work/strata.times"
	printf 'round %d  strata pull   %7.3f s\n' "$i" "$t"
	t=$(timed umoci_unpack "$work/umoci-$i")
	rm -rf "$work/umoci-$i"
	echo "$t" >>"$work/umoci.times"
	printf 'round %d  umoci unpack  %7.3f s\n' "$i" "$t"
done

# Start-up: the floor under every strata command, included in each pull above.
mkdir -p "$work/empty"
"$strata" --store "$work/empty" images >/dev/null
: >"$work/startup.times"
for ((i = 1; i <= rounds; i++)); do
	timed "$strata" --store "$work/empty" images >>"$work/startup.times"
done

strata_median=$(median <"$work/strata.times")
umoci_median=$(median <"$work/umoci.times")
startup_median=$(median <"$work/startup.times")
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'median  strata pull   %7.3f s\n' "$strata_median"
printf 'median  umoci unpack  %7.3f s\n' "$umoci_median"
printf 'median  strata images (empty store, start-up)  %.3f s  [%s]\n' "$startup_median" \
	"$(tr '\n' ' ' <"$work/startup.times" | sed 's/ $//')"
awk -v u="$umoci_median" -v s="$strata_median" 'BEGIN { printf "ratio   umoci/strata  %7.2f\n", u / s }'

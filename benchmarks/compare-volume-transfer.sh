#!/usr/bin/env bash
#
# compare-volume-transfer.sh - what moving a volume's next snapshot costs against moving the
# whole volume, through a registry on loopback, in one run, interleaved per round:
#
#   push next   `strata volume push` of a volume whose earlier snapshots the registry has: the
#               new snapshot's layer, a config and a manifest go
#   push whole  the same push to an empty registry (a new one each round): every snapshot goes
#   pull next   `strata volume pull` into a store that has the earlier snapshots: one layer
#   pull whole  the same pull into an empty store: every layer, and the data unpacked
#
# The volume holds FILES files of 1 MiB of random bytes (no compression shrinks them); each
# round rewrites one file and commits, so the next snapshot is one MiB. Prints every run (wall
# time, and the bytes that crossed loopback during it, from the kernel's counters), then the
# medians and the ratios next/whole.
#
# Needs root (none of it needs more than a user, but the registry's port and /var/tmp are
# simplest so), docker-registry, curl and this checkout's bin/strata (built on first use).
set -euo pipefail

PROG=${0##*/}
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
strata="$repo/bin/strata"
# shellcheck source=benchmarks/common.sh
. "$repo/benchmarks/common.sh"

usage() {
	cat <<EOF
Usage: $PROG [-n ROUNDS] [-f FILES] [-p PORT]

  -n ROUNDS   rounds (default: 5)
  -f FILES    files of 1 MiB in the volume (default: 256)
  -p PORT     first loopback port for the registries (default: 5400; whole pushes use the next ones)
EOF
}

rounds=5
files=256
port=5400
while getopts "n:f:p:h" opt; do
	case $opt in
	n) rounds=$OPTARG ;;
	f) files=$OPTARG ;;
	p) port=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { usage >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive number, not '$rounds'"
[[ $files =~ ^[1-9][0-9]*$ ]] || die "-f wants a positive number, not '$files'"
for tool in curl docker-registry; do
	command -v "$tool" >/dev/null || die "$tool is not installed (scripts/setup.sh installs it)"
done

work=$(mktemp -d /var/tmp/compare-volume-transfer.XXXXXX)
cleanup() {
	pkill -f "docker-registry serve $work/" 2>/dev/null || true
	sleep 0.2
	rm -rf "$work"
}
trap cleanup EXIT
log="$work/last.log"

lo_bytes() { cat /sys/class/net/lo/statistics/rx_bytes; }

# measured CASE CMD...: times CMD, prints the round's line, records seconds and bytes.
measured() {
	local case=$1 before seconds bytes
	shift
	before=$(lo_bytes)
	seconds=$(timed "$@")
	bytes=$(($(lo_bytes) - before))
	echo "$seconds" >>"$work/$case.times"
	echo "$bytes" >>"$work/$case.bytes"
	printf 'round %d  %-10s %7.3f s %10.1f MiB on loopback\n' "$round" "$case" "$seconds" \
		"$(awk -v b="$bytes" 'BEGIN { print b / 1048576 }')"
}

echo "volume:      $files files of 1 MiB; each round changes one"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
"$strata" --version >/dev/null

a="$work/a"
"$strata" --store "$a" volume create db >/dev/null
data="$a/volumes/db/data"
for ((i = 0; i < files; i++)); do
	head -c 1048576 /dev/urandom >"$data/f$i"
done
"$strata" --store "$a" volume commit db -m first >/dev/null

start_registry "$port" "$work/registry" >/dev/null
next="127.0.0.1:$port/vols/db"
"$strata" --store "$a" volume push -q --tls-verify=false db "docker://$next:0" >"$log" 2>&1 ||
	{ cat "$log" >&2; die "the first push failed"; }
b="$work/b"
"$strata" --store "$b" volume pull -q --tls-verify=false "docker://$next:0" db >"$log" 2>&1 ||
	{ cat "$log" >&2; die "the first pull failed"; }

for ((round = 1; round <= rounds; round++)); do
	head -c 1048576 /dev/urandom >"$data/f$((round % files))"
	"$strata" --store "$a" volume commit db -m "round $round" >/dev/null
	measured "push next" "$strata" --store "$a" volume push -q --tls-verify=false db "docker://$next:$round"
	p=$((port + round))
	pid=$(start_registry "$p" "$work/whole-$round")
	measured "push whole" "$strata" --store "$a" volume push -q --tls-verify=false db \
		"docker://127.0.0.1:$p/vols/db:$round"
	stop_registry "$pid"
	rm -rf "$work/whole-$round"
	measured "pull next" "$strata" --store "$b" volume pull -q --tls-verify=false "docker://$next:$round" db
	measured "pull whole" "$strata" --store "$work/c-$round" volume pull -q --tls-verify=false \
		"docker://$next:$round" db
	rm -rf "$work/c-$round"
done

echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| median of $rounds | next snapshot (1 MiB) | whole volume ($files MiB) | ratio next/whole |"
echo "|---|---:|---:|---:|"
for job in push pull; do
	n=$(median <"$work/$job next.times")
	w=$(median <"$work/$job whole.times")
	nb=$(median <"$work/$job next.bytes")
	wb=$(median <"$work/$job whole.bytes")
	printf '| %s time | %.3f s | %.3f s | %.2f |\n' "$job" "$n" "$w" "$(awk -v n="$n" -v w="$w" 'BEGIN { print n / w }')"
	printf '| %s bytes on loopback | %.1f MiB | %.1f MiB | %.3f |\n' "$job" \
		"$(awk -v b="$nb" 'BEGIN { print b / 1048576 }')" "$(awk -v b="$wb" 'BEGIN { print b / 1048576 }')" \
		"$(awk -v n="$nb" -v w="$wb" 'BEGIN { print n / w }')"
done

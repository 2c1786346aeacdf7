#!/usr/bin/env bash
#
# compare-run-io.sh - the file writes of a build's RUN step, timed inside `strata run` on the
# Debian minbase image, for two or more strata commands (variants) interleaved round by round
# (A, B, A, B, ...) so that load from other processes falls on all alike.  Prints every run,
# then the median, minimum and maximum of each workload and variant, and each variant's ratio
# to the first one.
#
# A variant is NAME=COMMAND, the command a strata launcher with whatever environment it needs,
# run through `env`:
#
#   compare-run-io.sh base=/work/main/bin/strata new=bin/strata
#   compare-run-io.sh on=bin/strata off="STRATA_FUSE_PASSTHROUGH=off bin/strata"
#
# Workloads (-W, comma-separated), each timed inside the container from just before to just
# after the command, so the JVM's start, the mount and the sandbox are not in the number;
# a fresh container (`run --rm`) each time:
#
#   dpkg     dpkg --unpack of real Debian packages of the host's apt cache (perl-modules,
#            libperl, libpython3.11-stdlib, python3.11-doc, tzdata, autoconf, automake; about
#            5,000 files): what `apt-get install` spends its time on, with dpkg's fsync of
#            every file before its rename
#   debs     dpkg -i of 20 small generated packages of 40 files each (compare-build.sh's RUN)
#   tarx     tar -x of 3,000 small files, 200 of 256 KiB and 8 of 8 MiB into a new directory
#   reread   the same tar -x, then every extracted file read back (cat to /dev/null): the
#            reads of files the container wrote, timed alone
#
# The packages and trees are made once under the work directory and reach the container as a
# read-only host directory (-v), so their reads do not go through the union.
# Needs root (strata run), dpkg-deb and python3.
set -euo pipefail

PROG=${0##*/}
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
# shellcheck source=benchmarks/common.sh
. "$repo/benchmarks/common.sh"

usage() {
	cat <<EOF
Usage: $PROG [-n ROUNDS] [-W WORKLOADS] [-w WORKDIR] [-l LAYOUT] NAME=COMMAND...

  -n ROUNDS     runs of each workload and variant (default: 5)
  -W WORKLOADS  comma-separated, from: dpkg debs tarx reread (default: dpkg,debs,tarx)
  -w WORKDIR    where the stores and the inputs go (default: a new directory under /var/tmp,
                removed at the end)
  -l LAYOUT     the OCI layout of the image (default: $repo/.cache/test-images/debian, tag minbase)
EOF
}

rounds=5
workloads=dpkg,debs,tarx
work=
layout=$repo/.cache/test-images/debian
while getopts "n:W:w:l:h" opt; do
	case $opt in
	n) rounds=$OPTARG ;;
	W) workloads=$OPTARG ;;
	w) work=$OPTARG ;;
	l) layout=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { usage >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (strata run)"
[ -f "$layout/index.json" ] || die "$layout is not an OCI image layout (scripts/make-images.sh --debootstrap makes the default)"
IFS=, read -r -a wl <<<"$workloads"
for w in "${wl[@]}"; do
	case $w in dpkg | debs | tarx | reread) ;; *) die "unknown workload '$w'" ;; esac
done
names=()
declare -A cmd
for v in "$@"; do
	[[ $v == *=* ]] || die "variant '$v' is not NAME=COMMAND"
	names+=("${v%%=*}")
	cmd[${v%%=*}]=${v#*=}
done

if [ -z "$work" ]; then
	work=/var/tmp/compare-run-io.$$.$RANDOM
	mkdir "$work"
	trap 'rm -rf "$work"' EXIT
else
	mkdir -p "$work"
fi
log=$work/log
ctx=$work/ctx
mkdir -p "$ctx/real"

# Inputs, once.
apt=/var/cache/apt/archives
for p in perl-modules-5.36 libperl5.36 libpython3.11-stdlib python3.11-doc tzdata autoconf automake; do
	f=$(find "$apt" -maxdepth 1 -name "${p}_*.deb" | sort | tail -1)
	if [[ " ${wl[*]} " == *" dpkg "* ]]; then
		[ -n "$f" ] || die "no $p package in $apt (the dpkg workload needs the host's apt cache)"
		cp -n "$f" "$ctx/real/"
	fi
done
bench_debs "$ctx/debs" "$work" 20
if [ ! -f "$ctx/tree.tar" ]; then
	python3 - "$work/tree" <<'EOF'
import os, sys
root = sys.argv[1]
for i in range(3000):
    d = os.path.join(root, "small", "d%02d" % (i % 30))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%04d" % i), "wb") as f:
        f.write(os.urandom(512 + (i * 37) % 3584))
os.makedirs(os.path.join(root, "mid"), exist_ok=True)
for i in range(200):
    with open(os.path.join(root, "mid", "m%03d" % i), "wb") as f:
        f.write(os.urandom(256 << 10))
os.makedirs(os.path.join(root, "big"), exist_ok=True)
for i in range(8):
    with open(os.path.join(root, "big", "b%d" % i), "wb") as f:
        f.write(os.urandom(8 << 20))
EOF
	tar -C "$work/tree" -cf "$ctx/tree.tar" .
	rm -rf "$work/tree"
fi

# One store per variant, each with the image.
for n in "${names[@]}"; do
	if [ ! -d "$work/store-$n" ]; then
		# shellcheck disable=SC2086
		env ${cmd[$n]} --store "$work/store-$n" pull -q "oci:$layout:minbase" localhost/debian >/dev/null
	fi
done

script() {
	case $1 in
	dpkg) echo 'dpkg --unpack --force-depends /ctx/real/*.deb >/dev/null 2>&1' ;;
	debs) echo 'dpkg -i /ctx/debs/*.deb >/dev/null' ;;
	tarx) echo 'mkdir /opt/t && tar -xf /ctx/tree.tar -C /opt/t' ;;
	reread) echo 'mkdir /opt/t && tar -xf /ctx/tree.tar -C /opt/t && s=$(date +%s.%N) && find /opt/t -type f -exec cat {} + >/dev/null' ;;
	esac
}

# run VARIANT WORKLOAD: prints the seconds the workload took inside the container.
run() {
	local n=$1 w=$2 body
	body="$(script "$w")"
	# The workload's start (s) and end, printed by the container; reread resets s itself.
	# shellcheck disable=SC2086
	if ! env ${cmd[$n]} --store "$work/store-$n" run --rm -v "$ctx:/ctx:ro" localhost/debian -- \
		sh -c "s=\$(date +%s.%N); $body; e=\$(date +%s.%N); echo \"TIME \$s \$e\"" >"$log" 2>&1; then
		cat "$log" >&2
		die "failed: $n $w"
	fi
	awk '/^TIME / { printf "%.3f\n", $3 - $2 }' "$log"
}

echo "work dir:    $work"
echo "variants:    $(for n in "${names[@]}"; do printf '%s=[%s] ' "$n" "${cmd[$n]}"; done)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
declare -A times meds
for w in "${wl[@]}"; do
	# Round 0 warms up (page cache of the inputs and the store, the JIT's archive) and is not counted.
	for n in "${names[@]}"; do run "$n" "$w" >/dev/null; done
	for r in $(seq 1 "$rounds"); do
		for n in "${names[@]}"; do
			sync
			t=$(run "$n" "$w")
			printf '%-8s %-10s round %-3s %s s\n' "$w" "$n" "$r" "$t"
			times[$n/$w]+="$t"$'\n'
		done
	done
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "| workload (s, median [min-max] of $rounds) | $(printf '%s | ' "${names[@]}")$(for n in "${names[@]:1}"; do printf '%s/%s | ' "$n" "${names[0]}"; done)"
echo "|---|$(for _ in "${names[@]}" "${names[@]:1}"; do printf -- '---:|'; done)"
for w in "${wl[@]}"; do
	row="| $w |"
	first=
	for n in "${names[@]}"; do
		m=$(printf '%s' "${times[$n/$w]}" | median)
		lo=$(printf '%s' "${times[$n/$w]}" | sort -g | head -1)
		hi=$(printf '%s' "${times[$n/$w]}" | sort -g | tail -1)
		row+=" $m [$lo-$hi] |"
		[ -n "$first" ] || first=$m
		meds[$n]=$m
	done
	for n in "${names[@]:1}"; do
		row+=$(awk -v a="${meds[$n]}" -v b="$first" 'BEGIN { printf " %.2f |", (b > 0 ? a / b : 0) }')
	done
	echo "$row"
done

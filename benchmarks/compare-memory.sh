#!/usr/bin/env bash
#
# compare-memory.sh - the memory of Strata's commands and mount servers beside fuse-overlayfs
# on the same layers, in one run, and the time of the steps whose memory is measured.  Prints
# each measurement as it is taken, then a Markdown table for the README and docs/memory.md.
#
# Part 1, a generated layer of COUNT empty files (-N, default 1,000,000; an OCI layout made
# once by benchmarks/gen-files-layer.py and cached in .cache/bench-images/):
#   pull     `strata pull` into a fresh store: wall time and peak RSS (/usr/bin/time -v, the
#            largest of the process and its children).  Beside it, what fuse-overlayfs needs
#            first: benchmarks/oci-to-lowerdirs.sh unpacking the layer (gzip and GNU tar).
#   mount    from starting the mount command until the mount is live (each returns then)
#   idle     the server's RSS and PSS once it has been idle for SETTLE seconds (-s)
#   walk     `find MOUNT | wc -l` on the fresh mount, caches dropped first; its wall time, the
#            server's RSS and PSS right after it, its peak RSS (VmHWM) and the RSS once idle
#            again; the count must be COUNT files, their directories and the root
# Part 2, ten (-m) mounts of the Debian test image at once, each with its own upper: each
# server's RSS and PSS once all are idle, then again after a walk of each and SETTLE seconds
# (median and largest of the ten).
#
# Systems (-o): strata (`strata mount` of the pulled image, layers read from the store),
# strata-overlay (bin/strata-overlay over the unpacked layers) and fuse-overlayfs (over the
# same unpacked layers, its defaults).  RSS counts every page a process maps, shared ones
# (libjvm.so, the JDK's and Strata's class-data archives, fuse-overlayfs's libraries) whole in
# each process; PSS divides each shared page among the processes that map it, so the PSS of
# the ten servers adds up to what they take together.
#
# Needs root (mount, drop_caches), /usr/bin/time, python3, fuse3, fuse-overlayfs, attr, jq or
# python3, gzip (scripts/setup.sh installs them all), this checkout's bin/strata (built on
# first use; after changing the sources rebuild with mvn package), and for part 2 the Debian
# image of scripts/make-images.sh --debootstrap (scripts/test.sh builds it in
# .cache/test-images/debian).
set -euo pipefail

PROG=${0##*/}
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
strata=${STRATA:-$repo/bin/strata}
strata_overlay=${STRATA_OVERLAY:-$repo/bin/strata-overlay}
fuse_cmd=${FUSE_OVERLAYFS:-fuse-overlayfs}
# shellcheck source=benchmarks/common.sh
. "$repo/benchmarks/common.sh"

ALL_SYSTEMS=(strata strata-overlay fuse-overlayfs)

usage() {
	cat <<EOF
Usage: $PROG [-N COUNT] [-m MOUNTS] [-s SETTLE] [-o SYSTEMS] [-P PARTS] [-w WORKDIR] [DEBIAN]

  DEBIAN      the Debian image's OCI layout for part 2 (default: $repo/.cache/test-images/debian)
  -N COUNT    empty files in the generated layer of part 1 (default: 1000000)
  -m MOUNTS   mounts at once in part 2 (default: 10)
  -s SETTLE   seconds a server is left idle before its idle memory is read (default: 15)
  -o SYSTEMS  comma-separated, from: ${ALL_SYSTEMS[*]} (default: all)
  -P PARTS    1 (the generated layer), 2 (the Debian mounts) or 1,2 (default)
  -w WORKDIR  where stores, layers, uppers and mount points go (default: a new directory
              under \${TMPDIR:-/tmp}, removed at the end)

Environment: STRATA=$strata
             STRATA_OVERLAY=$strata_overlay
             FUSE_OVERLAYFS=$fuse_cmd
EOF
}

count=1000000
mounts=10
settle=15
systems_arg=$(IFS=,; echo "${ALL_SYSTEMS[*]}")
parts_arg=1,2
work=
while getopts "N:m:s:o:P:w:h" opt; do
	case $opt in
	N) count=$OPTARG ;;
	m) mounts=$OPTARG ;;
	s) settle=$OPTARG ;;
	o) systems_arg=$OPTARG ;;
	P) parts_arg=$OPTARG ;;
	w) work=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || { usage >&2; exit 2; }
[[ $count =~ ^[1-9][0-9]*$ ]] || die "-N wants a positive number, not '$count'"
[[ $mounts =~ ^[1-9][0-9]*$ ]] || die "-m wants a positive number, not '$mounts'"
[[ $settle =~ ^[0-9]+$ ]] || die "-s wants a number of seconds, not '$settle'"
debian=$(readlink -f "${1:-$repo/.cache/test-images/debian}")

declare -A want=()
IFS=, read -ra list <<<"$systems_arg"
for s in "${list[@]}"; do
	case $s in
	strata | strata-overlay | fuse-overlayfs) want[$s]=1 ;;
	fuse) want[fuse-overlayfs]=1 ;;
	*) die "-o: unknown system '$s' (known: ${ALL_SYSTEMS[*]})" ;;
	esac
done
systems=()
for s in "${ALL_SYSTEMS[@]}"; do [ -z "${want[$s]:-}" ] || systems+=("$s"); done
[ ${#systems[@]} -gt 0 ] || die "-o: no system chosen"
part1=false
part2=false
IFS=, read -ra list <<<"$parts_arg"
for p in "${list[@]}"; do
	case $p in
	1) part1=true ;;
	2) part2=true ;;
	*) die "-P: unknown part '$p' (1 or 2)" ;;
	esac
done

# ---------------------------------------------------------------- checks --
[ "$(id -u)" -eq 0 ] || die "must run as root (mount, drop_caches)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (Debian: apt-get install time)"
command -v python3 >/dev/null || die "python3 is missing (Debian: apt-get install python3)"
has() { [ -n "${want[$1]:-}" ]; }
if has fuse-overlayfs; then
	command -v "$fuse_cmd" >/dev/null || die "'$fuse_cmd' not found (Debian: apt-get install fuse-overlayfs)"
fi
if command -v fusermount >/dev/null; then
	fusermount=fusermount
elif command -v fusermount3 >/dev/null; then
	fusermount=fusermount3
else
	die "neither fusermount nor fusermount3 found (Debian: apt-get install fuse3)"
fi
if $part2; then
	[ -f "$debian/index.json" ] ||
		die "$debian is not an OCI layout; build it with scripts/make-images.sh --debootstrap DIR"
fi

if [ -z "$work" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/compare-memory.XXXXXX")
else
	mkdir -p "$work"
	work=$(readlink -f "$work")
fi
[[ $work != *[[:space:],:]* ]] || die "work dir '$work' holds a comma, colon or white space"
log=$work/last.log
store=$work/store
mkdir -p "$work/mnt" "$work/rw" "$work/lower"

# ------------------------------------------------------------- clean-up --
# Every mount point this run made lives under $work/mnt; whatever is mounted there at the end
# (an interrupted run) is unmounted before the directory goes.
cleanup() {
	local rc=$? m
	set +e
	for m in $(awk -v w="$work/mnt/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo); do
		"$fusermount" -u "$m" 2>/dev/null || umount -l "$m"
	done
	# --one-file-system: should an unmount have failed, never delete through a mount.
	rm -rf --one-file-system "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

is_mounted() { awk -v m="$1" '$5 == m { found = 1 } END { exit !found }' /proc/self/mountinfo; }

# server_of MNT: the process serving the FUSE mount at MNT: the one with MNT as an argument
# (the FUSE programs detach, and every mount point here is unique to its mount).
server_of() {
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" != $$ ] || continue
		tr '\0' '\n' 2>/dev/null <"$p/cmdline" | grep -qxF "$1" && { echo "${p#/proc/}"; return; }
	done
	die "no process serves $1"
}

# The memory of a process in MiB, one decimal: VmRSS, VmHWM (its peak RSS) or PSS.
mib() { awk -v k="$1" 'BEGIN { printf "%.1f\n", k / 1024 }'; }
rss_of() { mib "$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status")"; }
hwm_of() { mib "$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status")"; }
pss_of() { mib "$(awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup")"; }

# The results, by system and case, for the table.
declare -A result=()
put() {
	result[$1.$2]=$3
	printf '%-16s %-26s %s\n' "$1" "$2" "$3"
}

now() { date +%s%N; }
secs() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.2f", (e - s) / 1e9 }'; }

# peak CASE SYS CMD...: runs CMD under /usr/bin/time; records its wall time and peak RSS.
peak() {
	local c=$1 sys=$2 t
	shift 2
	sync
	if ! /usr/bin/time -f '%e %M' -o "$work/time.out" "$@" >"$log" 2>&1; then
		cat "$log" >&2
		die "$sys: $c failed: $*"
	fi
	read -r t kb <"$work/time.out"
	put "$sys" "$c-s" "$t"
	put "$sys" "$c-rss" "$(mib "$kb")"
}

# mount_one SYS MNT LOWERDIRS|IMAGE ID: mounts; sets mount_secs to the time until it was live.
mount_one() {
	local sys=$1 mnt=$2 what=$3 id=$4 start end opts
	mkdir -p "$mnt" "$work/rw/$id/upper" "$work/rw/$id/work"
	opts="lowerdir=$what,upperdir=$work/rw/$id/upper,workdir=$work/rw/$id/work"
	start=$(now)
	case $sys in
	strata) "$strata" --store "$store" mount --name "$id" "$what" "$mnt" >"$log" 2>&1 ;;
	strata-overlay) "$strata_overlay" -o "$opts" "$mnt" >"$log" 2>&1 ;;
	fuse-overlayfs) "$fuse_cmd" -o "$opts" "$mnt" >"$log" 2>&1 ;;
	esac || { cat "$log" >&2; die "$sys: mounting $mnt failed"; }
	end=$(now)
	is_mounted "$mnt" || { cat "$log" >&2; die "$sys: the command returned but $mnt is not mounted"; }
	mount_secs=$(secs "$start" "$end")
}

# unmount_one SYS MNT: unmounts and waits for the server to end.
unmount_one() {
	local sys=$1 mnt=$2 pid i
	pid=$(server_of "$mnt")
	if [ "$sys" = strata ]; then
		"$strata" --store "$store" umount "$mnt" >"$log" 2>&1 || { cat "$log" >&2; die "strata umount $mnt failed"; }
	else
		"$fusermount" -u "$mnt" || die "$sys: $fusermount -u $mnt failed"
	fi
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	die "$sys: the server of $mnt (pid $pid) still runs 30 s after the unmount"
}

# settle_for SECONDS: lets the servers go idle (nothing else of this script runs meanwhile).
settle_for() { sleep "$1"; }

version_of() {
	case $1 in
	strata) echo "$strata mount" ;;
	strata-overlay) echo "$strata_overlay" ;;
	fuse-overlayfs) "$fuse_cmd" --version 2>&1 | grep -m1 -i 'fuse-overlayfs' || echo "$fuse_cmd" ;;
	esac
}

echo "work dir:    $work ($(findmnt -no FSTYPE -T "$work"))"
for s in "${systems[@]}"; do printf 'system:      %-15s %s\n' "$s" "$(version_of "$s")"; done
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs, $(free -g | awk '/^Mem/ { print $2 }') GiB RAM"
# Builds the jar if it is missing and records the class-data archive, outside every measurement.
if has strata || has strata-overlay; then
	"$strata" --version >/dev/null
fi

# --------------------------------------------------------- part 1: COUNT --
if $part1; then
	gen=$repo/.cache/bench-images/files-$count
	if [ ! -f "$gen/index.json" ]; then
		echo "==> generating $gen (once; cached)" >&2
		mkdir -p "$(dirname "$gen")"
		python3 "$repo/benchmarks/gen-files-layer.py" "$count" "$gen" files || die "generating the layer failed"
	fi
	dirs=$(((count + 999) / 1000))
	entries=$((count + dirs + 1))
	echo "== part 1: $count empty files in $dirs directories ($gen)"
	if has strata; then
		peak pull strata "$strata" --store "$store" pull "oci:$gen:files" files
	fi
	if has strata-overlay || has fuse-overlayfs; then
		peak pull unpack "$repo/benchmarks/oci-to-lowerdirs.sh" "$gen" files "$work/lower/files"
	fi
	for s in "${systems[@]}"; do
		mnt=$work/mnt/files.$s
		what=files
		[ "$s" = strata ] || what=$work/lower/files/00
		drop_caches
		mount_one "$s" "$mnt" "$what" "files-$s"
		put "$s" mount-s "$mount_secs"
		pid=$(server_of "$mnt")
		settle_for "$settle"
		put "$s" idle-rss "$(rss_of "$pid")"
		put "$s" idle-pss "$(pss_of "$pid")"
		drop_caches
		start=$(now)
		n=$(find "$mnt" | wc -l)
		end=$(now)
		[ "$n" -eq "$entries" ] || die "$s: the walk found $n entries, not $entries"
		put "$s" walk-s "$(secs "$start" "$end")"
		put "$s" walk-rss "$(rss_of "$pid")"
		put "$s" walk-pss "$(pss_of "$pid")"
		put "$s" walk-hwm "$(hwm_of "$pid")"
		settle_for "$settle"
		put "$s" walk-idle-rss "$(rss_of "$pid")"
		unmount_one "$s" "$mnt"
		rm -rf --one-file-system "$work/rw/files-$s"
	done
	rm -rf --one-file-system "$work/lower/files"
	if has strata; then
		"$strata" --store "$store" rmi files >/dev/null
		"$strata" --store "$store" gc >/dev/null
	fi
fi

# ------------------------------------------------- part 2: ten Debian mounts --
# stats SYS CASE FIELD PIDS...: the median and the largest of FIELD (rss or pss) of the PIDS.
stats() {
	local sys=$1 c=$2 f=$3 p values
	shift 3
	values=$(for p in "$@"; do "${f}_of" "$p"; done)
	put "$sys" "$c" "$(median <<<"$values" | xargs printf '%.1f') ($(sort -g <<<"$values" | tail -1))"
}
if $part2; then
	echo "== part 2: $mounts mounts of $debian:minbase at once"
	if has strata; then
		"$strata" --store "$store" pull "oci:$debian:minbase" debian >"$log" 2>&1 || { cat "$log" >&2; die "strata pull of $debian failed"; }
	fi
	if has strata-overlay || has fuse-overlayfs; then
		lowerdirs=$("$repo/benchmarks/oci-to-lowerdirs.sh" "$debian" minbase "$work/lower/debian" 2>"$log") ||
			{ cat "$log" >&2; die "unpacking $debian failed"; }
	fi
	for s in "${systems[@]}"; do
		what=debian
		[ "$s" = strata ] || what=$lowerdirs
		pids=()
		for ((i = 1; i <= mounts; i++)); do
			mount_one "$s" "$work/mnt/debian.$s.$i" "$what" "debian-$s-$i"
			pids+=("$(server_of "$work/mnt/debian.$s.$i")")
		done
		settle_for "$settle"
		stats "$s" ten-idle-rss rss "${pids[@]}"
		stats "$s" ten-idle-pss pss "${pids[@]}"
		for ((i = 1; i <= mounts; i++)); do
			find "$work/mnt/debian.$s.$i" >/dev/null
		done
		settle_for "$settle"
		stats "$s" ten-walked-rss rss "${pids[@]}"
		stats "$s" ten-walked-pss pss "${pids[@]}"
		for ((i = 1; i <= mounts; i++)); do
			unmount_one "$s" "$work/mnt/debian.$s.$i"
		done
		rm -rf --one-file-system "$work"/rw/debian-*
	done
fi
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# ------------------------------------------------------------------ table --
header="| case |"
rule="|---|"
for s in "${systems[@]}"; do header+=" $s |"; rule+="---:|"; done
echo "$header"
echo "$rule"
row() {
	local label=$1 c=$2 line s v
	line="| $label |"
	for s in "${systems[@]}"; do
		v=${result[$s.$c]:-}
		if [ -z "$v" ] && [ "$s" != strata ]; then
			v=${result[unpack.$c]:-}
		fi
		line+=" ${v:--} |"
	done
	echo "$line"
}
if $part1; then
	row "pull $count files (fuse: unpack with tar), s" pull-s
	row "the same, peak RSS, MiB" pull-rss
	row "mount until live, s" mount-s
	row "server idle, RSS, MiB" idle-rss
	row "server idle, PSS, MiB" idle-pss
	row "walk (find \\| wc -l), caches dropped, s" walk-s
	row "server after the walk, RSS, MiB" walk-rss
	row "server after the walk, PSS, MiB" walk-pss
	row "server's peak RSS (VmHWM), MiB" walk-hwm
	row "server idle again after the walk, RSS, MiB" walk-idle-rss
fi
if $part2; then
	row "$mounts Debian mounts, idle: RSS each, MiB, median (max)" ten-idle-rss
	row "the same, PSS each" ten-idle-pss
	row "after a walk of each, idle: RSS each" ten-walked-rss
	row "the same, PSS each" ten-walked-pss
fi

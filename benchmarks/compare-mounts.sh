#!/usr/bin/env bash
#
# compare-mounts.sh - mount the same image layers with kernel overlayfs, fuse-overlayfs and
# strata-overlay, and time the same workloads on each, in one run, interleaved (kernel,
# fuse-overlayfs, strata, kernel, ...) so that load from other processes falls on all alike.
# Prints every run, then the medians and the ratios strata/fuse-overlayfs, strata/kernel and
# fuse-overlayfs/kernel (below 1: the first is faster) as a Markdown table for docs/mounts.md.
#
# The lower layers are the layers of an OCI image (default: the Debian minbase image of
# scripts/make-images.sh --debootstrap) unpacked by oci-to-lowerdirs.sh, plus one layer of
# this script's own on top: bench/big (512 MiB of random bytes) and the empty bench/tmpdir.
# All three programs take the same command line,
#   PROGRAM -o lowerdir=TOP:...:BOTTOM,upperdir=U,workdir=W MOUNTPOINT
# (kernel overlayfs through mount -t overlay), and every run gets a fresh mount and a fresh,
# empty upper, and starts after `sync` and dropping the page, dentry and inode caches, so no
# run inherits what an earlier one read or wrote.  The workloads (-W, by name or number):
#
#   walk     1 walk-cold     stat every entry (find -printf with inode, mode, size, mtime)
#            2 walk-warm     the same again on the same mount
#              walk-recold   the same again after dropping the caches once more: the kernel's
#                            caches cold, the mount program's own process not (walk-cold also
#                            pays for a fresh process where the program starts one: fuse-overlayfs
#                            does; strata-overlay's shared mount server, started by the first
#                            run, serves the later ones, as it does a container engine's mounts)
#   tar      3 tar-image     read every file of the image (tar to a pipe; bench/ left out)
#   seqread  4 seqread-512m  read bench/big sequentially, 1 MiB blocks
#   copyup   5 copyup-512m   first write (4 KiB) to bench/big, fsync, close: copies it up
#   copyupns 8 copyup-nosync the same first write without the fsync (what a program that
#                            rewrites part of a file and exits waits for)
#   dirs     6 mkdir-10k     mkdir 10,000 directories in bench/tmpdir (a lower directory)
#              rmdir-10k     then delete them with find -delete
#   write    7 write-1g      write a new 1 GiB file, 1 MiB blocks, fsync before close
#
# Also "mount": from starting the mount program until the mount is live (the FUSE programs
# detach and exit once it is; the script then checks /proc/self/mountinfo).
#
# Dropping caches also drops the daemons' own program pages (libjvm.so and the class data of
# strata-overlay, the binary of fuse-overlayfs), so the cold cases include faulting those
# back in; that is part of what a cold container start costs.
#
# Mount options: KERNEL_OVERLAY_OPTS, FUSE_OVERLAYFS_OPTS and STRATA_OVERLAY_OPTS are appended
# to the -o string of their system, e.g. FUSE_OVERLAYFS_OPTS=threaded=1 to try options.  By
# default every system runs with its own defaults, which is what users get.  What the
# fuse-overlayfs defaults mean here (1.10, as root): one thread serves all requests (threaded=1
# for more), the kernel may cache entries and attributes for a very long time (timeout=),
# fsync is honoured (fsync=0 or volatile skip it; kernel overlayfs skips it only with
# volatile), the mount is default_permissions,allow_other,noatime,nodev; and the st_nlink of a
# directory is counted by stat-ing its entries on every stat, so that deleting the entries of
# a big directory one by one is quadratic (rmdir-10k takes minutes; static_nlink avoids most
# of it; upstream caches the count since containers/fuse-overlayfs#402, 2023).
# Programs: STRATA_OVERLAY (default: this checkout's bin/strata-overlay), FUSE_OVERLAYFS
# (default: fuse-overlayfs from PATH).  A system that is asked for and cannot be mounted
# stops the script with an error: nothing is skipped silently.
#
# Needs root (mount, drop_caches), and public tools only: bash, coreutils, findutils, tar,
# util-linux, attr, fuse3 (fusermount), fuse-overlayfs, jq or python3.
set -euo pipefail

PROG=${0##*/}
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
images=${STRATA_BENCH_IMAGES:-/tmp/strata-bench-images}
strata_cmd=${STRATA_OVERLAY:-$repo/bin/strata-overlay}
fuse_cmd=${FUSE_OVERLAYFS:-fuse-overlayfs}

ALL_SYSTEMS=(kernel fuse-overlayfs strata)
ALL_WORKLOADS=(walk tar seqread copyup dirs write copyupns)

usage() {
	cat <<EOF
Usage: $PROG [-n ROUNDS] [-o SYSTEMS] [-W WORKLOADS] [-t TAG] [-w WORKDIR | -x SIZE] [LAYOUT]

  LAYOUT        an OCI image layout (default: $images/debian, built with
                scripts/make-images.sh --debootstrap $images if it is missing)
  -n ROUNDS     rounds of every workload on every system (default: 3)
  -o SYSTEMS    comma-separated, from: ${ALL_SYSTEMS[*]} (default: all three; "fuse" is
                short for fuse-overlayfs)
  -W WORKLOADS  comma-separated names or numbers, from: walk(1,2) tar(3) seqread(4)
                copyup(5) dirs(6) write(7) copyupns(8) (default: all)
  -t TAG        the image's tag in the layout (default: minbase)
  -w WORKDIR    where layers, uppers and mount points go (default: a new directory under
                \${TMPDIR:-/tmp}, removed at the end); its filesystem is part of what is
                measured.  With -w the times and logs are kept in WORKDIR/times.
  -x SIZE       put the layers, uppers and mount points on a new xfs filesystem with
                reflinks (mkfs.xfs -m reflink=1 on a sparse file of SIZE, e.g. 4G, mounted
                through a loop device; removed at the end), where a copy-up can be a reflink

Environment: STRATA_OVERLAY=$strata_cmd
             FUSE_OVERLAYFS=$fuse_cmd
             KERNEL_OVERLAY_OPTS, FUSE_OVERLAYFS_OPTS, STRATA_OVERLAY_OPTS (extra -o options)
EOF
}

die() {
	printf '%s: ERROR: %s\n' "$PROG" "$*" >&2
	exit 1
}

rounds=3
systems_arg=$(IFS=,; echo "${ALL_SYSTEMS[*]}")
workloads_arg=$(IFS=,; echo "${ALL_WORKLOADS[*]}")
tag=minbase
work=
xfs_size=
while getopts "n:o:W:t:w:x:h" opt; do
	case $opt in
	n) rounds=$OPTARG ;;
	o) systems_arg=$OPTARG ;;
	W) workloads_arg=$OPTARG ;;
	t) tag=$OPTARG ;;
	w) work=$OPTARG ;;
	x) xfs_size=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || { usage >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive number, not '$rounds'"

# Systems and workloads run in the canonical order whatever order they were given in, so
# that every run interleaves the same way.
declare -A want_sys=() want_wl=()
IFS=, read -ra list <<<"$systems_arg"
for s in "${list[@]}"; do
	case $s in
	kernel | fuse-overlayfs | strata) want_sys[$s]=1 ;;
	fuse) want_sys[fuse-overlayfs]=1 ;;
	*) die "-o: unknown system '$s' (known: ${ALL_SYSTEMS[*]})" ;;
	esac
done
IFS=, read -ra list <<<"$workloads_arg"
for w in "${list[@]}"; do
	case $w in
	walk | 1 | 2) want_wl[walk]=1 ;;
	tar | 3) want_wl[tar]=1 ;;
	seqread | 4) want_wl[seqread]=1 ;;
	copyup | 5) want_wl[copyup]=1 ;;
	dirs | 6) want_wl[dirs]=1 ;;
	write | 7) want_wl[write]=1 ;;
	copyupns | 8) want_wl[copyupns]=1 ;;
	*) die "-W: unknown workload '$w' (known: ${ALL_WORKLOADS[*]} or 1-8)" ;;
	esac
done
systems=()
for s in "${ALL_SYSTEMS[@]}"; do [ -z "${want_sys[$s]:-}" ] || systems+=("$s"); done
workloads=()
for w in "${ALL_WORKLOADS[@]}"; do [ -z "${want_wl[$w]:-}" ] || workloads+=("$w"); done
[ ${#systems[@]} -gt 0 ] || die "-o: no system chosen"
[ ${#workloads[@]} -gt 0 ] || die "-W: no workload chosen"

# ---------------------------------------------------------------- checks --
[ "$(id -u)" -eq 0 ] || die "must run as root (mount, drop_caches)"
[ -w /proc/sys/vm/drop_caches ] ||
	die "/proc/sys/vm/drop_caches is not writable; the cold cases would not be cold"
for s in "${systems[@]}"; do
	case $s in
	kernel)
		grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
			die "kernel overlayfs is not available (no 'overlay' in /proc/filesystems)" ;;
	fuse-overlayfs)
		command -v "$fuse_cmd" >/dev/null ||
			die "fuse-overlayfs: '$fuse_cmd' not found (Debian: apt-get install fuse-overlayfs)" ;;
	strata)
		[ -x "$strata_cmd" ] ||
			die "strata: '$strata_cmd' is not an executable; set STRATA_OVERLAY, or leave strata out with -o kernel,fuse-overlayfs" ;;
	esac
done
if command -v fusermount >/dev/null; then
	fusermount=fusermount
elif command -v fusermount3 >/dev/null; then
	fusermount=fusermount3
else
	fusermount=
	for s in "${systems[@]}"; do
		[ "$s" = kernel ] || die "neither fusermount nor fusermount3 found (Debian: apt-get install fuse3)"
	done
fi

if [ $# -eq 1 ]; then
	layout=$(readlink -f "$1")
	[ -f "$layout/index.json" ] || die "$layout is not an OCI layout"
else
	layout=$images/debian
	if [ ! -f "$layout/index.json" ]; then
		# Minutes, once: debootstrap from the Debian mirror; make-images.sh caches it.
		echo "==> $layout is missing; building it with scripts/make-images.sh --debootstrap" >&2
		"$repo/scripts/make-images.sh" --debootstrap "$images" >&2 ||
			die "scripts/make-images.sh --debootstrap $images failed"
	fi
fi

keep_work=true
xfs_image=
if [ -n "$xfs_size" ]; then
	[ -z "$work" ] || die "-x and -w exclude each other"
	command -v mkfs.xfs >/dev/null || die "-x needs mkfs.xfs (apt-get install xfsprogs)"
	work=$(mktemp -d "${TMPDIR:-/tmp}/compare-mounts.XXXXXX")
	xfs_image=$work.xfs
	truncate -s "$xfs_size" "$xfs_image" || die "-x: cannot make a file of $xfs_size"
	mkfs.xfs -q -m reflink=1 "$xfs_image" || die "mkfs.xfs failed"
	mount -o loop "$xfs_image" "$work" || die "cannot mount $xfs_image"
	keep_work=false
elif [ -z "$work" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/compare-mounts.XXXXXX")
	keep_work=false
else
	mkdir -p "$work"
	work=$(readlink -f "$work")
fi
# The paths go into mount options (',' and ':' separate them) and are matched against
# /proc/self/mountinfo (which escapes white space).
[[ $work != *[[:space:],:]* ]] || die "work dir '$work' holds a comma, colon or white space"

# ------------------------------------------------------------- clean-up --
# The mount that is up right now (if any), so that an interrupted run leaves nothing behind.
cur_sys=
cur_mnt=
cur_pid=
cleanup() {
	local rc=$?
	set +e
	if [ -n "$cur_mnt" ] && [ -n "$(fstype_of "$cur_mnt")" ]; then
		unmount_fs "$cur_sys" "$cur_mnt" "$cur_pid" || rc=1
	fi
	# --one-file-system: should an unmount have failed, never delete through a mount.
	if $keep_work; then
		rm -rf --one-file-system "$work/lower" "$work/rw" "$work/mnt"
	elif [ -n "$xfs_image" ]; then
		umount "$work" && rm -f "$xfs_image" && rmdir "$work" || rc=1
	else
		rm -rf --one-file-system "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log=$work/last.log
mkdir -p "$work/times" "$work/mnt" "$work/rw"
rm -f "$work"/times/*

drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# fstype_of MNT: the file system type mounted at MNT, empty if nothing is.
fstype_of() {
	awk -v m="$1" '$5 == m { for (i = 7; $i != "-"; i++) ; t = $(i + 1) } END { print t }' \
		/proc/self/mountinfo
}

# daemon_of MNT: the process serving a FUSE mount at MNT.  The FUSE programs detach, so
# their pid is not ours to know; the process with MNT as an argument is the one (the mount
# points are unique to each run).
daemon_of() {
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" != $$ ] || continue
		tr '\0' '\n' 2>/dev/null <"$p/cmdline" | grep -qxF "$1" && { echo "${p#/proc/}"; return; }
	done
	return 0
}

# mount_fs SYS MNT UPPER WORKDIR: mounts and waits until the mount is live; records the time
# it took as the "mount" case and sets cur_* for the clean-up.
mount_fs() {
	local sys=$1 mnt=$2 upper=$3 wdir=$4 opts start end i rc
	opts="lowerdir=$lowerdirs,upperdir=$upper,workdir=$wdir"
	start=$(date +%s%N)
	rc=0
	case $sys in
	kernel) mount -t overlay overlay -o "$opts${KERNEL_OVERLAY_OPTS:+,$KERNEL_OVERLAY_OPTS}" "$mnt" >"$log" 2>&1 || rc=$? ;;
	fuse-overlayfs) "$fuse_cmd" -o "$opts${FUSE_OVERLAYFS_OPTS:+,$FUSE_OVERLAYFS_OPTS}" "$mnt" >"$log" 2>&1 || rc=$? ;;
	strata) "$strata_cmd" -o "$opts${STRATA_OVERLAY_OPTS:+,$STRATA_OVERLAY_OPTS}" "$mnt" >"$log" 2>&1 || rc=$? ;;
	esac
	cur_sys=$sys
	cur_mnt=$mnt
	if [ "$rc" -ne 0 ]; then
		cat "$log" >&2
		die "MOUNT FAILED: $sys exited with status $rc mounting $mnt (output above)"
	fi
	# The FUSE programs exit once the mount is live; wait a little in case one returns
	# early, but never take a silent non-mount for a mount.
	for ((i = 0; i < 600; i++)); do
		[ -z "$(fstype_of "$mnt")" ] || break
		sleep 0.1
	done
	end=$(date +%s%N)
	if [ -z "$(fstype_of "$mnt")" ]; then
		cat "$log" >&2
		die "MOUNT FAILED: $sys exited 0 but $mnt is not in /proc/self/mountinfo after 60 s"
	fi
	[ "$sys" = kernel ] || cur_pid=$(daemon_of "$mnt")
	record mount "$sys" "$start" "$end"
}

# unmount_fs SYS MNT PID: unmounts, and for FUSE waits until the daemon has gone, so that
# a daemon still shutting down does not load the next run.
unmount_fs() {
	local sys=$1 mnt=$2 pid=$3 i
	cur_mnt=
	if [ "$sys" = kernel ]; then
		umount "$mnt" || { echo "$PROG: ERROR: umount $mnt failed; lazy unmount" >&2; umount -l "$mnt"; return 1; }
		return 0
	fi
	if ! "$fusermount" -u "$mnt"; then
		echo "$PROG: ERROR: $fusermount -u $mnt failed ($sys); lazy unmount" >&2
		umount -l "$mnt"
		return 1
	fi
	[ -n "$pid" ] || return 0
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "$PROG: ERROR: $sys (pid $pid) still runs 30 s after $fusermount -u; killing it" >&2
	kill "$pid" 2>/dev/null
	return 1
}

# record CASE SYS START END: stores and prints one timed run.
record() {
	local secs
	secs=$(awk -v s="$3" -v e="$4" 'BEGIN { printf "%.3f", (e - s) / 1e9 }')
	echo "$secs" >>"$work/times/$1.$2"
	printf 'round %d  %-12s  %-14s  %8.3f s\n' "$round" "$1" "$2" "$secs"
}

# timed CASE CMD...: runs CMD (its output to the log) and records its wall time; a failing
# command stops the script, since its time would mean nothing.
timed() {
	local c=$1 start end
	shift
	start=$(date +%s%N)
	if ! "$@" >>"$log" 2>&1; then
		cat "$log" >&2
		die "$sys: $c failed: $*"
	fi
	end=$(date +%s%N)
	record "$c" "$sys" "$start" "$end"
}

# ------------------------------------------------------------ workloads --
# Each runs on a fresh mount ($mnt), after sync and drop_caches.
walk() { find "$mnt" -xdev -printf '%i %m %s %T@\n' >/dev/null; }
# GNU tar does not read files when the archive is /dev/null, so the archive goes to a pipe;
# wc -c also gives the size, the same on every system if they show the same files.
tar_image() { tar -C "$mnt" --exclude=./bench -cf - . | wc -c >"$work/tar-bytes.$sys"; }
seqread() { dd if="$mnt/bench/big" of=/dev/null bs=1M status=none; }
# conv=fsync: kernel overlayfs fsyncs what it copies up, so every system must make the
# copied-up file durable within the timed span for the results to be comparable.
copyup() { dd if=/dev/zero of="$mnt/bench/big" bs=4k count=1 conv=notrunc,fsync status=none; }
copyup_nosync() { dd if=/dev/zero of="$mnt/bench/big" bs=4k count=1 conv=notrunc status=none; }
mkdirs() { (cd "$mnt/bench/tmpdir" && seq 10000 | xargs mkdir -p); }
rmdirs() { (cd "$mnt/bench/tmpdir" && find . -mindepth 1 -delete); }
write1g() { dd if=/dev/zero of="$mnt/new" bs=1M count=1024 conv=fsync status=none; }

wl_walk() {
	timed walk-cold walk
	timed walk-warm walk
	drop_caches
	timed walk-recold walk
}
wl_tar() { timed tar-image tar_image; }
wl_seqread() { timed seqread-512m seqread; }
wl_copyup() {
	timed copyup-512m copyup
	# Untimed: the write landed and the rest of the file is still there.
	[ "$(stat -c %s "$mnt/bench/big")" -eq $((512 << 20)) ] && cmp -s -n 4096 "$mnt/bench/big" /dev/zero ||
		die "$sys: bench/big is wrong after the copy-up write"
}
wl_copyupns() {
	timed copyup-nosync copyup_nosync
	[ "$(stat -c %s "$mnt/bench/big")" -eq $((512 << 20)) ] && cmp -s -n 4096 "$mnt/bench/big" /dev/zero ||
		die "$sys: bench/big is wrong after the copy-up write"
}
wl_dirs() {
	timed mkdir-10k mkdirs
	[ "$(find "$mnt/bench/tmpdir" -mindepth 1 -maxdepth 1 -type d | wc -l)" -eq 10000 ] ||
		die "$sys: bench/tmpdir does not hold 10000 directories after mkdir"
	timed rmdir-10k rmdirs
	[ -z "$(ls -A "$mnt/bench/tmpdir")" ] || die "$sys: bench/tmpdir is not empty after find -delete"
}
wl_write() {
	timed write-1g write1g
	[ "$(stat -c %s "$mnt/new")" -eq $((1 << 30)) ] || die "$sys: new is not 1 GiB after the write"
}
cases_of() {
	case $1 in
	walk) echo walk-cold walk-warm walk-recold ;;
	tar) echo tar-image ;;
	seqread) echo seqread-512m ;;
	copyup) echo copyup-512m ;;
	dirs) echo mkdir-10k rmdir-10k ;;
	write) echo write-1g ;;
	copyupns) echo copyup-nosync ;;
	esac
}

# run_one SYS WORKLOAD: fresh upper, mount, sync + drop caches, workload, unmount, clean.
run_one() {
	sys=$1
	local wl=$2 id
	id=$sys.$wl.$round
	mnt=$work/mnt/$id
	mkdir -p "$mnt" "$work/rw/$id/upper" "$work/rw/$id/work"
	: >"$log"
	mount_fs "$sys" "$mnt" "$work/rw/$id/upper" "$work/rw/$id/work"
	drop_caches
	"wl_$wl"
	unmount_fs "$sys" "$mnt" "$cur_pid" || die "$sys: unmounting $mnt failed"
	rm -rf --one-file-system "$work/rw/$id"
	rmdir "$mnt"
}

# ------------------------------------------------------------- the layers --
echo "==> unpacking $layout:$tag into lower directories" >&2
lowerdirs=$("$repo/benchmarks/oci-to-lowerdirs.sh" "$layout" "$tag" "$work/lower/image")
# The harness's own layer, on top: a big file for the read and copy-up cases (random bytes,
# so that no layer of the storage stack can shortcut zeros) and a directory for mkdir.
mkdir -p "$work/lower/bench/bench/tmpdir"
head -c $((512 << 20)) /dev/urandom >"$work/lower/bench/bench/big"
lowerdirs=$work/lower/bench:$lowerdirs
sync

median() {
	sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
version_of() {
	case $1 in
	kernel) echo "Linux $(uname -r); overlay parameters: $(cd /sys/module/overlay/parameters 2>/dev/null &&
		for p in *; do printf '%s=%s ' "$p" "$(cat "$p")"; done)" ;;
	fuse-overlayfs) "$fuse_cmd" --version 2>&1 | grep -m1 -i 'fuse-overlayfs' || echo "$fuse_cmd" ;;
	strata) echo "$strata_cmd" ;;
	esac
}
opts_of() {
	case $1 in
	kernel) echo "${KERNEL_OVERLAY_OPTS:-}" ;;
	fuse-overlayfs) echo "${FUSE_OVERLAYFS_OPTS:-}" ;;
	strata) echo "${STRATA_OVERLAY_OPTS:-}" ;;
	esac
}

echo "layout:      $layout:$tag ($(tr ':' '\n' <<<"$lowerdirs" | wc -l) lower layers, the top one the harness's)"
echo "work dir:    $work ($(findmnt -no FSTYPE -T "$work"))"
for s in "${systems[@]}"; do
	printf 'system:      %-14s  %s%s\n' "$s" "$(version_of "$s")" \
		"$([ -z "$(opts_of "$s")" ] || echo "; extra options: $(opts_of "$s")")"
done
echo "workloads:   ${workloads[*]}; $rounds rounds"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs, $(free -g | awk '/^Mem/ { print $2 }') GiB RAM"

# One untimed mount of each system first: all of them work, and all show the same tree
# (names, types, modes, owners, sizes of files, link targets) before anything is timed.
round=0
trees_differ=false
for s in "${systems[@]}"; do
	sys=$s
	mnt=$work/mnt/check.$s
	mkdir -p "$mnt" "$work/rw/check.$s/upper" "$work/rw/check.$s/work"
	: >"$log"
	mount_fs "$s" "$mnt" "$work/rw/check.$s/upper" "$work/rw/check.$s/work" >/dev/null
	(cd "$mnt" && find . -printf '%y %m %U %G %s %l %p\n' | awk '$1 == "d" { $5 = "-" } 1' | LC_ALL=C sort) \
		>"$work/tree.$s" || die "$s: listing the mounted tree failed"
	printf 'check:       %-14s  %s entries, fstype %s\n' "$s" "$(wc -l <"$work/tree.$s")" "$(fstype_of "$mnt")"
	unmount_fs "$s" "$mnt" "$cur_pid" || die "$s: unmounting $mnt failed"
	rm -rf --one-file-system "$work/rw/check.$s"
	rmdir "$mnt"
	if [ "$s" != "${systems[0]}" ] && ! cmp -s "$work/tree.${systems[0]}" "$work/tree.$s"; then
		trees_differ=true
		echo "$PROG: WARNING: $s shows a different tree than ${systems[0]} (diff, first lines):" >&2
		diff "$work/tree.${systems[0]}" "$work/tree.$s" | head -20 >&2
	fi
done
rm -f "$work"/times/*

for ((round = 1; round <= rounds; round++)); do
	for w in "${workloads[@]}"; do
		for s in "${systems[@]}"; do
			run_one "$s" "$w"
		done
	done
done

if [ -n "${want_wl[tar]:-}" ] && [ "$(sort -u "$work"/tar-bytes.* | wc -l)" -gt 1 ]; then
	trees_differ=true
	echo "$PROG: WARNING: tar of the image gave different sizes:" \
		"$(for s in "${systems[@]}"; do printf '%s=%s ' "$s" "$(cat "$work/tar-bytes.$s")"; done)" >&2
fi

echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# The table: medians in seconds; ratios below 1 mean the first-named system is faster.
ratio_pairs=()
has() { [ -n "${want_sys[$1]:-}" ]; }
has strata && has fuse-overlayfs && ratio_pairs+=("strata fuse-overlayfs")
has strata && has kernel && ratio_pairs+=("strata kernel")
has fuse-overlayfs && has kernel && ratio_pairs+=("fuse-overlayfs kernel")
header="| case (median of $rounds, s) |"
rule="|---|"
for s in "${systems[@]}"; do header+=" $s |"; rule+="---:|"; done
for p in "${ratio_pairs[@]}"; do
	set -- $p
	header+=" $1/$2 |"
	rule+="---:|"
done
echo "$header"
echo "$rule"
for c in mount $(for w in "${workloads[@]}"; do cases_of "$w"; done); do
	row="| $c |"
	declare -A med=()
	for s in "${systems[@]}"; do
		med[$s]=$(median <"$work/times/$c.$s")
		row+=" $(printf '%.3f' "${med[$s]}") |"
	done
	for p in "${ratio_pairs[@]}"; do
		set -- $p
		row+=" $(awk -v a="${med[$1]}" -v b="${med[$2]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }') |"
	done
	echo "$row"
	unset med
done

if $trees_differ; then
	die "the systems did not show the same tree (see the WARNINGs above); the times compare different work"
fi

#!/usr/bin/env bash
#
# make-images.sh - build the OCI image layouts Strata's tests and README demo use.
#
# Everything comes from stock Debian packages (umoci, busybox-static, tar, gzip,
# coreutils, findutils, and debootstrap for the optional Debian image), so the
# fixtures can be rebuilt on any Debian box without a registry or a container
# engine.  Run with --help for usage; the layouts produced are described there.
#
set -euo pipefail

# Fixed locale and umask: tar's --sort=name and `sort` must order names the
# same way on every machine, and the modes of the staging files must not depend
# on the caller's umask, otherwise layer digests drift between hosts.
# C.UTF-8 sorts like C (code-point order equals byte order for UTF-8) but
# treats the non-ASCII file name in layer 3 as text rather than raw bytes.
export LC_ALL=C.UTF-8
export TZ=UTC
umask 022

PROG=${0##*/}

# 2000-01-01T00:00:00Z: every hand-made tar entry and every config/history
# timestamp uses it, so the tiny and sample images are byte-for-byte stable.
EPOCH=946684800
CREATED=2000-01-01T00:00:00Z

usage() {
	cat <<EOF
Usage: $PROG [--debootstrap] [--suite NAME] [--mirror URL] OUTDIR

Builds OCI image layouts (see https://github.com/opencontainers/image-spec):

  OUTDIR/tiny    tag 3layer        three hand-written layer tars, deterministic digests
                                   L1 (GNU tar)  busybox rootfs + assorted files/modes/owners
                                   L2 (ustar)    file whiteout, opaque dir, dir->file, dir whiteout
                                   L3 (pax)      hard link, symlinks, mode changes, UTF-8 and
                                                 >100-character names
                 tag umoci-repack  the same three changes made on disk and packed with
                                   'umoci repack' (umoci's own whiteout style)
  OUTDIR/sample  tag sample        2-layer busybox image for the README demo
  OUTDIR/debian  tag minbase       (--debootstrap only, needs root) one layer:
                                   debootstrap --variant=minbase SUITE
                 tag minbase-plus  minbase + one layer: apt-get install zstd, docs removed

Options:
  --debootstrap   also build OUTDIR/debian; the rootfs tar is cached in OUTDIR/cache/
                  (delete it to force a fresh debootstrap)
  --suite NAME    Debian suite for --debootstrap (default: bookworm)
  --mirror URL    Debian mirror for --debootstrap (default: debootstrap's own)
  -h, --help      show this help

Needs: umoci busybox-static tar gzip coreutils findutils [debootstrap]
Re-running is safe: layouts are built in a scratch dir and then swapped in.
EOF
}

# Bad command line: one-line usage and exit status 2, like most CLI tools.
usage_error() {
	printf "%s: %s\nUsage: %s [--debootstrap] [--suite NAME] [--mirror URL] OUTDIR  (--help for details)\n" \
		"$PROG" "$1" "$PROG" >&2
	exit 2
}
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
note() { printf '==> %s\n' "$*" >&2; }

# ---------------------------------------------------------------- arguments --
WITH_DEBIAN=0
SUITE=bookworm
MIRROR=
OUTARG=

while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--debootstrap) WITH_DEBIAN=1 ;;
	--suite | --mirror)
		[ $# -ge 2 ] || usage_error "$1 needs a value"
		if [ "$1" = --suite ]; then SUITE=$2; else MIRROR=$2; fi
		shift ;;
	--suite=*) SUITE=${1#*=} ;;
	--mirror=*) MIRROR=${1#*=} ;;
	--) shift; break ;;
	-*) usage_error "unknown option: $1" ;;
	*)
		[ -z "$OUTARG" ] || usage_error "only one OUTDIR may be given"
		OUTARG=$1 ;;
	esac
	shift
done
if [ $# -gt 0 ] && [ -z "$OUTARG" ]; then OUTARG=$1; shift; fi
[ $# -eq 0 ] || usage_error "unexpected argument: $1"
[ -n "$OUTARG" ] || usage_error "no OUTDIR given"

IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1
if [ $WITH_DEBIAN = 1 ] && [ $IS_ROOT = 0 ]; then
	die "--debootstrap must run as root (debootstrap, chroot and device nodes need it)"
fi

# ------------------------------------------------------------- tool checks --
# Fail up front, naming the Debian package, rather than half-way through.
need() { # need COMMAND APT-PACKAGE
	command -v "$1" >/dev/null 2>&1 || die "'$1' not found; install it with: apt-get install $2"
}
need umoci umoci
need tar tar
need gzip gzip
need find findutils
need sed sed
need grep grep
for tool in sort mktemp stat touch chmod ln cp; do need "$tool" coreutils; done
# --sort=name (GNU tar >= 1.28) is what makes the layer tars reproducible.
tar --version 2>/dev/null | head -n1 | grep -q 'GNU tar' ||
	die "GNU tar is required (apt-get install tar)"

# busybox ends up as the only binary inside images that have no libc, so a
# dynamically linked busybox (package 'busybox') would give a broken /bin/sh.
BUSYBOX=$(command -v busybox 2>/dev/null) ||
	die "'busybox' not found; install it with: apt-get install busybox-static"
if command -v ldd >/dev/null 2>&1 && ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is dynamically linked; install the static one: apt-get install busybox-static"
fi

if [ $WITH_DEBIAN = 1 ]; then
	need debootstrap debootstrap
	need chroot coreutils
fi

# umoci can't chown when unprivileged; --rootless makes it skip that and keep
# ownership in the bundle metadata instead.
UMOCI_UNPACK=(umoci unpack)
[ $IS_ROOT = 1 ] || UMOCI_UNPACK+=(--rootless)

# OCI/Go architecture name of this host; used in the image configs.
case $(uname -m) in
x86_64) ARCH=amd64 ;;
aarch64 | arm64) ARCH=arm64 ;;
armv7* | armv6*) ARCH=arm ;;
i?86) ARCH=386 ;;
ppc64le) ARCH=ppc64le ;;
s390x) ARCH=s390x ;;
riscv64) ARCH=riscv64 ;;
*) die "don't know the OCI architecture name for $(uname -m)" ;;
esac

# ---------------------------------------------------------- scratch space --
mkdir -p -- "$OUTARG"
OUT=$(cd -- "$OUTARG" && pwd)
# The scratch dir lives inside OUTDIR so the final swap is a rename on one
# filesystem, and debootstrap's rootfs isn't squeezed into a small /tmp.
SCRATCH=
cleanup() {
	[ -n "$SCRATCH" ] && [ -d "$SCRATCH" ] || return 0
	# An interrupted debootstrap can leave proc, sys or bind-mounted device
	# nodes mounted inside its target.  Unmount those first, and keep rm on
	# this filesystem, so cleaning up can never reach into the host's /proc,
	# /sys or /dev.
	if [ $IS_ROOT = 1 ] && [ -r /proc/self/mounts ]; then
		local _dev mnt _rest
		while read -r _dev mnt _rest; do
			case $mnt in "$SCRATCH"/*) umount -l "$mnt" 2>/dev/null || true ;; esac
		done < <(sort -r -k2,2 /proc/self/mounts)
	fi
	rm -rf --one-file-system -- "$SCRATCH"
}
# Traps first, then mktemp, so there is no moment where the scratch dir
# exists but would survive a signal.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
SCRATCH=$(mktemp -d "$OUT/.make-images.XXXXXX")

# Replace OUT/NAME with the finished layout at $2.  Two renames rather than
# rm + mv, so an existing layout is only dropped once the new one is complete.
install_layout() { # install_layout NAME NEW_DIR
	local dst="$OUT/$1" old="$SCRATCH/old-$1"
	if [ -e "$dst" ]; then mv -- "$dst" "$old"; fi
	mv -- "$2" "$dst"
	rm -rf -- "$old"
}

# ------------------------------------------------------------ tar helpers --
# pack_layer FORMAT SRC_DIR OUT_TAR [PATH=UID:GID ...]
#
# Writes every entry below SRC_DIR (names relative to it, no "./" prefix) into
# OUT_TAR in byte-sorted order, with all mtimes set to $EPOCH and owner 0:0
# unless PATH=UID:GID says otherwise for that exact path.  GNU tar's --owner
# applies to a whole invocation, so consecutive entries with the same owner
# are written as one small tar and the pieces joined with `tar --concatenate`
# (which copies members verbatim; --append would re-detect the format from the
# first piece and refuse pax-only names if that piece happened to be plain
# ustar).  The result is still one archive in sorted order.  Entries that
# must be hard-linked to each other have to share an owner (tar only spots
# links within one piece).
pack_layer() {
	local fmt=$1 src=$2 out=$3
	shift 3
	local -A owner_of=()
	local spec
	for spec in "$@"; do owner_of[${spec%%=*}]=${spec#*=}; done

	local opts=(--format="$fmt" --mtime="@$EPOCH" --numeric-owner --no-recursion
		--null --verbatim-files-from -C "$src")
	# pax: name extended headers without the PID (tar's default puts it in)
	# and leave out atime/ctime, both of which would change on every run.
	if [ "$fmt" = pax ]; then
		opts+=(--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime)
	fi

	local batch="$out.names" piece="$out.piece" cur="" path want
	rm -f -- "$out"
	: >"$batch"
	flush_batch() {
		[ -s "$batch" ] || return 0
		# Plain decimal ids: this tar (1.34) turns "+1000" into 0, not 1000.
		tar --create -f "$piece" "${opts[@]}" \
			--owner="${cur%%:*}" --group="${cur##*:}" -T "$batch"
		if [ -e "$out" ]; then
			tar --concatenate -f "$out" "$piece"
			rm -f -- "$piece"
		else
			mv -- "$piece" "$out"
		fi
		: >"$batch"
	}
	while IFS= read -r -d '' path; do
		path=${path#./}
		want=${owner_of[$path]:-0:0}
		[ "$want" = "$cur" ] || flush_batch
		cur=$want
		printf '%s\0' "$path" >>"$batch"
	done < <(cd -- "$src" && find . -mindepth 1 -print0 | sort -z)
	flush_batch
	rm -f -- "$batch"
}

# Blob paths of the layers of LAYOUT:TAG, bottom layer first.  Plain text
# munging of umoci's compact JSON, so no jq dependency.
layer_blobs() { # layer_blobs LAYOUT TAG
	local layout=$1 tag=$2 manifest
	manifest=$(sed 's/}},{/}}\n{/g' "$layout/index.json" |
		grep -F "\"org.opencontainers.image.ref.name\":\"$tag\"}" |
		grep -o 'sha256:[0-9a-f]\{64\}' | head -n1) ||
		die "tag $tag not found in $layout/index.json"
	sed 's/.*"layers":\[//' "$layout/blobs/sha256/${manifest#sha256:}" |
		grep -o 'sha256:[0-9a-f]\{64\}' |
		sed "s#^sha256:#$layout/blobs/sha256/#"
}

# Write a fresh image config for LAYOUT:TAG: fixed creation time, host arch,
# and no history entry for the config change itself (so history has exactly
# one entry per layer).
new_image() { # new_image LAYOUT TAG [extra umoci config args...]
	local image="$1:$2"
	shift 2
	umoci new --image "$image"
	umoci config --image "$image" --no-history --created "$CREATED" \
		--os linux --architecture "$ARCH" "$@"
}

# umoci repack stamps "now" into the config's created field; put the fixed
# date back so only the layer contents differ between runs.
reset_created() { # reset_created LAYOUT:TAG
	umoci config --image "$1" --no-history --created "$CREATED"
}

# ------------------------------------------------------- rootfs contents --
# These functions write files into a directory.  The same function serves
# both as a layer's staging dir (empty dir, then pack_layer) and as an on-disk
# change in an unpacked bundle (for the umoci-repack variant).

# Bare busybox system: /bin/busybox, one /bin symlink per applet, a minimal
# passwd/group, /tmp and /root with their usual modes.
put_busybox_system() { # put_busybox_system ROOT
	local r=$1 applet
	mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root"
	cp -- "$BUSYBOX" "$r/bin/busybox"
	chmod 0755 "$r/bin/busybox"
	for applet in $("$BUSYBOX" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$r/bin/$applet"
	done
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
		'user:x:1000:1000:user:/home/user:/bin/sh' >"$r/etc/passwd"
	printf '%s\n' 'root:x:0:' 'user:x:1000:' >"$r/etc/group"
	chmod 1777 "$r/tmp"
	chmod 0700 "$r/root"
}

# A directory name long enough that any path through it is over the classic
# 100-byte tar name field, forcing GNU long-name / ustar prefix / pax records.
LONG_DIR=srv/a-directory-whose-name-is-long-on-purpose-so-that-every-path-inside-it-passes-the-100-byte-tar-name-field
LONG_NAME_L3=a-file-name-that-is-itself-longer-than-one-hundred-bytes-which-neither-ustar-nor-v7-tar-can-store-so-pax-is-needed.txt

# tiny L1: busybox plus files that the later layers delete, replace or modify.
put_tiny_l1() { # put_tiny_l1 ROOT
	local r=$1
	put_busybox_system "$r"
	mkdir -p "$r/etc/conf.d" "$r/opt/app/lib" "$r/var/cache/sub" \
		"$r/home/user" "$r/data" "$r/$LONG_DIR"
	echo tiny >"$r/etc/hostname"
	echo 'tiny strata test image' >"$r/etc/motd"
	echo 'layer 2 whites this file out' >"$r/etc/delete-me"
	echo 'a=1' >"$r/etc/conf.d/a.conf"
	echo 'b=2' >"$r/etc/conf.d/b.conf"
	printf '#!/bin/sh\necho app running\n' >"$r/opt/app/run.sh"
	chmod 0755 "$r/opt/app/run.sh"
	echo 'library data' >"$r/opt/app/lib/x.txt"
	echo 'cache 1' >"$r/var/cache/c1"
	echo 'cache 2' >"$r/var/cache/sub/c2"
	echo 'hello from user' >"$r/home/user/hello.txt"
	chmod 0640 "$r/home/user/hello.txt"
	chmod 0750 "$r/home/user"
	: >"$r/data/empty-file"
	echo 'deep inside a long directory' >"$r/$LONG_DIR/file-in-long-dir.txt"
}
# Owners that differ from root:root in L1 (and in L3 for home/user).
TINY_L1_OWNERS=(home/user=1000:1000 home/user/hello.txt=1000:1000)
TINY_L3_OWNERS=(home/user=1000:1000)

# tiny L2 as a layer tar: the OCI whiteout files themselves.
put_tiny_l2_whiteouts() { # put_tiny_l2_whiteouts ROOT
	local r=$1
	mkdir -p "$r/etc/conf.d" "$r/opt" "$r/var"
	: >"$r/etc/.wh.delete-me"        # removes one file of L1
	: >"$r/etc/conf.d/.wh..wh..opq"  # opaque: hides a.conf and b.conf of L1 ...
	echo 'c=3' >"$r/etc/conf.d/c.conf" # ... while this layer adds c.conf
	# A regular file where L1 has a directory.  No whiteout: the spec says
	# the new entry replaces the old one, children included.
	echo 'opt/app used to be a directory' >"$r/opt/app"
	: >"$r/var/.wh.cache"            # removes a non-empty directory tree
}

# tiny L2 as an on-disk change, for umoci to turn into its own whiteouts.
apply_tiny_l2_on_disk() { # apply_tiny_l2_on_disk ROOT
	local r=$1
	rm -f "$r/etc/delete-me"
	rm -rf "$r/etc/conf.d"
	mkdir "$r/etc/conf.d"
	echo 'c=3' >"$r/etc/conf.d/c.conf"
	rm -rf "$r/opt/app"
	echo 'opt/app used to be a directory' >"$r/opt/app"
	rm -rf "$r/var/cache"
}

# tiny L3: links, mode changes and awkward names.  Written so it works both on
# an empty staging dir and on top of an L1+L2 tree.
put_tiny_l3() { # put_tiny_l3 ROOT
	local r=$1
	mkdir -p "$r/usr/share" "$r/usr/bin" "$r/etc" "$r/home/user" "$r/$LONG_DIR"
	echo 'two names, one inode' >"$r/usr/share/hello.txt"
	ln -f "$r/usr/share/hello.txt" "$r/usr/share/hello-hardlink.txt"
	ln -sfn ../../bin/busybox "$r/usr/bin/env"          # relative symlink
	ln -sfn /etc/hostname "$r/etc/hostname-link"        # absolute symlink
	ln -sfn /nonexistent/target "$r/etc/dangling-link"  # points nowhere
	# Same content as in L1; only the mode changes (0644 -> 0600), so an
	# implementation that compares content alone would miss it.
	echo 'tiny strata test image' >"$r/etc/motd"
	chmod 0600 "$r/etc/motd"
	chmod 0700 "$r/home/user"                           # 0750 -> 0700
	echo 'non-ASCII file name' >"$r/usr/share/grüße-ünïcødé-文字.txt"
	echo 'long name, pax only' >"$r/$LONG_DIR/$LONG_NAME_L3"
}

# ------------------------------------------------------------ tiny image --
build_tiny() {
	local stage="$SCRATCH/tiny-stage" layout="$SCRATCH/tiny"
	mkdir -p "$stage/l1" "$stage/l2" "$stage/l3"

	note "tiny:3layer - staging and packing three layer tars"
	put_tiny_l1 "$stage/l1"
	put_tiny_l2_whiteouts "$stage/l2"
	put_tiny_l3 "$stage/l3"
	# Three tar dialects on purpose: readers must cope with all of them.
	pack_layer gnu "$stage/l1" "$stage/l1.tar" "${TINY_L1_OWNERS[@]}"
	pack_layer ustar "$stage/l2" "$stage/l2.tar"
	pack_layer pax "$stage/l3" "$stage/l3.tar" "${TINY_L3_OWNERS[@]}"

	umoci init --layout "$layout"
	new_image "$layout" 3layer --config.cmd /bin/sh --config.env PATH=/usr/bin:/bin
	local n what
	for n in 1 2 3; do
		case $n in
		1) what='busybox base and assorted files (GNU tar)' ;;
		2) what='whiteouts, opaque dir, dir replaced by file (ustar)' ;;
		3) what='hard link, symlinks, mode changes, long and UTF-8 names (pax)' ;;
		esac
		umoci raw add-layer --image "$layout:3layer" \
			--history.created "$CREATED" \
			--history.created_by "make-images.sh tiny L$n: $what" \
			"$stage/l$n.tar"
	done

	build_tiny_umoci_repack "$layout"

	# umoci leaves superseded manifests/configs behind as blobs; drop them.
	umoci gc --layout "$layout"
	install_layout tiny "$layout"
}

# The same three changes, but made to a real directory tree and packed by
# umoci repack.  umoci decides the tar format and whiteout style (it writes a
# whiteout per removed path and never uses opaque markers), which is the
# shape images built by ordinary tools have.
build_tiny_umoci_repack() { # build_tiny_umoci_repack LAYOUT
	local layout=$1 image="$1:umoci-repack" bundle="$SCRATCH/tiny-bundle"
	note "tiny:umoci-repack - same changes, packed by umoci repack"
	new_image "$layout" umoci-repack --config.cmd /bin/sh --config.env PATH=/usr/bin:/bin
	"${UMOCI_UNPACK[@]}" --image "$image" "$bundle" >/dev/null
	local rootfs="$bundle/rootfs" n

	for n in 1 2 3; do
		case $n in
		1)
			put_tiny_l1 "$rootfs"
			# Unprivileged we can't chown; umoci then records these as root.
			if [ $IS_ROOT = 1 ]; then
				chown 1000:1000 "$rootfs/home/user" "$rootfs/home/user/hello.txt"
			fi ;;
		2) apply_tiny_l2_on_disk "$rootfs" ;;
		3) put_tiny_l3 "$rootfs" ;;
		esac
		# Pin mtimes so the repacked layers don't change from run to run.
		# umoci still sees the edits: it compares sizes, modes and sha256.
		find "$rootfs" -exec touch -h -d "@$EPOCH" {} +
		# --refresh-bundle makes the next repack diff against this state
		# rather than against the original unpack.
		umoci repack --refresh-bundle --image "$image" \
			--history.created "$CREATED" \
			--history.created_by "make-images.sh tiny L$n, packed by umoci repack" \
			"$bundle"
	done
	reset_created "$image"
	rm -rf -- "$bundle"
}

# Fail loudly if the hand-made layers don't contain what tests rely on.
verify_tiny() {
	local layout="$OUT/tiny" blobs listing
	mapfile -t blobs < <(layer_blobs "$layout" 3layer)
	[ ${#blobs[@]} -eq 3 ] || die "tiny:3layer has ${#blobs[@]} layers, expected 3"

	note "verifying tiny:3layer layer 2 (whiteouts)"
	listing=$(tar -tvzf "${blobs[1]}")
	printf '%s\n' "$listing" >&2
	local want
	for want in etc/.wh.delete-me etc/conf.d/.wh..wh..opq etc/conf.d/c.conf var/.wh.cache; do
		grep -q " $want\$" <<<"$listing" || die "layer 2 of tiny:3layer lacks $want"
	done
	grep -q '^-.* opt/app$' <<<"$listing" || die "layer 2 of tiny:3layer lacks the regular file opt/app"

	note "verifying tiny:3layer layer 3 (hard link)"
	listing=$(tar -tvzf "${blobs[2]}")
	printf '%s\n' "$listing" | grep -E '^[hl]|motd|home/user' >&2 || true
	grep -Eq '^h.* usr/share/hello(-hardlink)?\.txt link to usr/share/hello' <<<"$listing" ||
		die "layer 3 of tiny:3layer lacks the hard link"
	grep -Eq "^d[rwx-]{9} 1000/1000 .* home/user/\$" <<<"$listing" ||
		die "layer 3 of tiny:3layer: home/user is not owned by 1000:1000"
}

# ---------------------------------------------------------- sample image --
# Small and readable for the README: a busybox base, then one layer that adds
# a file and removes another with a whiteout.
build_sample() {
	local stage="$SCRATCH/sample-stage" layout="$SCRATCH/sample"
	note "sample:sample - two-layer busybox image"
	mkdir -p "$stage/l1" "$stage/l2/etc"
	put_busybox_system "$stage/l1"
	echo strata-sample >"$stage/l1/etc/hostname"
	echo 'Busybox sample image' >"$stage/l1/etc/issue"
	echo 'hello from strata' >"$stage/l2/etc/motd"
	: >"$stage/l2/etc/.wh.issue"
	pack_layer pax "$stage/l1" "$stage/l1.tar"
	pack_layer pax "$stage/l2" "$stage/l2.tar"

	umoci init --layout "$layout"
	new_image "$layout" sample --config.cmd /bin/sh \
		--config.env PATH=/usr/local/bin:/usr/bin:/bin --config.workingdir /
	umoci raw add-layer --image "$layout:sample" --history.created "$CREATED" \
		--history.created_by 'make-images.sh sample L1: busybox rootfs' "$stage/l1.tar"
	umoci raw add-layer --image "$layout:sample" --history.created "$CREATED" \
		--history.created_by 'make-images.sh sample L2: add /etc/motd, delete /etc/issue' \
		"$stage/l2.tar"
	umoci gc --layout "$layout"
	install_layout sample "$layout"
}

# ---------------------------------------------------------- debian image --
build_debian() {
	local cache="$OUT/cache/debootstrap-$SUITE-minbase-$ARCH.tar"
	local layout="$SCRATCH/debian" bundle="$SCRATCH/debian-bundle"
	mkdir -p "$OUT/cache"

	# debootstrap is the slow, network-bound part; its result is reused.
	if [ -s "$cache" ]; then
		note "debian: reusing cached rootfs $cache (delete it to re-run debootstrap)"
	else
		local rootfs="$SCRATCH/debootstrap-rootfs" log="$SCRATCH/debootstrap.log"
		note "debian: debootstrap --variant=minbase $SUITE${MIRROR:+ $MIRROR} (a few minutes)"
		if ! debootstrap --variant=minbase "$SUITE" "$rootfs" ${MIRROR:+"$MIRROR"} >"$log" 2>&1; then
			tail -n 30 "$log" >&2
			die "debootstrap failed (full log was in $log)"
		fi
		# Host-specific or bulky state that container base images leave out.
		rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"
		rm -rf "$rootfs"/var/lib/apt/lists/*
		# Top-level names rather than ".", so entries don't start with "./".
		local top
		mapfile -t top < <(cd "$rootfs" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | sort)
		tar -C "$rootfs" --format=pax --sort=name --numeric-owner \
			--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
			-cf "$cache.part" -- "${top[@]}"
		mv -- "$cache.part" "$cache"
		rm -rf -- "$rootfs"
	fi

	note "debian:minbase"
	umoci init --layout "$layout"
	new_image "$layout" minbase --config.cmd /bin/bash \
		--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	umoci raw add-layer --image "$layout:minbase" --history.created "$CREATED" \
		--history.created_by "debootstrap --variant=minbase $SUITE" "$cache"

	note "debian:minbase-plus - apt-get install zstd in a chroot, then umoci repack"
	umoci unpack --image "$layout:minbase" "$bundle" >/dev/null
	local rootfs="$bundle/rootfs"
	# apt inside the chroot needs name resolution; the file is removed again
	# before repacking so it doesn't end up in the layer.
	cp -- /etc/resolv.conf "$rootfs/etc/resolv.conf"
	chroot "$rootfs" /bin/sh -euc '
		export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
		# No /dev/pts in the chroot, so tell dpkg not to try a pty for its log.
		apt-get update -qq
		apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends zstd >/dev/null
		apt-get clean
		rm -rf /var/lib/apt/lists/* /usr/share/doc/*
	'
	rm -f "$rootfs/etc/resolv.conf"
	umoci repack --image "$layout:minbase-plus" --history.created "$CREATED" \
		--history.created_by 'apt-get install zstd && rm -rf /usr/share/doc/*' "$bundle"
	reset_created "$layout:minbase-plus"
	rm -rf -- "$bundle"

	umoci gc --layout "$layout"
	install_layout debian "$layout"
}

# ------------------------------------------------------------------- main --
build_tiny
verify_tiny
build_sample
[ $WITH_DEBIAN = 0 ] || build_debian

note "done in ${SECONDS}s; layer digests:"
for layout in tiny sample debian; do
	[ -f "$OUT/$layout/index.json" ] || continue
	for tag in $(umoci ls --layout "$OUT/$layout"); do
		n=0
		while IFS= read -r blob; do
			n=$((n + 1))
			printf '  %-22s L%d sha256:%s  %s bytes\n' "$layout:$tag" "$n" \
				"${blob##*/}" "$(stat -c %s "$blob")"
		done < <(layer_blobs "$OUT/$layout" "$tag")
	done
done

#!/usr/bin/env bash
#
# oci-to-lowerdirs.sh - unpack the layers of an image in an OCI image layout into directories
# that kernel overlayfs (and fuse-overlayfs, and strata-overlay) take as lowerdirs, and print
# the lowerdir= value, top layer first, on stdout.
#
# Each layer blob of the manifest is extracted, in manifest order, into OUTDIR/NN (00 is the
# bottom layer), and its OCI whiteouts are turned into the overlayfs on-disk format:
#   DIR/.wh..wh..opq  ->  trusted.overlay.opaque=y on DIR, marker removed
#   DIR/.wh.NAME      ->  marker removed, DIR/NAME made a 0/0 character device
# That is what the mount programs compared by compare-mounts.sh all read, so all of them see
# the same merged tree.  Needs root (owners, device nodes, trusted.* xattrs), GNU tar, attr
# (setfattr), jq or python3 to read the JSON, and gzip or zstd for compressed layers.
set -euo pipefail

PROG=${0##*/}

usage() {
	cat <<EOF
Usage: $PROG LAYOUT TAG OUTDIR

  LAYOUT  an OCI image layout (a directory with index.json and blobs/)
  TAG     the image's tag (org.opencontainers.image.ref.name in index.json)
  OUTDIR  where the layer directories go (created; must not exist or be empty); its path
          must not hold ':' or ',' since it ends up in a mount option

Prints the lowerdir= value (top layer first) on stdout; progress goes to stderr.
EOF
}

die() {
	echo "$PROG: $*" >&2
	exit 1
}

case ${1:-} in -h | --help) usage; exit 0 ;; esac
[ $# -eq 3 ] || { usage >&2; exit 2; }
layout=$(readlink -f "$1")
tag=$2
out=$3
[ -f "$layout/index.json" ] || die "$layout is not an OCI layout (no index.json)"
[ "$(id -u)" -eq 0 ] || die "must run as root (owners, device nodes and trusted.* xattrs)"
command -v setfattr >/dev/null || die "setfattr is missing (Debian: apt-get install attr)"
mkdir -p "$out"
out=$(readlink -f "$out")
[[ $out != *[:,]* ]] || die "OUTDIR '$out' holds ':' or ',', which a lowerdir= option cannot carry"
[ -z "$(ls -A "$out")" ] || die "$out is not empty"

# The JSON here is small and regular, but parsing it with sed would break on the first
# reformatted file; jq is the light dependency, python3 the fallback most machines have.
# manifest_digest prints the digest of the manifest tagged TAG; layers_of MANIFEST prints
# "MEDIATYPE DIGEST" for each of its layers, bottom first.
manifest_digest() {
	if command -v jq >/dev/null; then
		jq -r --arg t "$tag" '[.manifests[] |
			select(.annotations["org.opencontainers.image.ref.name"] == $t)][0].digest // empty' \
			"$layout/index.json"
	elif command -v python3 >/dev/null; then
		python3 - "$layout/index.json" "$tag" <<'EOF'
import json, sys
for m in json.load(open(sys.argv[1])).get("manifests", []):
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == sys.argv[2]:
        print(m["digest"]); break
EOF
	else
		die "neither jq nor python3 is installed (Debian: apt-get install jq)"
	fi
}
layers_of() {
	if command -v jq >/dev/null; then
		jq -r '.layers[] | "\(.mediaType) \(.digest)"' "$1"
	else
		python3 - "$1" <<'EOF'
import json, sys
for l in json.load(open(sys.argv[1]))["layers"]:
    print(l["mediaType"], l["digest"])
EOF
	fi
}
blob() { echo "$layout/blobs/${1%%:*}/${1#*:}"; }

digest=$(manifest_digest)
[ -n "$digest" ] || die "no image tagged '$tag' in $layout/index.json"
manifest=$(blob "$digest")
[ -f "$manifest" ] || die "manifest blob $digest is missing"
# An image index (multi-platform) has no layers of its own; say so rather than unpack nothing.
grep -q '"layers"' "$manifest" || die "$tag points to $digest, which is not an image manifest"

n=0
lowers=()
while read -r media layer; do
	dir=$(printf '%s/%02d' "$out" "$n")
	mkdir "$dir"
	case $media in
	*zstd*) decompress=(zstd -dc) ;;
	*gzip*) decompress=(gzip -dc) ;;
	*tar) decompress=(cat) ;;
	*) die "layer $layer: media type $media is not a tar" ;;
	esac
	echo "$PROG: layer $n ${layer:0:19} ($media) -> $dir" >&2
	# --numeric-owner: the ids in the tar, not the host's names for them; --xattrs with
	# every namespace so file capabilities and the like come through as in the image.
	if ! "${decompress[@]}" "$(blob "$layer")" |
		tar -x -C "$dir" --numeric-owner --same-owner --same-permissions \
			--xattrs --xattrs-include='*' -f - 2>"$out/tar.err"; then
		# umoci repack writes whiteouts for the old children of a directory that became a
		# file in the same layer (DIR/.wh.NAME after the file DIR); tar cannot make them and
		# they mean nothing, since the file already hides the whole lower directory.  Any
		# other error is real.
		if grep -v -e '/\.wh\.[^/]*: Cannot open: Not a directory$' \
			-e '^tar: Exiting with failure status due to previous errors$' "$out/tar.err" >&2; then
			die "layer $layer: extraction failed"
		fi
	fi
	rm -f "$out/tar.err"
	# Opaque markers first, so that the loop below sees only the per-name whiteouts.
	# -print0 and read -d '': names in images may hold any byte but NUL and '/'.
	find "$dir" -name '.wh..wh..opq' -print0 | while IFS= read -r -d '' m; do
		setfattr -n trusted.overlay.opaque -v y "${m%/*}"
		rm -f "$m"
	done
	find "$dir" -name '.wh.*' -print0 | while IFS= read -r -d '' m; do
		target="${m%/*}/${m##*/.wh.}"
		rm -f "$m"
		# A whiteout hides only what lower layers hold (image-spec, "Whiteouts"); if this
		# layer has the name too, that entry already hides them, and stays.
		[ -e "$target" ] || [ -L "$target" ] || mknod "$target" c 0 0
	done
	lowers=("$dir" "${lowers[@]}")
	n=$((n + 1))
done < <(layers_of "$manifest")
[ "$n" -gt 0 ] || die "$tag has no layers"

(IFS=:; echo "${lowers[*]}")

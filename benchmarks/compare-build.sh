#!/usr/bin/env bash
#
# compare-build.sh - strata build beside buildah bud, in one run, interleaved (one of each per
# round), on the same Containerfile and context.  Prints every run, then the medians and the
# ratio strata/buildah as a Markdown table for the README.
#
# The Containerfile, on the Debian minbase image: COPY of local .deb packages and a RUN that
# installs them with dpkg, COPY of a tree of 5,000 source files, a RUN that deletes
# /usr/share/doc.  Cases:
#
#   cold     every step run (--no-cache for both): the base image is in each tool's storage
#   cached   the same build again: every step from the cache
#   changed  one source file changed: the steps from its COPY on run again
#
# buildah runs as `buildah bud --layers --isolation oci --network none` with storage of its own
# on its overlay driver (kernel overlayfs); strata with a store of its own.  Needs root, buildah,
# runc, dpkg-deb and this checkout's bin/strata (built on first use).
set -euo pipefail

PROG=${0##*/}
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
# shellcheck source=benchmarks/common.sh
. "$repo/benchmarks/common.sh"

usage() {
	cat <<EOF
Usage: $PROG [-n ROUNDS] [-p PACKAGES] [-f FILES] [-C CASES] [-w WORKDIR] [LAYOUT [TAG]]

  LAYOUT      an OCI image layout (default: $repo/.cache/test-images/debian)
  TAG         its tag (default: minbase)
  -n ROUNDS   runs of each case and tool (default: 3)
  -p PACKAGES local .deb packages installed by the RUN step (default: 20, 40 files each)
  -f FILES    files of the copied source tree (default: 5000)
  -C CASES    comma-separated, from: cold cached changed (default: all)
  -w WORKDIR  where storage and the context go, a lowercase path without dotted components
              (default: a new directory under /var/tmp, removed at the end)
EOF
}

rounds=3
packages=20
files=5000
cases_arg=cold,cached,changed
work=
while getopts "n:p:f:C:w:h" opt; do
	case $opt in
	n) rounds=$OPTARG ;;
	p) packages=$OPTARG ;;
	f) files=$OPTARG ;;
	C) cases_arg=$OPTARG ;;
	w) work=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
layout=${1:-$repo/.cache/test-images/debian}
tag=${2:-minbase}
IFS=, read -r -a cases <<<"$cases_arg"
for c in "${cases[@]}"; do
	case $c in cold | cached | changed) ;; *) die "unknown case '$c'" ;; esac
done

[ "$(id -u)" = 0 ] || die "needs root (buildah's overlay storage, strata's RUN sandbox)"
[ -f "$layout/index.json" ] || die "$layout is not an OCI image layout (scripts/make-images.sh --debootstrap makes the default)"
command -v buildah >/dev/null || die "buildah is not installed (scripts/setup.sh installs it)"
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing"
if [ ! -f "$repo/image-tool/target/strata.jar" ]; then
	(cd "$repo" && mvn -q -B -DskipTests package -pl image-tool -am) >&2
fi

if [ -z "$work" ]; then
	work=/var/tmp/compare-build.$$.$RANDOM
	mkdir "$work"
	trap 'cleanup; rm -rf "$work"' EXIT
else
	mkdir -p "$work"
	trap cleanup EXIT
fi
case $work in *[A-Z]* | */.*) die "-w $work: buildah names an image pulled from oci:DIR after DIR: lowercase, no dotted components" ;; esac
log=$work/log
buildah_cmd=(buildah --root "$work/buildah/root" --runroot "$work/buildah/run" --storage-driver overlay)
strata_cmd=("$repo/bin/strata" --store "$work/store")
cleanup() {
	"${buildah_cmd[@]}" rm --all >/dev/null 2>&1 || true
	umount -R "$work/buildah/root/overlay" 2>/dev/null || true
}

# The context: packages, a source tree, the Containerfile.
ctx=$work/context
mkdir -p "$ctx/src"
bench_debs "$ctx/debs" "$work" "$packages"
python3 - "$ctx/src" "$files" <<'EOF'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    d = os.path.join(root, "pkg%02d" % (i % 50), "mod%03d" % (i % 500 // 50))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "file%05d.java" % i), "w") as f:
        f.write("class F%d { int v = %d; }\n" % (i, i) * (1 + i % 7))
EOF
cat >"$ctx/Containerfile" <<'EOF'
FROM localhost/debian
COPY debs/ /tmp/debs/
RUN dpkg -i /tmp/debs/*.deb >/dev/null && rm -rf /tmp/debs
COPY src/ /app/src/
RUN rm -rf /usr/share/doc
EOF

# The base in each tool's storage, named alike.  buildah names an image pulled from oci:DIR
# after DIR: a copy of the layout under the work directory.
cp -a "$layout" "$work/base"
id=$("${buildah_cmd[@]}" pull -q "oci:$work/base:$tag")
"${buildah_cmd[@]}" tag "$id" localhost/debian
"${strata_cmd[@]}" pull -q "oci:$work/base:$tag" localhost/debian >/dev/null

echo "work dir:    $work"
echo "context:     $packages packages, $files source files"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

changes=0
build() {
	local tool=$1 c=$2 nocache=
	[ "$c" = cold ] && nocache=--no-cache
	if [ "$tool" = strata ]; then
		timed "${strata_cmd[@]}" build -t bench --network none $nocache "$ctx"
	else
		timed "${buildah_cmd[@]}" bud --layers --isolation oci --network none $nocache -q -t bench "$ctx"
	fi
}

declare -A times
for c in "${cases[@]}"; do
	# Round 0 warms up (and fills both caches) and is not counted.
	for tool in strata buildah; do build "$tool" cold >/dev/null; done
	for r in $(seq 1 "$rounds"); do
		if [ "$c" = changed ]; then
			changes=$((changes + 1))
			echo "// change $changes" >>"$ctx/src/pkg00/mod000/file00000.java"
		fi
		for tool in strata buildah; do
			t=$(build "$tool" "$c")
			printf '%-8s %-8s round %-3s %s s\n' "$tool" "$c" "$r" "$t"
			times[$tool/$c]+="$t"$'\n'
		done
	done
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "| case (median of $rounds, s) | strata build | buildah bud --layers | ratio |"
echo "|---|---:|---:|---:|"
for c in "${cases[@]}"; do
	s=$(printf '%s' "${times[strata/$c]}" | median)
	b=$(printf '%s' "${times[buildah/$c]}" | median)
	awk -v c="$c" -v s="$s" -v b="$b" 'BEGIN {
		name = c == "cold" ? "cold (--no-cache)" : c == "cached" ? "every step cached" : "one source file changed"
		printf "| %s | %.2f | %.2f | %.2fx |\n", name, s, b, (b > 0 ? s / b : 0) }'
done

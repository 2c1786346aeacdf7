#!/usr/bin/env bash
#
# compare-registry-pull.sh - time `strata pull` of one image from a local OCI layout against
# the same image from a real registry on loopback (Debian's docker-registry, started with the
# project's ../shared/registry/start-registry.sh), interleaved, and the registry pull of a
# two-layer image with 1 and with 3 downloads at once.  Prints every run and the medians.
#
# Loopback has no latency: what this shows is the cost of the HTTP path and of staging the
# download, not what parallel downloads win over a real network.
#
# Usage: compare-registry-pull.sh [-n ROUNDS] [LAYOUT]   (LAYOUT: made by
#   scripts/make-images.sh --debootstrap, with tags minbase and minbase-plus)
set -euo pipefail
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
rounds=5
[ "${1:-}" = -n ] && { rounds=$2; shift 2; }
layout=${1:-${STRATA_BENCH_IMAGES:-/tmp/strata-bench-images}/debian}
jar="$repo/image-tool/target/strata.jar"
[ -f "$jar" ] || (cd "$repo" && mvn -q -B -DskipTests package -pl image-tool -am)
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$repo/../shared/registry/start-registry.sh" plain "$port" "$work/registry" >/dev/null
trap 'kill "$(cat "$work/registry/registry.pid")" 2>/dev/null; rm -rf "$work"' EXIT
for tag in minbase minbase-plus; do
  skopeo copy -q --dest-tls-verify=false "oci:$layout:$tag" "docker://127.0.0.1:$port/debian:$tag"
done

timed() {  # NAME JVM-ARGS... -- STRATA-ARGS...
  local name=$1; shift
  rm -rf "$work/store"; sync
  local t0 t1; t0=$(date +%s%N)
  java -XX:+UseSerialGC "$@" >/dev/null
  t1=$(date +%s%N)
  echo "$name $(( (t1 - t0) / 1000000 ))" | tee -a "$work/times"
}
for _ in $(seq "$rounds"); do
  timed layout -jar "$jar" --store "$work/store" pull -q "oci:$layout:minbase" x
  timed registry -jar "$jar" --store "$work/store" pull -q --tls-verify=false "127.0.0.1:$port/debian:minbase" x
  timed plus-1-download -Dstrata.registry.downloads=1 -jar "$jar" --store "$work/store" pull -q --tls-verify=false \
    "127.0.0.1:$port/debian:minbase-plus" x
  timed plus-3-downloads -Dstrata.registry.downloads=3 -jar "$jar" --store "$work/store" pull -q --tls-verify=false \
    "127.0.0.1:$port/debian:minbase-plus" x
done
echo "medians (ms):"
for name in layout registry plus-1-download plus-3-downloads; do
  printf '  %-18s %s\n' "$name" "$(awk -v n="$name" '$1 == n {print $2}' "$work/times" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
done

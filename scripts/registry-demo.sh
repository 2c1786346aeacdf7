#!/usr/bin/env bash
# registry-demo.sh - pull, push and inspect through a local registry in each mode of
# scripts/start-registry.sh (plain http; basic auth; TLS with a certificate of a CA of its own,
# and basic auth): push the sample image, pull it back into a second store, read its layers
# from the registry without pulling, and let skopeo check the digests.
# Run scripts/setup.sh first (it installs docker-registry, apache2-utils, openssl, skopeo).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/strata-registry-demo}
strata="$here/bin/strata"
start="$here/scripts/start-registry.sh"

rm -rf "$work"
mkdir -p "$work"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
echo "==> building the sample images into $work/images" >&2
"$here/scripts/make-images.sh" "$work/images" 2>/dev/null
(cd "$here" && [ -f image-tool/target/strata.jar ] || mvn -q -B -DskipTests install)
"$strata" --store "$work/a" pull -q "oci:$work/images/tiny:3layer" tiny >/dev/null

port=5170
for mode in plain auth tls; do
  port=$((port + 1))
  state="$work/registry-$mode"
  pids+=("$("$start" "$mode" "$port" "$state")")
  case $mode in
    plain) flags=(--tls-verify=false); skopeo_flags=(--tls-verify=false) ;;
    auth) flags=(--tls-verify=false --creds testuser:testpass); skopeo_flags=(--tls-verify=false --creds testuser:testpass) ;;
    tls)
      # The client's trust: the registry's CA certificate alone (its key stays with the server).
      mkdir -p "$work/certs"
      cp "$state/certs/ca.crt" "$work/certs/ca.crt"
      flags=(--cert-dir "$work/certs" --creds testuser:testpass)
      skopeo_flags=(--cert-dir "$work/certs" --creds testuser:testpass) ;;
  esac
  ref="docker://127.0.0.1:$port/demo/tiny:v1"
  echo "==> $mode registry on 127.0.0.1:$port" >&2
  set -x
  "$strata" --store "$work/a" push "${flags[@]}" tiny "$ref"
  "$strata" --store "$work/b-$mode" pull "${flags[@]}" "$ref" tiny
  "$strata" --store "$work/empty" layers "${flags[@]}" "$ref"
  { set +x; } 2>/dev/null
  pushed=$("$strata" --store "$work/a" images --json | jq -r '.[] | select(.name == "tiny") | .digest')
  seen=$(skopeo inspect "${skopeo_flags[@]}" --format '{{.Digest}}' "$ref")
  pulled=$("$strata" --store "$work/b-$mode" images --json | jq -r '.[] | select(.name == "tiny") | .digest')
  echo "manifest: pushed $pushed, skopeo sees $seen, pulled back $pulled"
  [ "$pushed" = "$seen" ] && [ "$seen" = "$pulled" ] || { echo "digests differ" >&2; exit 1; }
done
echo "==> all three modes: the same manifest digest everywhere" >&2

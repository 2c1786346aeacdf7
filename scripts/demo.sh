#!/usr/bin/env bash
# demo.sh - the main job, end to end: build a sample image, pull it into a fresh store, show
# its layers, pull it again (nothing is copied), check the store, and hand the store to umoci.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/strata-demo}
strata="$here/bin/strata"

mkdir -p "$work"
echo "==> building the sample images into $work/images" >&2
"$here/scripts/make-images.sh" "$work/images" 2>/dev/null
echo "==> building strata" >&2
(cd "$here" && mvn -q -B -DskipTests install)
rm -rf "$work/store"
export STRATA_STORE="$work/store"
set -x
"$strata" pull "oci:$work/images/sample:sample" sample
"$strata" pull "oci:$work/images/tiny:3layer" tiny
"$strata" pull "oci:$work/images/tiny:3layer" tiny
"$strata" images
"$strata" inspect tiny
"$strata" fsck
umoci ls --layout "$work/store"

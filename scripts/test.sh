#!/usr/bin/env bash
# test.sh - run every test of Strata, as CI does: install what the tests need, build the test
# images (the Debian one with debootstrap, cached between runs), then the Maven test suite.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

"$here/scripts/setup.sh"

images=${STRATA_TEST_IMAGES:-$here/.cache/test-images}
echo "==> test images in $images" >&2
if [ "$(id -u)" = 0 ]; then
  "$here/scripts/make-images.sh" --debootstrap "$images" 2>"$here/.cache-make-images.log" \
    || { tail -30 "$here/.cache-make-images.log" >&2; exit 1; }
else
  "$here/scripts/make-images.sh" "$images" 2>"$here/.cache-make-images.log" \
    || { tail -30 "$here/.cache-make-images.log" >&2; exit 1; }
fi
rm -f "$here/.cache-make-images.log"
export STRATA_TEST_IMAGES="$images"

# The project's shared fixtures, when they sit beside the checkout (as in CI), are pulled too:
# images built by another hand are the better check of the ingest.
shared="$here/../shared/fixtures/make-test-images.sh"
if [ -x "$shared" ]; then
  "$shared" "$images/shared" >/dev/null 2>&1 && export STRATA_SHARED_IMAGES="$images/shared"
fi

mvn -B -ntp verify "$@"

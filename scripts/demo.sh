#!/usr/bin/env bash
# demo.sh - the main job, end to end: build a sample busybox image, pull it into a fresh store,
# run a shell in a container of it (runc on a strata FUSE mount), commit what the shell
# changed as a new image, show what its new layer holds, mount that image and look at it, and hand
# the store to umoci.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/strata-demo}
strata="$here/bin/strata"

mkdir -p "$work"
echo "==> building the sample images into $work/images" >&2
"$here/scripts/make-images.sh" "$work/images" 2>/dev/null
echo "==> building strata" >&2
(cd "$here" && mvn -q -B -DskipTests install)
if [ -d "$work/mnt" ] && grep -qs " $work/mnt " /proc/self/mountinfo; then
  "$strata" --store "$work/store" umount "$work/mnt" || true
fi
rm -rf "$work/store"
mkdir -p "$work/mnt"
export STRATA_STORE="$work/store"
set -x
"$strata" pull "oci:$work/images/tiny:3layer" tiny
"$strata" images
# A container: the image's layers read in place from the store, the shell's writes in its upper.
"$strata" run --name demo tiny -- /bin/sh -c 'echo "hello from $(uname -n)" > /root/greeting; rm /etc/motd; mv /home/user /home/person; ls /home'
"$strata" commit demo tiny-greeted
"$strata" layers tiny-greeted
"$strata" diff tiny tiny-greeted
"$strata" mount --read-only tiny-greeted "$work/mnt"
cat "$work/mnt/root/greeting"
ls "$work/mnt/home"
"$strata" umount "$work/mnt"
"$strata" fsck
umoci ls --layout "$work/store"

#!/usr/bin/env bash
# setup.sh - install what Strata needs to build, test and demo on Debian 12, as root.
# Idempotent: installs only what is missing, and runs apt-get update at most once.
set -euo pipefail

# Build: a JDK 17 and Maven. Tests and fixtures: umoci and skopeo (the peers used as oracles),
# busybox-static and debootstrap (to build sample images), tar/gzip/zstd, the FUSE pieces, and a
# real registry (docker-registry, with htpasswd and openssl for its auth and TLS modes). strata run:
# runc, and uidmap's newuidmap for rootless ranges; its tests read podman's defaults from
# containers-common and decode capabilities with libcap2-bin's capsh. time (/usr/bin/time) for the
# peak RSS in benchmarks/compare-memory.sh. podman and buildah: the engines whose mount_program
# strata-overlay is, run by the tests rootful and rootless.
PACKAGES=(openjdk-17-jdk-headless maven umoci skopeo busybox-static debootstrap tar gzip zstd
  coreutils findutils curl ca-certificates attr xfsprogs libfuse2 fuse3 fuse-overlayfs runc uidmap
  util-linux bsdutils diffutils mount jq docker-registry apache2-utils openssl python3 e2fsprogs
  btrfs-progs golang-github-containers-common libcap2-bin time podman buildah)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup.sh: missing packages: ${missing[*]} (run as root, or apt-get install them)" >&2
    exit 1
  fi
  echo "==> apt-get install ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

#!/usr/bin/env bash
# start-registry.sh - a real OCI registry (Debian's docker-registry) on 127.0.0.1, in the
# background, for the tests, the registry demo and the registry benchmarks.
#
#   scripts/start-registry.sh MODE PORT DIR
#
# MODE is one of
#   plain   http, anyone may pull and push
#   auth    http with basic auth: user testuser, password testpass
#   tls     https with basic auth (as auth); a certificate for 127.0.0.1 and localhost,
#           signed by a CA made for DIR: trust DIR/certs/ca.crt (e.g. --cert-dir DIR/certs)
# DIR holds everything the registry has (config.yml, storage/, htpasswd, certs/, tls/ with the
# keys, registry.log); it is created if missing and kept between starts, so a registry started
# again on the same DIR serves what it served before. Prints the registry's pid (also in
# DIR/registry.pid) once it answers; stop it with: kill "$(cat DIR/registry.pid)".
# Packages (scripts/setup.sh installs them): docker-registry, apache2-utils, openssl, curl.
set -euo pipefail

if [ $# -ne 3 ]; then
  sed -n '4,16p' "$0" | cut -c3- >&2
  exit 2
fi
mode=$1 port=$2
mkdir -p "$3/storage"
dir=$(cd "$3" && pwd)
registry=$(command -v docker-registry) || { echo "start-registry.sh: docker-registry is not installed" >&2; exit 1; }

users() {
  htpasswd -Bbn testuser testpass > "$dir/htpasswd"
  printf 'auth:\n  htpasswd:\n    realm: strata-test\n    path: %s\n' "$dir/htpasswd"
}

# A CA of this directory's own and a server certificate it signs, so that clients are tested
# the way they meet real registries: trusting a CA, not a self-signed leaf. certs/ holds the
# CA's certificate alone, so that it serves as a client's --cert-dir as it is (skopeo and
# podman take a .key there for a client key and want its .cert); the keys stay in tls/.
certificates() {
  local t=$dir/tls
  mkdir -p "$t" "$dir/certs"
  if [ ! -s "$t/server.crt" ]; then
    openssl req -x509 -new -nodes -newkey rsa:2048 -days 3650 -subj "/CN=strata test CA" \
      -keyout "$t/ca.key" -out "$t/ca.crt" 2>/dev/null
    openssl req -new -nodes -newkey rsa:2048 -subj "/CN=127.0.0.1" \
      -keyout "$t/server.key" -out "$t/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$t/server.ext"
    openssl x509 -req -in "$t/server.csr" -CA "$t/ca.crt" -CAkey "$t/ca.key" -CAcreateserial -days 3650 \
      -extfile "$t/server.ext" -out "$t/server.crt" 2>/dev/null
    cp "$t/ca.crt" "$dir/certs/ca.crt"
  fi
  printf '  tls:\n    certificate: %s\n    key: %s\n' "$t/server.crt" "$t/server.key"
}

case "$mode" in
  plain|auth|tls) ;;
  *) echo "start-registry.sh: MODE is plain, auth or tls, not '$mode'" >&2; exit 2 ;;
esac
[[ $port =~ ^[0-9]+$ ]] || { echo "start-registry.sh: PORT must be a number, not '$port'" >&2; exit 2; }

{
  printf 'version: 0.1\nlog:\n  level: warn\n'
  printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$dir/storage"
  printf 'http:\n  addr: 127.0.0.1:%s\n  secret: strata-test\n' "$port"
  [ "$mode" = tls ] && certificates
  [ "$mode" != plain ] && users
  true
} > "$dir/config.yml"

setsid "$registry" serve "$dir/config.yml" < /dev/null > "$dir/registry.log" 2>&1 &
pid=$!
echo "$pid" > "$dir/registry.pid"

url=http://127.0.0.1:$port/v2/
tls=()
if [ "$mode" = tls ]; then
  url=https://127.0.0.1:$port/v2/
  tls=(--cacert "$dir/certs/ca.crt")
fi
for _ in $(seq 100); do
  # 200 without auth, 401 with: either way the registry answers.
  case "$(curl -s -o /dev/null -w '%{http_code}' "${tls[@]}" "$url" || true)" in
    200|401) echo "$pid"; exit 0 ;;
  esac
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
echo "start-registry.sh: the registry did not answer on port $port; its log:" >&2
cat "$dir/registry.log" >&2
kill "$pid" 2>/dev/null || true
exit 1

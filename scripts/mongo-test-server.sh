#!/usr/bin/env bash
# MongoDB wire-protocol test server: FerretDB v1 (SQLite handler) embedded in
# tools/ferretdb. The binary is built once per source hash into a cache dir.
#
# Usage:
#   scripts/mongo-test-server.sh build
#       Build if needed; print the absolute binary path (only that) on stdout.
#   scripts/mongo-test-server.sh run [-dir DIR] [-port N] [-log-level L] [-watch-parent]
#       Build if needed, then exec the server with these flags. It prints
#       "READY mongodb://127.0.0.1:<port>/" on stdout once it accepts
#       connections and runs until SIGTERM/SIGINT.
#       -dir omitted: data goes to a temporary dir removed on exit.
#       -port 0 (default): a free port is picked.
#   scripts/mongo-test-server.sh hash
#       Print the source hash used in the cache path.
#
# Environment:
#   MERCADO_CACHE   cache root (default: $HOME/.cache/mercado)
#   MONGODB_URI     not read here; test runners use it instead of this server
#
# Build logs go to stderr. Requires Go only when the binary is not cached yet.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/tools/ferretdb"
CACHE_ROOT="${MERCADO_CACHE:-${HOME:-/tmp}/.cache/mercado}"

die() {
  echo "mongo-test-server: $*" >&2
  exit 1
}

src_hash() {
  local f
  for f in go.mod go.sum main.go; do
    [[ -f "$SRC/$f" ]] || die "missing $SRC/$f"
  done
  (cd "$SRC" && cat go.mod go.sum main.go) | sha256sum | cut -c1-16
}

build() {
  local hash bin tmp start
  hash="$(src_hash)"
  bin="$CACHE_ROOT/ferretdb-$hash"

  if [[ -x "$bin" ]]; then
    echo "$bin"
    return 0
  fi

  command -v go >/dev/null 2>&1 ||
    die "'go' not found on PATH; cannot build the FerretDB test server. Install Go, or set MONGODB_URI to a MongoDB server."

  mkdir -p "$CACHE_ROOT"
  # build to a unique temp file, then rename: safe with concurrent builds
  tmp="$(mktemp "$CACHE_ROOT/.ferretdb-$hash.XXXXXX")"
  start=$SECONDS
  echo "mongo-test-server: building FerretDB test server (first time only; can take a few minutes)..." >&2
  if ! (cd "$SRC" && CGO_ENABLED=0 GOFLAGS=-mod=readonly \
        go build -trimpath -tags ferretdb_no_postgresql -ldflags='-s -w' -o "$tmp" .) >&2; then
    rm -f "$tmp"
    die "go build failed in $SRC"
  fi
  chmod 755 "$tmp"
  mv -f "$tmp" "$bin"
  echo "mongo-test-server: built $bin in $((SECONDS - start))s" >&2
  echo "$bin"
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift

case "$cmd" in
  build)
    build
    ;;
  run)
    bin="$(build)"
    exec "$bin" "$@"
    ;;
  hash)
    src_hash
    ;;
  -h | --help | help)
    sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    ;;
  *)
    echo "usage: $0 {build|run [flags]|hash|help}" >&2
    exit 2
    ;;
esac

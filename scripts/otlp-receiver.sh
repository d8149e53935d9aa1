#!/usr/bin/env bash
# Trace receiver for the observability gate (tools/otlp-receiver): the OpenTelemetry
# Collector's OTLP receiver with a Jaeger-shaped query API. Built once per source hash into a
# cache dir, as the FerretDB test server is.
#
# Usage:
#   scripts/otlp-receiver.sh build
#       Build if needed; print the absolute binary path (only that) on stdout.
#   scripts/otlp-receiver.sh run [receiver flags]
#       Build if needed, then exec the receiver with these flags (see scripts/gates/observability.ts).
#   scripts/otlp-receiver.sh hash
#       Print the source hash used in the cache path.
#
# Environment:
#   MERCADO_CACHE   cache root (default: $HOME/.cache/mercado)
#
# Build logs go to stderr. Requires Go only when the binary is not cached yet.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/tools/otlp-receiver"
CACHE_ROOT="${MERCADO_CACHE:-${HOME:-/tmp}/.cache/mercado}"

die() {
  echo "otlp-receiver: $*" >&2
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
  bin="$CACHE_ROOT/otlp-receiver-$hash"

  if [[ -x "$bin" ]]; then
    echo "$bin"
    return 0
  fi

  command -v go >/dev/null 2>&1 ||
    die "'go' not found on PATH; cannot build the OTLP receiver. Install Go."

  mkdir -p "$CACHE_ROOT"
  # build to a unique temp file, then rename: safe with concurrent builds
  tmp="$(mktemp "$CACHE_ROOT/.otlp-receiver-$hash.XXXXXX")"
  start=$SECONDS
  echo "otlp-receiver: building the OTLP receiver (first time only; can take a few minutes)..." >&2
  if ! (cd "$SRC" && CGO_ENABLED=0 GOFLAGS=-mod=readonly \
        go build -trimpath -ldflags='-s -w' -o "$tmp" .) >&2; then
    rm -f "$tmp"
    die "go build failed in $SRC"
  fi
  chmod 755 "$tmp"
  mv -f "$tmp" "$bin"
  echo "otlp-receiver: built $bin in $((SECONDS - start))s" >&2
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
    sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    ;;
  *)
    echo "usage: $0 {build|run [flags]|hash|help}" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# The Go-built test servers under tools/ (FerretDB, Mailpit, the OTLP receiver), each built once
# per source hash (go.mod, go.sum, main.go) into a cache dir and reused from there.
#
# Usage:
#   scripts/go-tool.sh TOOL build     Build if needed; print the absolute binary path (only that).
#   scripts/go-tool.sh TOOL run ARGS  Build if needed, then exec the binary with ARGS.
#   scripts/go-tool.sh TOOL hash      Print the source hash used in the cache path.
# TOOL is a folder of tools/: ferretdb, mailpit or otlp-receiver.
#
# Environment:
#   MERCADO_CACHE   cache root (default: $HOME/.cache/mercado)
#
# Build logs go to stderr. Requires Go only when the binary is not cached yet.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_ROOT="${MERCADO_CACHE:-${HOME:-/tmp}/.cache/mercado}"
TOOL="${1:-}"
SRC="$ROOT/tools/$TOOL"

die() {
  echo "$TOOL: $*" >&2
  exit 1
}

[[ -n "$TOOL" && -d "$SRC" ]] || {
  echo "usage: $0 {ferretdb|mailpit|otlp-receiver} {build|run [args]|hash}" >&2
  exit 2
}
shift

# FerretDB leaves its PostgreSQL handler out: the tests use its SQLite one.
TAGS=""
[[ "$TOOL" == ferretdb ]] && TAGS="ferretdb_no_postgresql"

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
  bin="$CACHE_ROOT/$TOOL-$hash"
  if [[ -x "$bin" ]]; then
    echo "$bin"
    return 0
  fi
  command -v go >/dev/null 2>&1 || die "'go' not found on PATH; cannot build tools/$TOOL. Install Go."
  mkdir -p "$CACHE_ROOT"
  # Build to a unique temp file, then rename: safe with concurrent builds.
  tmp="$(mktemp "$CACHE_ROOT/.$TOOL-$hash.XXXXXX")"
  start=$SECONDS
  echo "$TOOL: building tools/$TOOL (first time only; can take a few minutes)..." >&2
  if ! (cd "$SRC" && CGO_ENABLED=0 GOFLAGS=-mod=readonly \
        go build -trimpath ${TAGS:+-tags "$TAGS"} -ldflags='-s -w' -o "$tmp" .) >&2; then
    rm -f "$tmp"
    die "go build failed in $SRC"
  fi
  chmod 755 "$tmp"
  mv -f "$tmp" "$bin"
  echo "$TOOL: built $bin in $((SECONDS - start))s" >&2
  echo "$bin"
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  build) build ;;
  run)
    bin="$(build)"
    exec "$bin" "$@"
    ;;
  hash) src_hash ;;
  *)
    echo "usage: $0 $TOOL {build|run [args]|hash}" >&2
    exit 2
    ;;
esac

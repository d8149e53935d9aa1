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
# Built once per source hash and cached by scripts/go-tool.sh (which says more).
exec "$(dirname "${BASH_SOURCE[0]}")/go-tool.sh" ferretdb "$@"

#!/usr/bin/env bash
# SMTP test server: Mailpit (tools/mailpit), which accepts mail over SMTP and
# shows it through an HTTP API. The binary is built once per source hash into a
# cache dir, as the FerretDB test server is.
#
# Usage:
#   scripts/mailpit-server.sh build
#       Build if needed; print the absolute binary path (only that) on stdout.
#   scripts/mailpit-server.sh run [mailpit flags]
#       Build if needed, then exec Mailpit with these flags (see scripts/mail-server.ts).
#   scripts/mailpit-server.sh hash
#       Print the source hash used in the cache path.
#
# Environment:
#   MERCADO_CACHE   cache root (default: $HOME/.cache/mercado)
#
# Built once per source hash and cached by scripts/go-tool.sh (which says more).
exec "$(dirname "${BASH_SOURCE[0]}")/go-tool.sh" mailpit "$@"

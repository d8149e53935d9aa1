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
# Built once per source hash and cached by scripts/go-tool.sh (which says more).
exec "$(dirname "${BASH_SOURCE[0]}")/go-tool.sh" otlp-receiver "$@"

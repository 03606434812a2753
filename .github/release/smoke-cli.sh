#!/usr/bin/env bash
# The release workflow's test of a CLI archive: unpacks it into a scratch directory and runs the
# binary there: --version must name the release version, `serve --port 0` must print a connection
# string that `health` then reaches.
#   .github/release/smoke-cli.sh ARCHIVE.tar.gz VERSION
set -euo pipefail
archive=$1 version=$2
scratch=$(mktemp -d)
trap 'kill "$serve_pid" 2>/dev/null || true; rm -rf "$scratch"' EXIT
serve_pid=
sha() { if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }
(cd "$(dirname "$archive")" && sha -c "$(basename "$archive").sha256")
tar -xzf "$archive" -C "$scratch"
binary=$(find "$scratch" -type f \( -name signalr-rest -o -name signalr-rest.exe \) | head -1)
[[ -n $binary ]] || { echo "smoke-cli: no signalr-rest binary in $archive" >&2; exit 1; }
reported=$("$binary" --version)
[[ $reported == "signalr-rest $version" ]] || { echo "smoke-cli: --version says '$reported'" >&2; exit 1; }
"$binary" serve --port 0 >"$scratch/serve.out" &
serve_pid=$!
for _ in $(seq 50); do [[ -s $scratch/serve.out ]] && break; sleep 0.2; done
connection_string=$(head -1 "$scratch/serve.out")
[[ $connection_string == Endpoint=* ]] || { echo "smoke-cli: serve printed '$connection_string'" >&2; exit 1; }
"$binary" --connection-string "$connection_string" health
echo "cli ok: $(basename "$archive") ($reported)"

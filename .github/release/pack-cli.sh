#!/usr/bin/env bash
# The release workflow's CLI archive on macOS and Windows, in the form scripts/package-cli makes on
# Linux: signalr-rest-<version>-<rust target>.tar.gz holding signalr-rest-<version>-<rust target>/
# with the binary, README.md and LICENSE, and beside it the archive's .sha256 (sha256sum's format).
#   .github/release/pack-cli.sh BINARY VERSION RUST_TARGET OUT_DIR
set -euo pipefail
binary=$1 version=$2 target=$3 out=$4
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
name=signalr-rest-$version-$target
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name" "$out"
cp "$binary" "$root/README.md" "$root/LICENSE" "$stage/$name/"
tar -czf "$out/$name.tar.gz" -C "$stage" "$name"
sha() { if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }
(cd "$out" && sha "$name.tar.gz" >"$name.tar.gz.sha256")
echo "$out/$name.tar.gz $(du -k "$out/$name.tar.gz" | cut -f1) KiB"

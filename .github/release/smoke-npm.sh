#!/bin/sh
# The release workflow's test of one npm platform package on its platform (POSIX sh: it runs in
# node:22-alpine too): a fresh project installs the main package from its tarball, with the
# platform package's name pointed at its tarball by overrides (it is not on the registry yet),
# then .github/release/smoke.mjs checks where the addon came from and talks to the simulator.
#   sh .github/release/smoke-npm.sh CHECKOUT PLATFORM   (tarballs in CHECKOUT/dist/npm)
set -eu
checkout=$1 platform=$2
npm=$checkout/dist/npm
app=$(mktemp -d)
trap 'rm -rf "$app"' EXIT
cat >"$app/package.json" <<JSON
{
  "name": "signalr-rest-release-smoke",
  "private": true,
  "dependencies": { "signalr-rest": "file:$npm/signalr-rest.tgz" },
  "overrides": { "signalr-rest-$platform": "file:$npm/signalr-rest-$platform.tgz" }
}
JSON
cp "$checkout/.github/release/smoke.mjs" "$app/"
cd "$app"
npm install --no-audit --no-fund --loglevel=error
node smoke.mjs "signalr-rest-$platform"

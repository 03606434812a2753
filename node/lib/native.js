'use strict';
// @ts-check
// Finds the native addon: a build from source beside the package, else a prebuilt
// per-platform package (napi-rs layout: `signalr-rest-<platform>` in optionalDependencies).

const fs = require('node:fs');
const path = require('node:path');

/** The napi-rs platform name of this process, e.g. `linux-x64-gnu` or `darwin-arm64`. */
function platformName() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const report = /** @type {{ header: { glibcVersionRuntime?: string } }} */ (
      process.report.getReport()
    );
    const glibc = report.header.glibcVersionRuntime;
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

const PLATFORM = platformName();
/** Where `napi build --platform` puts the addon built from source. */
const LOCAL_ADDON = path.join(__dirname, '..', `signalr-rest.${PLATFORM}.node`);
/** The package a publish with prebuilt binaries provides for this platform. */
const PREBUILT_PACKAGE = `signalr-rest-${PLATFORM}`;

/**
 * Loads the addon, preferring a local build.
 * @returns {import('./addon')} the exports lib/addon.d.ts declares
 */
function loadNative() {
  if (fs.existsSync(LOCAL_ADDON)) return require(LOCAL_ADDON);
  try {
    return require(PREBUILT_PACKAGE);
  } catch (cause) {
    throw new Error(
      `signalr-rest: no native addon for ${PLATFORM}: ${LOCAL_ADDON} does not exist and ` +
        `${PREBUILT_PACKAGE} is not installed; reinstall the package with Rust available to build it`,
      { cause },
    );
  }
}

module.exports = { PLATFORM, LOCAL_ADDON, PREBUILT_PACKAGE, loadNative };

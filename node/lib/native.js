'use strict';
// @ts-check
// Finds the native addon: a build from source beside the package, else a prebuilt
// per-platform package (napi-rs layout: `signalr-rest-<platform>` in optionalDependencies).
// The one place platform names are made: at run time from `process`, and for packaging
// (scripts/release-package.js) from the Rust targets in package.json's `napi.targets`.

const fs = require('node:fs');
const path = require('node:path');

/**
 * The napi-rs platform name, e.g. `linux-x64-gnu`, `linux-arm64-musl`, `darwin-arm64`,
 * `win32-x64-msvc`, from npm's `os`, `cpu` and (Linux only) `libc` (`glibc` or `musl`).
 * @param {string} os
 * @param {string} cpu
 * @param {string} [libc]
 */
function platformName(os, cpu, libc) {
  if (os === 'linux') return `linux-${cpu}-${libc === 'musl' ? 'musl' : 'gnu'}`;
  if (os === 'win32') return `win32-${cpu}-msvc`;
  return `${os}-${cpu}`;
}

/**
 * A Rust target of `napi.targets` (e.g. `x86_64-unknown-linux-gnu`) as the platform package's
 * npm fields and name.
 * @param {string} triple
 * @returns {{ name: string, os: string, cpu: string, libc?: string }}
 */
function targetPlatform(triple) {
  const [arch, , system, abi] = triple.split('-');
  const cpu = { x86_64: 'x64', aarch64: 'arm64' }[arch];
  const os = { linux: 'linux', darwin: 'darwin', windows: 'win32' }[system];
  if (!cpu || !os) throw new Error(`signalr-rest: unknown napi target ${triple}`);
  if (os !== 'linux') return { name: platformName(os, cpu), os, cpu };
  const libc = abi === 'musl' ? 'musl' : 'glibc';
  return { name: platformName(os, cpu, libc), os, cpu, libc };
}

/** This process's platform name. */
function currentPlatform() {
  const { platform, arch } = process;
  if (platform !== 'linux') return platformName(platform, arch);
  const report = /** @type {{ header: { glibcVersionRuntime?: string } }} */ (
    process.report.getReport()
  );
  return platformName(platform, arch, report.header.glibcVersionRuntime ? 'glibc' : 'musl');
}

/** @param {string} platform */
const addonFile = (platform) => `signalr-rest.${platform}.node`;
/** @param {string} platform */
const prebuiltPackage = (platform) => `signalr-rest-${platform}`;

const PLATFORM = currentPlatform();
/** Where `napi build --platform` puts the addon built from source. */
const LOCAL_ADDON = path.join(__dirname, '..', addonFile(PLATFORM));
/** The package a publish with prebuilt binaries provides for this platform. */
const PREBUILT_PACKAGE = prebuiltPackage(PLATFORM);

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

module.exports = {
  PLATFORM,
  LOCAL_ADDON,
  PREBUILT_PACKAGE,
  addonFile,
  prebuiltPackage,
  targetPlatform,
  loadNative,
};

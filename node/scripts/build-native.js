'use strict';
// Install step of the package as the repository has it (and as `npm pack` there packs it): exits
// at once when the prebuilt platform package resolves; otherwise says so in one line and builds the
// native addon from the Rust sources with @napi-rs/cli. Sources are taken from `rust/` in a packed
// tarball (see prepack.js) or from the repository around this package. `--from-source` (npm run
// build) always builds. The published package has neither this script nor @napi-rs/cli
// (scripts/release-package.js removes them).

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { PLATFORM, PREBUILT_PACKAGE } = require('../lib/native');

const packageDir = path.join(__dirname, '..');
const packedSources = path.join(packageDir, 'rust');

function prebuiltInstalled() {
  try {
    require.resolve(PREBUILT_PACKAGE, { paths: [packageDir] });
    return true;
  } catch {
    return false;
  }
}

/**
 * `--features <list>` given to this script, passed on to cargo: scripts/lib/test-node builds the
 * addon with `test-panic` for its tests; an install never does.
 */
function cargoFeatures() {
  const at = process.argv.indexOf('--features');
  return at === -1 ? [] : ['--features', process.argv[at + 1]];
}

function main() {
  const fromSource = process.argv.includes('--from-source');
  if (!fromSource && prebuiltInstalled()) return 0;
  const packed = fs.existsSync(path.join(packedSources, 'Cargo.toml'));
  const sources = packed ? packedSources : path.join(packageDir, '..');
  const manifest = path.join(sources, 'bindings', 'node', 'Cargo.toml');
  if (fromSource) {
    console.log(`signalr-rest: building the native addon for ${PLATFORM} from ${sources}`);
  } else {
    console.log(
      `signalr-rest: no prebuilt binary for ${PLATFORM}; building the native addon from source, needs Rust`,
    );
  }
  if (!fs.existsSync(manifest)) {
    console.error(`signalr-rest: cannot build for ${PLATFORM}: ${manifest} is missing`);
    return 1;
  }
  const cargo = spawnSync('cargo', ['--version'], { stdio: 'ignore' });
  if (cargo.error || cargo.status !== 0) {
    console.error(
      'signalr-rest: cargo is not on the PATH; install Rust 1.88 or newer (https://rustup.rs) and reinstall',
    );
    return 1;
  }
  const cliManifest = require.resolve('@napi-rs/cli/package.json');
  const cli = path.join(path.dirname(cliManifest), require(cliManifest).bin.napi);
  const build = spawnSync(
    process.execPath,
    [cli, 'build', '--platform', '--release', '--manifest-path', manifest,
      '--output-dir', packageDir, '--no-js', '--dts', path.join('lib', 'addon.d.ts'),
      ...cargoFeatures()],
    { cwd: packageDir, stdio: 'inherit' },
  );
  if (build.error) throw build.error;
  // A packed build's own target directory is hundreds of MB nobody reuses; drop it.
  if (packed && build.status === 0 && !process.env.CARGO_TARGET_DIR) {
    fs.rmSync(path.join(packedSources, 'target'), { recursive: true, force: true });
  }
  return build.status ?? 1;
}

process.exitCode = main();

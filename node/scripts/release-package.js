'use strict';
// @ts-check
// The published form of the package (scripts/package-node runs it; `npm pack` each directory it
// prints, then publish the platform packages before the main one):
//   node scripts/release-package.js <natives dir> <output dir>
// - one platform package `signalr-rest-<platform>` per `signalr-rest.<platform>.node` in the
//   natives directory (built here for linux-x64-gnu; the release workflow puts the other targets'
//   beside it), with npm's `os`, `cpu` and `libc` from the target in `napi.targets`;
// - the main package: the files `npm pack` takes from this directory, less the source build
//   (`scripts/`, `rust/`), its package.json without scripts (so no install script), without
//   `@napi-rs/cli` and the dev dependencies, with the platform packages as optionalDependencies.
// Each gets the repository's LICENSE. Prints the package directories, the main package last.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { addonFile, prebuiltPackage, targetPlatform } = require('../lib/native');

const packageDir = path.join(__dirname, '..');
const license = path.join(packageDir, '..', 'LICENSE');
const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));

/**
 * @param {string} dir
 * @param {object} json
 */
function writeManifest(dir, json) {
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(json, null, 2)}\n`);
}

/**
 * The platform package of one built addon.
 * @param {string} nativesDir
 * @param {ReturnType<typeof targetPlatform>} platform
 * @param {string} outDir
 */
function platformPackage(nativesDir, platform, outDir) {
  const name = prebuiltPackage(platform.name);
  const dir = path.join(outDir, name);
  const binary = addonFile(platform.name);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(nativesDir, binary), path.join(dir, binary));
  fs.copyFileSync(license, path.join(dir, 'LICENSE'));
  fs.writeFileSync(
    path.join(dir, 'README.md'),
    `# ${name}\n\nThe ${platform.name} native addon of [signalr-rest](https://www.npmjs.com/package/signalr-rest); ` +
      'install `signalr-rest`, which depends on it.\n',
  );
  writeManifest(dir, {
    name,
    version: manifest.version,
    description: `The ${platform.name} native addon of signalr-rest`,
    license: manifest.license,
    os: [platform.os],
    cpu: [platform.cpu],
    ...(platform.libc ? { libc: [platform.libc] } : {}),
    main: binary,
    files: [binary],
    engines: manifest.engines,
  });
  return { name, dir };
}

/**
 * The main package, depending optionally on `platformNames`.
 * @param {string[]} platformNames
 * @param {string} outDir
 */
function mainPackage(platformNames, outDir) {
  const dir = path.join(outDir, manifest.name);
  const listing = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: packageDir,
      encoding: 'utf8',
    }),
  );
  const sourceBuild = /^(scripts|rust)\/|^LICENSE$|^package\.json$/;
  for (const { path: file } of listing[0].files) {
    if (sourceBuild.test(file)) continue;
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(packageDir, file), path.join(dir, file));
  }
  fs.copyFileSync(license, path.join(dir, 'LICENSE'));
  const { scripts, devDependencies, dependencies = {}, files, ...published } = manifest;
  const { '@napi-rs/cli': cli, ...runtime } = dependencies;
  writeManifest(dir, {
    ...published,
    files: files.filter((/** @type {string} */ entry) => !/^(scripts|rust)\//.test(entry)),
    ...(Object.keys(runtime).length ? { dependencies: runtime } : {}),
    optionalDependencies: Object.fromEntries(platformNames.map((name) => [name, manifest.version])),
  });
  return dir;
}

function main() {
  const [nativesDir, outDir] = process.argv.slice(2);
  if (!nativesDir || !outDir) {
    console.error('usage: node scripts/release-package.js <natives dir> <output dir>');
    return 2;
  }
  const targets = new Map(
    manifest.napi.targets.map((/** @type {string} */ triple) => {
      const platform = targetPlatform(triple);
      return [addonFile(platform.name), platform];
    }),
  );
  const binaries = fs.readdirSync(nativesDir).filter((file) => file.endsWith('.node')).sort();
  const unknown = binaries.filter((file) => !targets.has(file));
  if (unknown.length || !binaries.length) {
    console.error(
      `release-package: ${nativesDir} has ${unknown.length ? `addons of no napi target: ${unknown.join(', ')}` : 'no addon'}; ` +
        `expected ${[...targets.keys()].join(', ')}`,
    );
    return 1;
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  const platforms = binaries.map((file) =>
    platformPackage(nativesDir, /** @type {ReturnType<typeof targetPlatform>} */ (targets.get(file)), outDir),
  );
  const main = mainPackage(platforms.map((p) => p.name), outDir);
  for (const { dir } of platforms) console.log(dir);
  console.log(main);
  return 0;
}

process.exitCode = main();

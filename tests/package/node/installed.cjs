'use strict';
// The package as installed: the main package from its tarball, the addon from the platform
// package (not a build from source), and LICENSE in both.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const main = path.dirname(require.resolve('signalr-rest/package.json'));
const manifest = require('signalr-rest/package.json');
const platform = Object.keys(manifest.optionalDependencies ?? {}).find((name) =>
  name.endsWith('-linux-x64-gnu'),
);
assert.ok(platform, 'signalr-rest lists its linux-x64-gnu package in optionalDependencies');
assert.equal(manifest.scripts, undefined, 'the published package has no scripts, so no install script');
assert.equal(manifest.dependencies?.['@napi-rs/cli'], undefined, 'no @napi-rs/cli at run time');
const addonDir = path.dirname(require.resolve(`${platform}/package.json`, { paths: [main] }));
assert.ok(fs.existsSync(path.join(addonDir, 'signalr-rest.linux-x64-gnu.node')));
assert.deepEqual(
  fs.readdirSync(main).filter((file) => file.endsWith('.node') || file === 'rust' || file === 'target'),
  [],
  'nothing was built into the main package',
);
for (const dir of [main, addonDir]) assert.ok(fs.existsSync(path.join(dir, 'LICENSE')), `${dir}/LICENSE`);
console.log(`installed: ${main} with ${addonDir}`);

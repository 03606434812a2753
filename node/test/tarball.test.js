'use strict';
// `npm pack` makes a tarball that installs into a fresh project, builds the addon from the
// Rust sources it carries, and works there through both require and import.

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const { PLATFORM } = require('../lib/native');

const packageDir = path.join(__dirname, '..');
const readme = fs.readFileSync(path.join(packageDir, 'README.md'), 'utf8');
/**
 * The workspace's own target directory: the packed crates differ only in path, so the release
 * dependencies built for the package in the repo are reused instead of compiled a second time.
 */
const targetDir = path.join(packageDir, '..', 'target');

/** The README's code block that starts with the comment `// <name>`. */
function readmeExample(name) {
  const block = readme.split('```js\n').find((text) => text.startsWith(`// ${name}\n`));
  assert.ok(block, `README has no example ${name}`);
  return block.slice(0, block.indexOf('```'));
}

function run(command, args, cwd, extraEnv = {}) {
  // A nested `node --test` must report as a top-level run, not to this runner.
  const { NODE_TEST_CONTEXT, ...env } = { ...process.env, ...extraEnv };
  try {
    return execFileSync(command, args, {
      cwd,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${error.stdout}\n${error.stderr}`);
  }
}

const CJS_CHECK = `
const { Simulator, ServiceClient, NotFoundError } = require('signalr-rest');
(async () => {
  const sim = await Simulator.start({ port: 0 });
  const alice = sim.connect('chat', { userId: 'alice' });
  const hub = ServiceClient.fromConnectionString(sim.connectionString).hub('chat');
  await hub.sendToUser('alice', 'hello', ['from cjs']);
  const missing = await hub.addConnectionToGroup('g', 'ghost').catch((e) => e);
  console.log(JSON.stringify({ received: alice.received, notFound: missing instanceof NotFoundError }));
  await sim.close();
})();
`;

const ESM_CHECK = `
import { Simulator, ServiceClient, AbortError } from 'signalr-rest';
const sim = await Simulator.start({ port: 0 });
const bob = sim.connect('chat', { userId: 'bob' });
const hub = ServiceClient.fromConnectionString(sim.connectionString).hub('chat');
await hub.sendToAll('hello', ['from esm']);
const aborted = await hub.sendToAll('x', [], { signal: AbortSignal.abort() }).catch((e) => e);
console.log(JSON.stringify({ received: bob.received, aborted: aborted instanceof AbortError }));
await sim.close();
`;

test('the npm pack tarball installs in a fresh project and runs with require, import and the README test', { timeout: 30 * 60_000 }, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'signalr-rest-tarball-'));
  try {
    const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], packageDir));
    assert.ok(
      packed.files.some((f) => f.path === 'rust/bindings/node/src/lib.rs'),
      'the tarball carries the Rust sources',
    );
    assert.ok(!packed.files.some((f) => f.path.endsWith('.node')), 'no prebuilt addon is packed');
    for (const file of ['LICENSE', 'bin/signalr-rest.js', 'scripts/build-native.js']) {
      assert.ok(packed.files.some((f) => f.path === file), `the tarball carries ${file}`);
    }
    assert.ok(!fs.existsSync(path.join(packageDir, 'rust')), 'postpack removed the copied sources');
    assert.ok(!fs.existsSync(path.join(packageDir, 'LICENSE')), 'postpack removed the copied LICENSE');

    const project = path.join(work, 'app');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), '{ "name": "app", "private": true }\n');
    // --foreground-scripts: the install script's output, which says once why it builds.
    const installed = run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--foreground-scripts', path.join(work, packed.filename)],
      project,
      { CARGO_TARGET_DIR: targetDir },
    );
    const why = `signalr-rest: no prebuilt binary for ${PLATFORM}; building the native addon from source, needs Rust`;
    assert.equal(installed.split('\n').filter((line) => line.startsWith('signalr-rest:')).join('\n'), why);

    fs.writeFileSync(path.join(project, 'check.cjs'), CJS_CHECK);
    fs.writeFileSync(path.join(project, 'check.mjs'), ESM_CHECK);
    assert.deepEqual(JSON.parse(run(process.execPath, ['check.cjs'], project)), {
      received: [{ target: 'hello', arguments: ['from cjs'] }],
      notFound: true,
    });
    assert.deepEqual(JSON.parse(run(process.execPath, ['check.mjs'], project)), {
      received: [{ target: 'hello', arguments: ['from esm'] }],
      aborted: true,
    });

    fs.writeFileSync(path.join(project, 'chat.test.mjs'), readmeExample('chat.test.mjs'));
    assert.match(run(process.execPath, ['--test', 'chat.test.mjs'], project), /# pass 1\n# fail 0/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

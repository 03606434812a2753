// The release workflow's test of the npm packages: run in a scratch project where the main package
// and this platform's prebuilt package were installed from their tarballs with no Rust on PATH.
// The addon must come from the prebuilt package, not a build from source.
//   node smoke.mjs signalr-rest-<platform>
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ServiceClient, Simulator } from 'signalr-rest';

const PREBUILT_PACKAGE = process.argv[2];
const require = createRequire(path.join(process.cwd(), 'package.json'));
assert.ok(existsSync(require.resolve(PREBUILT_PACKAGE)), `${PREBUILT_PACKAGE} is not installed`);
const main = path.dirname(require.resolve('signalr-rest/package.json'));
assert.deepEqual(readdirSync(main).filter((name) => name.endsWith('.node')), [], 'an addon was built from source');

const sim = await Simulator.start({ port: 0 });
try {
  const alice = sim.connect('chat', { userId: 'alice' });
  await ServiceClient.fromConnectionString(sim.connectionString).hub('chat').sendToUser('alice', 'newMessage', ['hi']);
  assert.deepEqual(alice.received, [{ target: 'newMessage', arguments: ['hi'] }]);
} finally {
  await sim.close();
}
console.log(`node ok: signalr-rest with ${PREBUILT_PACKAGE}`);

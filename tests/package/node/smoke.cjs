'use strict';
// require: a simulator from the package, a send with the ServiceClient, arrival checked on a
// connected VirtualClient and through the simulator's inspection.

const assert = require('node:assert/strict');
const { Simulator, ServiceClient, NotFoundError } = require('signalr-rest');

(async () => {
  const sim = await Simulator.start({ port: 0 });
  try {
    const alice = sim.connect('chat', { userId: 'alice' });
    const hub = ServiceClient.fromConnectionString(sim.connectionString).hub('chat');
    await hub.sendToUser('alice', 'hello', ['from cjs']);
    const received = await alice.waitFor('hello', { timeoutMs: 10_000 });
    assert.deepEqual(received.arguments, ['from cjs']);
    assert.deepEqual(sim.connections('chat').map((c) => c.userId), ['alice']);
    const missing = await hub.addConnectionToGroup('g', 'ghost').catch((e) => e);
    assert.ok(missing instanceof NotFoundError, `expected NotFoundError, got ${missing}`);
    console.log('require: ok');
  } finally {
    await sim.close();
  }
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

// import: the same through the ESM entry point, with a group send.
import assert from 'node:assert/strict';
import { Simulator, ServiceClient, AbortError } from 'signalr-rest';

const sim = await Simulator.start({ port: 0 });
try {
  const bob = sim.connect('chat', { userId: 'bob' });
  const hub = ServiceClient.fromConnectionString(sim.connectionString).hub('chat');
  await hub.addUserToGroup('room', 'bob');
  await hub.sendToGroup('room', 'hello', ['from esm']);
  const received = await bob.waitFor('hello', { timeoutMs: 10_000 });
  assert.deepEqual(received.arguments, ['from esm']);
  assert.deepEqual(sim.groups('chat'), [{ name: 'room', connectionIds: [bob.connectionId] }]);
  const aborted = await hub.sendToAll('x', [], { signal: AbortSignal.abort() }).catch((e) => e);
  assert.ok(aborted instanceof AbortError, `expected AbortError, got ${aborted}`);
  console.log('import: ok');
} finally {
  await sim.close();
}

// The chat app behind a simulator: two unmodified @microsoft/signalr clients (JSON, then
// MessagePack) negotiate through the app, one invokes broadcast and gets the app's result, the
// other receives newMessage; the app's errors reach the caller as errors.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';

import { HubConnectionBuilder, LogLevel } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { Simulator } from 'signalr-rest';

import { createApp } from '../app.mjs';

const lines = []; // what the app logged
let server;
let sim;
let appUrl;

before(async () => {
  // The app's port goes into the simulator's upstream template and the simulator's connection
  // string into the app, so listen first and attach the app once both exist.
  server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${server.address().port}`;
  sim = await Simulator.start({ port: 0, upstreams: [`${appUrl}/api/{hub}/{category}/{event}`], upstreamTimeoutMs: 5000 });
  server.on('request', createApp({ connectionString: sim.connectionString, log: (line) => lines.push(line) }));
});

after(async () => {
  await sim?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

async function eventually(check, what, ms = 5000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function connect(user, protocol) {
  let builder = new HubConnectionBuilder()
    .withUrl(`${appUrl}/api`, { headers: { 'x-ms-signalr-user-id': user } })
    .configureLogging(LogLevel.None);
  if (protocol === 'messagepack') builder = builder.withHubProtocol(new MessagePackHubProtocol());
  const connection = builder.build();
  const inbox = [];
  connection.on('newMessage', (...args) => inbox.push(args));
  await connection.start();
  return { connection, inbox, id: connection.connectionId };
}

for (const protocol of ['json', 'messagepack']) {
  test(`${protocol}: broadcast returns the app's result and reaches the other client`, async () => {
    const alice = await connect(`alice-${protocol}`, protocol);
    const bob = await connect(`bob-${protocol}`, protocol);
    try {
      const result = await alice.connection.invoke('broadcast', 'alice', 'hello');
      assert.equal(typeof result.id, 'number');
      await eventually(() => bob.inbox.length === 1, 'newMessage at bob');
      assert.deepEqual(bob.inbox, [['alice', 'hello']]);
      await eventually(() => alice.inbox.length === 1, 'newMessage at alice');

      await assert.rejects(alice.connection.invoke('broadcast', 'alice', ''), { message: /text must not be empty/ });
      await assert.rejects(alice.connection.invoke('shout', 'x'), { message: /Invocation failed, status code 404/ });
      assert.equal(bob.inbox.length, 1, 'nothing was sent for the failed calls');
    } finally {
      await alice.connection.stop();
      await bob.connection.stop();
    }
    // Each connected request verified (a bad signature would have been a 401), both logged.
    for (const who of [alice, bob]) {
      const { id } = who;
      await eventually(() => lines.some((l) => l.includes(id) && l.endsWith('disconnected')), `disconnected of ${id}`);
      const calls = sim.upstreamCalls.filter((c) => c.connectionId === id);
      assert.deepEqual(calls.filter((c) => c.category === 'connections').map((c) => [c.event, c.status]), [
        ['connected', 200],
        ['disconnected', 200],
      ]);
    }
    assert.ok(lines.includes(`alice-${protocol} (${alice.id}) connected`), lines.join('\n'));
    assert.ok(lines.includes(`bob-${protocol} (${bob.id}) connected`), lines.join('\n'));
  });
}

test('a request not signed with the access key is refused', async () => {
  const response = await fetch(`${appUrl}/api/chat/connections/connected`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-asrs-connection-id': 'forged',
      'x-asrs-hub': 'chat',
      'x-asrs-category': 'connections',
      'x-asrs-event': 'connected',
      'x-asrs-signature': 'sha256=0000',
    },
    body: '{"type":10}',
  });
  assert.equal(response.status, 401);
  assert.ok(!lines.some((l) => l.includes('forged')));
});

'use strict';
// An AbortSignal cancels the call in Rust: the Promise rejects at once with AbortError and
// the HTTP request is dropped, which the server sees as a closed connection.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { ServiceClient, Simulator, AbortError } = require('..');
const { startSilentServer, eventually, NO_RETRIES } = require('./helpers');

test('aborting a call that waits on a silent server rejects quickly and closes its request', async () => {
  const server = await startSilentServer();
  try {
    const hub = ServiceClient.fromConnectionString(server.connectionString).hub('chat');
    const controller = new AbortController();
    const call = hub.sendToAll('t', [1]);
    const aborted = hub.sendToAll('t', [2], { signal: controller.signal });
    await eventually(() => server.state.requests === 2);
    const started = Date.now();
    controller.abort(new Error('user left'));
    await assert.rejects(aborted, (error) => {
      assert.ok(error instanceof AbortError);
      assert.equal(error.name, 'AbortError');
      assert.equal(error.code, 'aborted');
      assert.equal(error.cause.message, 'user left');
      return true;
    });
    assert.ok(Date.now() - started < 1000, 'rejected promptly');
    await eventually(() => server.state.closedRequests === 1);
    assert.equal(server.state.closedRequests, 1, 'only the aborted request was dropped');
    call.catch(() => {});
  } finally {
    await server.close();
  }
});

test('an already aborted signal rejects without sending anything', async () => {
  const server = await startSilentServer();
  try {
    const hub = ServiceClient.fromConnectionString(server.connectionString).hub('chat');
    await assert.rejects(
      hub.connectionExists('c', { signal: AbortSignal.abort() }),
      AbortError,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server.state.requests, 0);
  } finally {
    await server.close();
  }
});

test('AbortSignal.timeout cancels every kind of call', async () => {
  const server = await startSilentServer();
  try {
    const client = ServiceClient.fromConnectionString(server.connectionString);
    const hub = client.hub('chat');
    const calls = [
      (signal) => client.health({ signal }),
      (signal) => hub.sendToUser('u', 't', [], { signal }),
      (signal) => hub.sendToGroup('g', 't', [], { signal }),
      (signal) => hub.closeConnection('c', { signal }),
      (signal) => hub.userInGroup('g', 'u', { signal }),
      (signal) => hub.addUserToGroup('g', 'u', { ttlSeconds: 5, signal }),
      (signal) => hub.removeUserFromAllGroups('u', { signal }),
    ];
    for (const call of calls) {
      await assert.rejects(call(AbortSignal.timeout(50)), AbortError);
    }
  } finally {
    await server.close();
  }
});

test('a signal that never fires leaves the call alone and is released afterwards', async () => {
  const sim = await Simulator.start({ port: 0 });
  try {
    const hub = ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES).hub('chat');
    const controller = new AbortController();
    const client = sim.connect('chat');
    await hub.sendToConnection(client.connectionId, 't', [1], { signal: controller.signal });
    controller.abort();
    assert.deepEqual(client.received, [{ target: 't', arguments: [1] }]);
  } finally {
    await sim.close();
  }
});

test('waitFor stops waiting when its signal aborts', async () => {
  const sim = await Simulator.start({ port: 0 });
  try {
    const client = sim.connect('chat');
    const controller = new AbortController();
    const waiting = client.waitFor('never', { timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(waiting, AbortError);
  } finally {
    await sim.close();
  }
});

test('a signal from another realm (shaped like AbortSignal) is honoured', async () => {
  const hub = ServiceClient.fromConnectionString('Endpoint=http://127.0.0.1:1;AccessKey=k').hub('h');
  const foreign = { aborted: true, reason: 'gone', addEventListener() {}, removeEventListener() {} };
  await assert.rejects(hub.groupExists('g', { signal: foreign }), (error) => {
    assert.ok(error instanceof AbortError);
    assert.equal(error.cause, 'gone');
    return true;
  });
});

test('a signal that is not an AbortSignal is a TypeError', async () => {
  const hub = ServiceClient.fromConnectionString('Endpoint=http://127.0.0.1:1;AccessKey=k').hub('h');
  await assert.rejects(hub.groupExists('g', { signal: {} }), TypeError);
});

'use strict';
// A call that gets no answer within timeoutMs rejects with RequestTimeoutError.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { ServiceClient, Simulator, RequestTimeoutError } = require('..');
const { startSilentServer, NO_RETRIES } = require('./helpers');

test('a send to a silent server times out after timeoutMs, once (sends are not retried)', async () => {
  const server = await startSilentServer();
  try {
    const hub = ServiceClient.fromConnectionString(server.connectionString, { timeoutMs: 150 }).hub('chat');
    const started = Date.now();
    await assert.rejects(hub.sendToAll('t', []), (error) => {
      assert.ok(error instanceof RequestTimeoutError);
      assert.equal(error.code, 'timeout');
      assert.equal(error.timeoutMs, 150);
      assert.match(error.message, /150ms/);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 140 && elapsed < 2000, `took ${elapsed} ms`);
    assert.equal(server.state.requests, 1);
  } finally {
    await server.close();
  }
});

test('an idempotent call is retried after a timeout as the retry policy says', async () => {
  const server = await startSilentServer();
  try {
    const options = { timeoutMs: 100, retry: { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 20 } };
    const hub = ServiceClient.fromConnectionString(server.connectionString, options).hub('chat');
    await assert.rejects(hub.userExists('u'), RequestTimeoutError);
    assert.equal(server.state.requests, 3);
  } finally {
    await server.close();
  }
});

test('waitFor times out after its timeoutMs when the message never comes', async () => {
  const sim = await Simulator.start({ port: 0 });
  try {
    const client = sim.connect('chat');
    await assert.rejects(client.waitFor('never', { timeoutMs: 50 }), (error) => {
      assert.ok(error instanceof RequestTimeoutError);
      assert.equal(error.timeoutMs, 50);
      return true;
    });
  } finally {
    await sim.close();
  }
});

test('waitFor resolves with a message that arrives while it waits', async () => {
  const sim = await Simulator.start({ port: 0 });
  try {
    const client = sim.connect('chat', { userId: 'ann' });
    const waiting = client.waitFor('later', { timeoutMs: 2000 });
    const hub = ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES).hub('chat');
    setTimeout(() => hub.sendToUser('ann', 'later', ['x']), 30);
    assert.deepEqual(await waiting, { target: 'later', arguments: ['x'] });
  } finally {
    await sim.close();
  }
});

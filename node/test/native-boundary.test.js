'use strict';
// The addon's own boundary (bindings/node/src), below the JS wrapper: a core error is a JS error
// whose `code` is the core's kind, whose message is readable text (no JSON) and whose details
// are typed properties, from synchronous calls and from Promise rejections alike; received
// invocations come back as objects, with key order and numbers as JSON.parse gives them.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const addon = require('../lib/addon');

/** A simulator started through the addon, closed when the test ends. */
async function nativeSimulator(t) {
  const sim = await addon.Simulator.start('127.0.0.1', 0);
  t.after(() => sim.close());
  return sim;
}

/** Asserts `error` is the addon's error for core kind `code`, with readable text. */
function assertNative(error, code) {
  assert.ok(error instanceof Error, `not an Error: ${error}`);
  assert.equal(error.code, code);
  assert.ok(!error.message.trimStart().startsWith('{'), `JSON in the message: ${error.message}`);
  return true;
}

test('a synchronous call throws the core kind as code with typed details', async (t) => {
  const sim = await nativeSimulator(t);
  const client = addon.ServiceClient.fromConnectionString(sim.connectionString);
  assert.throws(
    () => client.hub('1bad'),
    (error) => assertNative(error, 'invalid_argument') && error.field === 'hub' &&
      /must start with an ASCII letter/.test(error.message),
  );
});

test('a Promise rejects with the core kind as code with typed details', async (t) => {
  const sim = await nativeSimulator(t);
  const hub = addon.ServiceClient.fromConnectionString(sim.connectionString, { retry: { maxRetries: 0 } })
    .hub('chat');
  await assert.rejects(hub.addUserToGroup('g', 'u', -1), (error) =>
    assertNative(error, 'invalid_argument') && error.field === 'ttlSeconds');
  await assert.rejects(hub.addConnectionToGroup('room', 'missing'), (error) => {
    assertNative(error, 'not_found');
    assert.equal(error.status, 404);
    assert.equal(typeof error.errorCode, 'string');
    assert.match(error.errorCode, /NotExisted/);
    return true;
  });
  const cancellation = new addon.Cancellation();
  cancellation.cancel();
  await assert.rejects(hub.connectionExists('x', cancellation), (error) => assertNative(error, 'aborted'));
});

test('a refused key is unauthorized with a numeric status; a wait that runs out has timeoutMs', async (t) => {
  const sim = await nativeSimulator(t);
  const wrongKey = sim.connectionString.replace(/AccessKey=[^;]+/, 'AccessKey=wrong-key-wrong-key-wrong-key');
  const hub = addon.ServiceClient.fromConnectionString(wrongKey, { retry: { maxRetries: 0 } }).hub('chat');
  await assert.rejects(hub.sendToAll('hi', '[]', []), (error) =>
    assertNative(error, 'unauthorized') && error.status === 401);
  await assert.rejects(sim.connect('chat').waitFor('never', 20), (error) =>
    assertNative(error, 'timeout') && error.timeoutMs === 20);
});

test('received invocations are objects, keys in sent order, numbers as JSON.parse reads them', async (t) => {
  const sim = await nativeSimulator(t);
  const client = sim.connect('chat');
  const hub = addon.ServiceClient.fromConnectionString(sim.connectionString).hub('chat');
  const args = '[{"z":1,"a":2.50,"2":"x","1":null,"__proto__":{"p":true}},1e2,-0,12345678901234567890]';
  await hub.sendToConnection(client.connectionId, 'hello', args);
  const [message] = client.received();
  assert.deepEqual(Object.keys(message), ['target', 'arguments']);
  assert.equal(message.target, 'hello');
  assert.deepEqual(message.arguments, JSON.parse(args));
  const [object] = message.arguments;
  assert.deepEqual(Object.keys(object), Object.keys(JSON.parse(args)[0]));
  assert.ok(Object.hasOwn(object, '__proto__'), '__proto__ is an own property, as JSON.parse makes it');
  assert.ok(Object.is(message.arguments[2], -0));
  const waited = await client.waitFor('hello', 1000);
  assert.deepEqual(waited, message);
});

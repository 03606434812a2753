'use strict';
// Every core error arrives as its own class with the fields that describe it.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const {
  ServiceClient,
  Simulator,
  SignalRError,
  InvalidArgumentError,
  UnauthorizedError,
  NotFoundError,
  ServiceError,
  TransportError,
} = require('..');
const { connectionString, startStatusServer, unusedPort, NO_RETRIES } = require('./helpers');

const NO_RETRY = { retry: { maxRetries: 0 } };

test('a bad hub name is an InvalidArgumentError naming the field and the value', () => {
  const client = ServiceClient.fromConnectionString(connectionString(1));
  assert.throws(() => client.hub('1abc'), (error) => {
    assert.ok(error instanceof InvalidArgumentError);
    assert.ok(error instanceof SignalRError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'InvalidArgumentError');
    assert.equal(error.code, 'invalid_argument');
    assert.equal(error.field, 'hub');
    assert.match(error.message, /"1abc"/);
    return true;
  });
});

test('a malformed connection string names the bad key without leaking the access key', () => {
  assert.throws(
    // Unknown keys are ignored, as the official SDK does; a duplicate is refused.
    () => ServiceClient.fromConnectionString('Endpoint=http://a;AccessKey=topsecret;accesskey=topsecret'),
    (error) => {
      assert.ok(error instanceof InvalidArgumentError);
      assert.match(error.message, /duplicate key "accesskey"/);
      assert.doesNotMatch(error.message, /topsecret/);
      return true;
    },
  );
});

test('a negative ttl rejects with InvalidArgumentError naming the value', async () => {
  const hub = ServiceClient.fromConnectionString(connectionString(1)).hub('chat');
  await assert.rejects(hub.addUserToGroup('g', 'u', { ttlSeconds: -5 }), (error) => {
    assert.ok(error instanceof InvalidArgumentError);
    assert.match(error.message, /-5/);
    return true;
  });
});

test('a zero timeout is an InvalidArgumentError', () => {
  assert.throws(
    () => ServiceClient.fromConnectionString(connectionString(1), { timeoutMs: 0 }),
    InvalidArgumentError,
  );
});

test('a negative or huge duration option is an InvalidArgumentError naming it and the value', async () => {
  const cs = connectionString(1);
  assert.throws(
    () => ServiceClient.fromConnectionString(cs, { timeoutMs: -1 }),
    (error) => error instanceof InvalidArgumentError && error.field === 'timeoutMs' && /got -1$/.test(error.message),
  );
  assert.throws(
    () => ServiceClient.fromConnectionString(cs, { retry: { maxDelayMs: NaN } }),
    /retry\.maxDelayMs must be a finite number of milliseconds, 0 or more; got NaN/,
  );
  assert.throws(
    () => ServiceClient.fromConnectionString(cs, { retry: { maxRetries: 1.5 } }),
    (error) => error instanceof InvalidArgumentError && error.field === 'retry.maxRetries',
  );
  const hub = ServiceClient.fromConnectionString(cs).hub('chat');
  await assert.rejects(hub.addUserToGroup('g', 'u', { ttlSeconds: 1e300 }), /ttlSeconds .* got 1e300/);
});

test('a wrong access key is an UnauthorizedError with status 401 and the reason', async () => {
  const sim = await Simulator.start({ port: 0, accessKey: 'right-key' });
  try {
    const wrong = sim.connectionString.replace('right-key', 'wrong-key');
    const hub = ServiceClient.fromConnectionString(wrong).hub('chat');
    await assert.rejects(hub.sendToAll('t', []), (error) => {
      assert.ok(error instanceof UnauthorizedError);
      assert.equal(error.code, 'unauthorized');
      assert.equal(error.status, 401);
      assert.match(error.message, /signature/i);
      return true;
    });
  } finally {
    await sim.close();
  }
});

test('a missing connection is a NotFoundError carrying the service error code', async () => {
  const sim = await Simulator.start({ port: 0 });
  try {
    const hub = ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES).hub('chat');
    await assert.rejects(hub.addConnectionToGroup('room', 'ghost'), (error) => {
      assert.ok(error instanceof NotFoundError);
      assert.equal(error.status, 404);
      assert.equal(error.errorCode, 'Error.Connection.NotExisted');
      assert.match(error.message, /ghost/);
      return true;
    });
  } finally {
    await sim.close();
  }
});

test('a 500 answer is a ServiceError with status and body', async () => {
  const server = await startStatusServer(500, '{"message":"boom"}');
  try {
    const hub = ServiceClient.fromConnectionString(server.connectionString, NO_RETRY).hub('chat');
    await assert.rejects(hub.sendToAll('t', []), (error) => {
      assert.ok(error instanceof ServiceError);
      assert.equal(error.code, 'service_error');
      assert.equal(error.status, 500);
      assert.equal(error.body, '{"message":"boom"}');
      assert.match(error.message, /500/);
      return true;
    });
  } finally {
    await server.close();
  }
});

test('a 400 answer is a ServiceError with code bad_request and the service message', async () => {
  const server = await startStatusServer(400, '{"code":"Bad","message":"target is missing"}');
  try {
    const hub = ServiceClient.fromConnectionString(server.connectionString, NO_RETRY).hub('chat');
    await assert.rejects(hub.sendToAll('t', []), (error) => {
      assert.ok(error instanceof ServiceError);
      assert.equal(error.code, 'bad_request');
      assert.equal(error.status, 400);
      assert.equal(error.body, 'target is missing');
      return true;
    });
  } finally {
    await server.close();
  }
});

test('nobody listening is a TransportError', async () => {
  const port = await unusedPort();
  const hub = ServiceClient.fromConnectionString(connectionString(port), NO_RETRY).hub('chat');
  await assert.rejects(hub.sendToAll('t', []), (error) => {
    assert.ok(error instanceof TransportError);
    assert.equal(error.code, 'transport');
    return true;
  });
});

test('the classes cannot be confused: each error is an instance of its own class only', async () => {
  const sim = await Simulator.start({ port: 0 });
  try {
    const hub = ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES).hub('chat');
    const error = await hub.removeConnectionFromGroup('g', 'ghost').catch((e) => e);
    assert.ok(error instanceof NotFoundError);
    for (const Other of [InvalidArgumentError, UnauthorizedError, ServiceError, TransportError]) {
      assert.ok(!(error instanceof Other), Other.name);
    }
  } finally {
    await sim.close();
  }
});

test('a closed simulator refuses to connect clients with a SignalRError', async () => {
  const sim = await Simulator.start({ port: 0 });
  await sim.close();
  assert.throws(() => sim.connect('chat'), (error) => {
    assert.ok(error instanceof InvalidArgumentError);
    assert.equal(error.field, 'simulator');
    assert.match(error.message, /the simulator has been shut down/);
    return true;
  });
});

test('an addon failure that is not a core error, such as a Rust panic, is a SignalRError "internal"', () => {
  const { fromNative } = require('../lib/errors');
  const error = fromNative(new Error('Panic in async function'));
  assert.ok(error instanceof SignalRError);
  assert.equal(error.code, 'internal');
  assert.match(error.message, /Panic in async function/);
  assert.equal(error.cause.message, 'Panic in async function');
});

test('error classes can be built directly, for fakes in tests', () => {
  const error = new ServiceError('boom', 503, 'busy');
  assert.deepEqual([error.code, error.status, error.body, error.name], ['service_error', 503, 'busy', 'ServiceError']);
  assert.ok(new NotFoundError('gone', 'Warning.User.NotExisted') instanceof SignalRError);
});

test('ServiceClient and Simulator cannot be constructed directly: the error names the factory', () => {
  assert.throws(() => new ServiceClient(), /fromConnectionString/);
  assert.throws(() => new Simulator(), /Simulator\.start/);
});

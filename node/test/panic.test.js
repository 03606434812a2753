'use strict';
// A Rust panic fails the one call with a SignalRError of code `internal` and the process keeps
// working. The panicking calls exist only in an addon built with the binding's test-panic
// feature (scripts/lib/test-node builds it so and sets SIGNALR_REST_TEST_PANIC=1, which turns a
// missing hook into a failure instead of a skip).

const assert = require('node:assert/strict');
const { test } = require('node:test');
const addon = require('../lib/addon');
const { invokeAsync, invokeSync } = require('../lib/invoke');
const { ServiceClient, Simulator, SignalRError } = require('..');

const hooked = typeof addon.debugPanic === 'function';
const skip = !hooked && process.env.SIGNALR_REST_TEST_PANIC !== '1' &&
  'the addon was built without the test-panic feature';

function assertInternal(error) {
  assert.ok(error instanceof SignalRError, `not a SignalRError: ${error}`);
  assert.equal(error.code, 'internal');
  return true;
}

async function assertCallsStillWork() {
  const sim = await Simulator.start({ port: 0 });
  try {
    const alice = sim.connect('chat', { userId: 'alice' });
    await ServiceClient.fromConnectionString(sim.connectionString).hub('chat').sendToUser('alice', 'after-panic', []);
    assert.deepEqual(alice.received.map((m) => m.target), ['after-panic']);
  } finally {
    await sim.close();
  }
}

test('a panic in a synchronous call is an internal SignalRError and later calls work', { skip }, async () => {
  assert.ok(hooked, 'the addon has no debugPanic: build it with `npm run build -- --features test-panic`');
  assert.throws(() => invokeSync(() => addon.debugPanic('sync boom')), (error) => {
    assertInternal(error);
    assert.match(error.message, /sync boom/);
    return true;
  });
  await assertCallsStillWork();
});

test('a panic inside an async call is an internal SignalRError and later calls work', { skip }, async () => {
  assert.ok(hooked, 'the addon has no debugPanicAsync: build it with `npm run build -- --features test-panic`');
  await assert.rejects(invokeAsync(undefined, () => addon.debugPanicAsync('async boom')), assertInternal);
  await assertCallsStillWork();
});

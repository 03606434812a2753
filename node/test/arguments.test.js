'use strict';
// Hub method arguments travel as JSON: what JSON can carry arrives unchanged, what it cannot
// is refused with a TypeError naming where it is.

const assert = require('node:assert/strict');
const { test, before, after } = require('node:test');
const { ServiceClient, Simulator } = require('..');
const { NO_RETRIES } = require('./helpers');

let sim;
let hub;

before(async () => {
  sim = await Simulator.start({ port: 0 });
  hub = ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES).hub('chat');
});

after(() => sim.close());

async function roundTrip(args) {
  const client = sim.connect('chat');
  try {
    await hub.sendToConnection(client.connectionId, 'echo', args);
    return client.received[0].arguments;
  } finally {
    client.disconnect();
  }
}

test('nested objects and arrays arrive unchanged', async () => {
  const args = [{ user: { name: 'ann', tags: ['a', 'b'], address: { lines: [[1, 2], []] } } }, []];
  assert.deepEqual(await roundTrip(args), args);
});

test('object keys arrive in the order they were sent', async () => {
  const [received] = await roundTrip([{ é: 1, n: 2, a: { z: 1, b: 2 } }]);
  assert.deepEqual(Object.keys(received), ['é', 'n', 'a']);
  assert.deepEqual(Object.keys(received.a), ['z', 'b']);
});

test('unicode text arrives unchanged: accents, CJK, emoji, escapes and a lone NUL', async () => {
  const args = ['é', '中文', '🙂👍🏽', 'quote " backslash \\ newline \n tab \t', '\u0000', { 'ключ': 'значение' }];
  assert.deepEqual(await roundTrip(args), args);
});

test('large, small, negative and fractional numbers arrive unchanged', async () => {
  const args = [
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    2 ** 63,
    1e300,
    -1e-300,
    Number.MIN_VALUE,
    0.1,
    -0.5,
    0,
    123456789.123456,
  ];
  assert.deepEqual(await roundTrip(args), args);
});

test('null, booleans and empty values arrive unchanged', async () => {
  const args = [null, true, false, '', {}, [], [null], { nothing: null }];
  assert.deepEqual(await roundTrip(args), args);
});

test('no arguments send an empty list', async () => {
  const client = sim.connect('chat');
  await hub.sendToConnection(client.connectionId, 'ping');
  assert.deepEqual(client.received, [{ target: 'ping', arguments: [] }]);
});

test('values with toJSON, such as Date, are sent as their JSON form', async () => {
  const when = new Date('2024-05-06T07:08:09.010Z');
  assert.deepEqual(await roundTrip([when, { when }]), [when.toJSON(), { when: when.toJSON() }]);
});

const refused = [
  ['undefined', [1, undefined], /args\[1\] is undefined/],
  ['an undefined property', [{ a: { b: undefined } }], /args\[0\]\.a\.b is undefined/],
  ['a function', [{ onDone() {} }], /args\[0\]\.onDone is a function/],
  ['a symbol', [Symbol('s')], /args\[0\] is a symbol/],
  ['a BigInt', [{ big: 12345678901234567890n }], /args\[0\]\.big is the BigInt 12345678901234567890n/],
  ['NaN', [NaN], /args\[0\] is NaN/],
  ['Infinity', [{ 'odd key': -Infinity }], /args\[0\]\["odd key"\] is -Infinity/],
];

for (const [what, args, message] of refused) {
  test(`${what} is refused with a TypeError naming where it is`, async () => {
    await assert.rejects(hub.sendToAll('t', args), (error) => {
      assert.ok(error instanceof TypeError, `${error}`);
      assert.match(error.message, message);
      return true;
    });
  });
}

test('a cycle is refused with a TypeError naming where it closes', async () => {
  const node = { name: 'loop' };
  node.next = { back: node };
  await assert.rejects(hub.sendToAll('t', [node]), /args\[0\]\.next\.back refers back/);
});

test('the same object twice (not a cycle) is fine', async () => {
  const shared = { n: 1 };
  assert.deepEqual(await roundTrip([shared, shared]), [{ n: 1 }, { n: 1 }]);
});

test('args that are not an array are refused', async () => {
  await assert.rejects(hub.sendToAll('t', 'hello'), /args must be an array of JSON values, got string hello/);
});

test('ids that are not strings are refused with a TypeError naming the parameter', async () => {
  await assert.rejects(hub.sendToUser(42, 't', []), /userId must be a string, got number 42/);
  await assert.rejects(hub.connectionExists(null), /connectionId must be a string, got null/);
  await assert.rejects(hub.sendToAll('t', [], { excluded: ['a', 7] }), /excluded\[1\] must be a string/);
  assert.throws(() => sim.connect(undefined), /hub must be a string, got undefined/);
});

test('an unknown option key is refused, naming it and the known keys', async () => {
  await assert.rejects(
    hub.addUserToGroup('g', 'u', { ttl: 5 }),
    /addUserToGroup options has unknown key "ttl"; known keys: signal, ttlSeconds/,
  );
  assert.throws(
    () => ServiceClient.fromConnectionString(sim.connectionString, { timeout: 5 }),
    /unknown key "timeout"/,
  );
});

test('claims given to negotiate are checked like arguments', () => {
  const client = ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES);
  assert.throws(() => client.negotiate('chat', { claims: { n: 1n } }), /claims\.n is the BigInt 1n/);
});

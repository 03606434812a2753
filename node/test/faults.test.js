'use strict';
// Fault injection through the public API, over real sockets: rules given at start and added
// later, repeatable fraction draws with faultSeed, refusals, and the unmodified
// @microsoft/signalr client (negotiating with the simulator) reconnecting after
// dropClients and pauseClients. Waits have generous deadlines so a hang fails instead of
// blocking; nothing asserts how fast anything happens.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const signalR = require('@microsoft/signalr');
const { ServiceClient, Simulator, InvalidArgumentError, ServiceError, SignalRError } = require('..');
const { NO_RETRIES } = require('./helpers');

/** Longest wait for something that must happen (a deadline, not a speed check). */
const DEADLINE_MS = 20_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `condition()` holds; rejects after DEADLINE_MS with `what()`. */
async function until(condition, what) {
  const end = Date.now() + DEADLINE_MS;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out after ${DEADLINE_MS} ms: ${what()}`);
    await sleep(20);
  }
}

/**
 * An unmodified @microsoft/signalr client on `hub` of `sim`, connected the way an app's negotiate
 * hands it over (the client URL and a token from ServiceClient.negotiate), reconnecting
 * automatically after 0, 100, 200 and 500 ms. Records what it receives on `msg` and its
 * reconnect events in order.
 */
async function realClient(t, sim, hub, { serverTimeoutMs, keepAliveMs } = {}) {
  const service = ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES);
  const { url, accessToken } = service.negotiate(hub, { userId: 'ann' });
  const logs = [];
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(url, { accessTokenFactory: () => accessToken })
    .withAutomaticReconnect([0, 100, 200, 500])
    .configureLogging({ log: (level, message) => logs.push(`${signalR.LogLevel[level]}: ${message}`) })
    .build();
  if (serverTimeoutMs !== undefined) connection.serverTimeoutInMilliseconds = serverTimeoutMs;
  if (keepAliveMs !== undefined) connection.keepAliveIntervalInMilliseconds = keepAliveMs;
  const client = {
    connection,
    hub: service.hub(hub),
    /** `['reconnecting' | 'reconnected' | 'closed', ...]` in the order they happened. */
    events: [],
    /** `{ text, at }` of each `msg` received. */
    received: [],
    logs,
    texts: () => client.received.map((m) => m.text),
    /** What happened so far, for failure messages. */
    story: () =>
      JSON.stringify({ events: client.events, received: client.texts(), logs: logs.slice(-20) }),
  };
  connection.on('msg', (text) => client.received.push({ text, at: Date.now() }));
  connection.onreconnecting(() => client.events.push('reconnecting'));
  connection.onreconnected(() => client.events.push('reconnected'));
  connection.onclose(() => client.events.push('closed'));
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`start() did not finish: ${client.story()}`)), DEADLINE_MS);
  });
  await Promise.race([connection.start(), late]).finally(() => clearTimeout(timer));
  t.after(() => connection.stop());
  await until(
    () => sim.connections(hub).length === 1,
    () => `the simulator never listed the connection: ${client.story()}`,
  );
  return client;
}

/** Sends `text` to every client of the hub and waits until `client` has received it. */
async function sendAndReceive(client, text) {
  await client.hub.sendToAll('msg', [text]);
  await until(
    () => client.texts().includes(text),
    () => `${JSON.stringify(text)} did not arrive: ${client.story()}`,
  );
}

/** A simulator closed when the test ends. */
async function simulator(t, options) {
  const sim = await Simulator.start({ port: 0, ...options });
  t.after(() => sim.close());
  return sim;
}

test('a rule given in the options applies from the start, and runs out after `times`', async (t) => {
  const sim = await simulator(t, { faults: ['503;route=send;times=1', '418;hub=teapot'] });
  assert.deepEqual(sim.faults(), [
    { id: 'f1', fault: '503;route=send;times=1', injected: 0 },
    { id: 'f2', fault: '418;hub=teapot', injected: 0 },
  ]);
  const service = ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES);
  const a = sim.connect('chat');
  await assert.rejects(service.hub('chat').sendToAll('t', [1]), (error) => {
    assert.ok(error instanceof ServiceError, String(error));
    assert.equal(error.status, 503);
    return true;
  });
  assert.deepEqual(a.received, []);
  await service.hub('chat').sendToAll('t', [2]);
  assert.deepEqual(a.received, [{ target: 't', arguments: [2] }]);
  // f1 ran out; f2 still stands and only touches its hub.
  assert.deepEqual(sim.faults(), [{ id: 'f2', fault: '418;hub=teapot', injected: 0 }]);
  await assert.rejects(service.hub('teapot').groupExists('g'), { status: 418 });
  const injected = sim.injectedFaults();
  assert.equal(injected.length, 2, JSON.stringify(injected));
  assert.deepEqual(
    injected.map(({ faultId, fault, hub }) => ({ faultId, fault, hub })),
    [
      { faultId: 'f1', fault: '503;route=send;times=1', hub: 'chat' },
      { faultId: 'f2', fault: '418;hub=teapot', hub: 'teapot' },
    ],
  );
  assert.equal(injected[0].target, 'POST /api/v1/hubs/chat');
  assert.equal(sim.faults()[0].injected, 1);
});

test('addFault, removeFault and clearFaults change the rules in force', async (t) => {
  const sim = await simulator(t);
  const service = ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES);
  const first = sim.addFault('500;route=group');
  const second = sim.addFault('delay=10ms;hub=chat');
  assert.deepEqual(
    sim.faults().map((f) => [f.id, f.fault]),
    [
      [first, '500;route=group'],
      [second, 'delay=10ms;hub=chat'],
    ],
  );
  await assert.rejects(service.hub('chat').groupExists('g'), { status: 500 });
  assert.equal(sim.removeFault(first), true);
  assert.equal(sim.removeFault(first), false);
  assert.equal(await service.hub('chat').groupExists('g'), false);
  sim.clearFaults();
  assert.deepEqual(sim.faults(), []);
  assert.deepEqual(
    sim.injectedFaults().map((f) => f.fault),
    ['500;route=group', 'delay=10ms;hub=chat', 'delay=10ms;hub=chat'],
  );
});

test('bad rules, seeds and arguments are refused naming what is wrong', async (t) => {
  const sim = await simulator(t);
  for (const [rule, named] of [
    ['600', /600/],
    ['503;route=sends', /sends/],
    ['500;retry-after=1', /retry-after/],
    ['503;times=0', /times/],
    ['delay=soon', /soon/],
  ]) {
    assert.throws(() => sim.addFault(rule), (error) => {
      assert.ok(error instanceof InvalidArgumentError, `${rule}: ${error}`);
      assert.match(error.message, named);
      return true;
    });
  }
  assert.deepEqual(sim.faults(), []);
  assert.throws(() => sim.addFault(/** @type {any} */ (503)), TypeError);
  for (const seed of [-1, 1.5, 2 ** 53, Number.NaN, Infinity]) {
    await assert.rejects(Simulator.start({ faultSeed: seed }), (error) => {
      assert.ok(error instanceof InvalidArgumentError, `${seed}: ${error}`);
      assert.equal(error.field, 'faultSeed');
      assert.ok(error.message.includes(String(seed)), error.message);
      return true;
    });
  }
  await assert.rejects(Simulator.start({ faultSeed: /** @type {any} */ ('7') }), TypeError);
  await assert.rejects(Simulator.start({ faults: ['503;route=nowhere'] }), (error) => {
    assert.ok(error instanceof InvalidArgumentError, String(error));
    assert.match(error.message, /nowhere/);
    return true;
  });
  await assert.rejects(Simulator.start({ faults: /** @type {any} */ ('503') }), TypeError);
  for (const duration of [-1, Number.NaN, 3_600_001]) {
    assert.throws(() => sim.pauseClients('chat', duration), (error) => {
      assert.ok(error instanceof InvalidArgumentError, `${duration}: ${error}`);
      assert.ok(error.message.includes(String(duration === 3_600_001 ? 3600.001 : duration)), error.message);
      return true;
    });
  }
  assert.throws(() => sim.pauseClients('chat', /** @type {any} */ ('1s')), TypeError);
  assert.throws(() => sim.dropClients('bad hub!'), InvalidArgumentError);
  assert.throws(() => sim.pauseClients('bad hub!', 10), InvalidArgumentError);
  assert.throws(() => sim.dropClients('chat', /** @type {any} */ ({ clos: true })), /unknown key "clos"/);
  assert.throws(() => sim.dropClients('chat', /** @type {any} */ ({ close: 'yes' })), TypeError);
  assert.deepEqual(sim.dropClients('chat'), []);
  assert.deepEqual(sim.pauseClients('chat', 10), []);
});

test('faultSeed makes fraction draws repeatable: the same seed hits the same calls', async (t) => {
  /** Which of 40 health checks a `fraction=0.5` rule failed, under `seed`. */
  async function pattern(seed) {
    const sim = await simulator(t, { faultSeed: seed, faults: ['500;route=health;fraction=0.5'] });
    const service = ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES);
    let hits = '';
    for (let i = 0; i < 40; i += 1) {
      try {
        await service.health();
        hits += '.';
      } catch (error) {
        assert.ok(error instanceof SignalRError && error.status === 500, String(error));
        hits += 'x';
      }
    }
    assert.equal(sim.injectedFaults().length, hits.split('x').length - 1);
    return hits;
  }
  const first = await pattern(1234);
  assert.equal(await pattern(1234), first);
  assert.match(first, /x/, 'a fraction of 0.5 hit none of 40 calls');
  assert.match(first, /\./, 'a fraction of 0.5 hit all of 40 calls');
  assert.equal(await pattern(Number.MAX_SAFE_INTEGER), await pattern(Number.MAX_SAFE_INTEGER));
  assert.notEqual(await pattern(99), first, 'seeds 99 and 1234 drew the same 40 times');
});

for (const close of [false, true]) {
  test(`@microsoft/signalr reconnects after dropClients with close: ${close} and then receives`, async (t) => {
    const sim = await simulator(t);
    const client = await realClient(t, sim, 'chat');
    await sendAndReceive(client, 'before');
    const [before] = sim.connections('chat');
    const virtual = sim.connect('other');
    const dropped = sim.dropClients('chat', { close });
    assert.deepEqual(dropped, [before.connectionId]);
    assert.ok(!virtual.closed, 'a client of another hub was dropped');
    await until(
      () => client.events.includes('reconnected'),
      () => `no reconnect: ${client.story()}`,
    );
    assert.deepEqual(client.events, ['reconnecting', 'reconnected'], client.story());
    const after = sim.connections('chat');
    assert.equal(after.length, 1, JSON.stringify(after));
    assert.notEqual(after[0].connectionId, before.connectionId);
    assert.equal(after[0].userId, 'ann');
    await sendAndReceive(client, 'after');
    assert.deepEqual(client.texts(), ['before', 'after']);
    assert.deepEqual(sim.injectedFaults(), [
      {
        faultId: '',
        fault: close ? 'drop;close' : 'drop',
        target: `connection ${before.connectionId}`,
        hub: 'chat',
      },
    ]);
  });
}

test('dropClients with a connectionId drops that client only', async (t) => {
  const sim = await simulator(t);
  const client = await realClient(t, sim, 'chat');
  const stays = sim.connect('chat');
  const goes = sim.connect('chat');
  assert.deepEqual(sim.dropClients('chat', { connectionId: goes.connectionId }), [goes.connectionId]);
  assert.equal(goes.closed, true);
  assert.equal(goes.closeReason, 'the simulator dropped the connection (fault injection)');
  assert.equal(stays.closed, false);
  assert.deepEqual(sim.dropClients('chat', { connectionId: 'nobody' }), []);
  await sendAndReceive(client, 'still here');
  assert.deepEqual(client.events, [], client.story());
});

test('@microsoft/signalr times out during a pause longer than its server timeout and reconnects', async (t) => {
  // The simulator pings every 300 ms of silence, so only the pause makes the client time out.
  const sim = await simulator(t, { pingIntervalMs: 300 });
  const client = await realClient(t, sim, 'chat', { serverTimeoutMs: 1500, keepAliveMs: 400 });
  const virtual = sim.connect('chat');
  // Without a pause the pings keep it connected past its timeout.
  await sleep(2000);
  assert.deepEqual(client.events, [], `timed out without a pause: ${client.story()}`);
  const [before] = sim.connections('chat').filter((c) => c.connectionId !== virtual.connectionId);
  // Longer than the timeout, so the connection is given up rather than waited for.
  const paused = sim.pauseClients('chat', 5000);
  // Virtual clients have no socket and are not paused.
  assert.deepEqual(paused, [before.connectionId]);
  await until(
    () => client.events.includes('reconnected'),
    () => `no reconnect: ${client.story()}`,
  );
  assert.deepEqual(client.events, ['reconnecting', 'reconnected'], client.story());
  assert.ok(
    client.logs.some((line) => /Server timeout elapsed/.test(line)),
    `the client did not time out: ${client.story()}`,
  );
  await sendAndReceive(client, 'after the timeout');
  const injected = sim.injectedFaults();
  assert.deepEqual(injected, [
    { faultId: '', fault: 'pause=5000ms', target: `connection ${before.connectionId}`, hub: 'chat' },
  ]);
});

test('a message sent during a short pause arrives after it, on the same connection', async (t) => {
  const sim = await simulator(t, { pingIntervalMs: 300 });
  const client = await realClient(t, sim, 'chat', { serverTimeoutMs: 10_000, keepAliveMs: 400 });
  await sendAndReceive(client, 'before');
  const [before] = sim.connections('chat');
  const pauseMs = 800;
  const start = Date.now();
  assert.deepEqual(sim.pauseClients('chat', pauseMs, { connectionId: before.connectionId }), [
    before.connectionId,
  ]);
  await client.hub.sendToAll('msg', ['during']);
  await sleep(200);
  assert.deepEqual(client.texts(), ['before'], `arrived during the pause: ${client.story()}`);
  await until(
    () => client.texts().includes('during'),
    () => `the message sent during the pause never arrived: ${client.story()}`,
  );
  const arrived = client.received.find((m) => m.text === 'during').at;
  // Timers may round down by a few milliseconds; the pause itself must have passed.
  assert.ok(arrived - start >= pauseMs - 50, `arrived ${arrived - start} ms after an ${pauseMs} ms pause began`);
  assert.deepEqual(client.events, [], client.story());
  assert.deepEqual(sim.connections('chat'), [before]);
});

'use strict';
// The simulator's own API: start, connect, inspect, advance the clock, close.

const assert = require('node:assert/strict');
const http = require('node:http');
const { test } = require('node:test');
const { ServiceClient, Simulator, InvalidArgumentError } = require('..');
const { NO_RETRIES } = require('./helpers');

test('start on port 0 with a key gives a loopback url and a matching connection string', async () => {
  const sim = await Simulator.start({ port: 0, accessKey: 'test-key' });
  try {
    assert.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(sim.url, 'http://127.0.0.1:0');
    assert.equal(sim.accessKey, 'test-key');
    assert.equal(sim.connectionString, `Endpoint=${sim.url};AccessKey=test-key;Version=1.0;`);
    await ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES).health();
  } finally {
    await sim.close();
  }
});

test('without a key the simulator makes a random one', async () => {
  const [a, b] = await Promise.all([Simulator.start(), Simulator.start()]);
  try {
    assert.ok(a.accessKey.length >= 32);
    assert.notEqual(a.accessKey, b.accessKey);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('connections, groups and hubs show what REST calls did', async () => {
  const sim = await Simulator.start({ port: 0 });
  try {
    const hub = ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES).hub('Chat');
    const ann = sim.connect('chat', { userId: 'ann' });
    const anon = sim.connect('chat');
    assert.equal(ann.userId, 'ann');
    assert.equal(anon.userId, null);
    await hub.addConnectionToGroup('room', anon.connectionId);
    await hub.addUserToGroup('vip', 'ann', { ttlSeconds: 60 });
    assert.deepEqual(sim.hubs(), ['chat']);
    const byId = (a, b) => a.connectionId.localeCompare(b.connectionId);
    assert.deepEqual(
      sim.connections('chat').sort(byId),
      [
        { connectionId: ann.connectionId, userId: 'ann' },
        { connectionId: anon.connectionId, userId: null },
      ].sort(byId),
    );
    const groups = sim.groups('chat').sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(groups, [
      { name: 'room', connectionIds: [anon.connectionId] },
      { name: 'vip', connectionIds: [ann.connectionId] },
    ]);
    const [mapping] = sim.userGroups('chat');
    assert.equal(mapping.userId, 'ann');
    assert.equal(mapping.group, 'vip');
    assert.ok(mapping.expiresAt instanceof Date);
    assert.ok(Math.abs(mapping.expiresAt.getTime() - (Date.now() + 60_000)) < 5000);
  } finally {
    await sim.close();
  }
});

test('advanceClock expires user-group mappings', async () => {
  const sim = await Simulator.start({ port: 0 });
  try {
    const hub = ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES).hub('chat');
    await hub.addUserToGroup('g', 'u', { ttlSeconds: 10 });
    sim.advanceClock(9);
    assert.equal(await hub.userInGroup('g', 'u'), true);
    sim.advanceClock(2);
    assert.equal(await hub.userInGroup('g', 'u'), false);
    assert.throws(() => sim.advanceClock(-1), InvalidArgumentError);
    assert.throws(() => sim.advanceClock('1'), TypeError);
  } finally {
    await sim.close();
  }
});

test('closeConnection is seen by the virtual client with its reason', async () => {
  const sim = await Simulator.start({ port: 0 });
  try {
    const hub = ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES).hub('chat');
    const client = sim.connect('chat');
    assert.equal(client.closed, false);
    assert.equal(client.closeReason, null);
    await hub.closeConnection(client.connectionId, { reason: 'bye' });
    assert.equal(client.closed, true);
    assert.equal(client.closeReason, 'bye');
  } finally {
    await sim.close();
  }
});

test('received is a copy: changing it does not change what the client has', async () => {
  const sim = await Simulator.start({ port: 0 });
  try {
    const client = sim.connect('chat');
    await ServiceClient.fromConnectionString(sim.connectionString, NO_RETRIES)
      .hub('chat')
      .sendToAll('t', [{ n: 1 }]);
    client.received[0].arguments[0].n = 2;
    assert.deepEqual(client.received, [{ target: 't', arguments: [{ n: 1 }] }]);
  } finally {
    await sim.close();
  }
});

test('close stops the server: its port refuses connections afterwards', async () => {
  const sim = await Simulator.start({ port: 0 });
  const url = `${sim.url}/api/v1/health`;
  await sim.close();
  await assert.rejects(
    new Promise((resolve, reject) => http.get(url, resolve).on('error', reject)),
    /ECONNREFUSED/,
  );
  await sim.close();
});

test('a port that is taken is a TransportError naming the address', async () => {
  const sim = await Simulator.start({ port: 0 });
  try {
    const port = Number(new URL(sim.url).port);
    await assert.rejects(Simulator.start({ port }), (error) => {
      assert.equal(error.code, 'transport');
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      return true;
    });
  } finally {
    await sim.close();
  }
});

test('bad start options are refused, naming them', async () => {
  await assert.rejects(Simulator.start({ port: 70000 }), /port 70000/);
  await assert.rejects(Simulator.start({ port: 1.5 }), InvalidArgumentError);
  await assert.rejects(Simulator.start({ host: 'localhost' }), /host "localhost" is not an IP address/);
  await assert.rejects(Simulator.start({ accessKey: '' }), InvalidArgumentError);
});

test('applicationName prefixes the hub as {app}_{hub}, lower case', async () => {
  const sim = await Simulator.start({ port: 0 });
  try {
    const client = ServiceClient.fromConnectionString(sim.connectionString, {
      ...NO_RETRIES,
      applicationName: 'Shop',
    });
    assert.equal(client.applicationName, 'shop');
    const browser = sim.connect('shop_chat');
    await client.hub('Chat').sendToAll('news', ['hi']);
    assert.deepEqual(browser.received, [{ target: 'news', arguments: ['hi'] }]);
    assert.equal(ServiceClient.fromConnectionString(sim.connectionString).applicationName, undefined);
  } finally {
    await sim.close();
  }
});


test('a simulator nobody references keeps serving after a garbage collection', async () => {
  const v8 = require('node:v8');
  const vm = require('node:vm');
  v8.setFlagsFromString('--expose_gc');
  const gc = vm.runInNewContext('gc');
  let url = (await Simulator.start({ port: 0 })).url; // the only reference is dropped at once
  for (let i = 0; i < 3; i += 1) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const answer = await fetch(`${url}/api/v1/health`);
  assert.equal(answer.status, 200);
  url = undefined;
});

test('pingIntervalMs reaches the core: a bad value is refused naming it', async () => {
  await assert.rejects(
    Simulator.start({ pingIntervalMs: -1 }),
    (error) => error instanceof InvalidArgumentError && error.field === 'pingIntervalMs' && /got -1$/.test(error.message),
  );
  const sim = await Simulator.start({ pingIntervalMs: 250 });
  await sim.close();
});

test('a shut-down simulator refuses connect and accessToken with the core error, and still answers inspection', async () => {
  const sim = await Simulator.start();
  sim.connect('chat');
  await sim.close();
  assert.deepEqual(sim.hubs(), ['chat']);
  assert.deepEqual(sim.connections('chat'), []);
  for (const call of [() => sim.connect('chat'), () => sim.accessToken(sim.url)]) {
    assert.throws(
      call,
      (error) =>
        error instanceof InvalidArgumentError &&
        error.field === 'simulator' &&
        error.message === 'invalid simulator: the simulator has been shut down',
    );
  }
  await sim.close();
});

test('the dashboard is served on loopback by default: dashboardUrl answers 200 with HTML', async () => {
  const sim = await Simulator.start({ port: 0 });
  try {
    assert.equal(sim.dashboardUrl, `${sim.url}/dashboard/`);
    const page = await fetch(sim.dashboardUrl, { signal: AbortSignal.timeout(5000) });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /<html/i);
  } finally {
    await sim.close();
  }
});

test('dashboard: false serves none: dashboardUrl is null and /dashboard/ is 404', async () => {
  const sim = await Simulator.start({ port: 0, dashboard: false });
  try {
    assert.equal(sim.dashboardUrl, null);
    const page = await fetch(`${sim.url}/dashboard/`, { signal: AbortSignal.timeout(5000) });
    assert.equal(page.status, 404);
    await page.arrayBuffer();
  } finally {
    await sim.close();
  }
  const asked = await Simulator.start({ port: 0, dashboard: true });
  try {
    assert.equal(asked.dashboardUrl, `${asked.url}/dashboard/`);
  } finally {
    await asked.close();
  }
});

test('a dashboard that is not a boolean is a TypeError naming it', async () => {
  await assert.rejects(
    Simulator.start({ port: 0, dashboard: /** @type {any} */ ('yes') }),
    (error) => error instanceof TypeError && /^dashboard must be a boolean, got string yes$/.test(error.message),
  );
});

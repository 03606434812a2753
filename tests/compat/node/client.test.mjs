// SignalR JavaScript clients (@microsoft/signalr 10 and 8, @aspnet/signalr 1.1; JSON and
// MessagePack; through negotiate, through an app server's negotiate redirect, and with
// skipNegotiation + WebSockets) against `signalr-rest serve`: every REST delivery path reaches
// real clients, nothing reaches a client that was not addressed, arguments arrive as sent.
// Connection ids come from the serve log where the client does not know its own.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { CONFIGS, connect, latest, startServer, unique, waitUntil, within, DEADLINE_MS } from './harness.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  const how = await server?.stop();
  if (how === 'SIGKILL') console.error('signalr-rest serve ignored SIGTERM for 5 s and was killed');
});

/** Connects and stops the client when the test ends. */
async function open(t, hub, user, config, options) {
  const client = await connect(server, hub, user, config, options);
  t.after(() => client.stop());
  return client;
}

// Argument fidelity: an object whose key order a sorting server would change ("n" < "é" in
// UTF-8), an integer beyond 64 bits and a decimal with more digits than a double keeps. The
// REST body is written as text so the numbers reach the simulator exactly as written here.
const FIDELITY_ARGUMENTS = '[{"é":1,"n":2},12345678901234567890123,0.1000000000000000055511151231257827]';

for (const config of CONFIGS) {
  describe(config.name, () => {
    test('receives a broadcast, arguments intact', async (t) => {
      const hub = unique('hub');
      const client = await open(t, hub, 'alice', config);
      const payload = [1, 'two', { three: [3, 3.5], four: null, 'fünf': 'ü🙂' }, true, null, -7, ''];
      await server.broadcast(hub, 'data', payload);
      await server.broadcast(hub, 'msg', ['hello']);
      await client.expect('hello');
      const data = client.received.filter((m) => m.target === 'data');
      assert.equal(data.length, 1, JSON.stringify(client.received));
      assert.deepEqual(data[0].args, payload);
    });

    test('argument fidelity: object key order, big and long numbers', async (t) => {
      const hub = unique('hub');
      const client = await open(t, hub, 'alice', config);
      await server.sendRawToUser(hub, 'alice', 'data', FIDELITY_ARGUMENTS);
      await server.sendToUser(hub, 'alice', 'msg', ['after-data']);
      await client.expect('after-data');
      const data = client.received.filter((m) => m.target === 'data');
      assert.equal(data.length, 1, JSON.stringify(client.received));
      const [object, big, long] = data[0].args;
      const problems = [];
      const check = (ok, what) => { if (!ok) problems.push(what); };
      check(JSON.stringify(Object.keys(object)) === '["é","n"]', `key order: got ${JSON.stringify(object)}`);
      check(object['é'] === 1 && object.n === 2 && Object.keys(object).length === 2, `object: got ${JSON.stringify(object)}`);
      // What JSON.parse makes of the numbers as written (JavaScript numbers are doubles).
      check(big === 12345678901234567890123, `big integer: got ${big}`);
      check(long === 0.1000000000000000055511151231257827, `long decimal: got ${long}`);
      if (config.protocol === 'json') {
        // The text the client received (logged by its transport with logMessageContent): the
        // arguments pass through the simulator as JSON text, so they arrive as written.
        const frame = client.logger.received().find((f) => f.includes('"target":"data"'));
        check(frame?.includes(`"arguments":${FIDELITY_ARGUMENTS}`), `raw text: expected "arguments":${FIDELITY_ARGUMENTS} in ${frame}`);
      }
      assert.deepEqual(problems, [], `arguments not as sent: ${problems.join('; ')}`);
    });

    test('receives a send to its user', async (t) => {
      const hub = unique('hub');
      const client = await open(t, hub, 'alice', config);
      await server.sendToUser(hub, 'alice', 'msg', ['to-alice']);
      await client.expect('to-alice');
    });

    test('receives a send to its connection id', async (t) => {
      const hub = unique('hub');
      const client = await open(t, hub, 'alice', config);
      await server.sendToConnection(hub, client.id, 'msg', ['to-connection']);
      await client.expect('to-connection');
    });

    test('receives a group send after its user is added to the group', async (t) => {
      const hub = unique('hub');
      const client = await open(t, hub, 'alice', config);
      await server.addUserToGroup(hub, 'g1', 'alice');
      await server.sendToGroup(hub, 'g1', 'msg', ['to-g1']);
      await client.expect('to-g1');
    });

    test('joins at connect time the groups its user was mapped to before', async (t) => {
      const hub = unique('hub');
      await server.addUserToGroup(hub, 'early', 'alice');
      const client = await open(t, hub, 'alice', config);
      await server.sendToGroup(hub, 'early', 'msg', ['to-early']);
      await client.expect('to-early');
    });

    test('receives a group send after its connection is added to the group', async (t) => {
      const hub = unique('hub');
      const client = await open(t, hub, 'alice', config);
      await server.addConnectionToGroup(hub, 'g2', client.id);
      await server.sendToGroup(hub, 'g2', 'msg', ['to-g2']);
      await client.expect('to-g2');
    });

    test('is not reached when excluded from a broadcast or a group send', async (t) => {
      const hub = unique('hub');
      const client = await open(t, hub, 'alice', config);
      const id = client.id;
      await server.addConnectionToGroup(hub, 'g', id);
      await server.broadcast(hub, 'msg', ['excluded-broadcast'], [id]);
      await server.sendToGroup(hub, 'g', 'msg', ['excluded-group'], [id]);
      await server.sendToGroup(hub, 'g', 'msg', ['group-others-excluded'], ['someone-else']);
      await server.broadcast(hub, 'msg', ['control']);
      await client.expect('control');
      await client.expect('group-others-excluded');
      client.refute('excluded-broadcast');
      client.refute('excluded-group');
    });

    test('is not reached when another user, connection or group is addressed', async (t) => {
      const hub = unique('hub');
      const client = await open(t, hub, 'alice', config);
      const bob = await open(t, hub, 'bob', config);
      await server.addUserToGroup(hub, 'bobs', 'bob');
      await server.sendToUser(hub, 'bob', 'msg', ['to-bob']);
      await server.sendToGroup(hub, 'bobs', 'msg', ['to-bobs']);
      await server.sendToConnection(hub, 'no-such-connection', 'msg', ['to-nobody']);
      await server.sendToConnection(hub, bob.id, 'msg', ['to-bob-connection']);
      await server.broadcast(hub, 'msg', ['control']);
      await client.expect('control');
      await bob.expect('to-bob');
      await bob.expect('to-bobs');
      await bob.expect('to-bob-connection');
      for (const label of ['to-bob', 'to-bobs', 'to-nobody', 'to-bob-connection']) client.refute(label);
    });

    test('stops getting group sends after its user is removed from the group', async (t) => {
      const hub = unique('hub');
      const client = await open(t, hub, 'alice', config);
      await server.addUserToGroup(hub, 'g', 'alice');
      await server.sendToGroup(hub, 'g', 'msg', ['while-member']);
      await client.expect('while-member');
      await server.removeUserFromGroup(hub, 'g', 'alice');
      await server.sendToGroup(hub, 'g', 'msg', ['after-removal']);
      await server.sendToUser(hub, 'alice', 'msg', ['control']);
      await client.expect('control');
      client.refute('after-removal');
    });

    test('stops getting group sends after its connection is removed from the group', async (t) => {
      const hub = unique('hub');
      const client = await open(t, hub, 'alice', config);
      const id = client.id;
      await server.addConnectionToGroup(hub, 'g', id);
      await server.sendToGroup(hub, 'g', 'msg', ['while-member']);
      await client.expect('while-member');
      await server.removeConnectionFromGroup(hub, 'g', id);
      await server.sendToGroup(hub, 'g', 'msg', ['after-removal']);
      await server.sendToConnection(hub, id, 'msg', ['control']);
      await client.expect('control');
      client.refute('after-removal');
    });

    test('is closed by REST close, onclose error carrying the reason', async (t) => {
      const hub = unique('hub');
      const client = await open(t, hub, 'alice', config);
      const id = client.id;
      await server.closeConnection(hub, id, 'kicked by compat test');
      const error = await within(client.closed, DEADLINE_MS, 'onclose after REST close');
      assert.ok(error instanceof Error, `onclose got ${error} instead of an Error`);
      assert.match(error.message, /kicked by compat test/);
      const close = client.logger.closeMessage();
      assert.equal(close?.error, 'kicked by compat test', `the Close message: ${JSON.stringify(close)}`);
      assert.equal(close?.allowReconnect, true, `a REST close allows the client to reconnect: ${JSON.stringify(close)}`);
      await waitUntil(async () => (await server.connectionStatus(hub, id)) === 404, () => `connection ${id} still exists after close`);
    });

    if (config.client.reconnects) {
      test('withAutomaticReconnect reconnects after REST close (allowReconnect) and is reachable again', async (t) => {
        const hub = unique('hub');
        const client = await open(t, hub, 'alice', config, { build: (b) => b.withAutomaticReconnect([0, 100, 500]) });
        const firstId = client.id;
        let reconnectingError;
        const reconnected = new Promise((resolve) => client.connection.onreconnected(resolve));
        client.connection.onreconnecting((error) => { reconnectingError = error; });
        await server.closeConnection(hub, firstId, 'rolling restart');
        const clientsNewId = await within(reconnected, DEADLINE_MS, 'onreconnected after REST close');
        assert.match(String(reconnectingError?.message), /rolling restart/);
        const { id: newId } = await server.connectionIdFromLog(hub, 'alice');
        assert.notEqual(newId, firstId);
        // onreconnected gets the new id, except with skipNegotiation, where the client has none
        assert.equal(clientsNewId ?? null, config.mode === 'skipNegotiation' ? null : newId);
        await server.sendToUser(hub, 'alice', 'msg', ['after-reconnect']);
        await server.sendToConnection(hub, newId, 'msg', ['to-new-id']);
        await client.expect('after-reconnect');
        await client.expect('to-new-id');
      });
    }

    test('exists while connected and 404 after the client stops', async () => {
      const hub = unique('hub');
      const client = await connect(server, hub, 'alice', config);
      const id = client.id;
      assert.equal(await server.connectionStatus(hub, id), 200);
      assert.equal(await server.userStatus(hub, 'alice'), 200);
      await client.stop();
      await waitUntil(async () => (await server.connectionStatus(hub, id)) === 404, () => `connection ${id} still exists after stop()`);
      await waitUntil(async () => (await server.userStatus(hub, 'alice')) === 404, () => 'user alice still exists after stop()');
    });

    test('a user with two connections gets both copies', async (t) => {
      const hub = unique('hub');
      const first = await open(t, hub, 'alice', config);
      const second = await open(t, hub, 'alice', config);
      assert.notEqual(first.id, second.id);
      await server.addUserToGroup(hub, 'g', 'alice');
      await server.sendToUser(hub, 'alice', 'msg', ['to-user']);
      await server.sendToGroup(hub, 'g', 'msg', ['to-group']);
      await server.sendToConnection(hub, second.id, 'msg', ['to-second']);
      for (const client of [first, second]) {
        await client.expect('to-user');
        await client.expect('to-group');
      }
      await second.expect('to-second');
      await server.broadcast(hub, 'msg', ['control']);
      for (const client of [first, second]) {
        await client.expect('control');
        assert.equal(client.count('to-user'), 1, 'exactly one copy per connection');
        assert.equal(client.count('to-group'), 1, 'exactly one copy per connection');
      }
      first.refute('to-second');
    });

    test('a client invocation is refused with a Close carrying an error, reconnect not allowed', async (t) => {
      const hub = unique('hub');
      // With withAutomaticReconnect a Close that allows reconnecting makes the client reconnect;
      // the refusal must not (allowReconnect false), so onclose fires and onreconnecting never.
      const client = await open(t, hub, 'alice', config, config.client.reconnects ? { build: (b) => b.withAutomaticReconnect([0, 100, 500]) } : {});
      const reconnecting = new Promise((resolve) => {
        if (config.client.reconnects) client.connection.onreconnecting((error) => resolve(error ?? null));
      });
      // The service runs serverless: hub methods cannot be invoked. send() only writes the
      // message; the server answers by closing the connection with an error.
      await client.connection.send('SomeHubMethod', 1).catch(() => {});
      const outcome = await within(
        Promise.race([client.closed.then((error) => ({ error })), reconnecting.then((error) => ({ reconnecting: error }))]),
        DEADLINE_MS, 'onclose after a client invocation');
      assert.ok(!('reconnecting' in outcome), `the client reconnects after the server refused its invocation (${outcome.reconnecting?.message})`);
      assert.ok(outcome.error instanceof Error, `onclose got ${outcome.error} instead of an Error`);
      const close = client.logger.closeMessage();
      assert.ok(close?.error, `no Close message with an error received: ${JSON.stringify(close)}`);
      assert.notEqual(close.allowReconnect, true, `the refusal must not allow reconnecting: ${JSON.stringify(close)}`);
    });

    test('handshake: the protocol version the client asks for is accepted', async (t) => {
      const hub = unique('hub');
      const client = await open(t, hub, 'alice', config);
      const handshake = client.logger.handshake();
      assert.ok(handshake, 'no handshake request in the client log');
      assert.equal(handshake.protocol, config.protocol);
      assert.equal(client.serverProtocol.toLowerCase(), config.protocol === 'json' ? 'json' : 'messagepack');
      t.diagnostic(`handshake ${JSON.stringify(handshake)}`);
    });
  });
}

describe('authentication and URLs', () => {
  const json = latest('negotiate');
  const skip = latest('skipNegotiation');

  test('a token with the wrong audience is refused (start() rejects)', async () => {
    const hub = unique('hub');
    const token = server.clientToken(hub, 'alice', { audience: `${server.endpoint}/client/?hub=otherhub` });
    await assert.rejects(connect(server, hub, 'alice', json, { token }), /401|Unauthorized/i);
    await assert.rejects(connect(server, hub, 'alice', skip, { token }));
  });

  test('a token signed with another key is refused', async () => {
    const hub = unique('hub');
    const token = server.clientToken(hub, 'alice', { key: 'not-the-key' });
    await assert.rejects(connect(server, hub, 'alice', json, { token }), /401|Unauthorized/i);
  });

  test('an expired token is refused', async () => {
    const hub = unique('hub');
    const token = server.clientToken(hub, 'alice', { lifetime: -600 });
    await assert.rejects(connect(server, hub, 'alice', json, { token }), /401|Unauthorized/i);
  });

  test('the token may come in the access_token query, as browsers send it', async (t) => {
    const hub = unique('hub');
    const token = server.clientToken(hub, 'alice');
    const url = `${server.clientUrl(hub)}&access_token=${encodeURIComponent(token)}`;
    const client = await open(t, hub, 'alice', skip, { url, withFactory: false });
    await server.sendToUser(hub, 'alice', 'msg', ['via-query-token']);
    await server.sendToConnection(hub, client.id, 'msg', ['via-query-token-connection']);
    await client.expect('via-query-token');
    await client.expect('via-query-token-connection');
  });

  test('hub names are case-insensitive between the client URL and REST', async (t) => {
    const hub = `Mixed${unique('Case')}`;
    const client = await open(t, hub, 'alice', json);
    await server.sendToUser(hub.toLowerCase(), 'alice', 'msg', ['lower']);
    await server.sendToUser(hub.toUpperCase(), 'alice', 'msg', ['upper']);
    await client.expect('lower');
    await client.expect('upper');
  });
});

describe('beyond the basics', () => {
  for (const config of [latest('negotiate', 'json'), latest('negotiate', 'messagepack')]) {
    test(`${config.name}: a 700 KB argument arrives whole`, async (t) => {
      const hub = unique('hub');
      const client = await open(t, hub, 'alice', config);
      const big = 'x'.repeat(700 * 1024) + 'ü-end';
      await server.sendToUser(hub, 'alice', 'data', [big]);
      await server.sendToUser(hub, 'alice', 'msg', ['after-big']);
      await client.expect('after-big');
      const data = client.received.filter((m) => m.target === 'data');
      assert.equal(data.length, 1);
      assert.equal(data[0].args[0].length, big.length);
      assert.equal(data[0].args[0], big);
    });

    test(`${config.name}: 200 sequential sends arrive in order; 100 concurrent ones all arrive`, async (t) => {
      const hub = unique('hub');
      const client = await open(t, hub, 'alice', config);
      for (let i = 0; i < 200; i++) await server.sendToConnection(hub, client.id, 'msg', [`seq-${i}`]);
      await client.expect('seq-199');
      const seq = client.labels().filter((l) => l.startsWith('seq-'));
      assert.deepEqual(seq, Array.from({ length: 200 }, (_, i) => `seq-${i}`));
      await Promise.all(Array.from({ length: 100 }, (_, i) => server.broadcast(hub, 'msg', [`par-${i}`])));
      await waitUntil(() => client.labels().filter((l) => l.startsWith('par-')).length === 100,
        () => `got ${client.labels().filter((l) => l.startsWith('par-')).length} of 100 concurrent broadcasts`);
    });
  }

  test('odd user ids and group names round-trip from token and REST path to the client (and the serve log)', async (t) => {
    const hub = unique('hub');
    const user = 'ü ser/1?#%+&=;"\\';
    const group = 'g/ü ?#%+&=;';
    for (const config of [latest('negotiate'), latest('skipNegotiation')]) {
      const client = await open(t, hub, user, config);
      await server.sendToUser(hub, user, 'msg', [`to-odd-user ${config.mode}`]);
      await server.sendToConnection(hub, client.id, 'msg', [`to-odd-user-connection ${config.mode}`]);
      await client.expect(`to-odd-user ${config.mode}`);
      await client.expect(`to-odd-user-connection ${config.mode}`);
      await client.stop();
    }
    const client = await open(t, hub, user, latest('negotiate'));
    await server.addUserToGroup(hub, group, user);
    await server.sendToGroup(hub, group, 'msg', ['to-odd-group']);
    await client.expect('to-odd-group');
  });

  test('the user id comes from asrs.s.uid, else nameid, else sub; none is an anonymous connection', async (t) => {
    const hub = unique('hub');
    const json = latest('negotiate');
    const uid = await open(t, hub, 'by-uid', json, { token: server.clientToken(hub, 'nameid-loses', { extra: { 'asrs.s.uid': 'by-uid' } }) });
    const sub = await open(t, hub, 'by-sub', json, { token: server.clientToken(hub, undefined, { extra: { sub: 'by-sub' } }) });
    const anonymous = await open(t, hub, undefined, json, { token: server.clientToken(hub, undefined) });
    await server.sendToUser(hub, 'nameid-loses', 'msg', ['to-nameid']);
    await server.sendToUser(hub, 'by-uid', 'msg', ['to-uid']);
    await server.sendToUser(hub, 'by-sub', 'msg', ['to-sub']);
    await server.sendToConnection(hub, anonymous.id, 'msg', ['to-anonymous']);
    await server.broadcast(hub, 'msg', ['control']);
    for (const c of [uid, sub, anonymous]) await c.expect('control');
    await uid.expect('to-uid');
    await sub.expect('to-sub');
    await anonymous.expect('to-anonymous');
    uid.refute('to-nameid');
    for (const label of ['to-nameid', 'to-uid', 'to-sub']) anonymous.refute(label);
  });
});

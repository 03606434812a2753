'use strict';
// The apiVersion option and the operations 2022-06-01 added, each under the default (1.0)
// client and one speaking 2022-06-01 (the newer operations always use 2022-06-01).

const assert = require('node:assert/strict');
const { describe, test } = require('node:test');
const { ServiceClient, Simulator, InvalidArgumentError, AbortError } = require('..');
const { NO_RETRIES } = require('./helpers');

/** The JSON payload of a JWT. */
function tokenClaims(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

/** The status the simulator's client endpoint answers a SignalR client bringing this token. */
async function clientNegotiateStatus({ url, accessToken }) {
  const response = await fetch(url.replace('/client/?', '/client/negotiate?'), {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}` },
  });
  await response.arrayBuffer();
  return response.status;
}

/** Runs `body(sim, client)` against a fresh simulator, with a client speaking `apiVersion`. */
async function withSimulator(apiVersion, body) {
  const sim = await Simulator.start({ port: 0 });
  try {
    const options = apiVersion === undefined ? NO_RETRIES : { ...NO_RETRIES, apiVersion };
    await body(sim, ServiceClient.fromConnectionString(sim.connectionString, options));
  } finally {
    await sim.close();
  }
}

test('a client speaks 1.0 unless told otherwise', async () => {
  await withSimulator(undefined, async (sim, client) => {
    assert.equal(client.apiVersion, '1.0');
    const newer = ServiceClient.fromConnectionString(sim.connectionString, { apiVersion: '2022-06-01' });
    assert.equal(newer.apiVersion, '2022-06-01');
  });
});

test('an unknown apiVersion is an InvalidArgumentError naming it', () => {
  const cs = 'Endpoint=http://127.0.0.1:1;AccessKey=k;Version=1.0;';
  assert.throws(
    () => ServiceClient.fromConnectionString(cs, { apiVersion: '2021-01-01' }),
    (error) =>
      error instanceof InvalidArgumentError &&
      error.field === 'api_version' &&
      error.message.includes('2021-01-01'),
  );
  assert.throws(() => ServiceClient.fromConnectionString(cs, { apiVersion: 2022 }), TypeError);
});

for (const apiVersion of [undefined, '2022-06-01']) {
  describe(`with apiVersion ${apiVersion ?? 'left out'}`, () => {
    test('v1 operations still work', async () => {
      await withSimulator(apiVersion, async (sim, client) => {
        const alice = sim.connect('chat', { userId: 'alice' });
        const hub = client.hub('chat');
        await hub.addUserToGroup('room', 'alice');
        await hub.sendToGroup('room', 'hello', [1]);
        assert.ok(await hub.userInGroup('room', 'alice'));
        await client.health();
        assert.deepEqual(alice.received, [{ target: 'hello', arguments: [1] }]);
      });
    });

    test('closing at three scopes keeps the excluded and tells the rest why', async () => {
      await withSimulator(apiVersion, async (sim, client) => {
        const ann1 = sim.connect('chat', { userId: 'ann' });
        const ann2 = sim.connect('chat', { userId: 'ann' });
        const member = sim.connect('chat');
        const kept = sim.connect('chat');
        const hub = client.hub('chat');
        await hub.addConnectionToGroup('room', member.connectionId);

        await hub.closeUserConnections('ann', { excluded: [ann2.connectionId], reason: 'user' });
        await hub.closeGroupConnections('room', { reason: 'group' });
        assert.equal(ann1.closeReason, 'user');
        assert.equal(ann2.closed, false);
        assert.equal(member.closeReason, 'group');

        await hub.closeAllConnections({ excluded: [kept.connectionId], reason: 'all' });
        assert.equal(ann2.closeReason, 'all');
        assert.equal(kept.closed, false);
        assert.deepEqual(
          sim.connections('chat').map((c) => c.connectionId),
          [kept.connectionId],
        );
      });
    });

    test('a connection leaves all its groups', async () => {
      await withSimulator(apiVersion, async (sim, client) => {
        const ann = sim.connect('chat');
        const hub = client.hub('chat');
        await hub.addConnectionToGroup('a', ann.connectionId);
        await hub.addConnectionToGroup('b', ann.connectionId);
        await hub.removeConnectionFromAllGroups(ann.connectionId);
        await hub.removeConnectionFromAllGroups('unknown');
        assert.deepEqual(sim.groups('chat'), []);
      });
    });

    test('negotiateWithService gives a token the client endpoint accepts', async () => {
      await withSimulator(apiVersion, async (sim, client) => {
        const answer = await client.negotiateWithService('Chat', {
          userId: 'alice',
          lifetimeSeconds: 90,
        });
        assert.deepEqual(Object.keys(answer).sort(), ['accessToken', 'url']);
        assert.equal(answer.url, `${sim.url}/client/?hub=chat`);
        const claims = tokenClaims(answer.accessToken);
        assert.equal(claims.nameid, 'alice');
        assert.equal(claims.exp - claims.iat, 120, '90 s rounds up to whole minutes');
        assert.equal(await clientNegotiateStatus(answer), 200);
      });
    });

    test('generateClientToken makes a token for the hub and user', async () => {
      await withSimulator(apiVersion, async (sim, client) => {
        const accessToken = await client.hub('chat').generateClientToken({ userId: 'bob' });
        assert.equal(tokenClaims(accessToken).nameid, 'bob');
        const url = `${sim.url}/client/?hub=chat`;
        assert.equal(await clientNegotiateStatus({ url, accessToken }), 200);
      });
    });
  });
}

test('the newer operations check their arguments and honour a signal', async () => {
  await withSimulator(undefined, async (sim, client) => {
    const hub = client.hub('chat');
    await assert.rejects(hub.closeGroupConnections(''), InvalidArgumentError);
    await assert.rejects(hub.closeAllConnections({ excluded: 'abc' }), TypeError);
    await assert.rejects(hub.closeUserConnections('ann', { because: 'x' }), /unknown key "because"/);
    await assert.rejects(hub.generateClientToken({ claims: { role: 'x' } }), /unknown key "claims"/);
    await assert.rejects(hub.generateClientToken({ lifetimeSeconds: -1 }), InvalidArgumentError);
    await assert.rejects(
      client.negotiateWithService('chat', { signal: AbortSignal.abort() }),
      AbortError,
    );
  });
});

'use strict';
// Key-less clients: every request's token comes from a token provider (Microsoft Entra ID in
// production; the simulator's accessToken here). Also fromEndpoint, clientUrl and close.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { test } = require('node:test');
const {
  InvalidArgumentError,
  RequestTimeoutError,
  ServiceClient,
  Simulator,
  UnauthorizedError,
} = require('..');

async function withSimulator(t, options) {
  const sim = await Simulator.start(options);
  t.after(() => sim.close());
  return sim;
}

test('an async token provider signs every request', async (t) => {
  const sim = await withSimulator(t);
  const audiences = [];
  const tokenProvider = async (audience) => {
    audiences.push(audience);
    return sim.accessToken(audience);
  };
  const alice = sim.connect('chat', { userId: 'alice' });
  const chat = ServiceClient.fromEndpoint(sim.url, { tokenProvider }).hub('chat');
  await chat.sendToUser('alice', 'hi', [1]);
  assert.equal(await chat.userExists('alice'), true);
  assert.deepEqual(alice.received, [{ target: 'hi', arguments: [1] }]);
  assert.deepEqual(audiences, [
    `${sim.url}/api/v1/hubs/chat/users/alice`,
    `${sim.url}/api/v1/hubs/chat/users/alice`,
  ]);
});

test('concurrent calls each get their token', async (t) => {
  const sim = await withSimulator(t);
  const bob = sim.connect('chat', { userId: 'bob' });
  const tokenProvider = (audience) => sim.accessToken(audience, { lifetimeSeconds: 60 });
  const chat = ServiceClient.fromEndpoint(sim.url, { tokenProvider }).hub('chat');
  await Promise.all(Array.from({ length: 20 }, (_, i) => chat.sendToUser('bob', 'n', [i])));
  assert.equal(bob.received.length, 20);
});

test('a provider that rejects is an UnauthorizedError naming it', async (t) => {
  const sim = await withSimulator(t);
  async function brokenProvider() {
    throw new RangeError('no credential available');
  }
  const client = ServiceClient.fromEndpoint(sim.url, {
    tokenProvider: brokenProvider,
    retry: { maxRetries: 0 },
  });
  const error = await client.hub('chat').sendToAll('hi').catch((e) => e);
  assert.ok(error instanceof UnauthorizedError, String(error));
  assert.equal(error.status, null);
  assert.match(error.message, /token provider brokenProvider failed: RangeError: no credential available/);
});

test('a provider that throws synchronously or resolves to no string is an UnauthorizedError', async (t) => {
  const sim = await withSimulator(t);
  const throwing = ServiceClient.fromEndpoint(sim.url, {
    tokenProvider: () => {
      throw 'plain string';
    },
  });
  await assert.rejects(throwing.hub('chat').sendToAll('hi'), (e) => {
    assert.ok(e instanceof UnauthorizedError);
    assert.match(e.message, /failed: plain string/);
    return true;
  });
  const numeric = ServiceClient.fromEndpoint(sim.url, { tokenProvider: async () => 42 });
  await assert.rejects(numeric.hub('chat').sendToAll('hi'), /resolved to number, not a string/);
});

test('a token the service refuses is an UnauthorizedError with its status', async (t) => {
  const sim = await withSimulator(t);
  const client = ServiceClient.fromEndpoint(sim.url, { tokenProvider: async () => 'junk' });
  const error = await client.hub('chat').sendToAll('hi').catch((e) => e);
  assert.ok(error instanceof UnauthorizedError);
  assert.equal(error.status, 401);
});

test('a hung provider times out with the request timeout', async (t) => {
  const sim = await withSimulator(t);
  const client = ServiceClient.fromEndpoint(sim.url, {
    tokenProvider: () => new Promise(() => {}),
    timeoutMs: 200,
    retry: { maxRetries: 0 },
  });
  const started = Date.now();
  const error = await client.hub('chat').sendToAll('hi').catch((e) => e);
  assert.ok(error instanceof RequestTimeoutError, String(error));
  assert.equal(error.timeoutMs, 200);
  assert.ok(Date.now() - started < 2000);
});

test('fromEndpoint takes an access key and a client endpoint instead', async (t) => {
  const sim = await withSimulator(t);
  const alice = sim.connect('chat', { userId: 'alice' });
  const client = ServiceClient.fromEndpoint(sim.url, {
    accessKey: sim.accessKey,
    clientEndpoint: 'https://clients.example.com',
  });
  await client.hub('chat').sendToUser('alice', 'hi');
  assert.deepEqual(alice.received, [{ target: 'hi', arguments: [] }]);
  assert.equal(client.clientUrl('chat'), 'https://clients.example.com/client/?hub=chat');
  assert.equal(client.negotiate('chat').url, 'https://clients.example.com/client/?hub=chat');
  assert.equal(
    ServiceClient.fromConnectionString(sim.connectionString).clientUrl('Chat'),
    `${sim.url}/client/?hub=chat`,
  );
});

test('fromEndpoint needs exactly one of accessKey and tokenProvider', () => {
  assert.throws(() => ServiceClient.fromEndpoint('http://127.0.0.1:1', {}), TypeError);
  assert.throws(
    () => ServiceClient.fromEndpoint('http://127.0.0.1:1', { accessKey: 'k', tokenProvider: async () => 't' }),
    /one of accessKey and tokenProvider/,
  );
  assert.throws(() => ServiceClient.fromEndpoint('http://127.0.0.1:1', { tokenProvider: 'token' }), /must be a function/);
  assert.throws(
    () => ServiceClient.fromEndpoint('not a url', { accessKey: 'k' }),
    (e) => e instanceof InvalidArgumentError && e.field === 'endpoint',
  );
});

test('an AuthType=aad connection string works with a token provider', async (t) => {
  const sim = await withSimulator(t);
  const cs = `Endpoint=${sim.url};AuthType=aad;Version=1.0;`;
  assert.throws(() => ServiceClient.fromConnectionString(cs), /AuthType=aad/);
  const alice = sim.connect('chat', { userId: 'alice' });
  const client = ServiceClient.fromConnectionString(cs, {
    tokenProvider: async (audience) => sim.accessToken(audience),
  });
  await client.hub('chat').sendToUser('alice', 'hi');
  assert.equal(alice.received.length, 1);
  assert.throws(() => client.negotiate('chat'), /access key/);
  const answer = await client.negotiateWithService('chat', { userId: 'alice' });
  assert.equal(answer.url, `${sim.url}/client/?hub=chat`);
});

test('a closed client says so, and asyncDispose closes it', async (t) => {
  const sim = await withSimulator(t);
  const client = ServiceClient.fromConnectionString(sim.connectionString);
  await client[Symbol.asyncDispose]();
  assert.throws(() => client.hub('chat'), (e) => e instanceof InvalidArgumentError && e.field === 'client');
  await assert.rejects(client.health(), /has been closed/);
  await client.close();
});

test('asyncDispose closes a simulator', async () => {
  const sim = await Simulator.start();
  sim.connect('chat');
  await sim[Symbol.asyncDispose]();
  // The core's rule for a shut-down simulator: no new clients, inspection from the final state.
  assert.throws(() => sim.connect('chat'), /the simulator has been shut down/);
  assert.deepEqual(sim.hubs(), ['chat']);
});

test('a simulator on every interface hands out a loopback connection string', async (t) => {
  const sim = await withSimulator(t, { host: '0.0.0.0' });
  assert.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(sim.connectionString.startsWith(`Endpoint=${sim.url};`));
  const browser = sim.connect('chat');
  await ServiceClient.fromConnectionString(sim.connectionString).hub('chat').sendToAll('hi');
  assert.deepEqual(browser.received, [{ target: 'hi', arguments: [] }]);
});

/** The README's code block that starts with the comment `// <name>`. */
function readmeExample(name) {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const block = readme.split('```js\n').find((text) => text.startsWith(`// ${name}\n`));
  assert.ok(block, `README has no example ${name}`);
  return block.slice(0, block.indexOf('```'));
}

test("the README's key-less example runs, the simulator standing in for Entra ID", async (t) => {
  const sim = await withSimulator(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signalr-rest-keyless-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(path.join(modules, '@azure', 'identity'), { recursive: true });
  fs.symlinkSync(path.join(__dirname, '..'), path.join(modules, 'signalr-rest'), 'dir');
  // A stand-in for @azure/identity that records the scopes asked for.
  fs.writeFileSync(
    path.join(modules, '@azure', 'identity', 'package.json'),
    '{ "name": "@azure/identity", "type": "module", "exports": "./index.js" }\n',
  );
  fs.writeFileSync(
    path.join(modules, '@azure', 'identity', 'index.js'),
    `export const scopes = [];
export class DefaultAzureCredential {
  async getToken(scope) { scopes.push(scope); return { token: 'entra-token', expiresOnTimestamp: 0 }; }
}
`,
  );
  fs.writeFileSync(path.join(dir, 'keyless.mjs'), readmeExample('keyless.mjs'));
  const example = await import(pathToFileURL(path.join(dir, 'keyless.mjs')).href);
  const identity = await import(pathToFileURL(path.join(modules, '@azure', 'identity', 'index.js')).href);

  assert.equal(await example.entraIdTokenProvider()('any audience'), 'entra-token');
  assert.deepEqual(identity.scopes, ['https://signalr.azure.com/.default']);
  const browser = sim.connect('chat');
  await example.notify(sim.url, async (audience) => sim.accessToken(audience));
  assert.deepEqual(browser.received, [{ target: 'newMessage', arguments: ['hello from an app without the key'] }]);
});

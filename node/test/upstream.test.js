'use strict';
// Serverless upstream: the receiver helpers against the shared vectors, and a simulator calling
// a small app server for a real client (the CLI's `listen`).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { test } = require('node:test');
const { Simulator, upstream, InvalidArgumentError, UnauthorizedError } = require('..');
const { eventually } = require('./helpers');

const ROOT = path.join(__dirname, '..', '..');
const VECTORS = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/vectors/upstream.json'), 'utf8'));
const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
const CONN = 'conn-1';
const SIGNED = 'sha256=261F7F58FF9FB9BB8BE7E4951A807FE6091E5C074885BF63B865ECCD28728881';

function headers(more = {}, connectionId = CONN, signature = SIGNED) {
  return {
    'X-ASRS-Connection-Id': connectionId,
    'X-ASRS-Hub': 'chat',
    'X-ASRS-Category': 'connections',
    'X-ASRS-Event': 'connected',
    'X-ASRS-Signature': signature,
    ...more,
  };
}

test('each vector signature verifies a connected request', () => {
  for (const v of VECTORS.signatures) {
    const event = upstream.parseRequest(headers({}, v.connection_id, v.signature), '', [v.access_key]);
    assert.deepEqual(event, {
      kind: 'connected',
      connectionId: v.connection_id,
      hub: 'chat',
      userId: null,
      claims: {},
      query: {},
    });
  }
});

test('signature header vectors', () => {
  for (const v of VECTORS.signature_headers) {
    const request = headers({}, v.connection_id, v.header);
    if (v.valid) {
      assert.equal(upstream.parseRequest(request, '', v.keys).kind, 'connected');
    } else {
      const expected = v.header ? UnauthorizedError : InvalidArgumentError;
      assert.throws(() => upstream.parseRequest(request, '', v.keys), expected);
    }
  }
});

test('claims and query vectors', () => {
  for (const v of VECTORS.claims) {
    const event = upstream.parseRequest(headers({ 'X-ASRS-User-Claims': v.header }), '', [KEY]);
    assert.deepEqual(Object.entries(event.claims), v.parsed);
  }
  for (const v of VECTORS.queries) {
    const event = upstream.parseRequest(headers({ 'x-asrs-client-query': v.header }), '', [KEY]);
    assert.deepEqual(Object.entries(event.query), v.parsed);
  }
});

test('a bad signature is unauthorized; headers in any case, Map or Headers', () => {
  assert.throws(() => upstream.parseRequest(headers(), '', ['another-key']), UnauthorizedError);
  const map = new Map(Object.entries(headers({ 'X-ASRS-User-Id': 'alice' })));
  assert.equal(upstream.parseRequest(map, Buffer.alloc(0), ['another-key', KEY]).userId, 'alice');
  const fetchHeaders = new Headers(headers());
  assert.equal(upstream.parseRequest(fetchHeaders, '', KEY).kind, 'connected');
});

test('a malformed request is an invalid argument', () => {
  const request = headers();
  delete request['X-ASRS-Hub'];
  assert.throws(() => upstream.parseRequest(request, '', [KEY]), InvalidArgumentError);
  const call = headers({ 'X-ASRS-Category': 'messages', 'X-ASRS-Event': 'echo' });
  assert.throws(() => upstream.parseRequest(call, '{', [KEY]), InvalidArgumentError);
});

test('disconnected carries its error', () => {
  const request = headers({ 'X-ASRS-Event': 'disconnected' });
  assert.equal(upstream.parseRequest(request, '{"type":11}', [KEY]).error, null);
  assert.equal(upstream.parseRequest(request, '{"type":11,"error":"gone"}', [KEY]).error, 'gone');
});

test('an invocation is read and answered with a framed completion', () => {
  const body = '{"type":1,"invocationId":"7","target":"echo","arguments":[1,{"z":1,"a":2}]}';
  const request = headers({ 'X-ASRS-Category': 'messages', 'X-ASRS-Event': 'echo' });
  const event = upstream.parseRequest(request, body, [KEY]);
  assert.equal(event.kind, 'invocation');
  assert.equal(event.invocationId, '7');
  assert.equal(event.target, 'echo');
  assert.equal(event.protocol, 'json');
  assert.deepEqual(event.arguments, [1, { z: 1, a: 2 }]);

  const answer = upstream.completionBody('json', '7', { result: event.arguments });
  assert.ok(Buffer.isBuffer(answer));
  assert.equal(answer[answer.length - 1], 0x1e);
  const parse = (b) => JSON.parse(b.subarray(0, b.length - 1).toString());
  assert.deepEqual(parse(answer), { type: 3, invocationId: '7', result: [1, { z: 1, a: 2 }] });
  assert.equal(parse(upstream.completionBody('json', '7', { result: null })).result, null);
  assert.equal(parse(upstream.completionBody('json', '7', { error: 'no' })).error, 'no');
  assert.ok(!('result' in parse(upstream.completionBody('json', '7'))));
  assert.ok(Buffer.isBuffer(upstream.completionBody('messagepack', '7', { result: [1] })));
  assert.throws(() => upstream.completionBody('xml', '7'), InvalidArgumentError);
  assert.throws(
    () => upstream.completionBody('json', '7', { result: 1, error: 'both' }),
    InvalidArgumentError,
  );
  assert.throws(() => upstream.completionBody('json', '7', { result: 10n }), TypeError);

  const send = '{"type":1,"target":"note","arguments":["hi"]}';
  const note = headers({ 'X-ASRS-Category': 'messages', 'X-ASRS-Event': 'note' });
  assert.equal(upstream.parseRequest(note, send, [KEY]).invocationId, null);
});

test('bad upstream templates and timeouts are refused', async () => {
  await assert.rejects(Simulator.start({ upstreams: ['not a url'] }), InvalidArgumentError);
  await assert.rejects(
    Simulator.start({ upstreams: ['http://127.0.0.1:1/{event}'], upstreamTimeoutMs: -1 }),
    InvalidArgumentError,
  );
});

const CLI = path.join(ROOT, 'target/debug/signalr-rest');

test(
  'the simulator calls an upstream app for a real client',
  { skip: !fs.existsSync(CLI) && 'build the CLI (cargo build -p signalr-rest-cli)' },
  async () => {
    const secondary = 'second-key-for-rotation';
    const events = [];
    const app = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        let event;
        try {
          event = upstream.parseRequest(req.headers, Buffer.concat(chunks), [secondary]);
        } catch {
          res.writeHead(401).end();
          return;
        }
        events.push(event);
        res.writeHead(200).end();
      });
    });
    await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
    const appUrl = `http://127.0.0.1:${app.address().port}`;
    const sim = await Simulator.start({
      upstreams: [`${appUrl}/{hub}/{category}/{event};hub=chat`],
      upstreamTimeoutMs: 5000,
      secondaryAccessKey: secondary,
    });
    try {
      const listener = spawn(CLI, ['listen', '--hub', 'chat', '--user', 'alice'], {
        env: { ...process.env, SIGNALR_CONNECTION_STRING: sim.connectionString },
        stdio: 'ignore',
      });
      try {
        await eventually(() => events.length >= 1, 10000);
      } finally {
        listener.kill();
      }
      const [event] = events;
      assert.equal(event.kind, 'connected');
      assert.equal(event.hub, 'chat');
      assert.equal(event.userId, 'alice');
      assert.equal(event.query.hub, 'chat');
      assert.equal(event.claims.nameid, 'alice');
      // The simulator records the call once the app's answer is back, which can come after
      // the app has seen the event.
      await eventually(() => sim.upstreamCalls.length >= 1, 10000);
      assert.deepEqual(sim.upstreamCalls[0], {
        connectionId: event.connectionId,
        hub: 'chat',
        category: 'connections',
        event: 'connected',
        url: `${appUrl}/chat/connections/connected`,
        status: 200,
        error: null,
      });
    } finally {
      await sim.close();
      app.close();
    }
  },
);

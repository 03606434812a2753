// Serverless upstream with an unmodified @microsoft/signalr: `signalr-rest serve --upstream`
// POSTs the client's events and invocations to an app server run here, which checks every
// X-ASRS-Signature itself (node:crypto, the contract's algorithm) and answers invocations with
// completions; the client's invoke() resolves with the app's result or rejects with the
// service's wording.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { after, before, test } from 'node:test';

import { decode as decodeMessagePack, encode as encodeMessagePack } from '@msgpack/msgpack';

import { connect, latest, startServer, unique, waitUntil } from './harness.mjs';

const SECONDARY = 'compat-secondary-key';

/** The requests the app server received, each {headers, body, signatureValid}. */
const received = [];
let app;
let appUrl;
let server;

const sign = (key, id) => `sha256=${createHmac('sha256', Buffer.from(key, 'utf8')).update(id).digest('hex').toUpperCase()}`;

/** `[3, {}, id, 3, result]` behind its varint length prefix, or the JSON record. */
function completion(contentType, id, result) {
  if (contentType.startsWith('application/x-msgpack')) {
    const body = encodeMessagePack([3, {}, id, 3, result]);
    return Buffer.concat([Buffer.from([body.length]), Buffer.from(body)]);
  }
  return Buffer.from(`${JSON.stringify({ type: 3, invocationId: id, result })}\u001e`);
}

before(async () => {
  app = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const id = request.headers['x-asrs-connection-id'];
      const entries = (request.headers['x-asrs-signature'] ?? '').split(',');
      const signatureValid = [server.accessKey, SECONDARY].every((key) => entries.includes(sign(key, id)));
      received.push({ headers: request.headers, body, signatureValid });
      if (request.headers['x-asrs-category'] !== 'messages') {
        response.writeHead(200).end();
        return;
      }
      const contentType = request.headers['content-type'];
      const message = contentType.startsWith('application/x-msgpack')
        ? (([, , invocationId, target, args]) => ({ invocationId, target, arguments: args }))(decodeMessagePack(body))
        : JSON.parse(body.toString('utf8'));
      if (message.target === 'fail') {
        response.writeHead(404).end();
      } else if (message.invocationId == null) {
        response.writeHead(200).end();
      } else {
        const [a, b] = message.arguments;
        response.writeHead(200, { 'content-type': contentType }).end(completion(contentType, message.invocationId, a + b));
      }
    });
  });
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${app.address().port}/api/{hub}/{category}/{event}`;
  server = await startServer(['--upstream', appUrl, '--secondary-access-key', SECONDARY]);
});

after(async () => {
  await server?.stop();
  app?.close();
});

for (const protocol of ['json', 'messagepack']) {
  test(`@microsoft/signalr (${protocol}) invokes through the upstream and gets the app's results`, async () => {
    const hub = unique('up');
    const client = await connect(server, hub, 'alice', latest('negotiate', protocol));
    assert.equal(await client.connection.invoke('add', 2, 3), 5);
    await assert.rejects(client.connection.invoke('fail'), /Invocation failed, status code 404/);
    await client.connection.send('add', 1, 1);
    await client.stop();
    const mine = () => received.filter((r) => r.headers['x-asrs-hub'] === hub);
    await waitUntil(() => mine().some((r) => r.headers['x-asrs-event'] === 'disconnected'), () => 'no disconnected event');
    const events = mine().map((r) => `${r.headers['x-asrs-category']}/${r.headers['x-asrs-event']}`);
    assert.deepEqual(events, [
      'connections/connected',
      'messages/add',
      'messages/fail',
      'messages/add',
      'connections/disconnected',
    ]);
    for (const request of mine()) {
      assert.ok(request.signatureValid, `both keys sign ${request.headers['x-asrs-event']}`);
      assert.equal(request.headers['x-asrs-connection-id'], client.id);
      assert.equal(request.headers['x-asrs-user-id'], 'alice');
    }
    const expectedType = protocol === 'json' ? 'application/json' : 'application/x-msgpack';
    assert.equal(mine()[1].headers['content-type'], expectedType);
  });
}

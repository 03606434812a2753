// The ESM entry exports the very classes of the CommonJS one, so instanceof works across both.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import * as esm from 'signalr-rest';

const cjs = createRequire(import.meta.url)('signalr-rest');

test('every ESM export is the same object as its CommonJS export', () => {
  assert.deepEqual(Object.keys(esm).sort(), Object.keys(cjs).sort());
  for (const name of Object.keys(cjs)) assert.equal(esm[name], cjs[name], name);
});

test('an error raised through the CommonJS entry is an instance of the ESM classes', async () => {
  const client = cjs.ServiceClient.fromConnectionString('Endpoint=http://127.0.0.1:1;AccessKey=k');
  assert.throws(() => client.hub('bad-name'), esm.InvalidArgumentError);
  const sim = await esm.Simulator.start({ port: 0 });
  try {
    const hub = cjs.ServiceClient.fromConnectionString(sim.connectionString).hub('chat');
    const error = await hub.addConnectionToGroup('g', 'ghost').catch((e) => e);
    assert.ok(error instanceof esm.NotFoundError);
    assert.ok(error instanceof esm.SignalRError);
    assert.ok(error instanceof cjs.NotFoundError);
  } finally {
    await sim.close();
  }
});

test('an error raised through the ESM entry is an instance of the CommonJS classes', async () => {
  const controller = new AbortController();
  controller.abort();
  const hub = esm.ServiceClient.fromConnectionString('Endpoint=http://127.0.0.1:1;AccessKey=k').hub('chat');
  const error = await hub.sendToAll('t', [], { signal: controller.signal }).catch((e) => e);
  assert.ok(error instanceof cjs.AbortError);
  assert.ok(error instanceof cjs.SignalRError);
  assert.equal(error.name, 'AbortError');
});

'use strict';
// Calls run on Rust threads: the JS event loop keeps turning while they wait for an answer.
//
// The stub server runs in a worker thread, with its own event loop, and holds every request
// until the test's own event loop has shown it is running: after the requests arrive, the main
// thread must fire a timer three times and post "release". A call that blocked the loop would
// never let that happen; the server then answers by itself after FALLBACK_MS and the test fails
// saying so. Nothing depends on how fast a busy machine is, only on the order of events.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { Worker } = require('node:worker_threads');
const { ServiceClient } = require('..');
const { connectionString } = require('./helpers');

/** How long the server holds a request when the main thread never releases it. */
const FALLBACK_MS = 20_000;

const SERVER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const held = [];
const answer = (res) => { if (!res.writableEnded) res.writeHead(202).end(); };
const server = http.createServer((req, res) => {
  req.resume();
  held.push(res);
  setTimeout(() => answer(res), workerData.fallbackMs).unref();
  parentPort.postMessage({ type: 'request', count: held.length });
});
parentPort.on('message', (message) => {
  if (message === 'release') held.forEach(answer);
  if (message === 'close') {
    server.closeAllConnections();
    server.close(() => parentPort.close());
  }
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ type: 'listening', port: server.address().port }));
`;

/**
 * Starts the holding server in a worker. Once `expected` requests have arrived it counts ticks
 * of a 5 ms timer on this thread and releases them after the third; `state.released` says
 * whether that happened, `state.ticksWhileHeld` how many ticks fired while they were held.
 */
async function startHoldingServer(expected) {
  const worker = new Worker(SERVER, { eval: true, workerData: { fallbackMs: FALLBACK_MS } });
  const state = { requests: 0, released: false, ticksWhileHeld: 0 };
  let timer;
  const port = await new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (message) => {
      if (message.type === 'listening') resolve(message.port);
      if (message.type !== 'request') return;
      state.requests = message.count;
      if (state.requests !== expected) return;
      timer = setInterval(() => {
        state.ticksWhileHeld += 1;
        if (state.ticksWhileHeld === 3) {
          state.released = true;
          clearInterval(timer);
          worker.postMessage('release');
        }
      }, 5);
    });
  });
  return {
    connectionString: connectionString(port),
    state,
    close: async () => {
      clearInterval(timer);
      worker.postMessage('close');
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}

test('timers keep firing while a call waits for its answer', async () => {
  const server = await startHoldingServer(1);
  try {
    const hub = ServiceClient.fromConnectionString(server.connectionString).hub('chat');
    await hub.sendToAll('t', []);
    assert.equal(server.state.requests, 1);
    assert.ok(server.state.released, `no timer fired in ${FALLBACK_MS} ms while the call waited: the call blocked the event loop`);
    assert.equal(server.state.ticksWhileHeld, 3);
  } finally {
    await server.close();
  }
});

test('timers keep firing while 100 concurrent calls wait for their answers', async () => {
  const server = await startHoldingServer(100);
  try {
    const hub = ServiceClient.fromConnectionString(server.connectionString).hub('chat');
    await Promise.all(Array.from({ length: 100 }, (_, i) => hub.sendToUser(`user-${i}`, 't', [i])));
    assert.equal(server.state.requests, 100);
    assert.ok(server.state.released, `no timer fired in ${FALLBACK_MS} ms while the calls waited: they blocked the event loop`);
    assert.equal(server.state.ticksWhileHeld, 3);
  } finally {
    await server.close();
  }
});

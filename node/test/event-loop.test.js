'use strict';
// Calls run on Rust threads: the JS event loop keeps turning while they are in flight.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { ServiceClient, Simulator } = require('..');
const { startServer } = require('./helpers');

/** Runs `work()` while a 5 ms interval ticks; returns the ticks and the longest gap. */
async function measureTicks(work) {
  let ticks = 0;
  let last = Date.now();
  let longestGap = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    ticks += 1;
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { ticks, longestGap };
}

test('timers keep firing while a call waits 300 ms for its answer', async () => {
  const server = await startServer((req, res) => {
    req.resume();
    setTimeout(() => res.writeHead(202).end(), 300);
  });
  try {
    const hub = ServiceClient.fromConnectionString(server.connectionString).hub('chat');
    const { ticks, longestGap } = await measureTicks(() => hub.sendToAll('t', []));
    assert.ok(ticks >= 20, `only ${ticks} ticks in 300 ms`);
    assert.ok(longestGap < 100, `the loop stalled for ${longestGap} ms`);
  } finally {
    await server.close();
  }
});

test('a burst of 500 concurrent sends does not stall the loop', async () => {
  const sim = await Simulator.start({ port: 0 });
  try {
    const hub = ServiceClient.fromConnectionString(sim.connectionString).hub('chat');
    const client = sim.connect('chat');
    const { longestGap } = await measureTicks(() =>
      Promise.all(
        Array.from({ length: 500 }, (_, i) => hub.sendToConnection(client.connectionId, 'n', [i])),
      ),
    );
    assert.equal(client.received.length, 500);
    assert.ok(longestGap < 250, `the loop stalled for ${longestGap} ms`);
  } finally {
    await sim.close();
  }
});
